"""Messy client exports, from the raw file to a complete report, with a config written from
servqual-map's proposal and nothing edited in the raw file: a cp949 Korean kiosk survey with
question-text headers, alternating E/P pairs and each item's importance rated, a GB18030 问卷星 export with durations in 秒, a
UTF-16 Qualtrics export with its three header rows, and a file of standardized scores."""

from __future__ import annotations

import subprocess
import sys
from html import escape as html_escape
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_mapping import korean_kiosk, qualtrics, standardized, wenjuanxing
from test_workflow import WORKFLOW, copy_tree, snakemake

pytestmark = pytest.mark.slow

N, ITEMS = 150, 6
#: Export -> (builder, waves-sheet export_format, servqual-map flags, scale).
EXPORTS = {
    "korean_kiosk": (korean_kiosk, "plain", [], {"min": 1, "max": 7, "integer": True}),
    "wenjuanxing": (wenjuanxing, "plain", [], {"min": 1, "max": 7, "integer": True}),
    "qualtrics": (qualtrics, "qualtrics", ["--export-format", "qualtrics"], {"min": 1, "max": 7, "integer": True}),
    "standardized": (standardized, "plain", ["--continuous"], {"min": None, "max": None, "integer": False}),
}


def study_from_proposal(folder: Path, name: str) -> Path:
    """The study a researcher writes: servqual-map's proposal, two dimensions of three items,
    the scale, and defaults for everything else."""
    build, layout, flags, scale = EXPORTS[name]
    copy_tree(WORKFLOW, folder)
    (folder / "data/raw").mkdir(parents=True)
    export = build(folder / "data/raw/export.csv", n=N, items=ITEMS)
    before = export.read_bytes()
    mapped = subprocess.run([sys.executable, "-m", "servqual.mapping", str(export), *flags],
                            capture_output=True, text=True, check=True)
    proposal = yaml.safe_load(mapped.stdout)
    items = [{**item, "dimension": "access" if k < ITEMS // 2 else "staff"}
             for k, item in enumerate(proposal["instrument"]["items"])]
    config = {
        "study": {"title": name},
        "instrument": {"scale": scale, "dimensions": [{"id": "access"}, {"id": "staff"}], "items": items},
        "measures": proposal["measures"],
        "outcomes": proposal["outcomes"],
        "columns": {**proposal["columns"], "personal_data_action": "drop"},
        "reliability": {"n_boot": 200},
    }
    (folder / "config").mkdir()
    (folder / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (folder / "config/waves.tsv").write_text(
        f"wave\tsurvey\texport_format\nfirst\tdata/raw/export.csv\t{layout}\n", encoding="utf-8")
    result = snakemake(cwd=folder)
    assert result.returncode == 0, result.stderr[-5000:]
    assert export.read_bytes() == before
    return folder


@pytest.mark.parametrize("name", list(EXPORTS))
def test_export_runs_to_a_complete_report(tmp_path, name):
    study = study_from_proposal(tmp_path, name)
    html = (study / "reports/first/report.html").read_text(encoding="utf-8")
    assert ">Cautions<" in html and ">Methods<" in html and "Traceback" not in html
    flow = pd.read_csv(study / "data/processed/first/cleaning_summary.csv").set_index("step")
    assert flow.loc["kept", "n"] >= 0.8 * N
    reliability = pd.read_csv(study / "reports/first/tables/reliability.csv")
    assert reliability["alpha"].notna().all()
    items = pd.read_csv(study / "reports/first/tables/item_reliability.csv")
    has_points = any(c.startswith("freq_") for c in items.columns)
    assert has_points == (name != "standardized")  # no per-point frequencies for standardized scores
    if name == "korean_kiosk":  # importance rated per item: the IPA and the priorities use it
        ipa = pd.read_csv(study / "reports/first/tables/ipa.csv")
        assert set(ipa["importance_kind"]) == {"stated_items"} and len(ipa) == 2 + ITEMS
        assert len(pd.read_csv(study / "reports/first/tables/priorities.csv")) == 2 + ITEMS
        outcomes = pd.read_csv(study / "reports/first/tables/outcomes.csv")
        assert set(outcomes["outcome"]) == {"outcome1", "outcome2"}
        config = yaml.safe_load((study / "config/config.yaml").read_text(encoding="utf-8"))
        label = config["outcomes"][0]["label"]["en"]
        assert f"{html_escape(label)}: mean" in html
    provenance = (study / "data/processed/first/provenance.json").read_text(encoding="utf-8")
    encoding = {"korean_kiosk": "cp949", "wenjuanxing": "gb18030", "qualtrics": "utf-16"}.get(name, "utf-8")
    assert f'"encoding": "{encoding}"' in provenance
