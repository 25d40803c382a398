"""A waves sheet whose dates are not dates, or whose start dates disagree with its order, is refused
with the line (the cross-wave tables' order is tested in test_report_truth.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_workflow import WORKFLOW, copy_tree, snakemake

from servqual.instrument import instrument_from_config
from servqual.simulate import simulate_survey

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# In time order; sorted by id they would run autumn, spring, wave10, wave2.
SHEET = [("spring", "2025-03-03"), ("autumn", "2025-09-01"), ("wave2", "2026-03-02"), ("wave10", "2026-09-07")]


def write_study(folder: Path, sheet: list[tuple[str, str]]) -> None:
    """The example's instrument and cleaning, one simulated survey per wave."""
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    config["actions"] = None  # the example's action register names its waves; this study has others
    (folder / "config").mkdir(parents=True)
    (folder / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    instrument = instrument_from_config(config["instrument"], config["measures"], config["outcomes"])
    rows = ["wave\tsurvey\tstart"]
    (folder / "data/raw").mkdir(parents=True)
    for k, (wave, start) in enumerate(sheet, 1):
        simulate_survey(instrument, 150, wave=k, seed=11).to_csv(folder / f"data/raw/{wave}.csv", index=False)
        rows.append(f"{wave}\tdata/raw/{wave}.csv\t{start}")
    (folder / "config/waves.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_start_dates_out_of_the_sheet_order_are_refused(tmp_path):
    copy_tree(WORKFLOW, tmp_path)
    write_study(tmp_path, [SHEET[0], SHEET[2], SHEET[1]])
    result = snakemake("-n", cwd=tmp_path)
    assert result.returncode != 0
    message = "lines 3 and 4: wave autumn starts on 2025-09-01, before wave wave2 (2026-03-02)"
    assert re.search(re.escape(message) + r", which the sheet lists first", result.stdout + result.stderr)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("start", "03/02/2026", "line 2, column start: '03/02/2026' is not a date (write YYYY-MM-DD)"),
     ("end", "2025-01-01", "line 2: wave spring ends before it starts")],
)
def test_bad_wave_dates_name_the_line(tmp_path, column, value, message):
    copy_tree(WORKFLOW, tmp_path)
    write_study(tmp_path, SHEET[:1])
    sheet = pd.read_csv(tmp_path / "config/waves.tsv", sep="\t", dtype=str).assign(end="2025-03-30")
    sheet.loc[0, column] = value
    sheet.to_csv(tmp_path / "config/waves.tsv", sep="\t", index=False)
    result = snakemake("-n", cwd=tmp_path)
    assert result.returncode != 0 and message in result.stdout + result.stderr
