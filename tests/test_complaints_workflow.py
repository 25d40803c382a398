"""The complaints rule end to end on a temporary copy of the example study.

Both waves' logs are run (wave 1 UTF-8 with BOM, wave 2 GB18030). Checked: the columns of every
output, the planted faults reported with their lines, the survey-consistent pattern (many
responsiveness and reliability complaints, tangibles complaints, the wave-2 drop in
responsiveness on the control chart), no customer phone, staff id or planted phone number in any
output or log, that the rule needs neither the survey nor the interviews, and that a wave
without a complaint log gets no job.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from servqual.complaints import (
    COMPLAINT_COLUMNS,
    DIMENSION_COLUMNS,
    MONTHLY_COLUMNS,
    PARETO_COLUMNS,
    PROBLEM_COLUMNS,
    RESPONSE_COLUMNS,
)
from servqual.complaints_simulate import PLANTED_PHONE
from test_workflow import STUDY, WORKFLOW, copy_tree, planned_jobs, snakemake

pytestmark = pytest.mark.slow

WAVES = ("wave1", "wave2")
TARGETS = [f"data/processed/{wave}/complaints.parquet" for wave in WAVES]
TABLES = {
    "complaints_by_dimension": DIMENSION_COLUMNS,
    "complaints_monthly": MONTHLY_COLUMNS,
    "complaint_response_times": RESPONSE_COLUMNS,
    "complaints_pareto": PARETO_COLUMNS,
    "complaint_problems": PROBLEM_COLUMNS,
}
FIGURES = ("complaints_pareto", "complaints_control")


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("complaints")
    copy_tree(WORKFLOW + STUDY, root)
    result = snakemake(*TARGETS, cwd=root)
    assert result.returncode == 0, result.stderr[-5000:]
    return root


def raw_log(study: Path, wave: str) -> pd.DataFrame:
    encoding = "utf-8-sig" if wave == "wave1" else "gb18030"
    return pd.read_csv(study / f"data/raw/{wave}/complaints.csv", dtype=str, keep_default_na=False,
                       encoding=encoding)


def test_every_output_is_written_with_its_columns(study):
    for wave in WAVES:
        complaints = pd.read_parquet(study / f"data/processed/{wave}/complaints.parquet")
        assert complaints.columns.tolist() == COMPLAINT_COLUMNS
        assert len(complaints) == len(raw_log(study, wave))  # every complaint kept
        for name, columns in TABLES.items():
            table = pd.read_csv(study / f"reports/{wave}/tables/{name}.csv")
            assert table.columns.tolist() == ["wave", *columns], name
            assert len(table) and table["wave"].eq(wave).all()
        for figure in FIGURES:
            assert (study / f"reports/{wave}/figures/{figure}.png").stat().st_size > 10_000
    # Only the complaint job ran: no survey cleaning, no interviews.
    assert not (study / "data/processed/wave1/responses.parquet").exists()
    assert not (study / "data/processed/wave1/segments.parquet").exists()


def test_planted_faults_are_reported_with_their_lines(study):
    for wave in WAVES:
        problems = pd.read_csv(study / f"reports/{wave}/tables/complaint_problems.csv")
        assert sorted(set(problems["problem"].str.replace(r" \(lines .*", "", regex=True))) == [
            "code not in the codebook", "duplicated complaint id", "first_response before receipt",
            "timestamp does not parse",
        ]
        raw = raw_log(study, wave)
        for row in problems.itertuples(index=False):
            assert raw.loc[row.line - 2, row.column] == row.value  # line 1 is the header


def test_complaints_follow_the_survey(study):
    counts = {wave: pd.read_csv(study / f"reports/{wave}/tables/complaints_by_dimension.csv").set_index("dimension")
              for wave in WAVES}
    for by_dim in counts.values():
        top = by_dim["n_complaints"].drop("(unmapped)").nlargest(2).index
        assert set(top) == {"responsiveness", "reliability"}
        assert by_dim.loc["tangibles", "n_complaints"] >= 40
        assert by_dim.loc["(unmapped)", "n_complaints"] > 0
    assert counts["wave2"].loc["responsiveness", "trend"] == "falling"
    monthly = pd.read_csv(study / "reports/wave2/tables/complaints_monthly.csv")
    responsiveness = monthly[(monthly["level"] == "dimension") & (monthly["value"] == "responsiveness")]
    assert responsiveness["signal"].fillna("").eq("below").any()
    times = pd.read_csv(study / "reports/wave1/tables/complaint_response_times.csv").set_index("channel")
    assert times.loc["counter", "response_promise_hours"] == 12
    assert 0.5 < times.loc["all", "response_share_on_time"] < 1


def test_no_personal_data_in_any_output(study):
    secrets = {PLANTED_PHONE}
    for wave in WAVES:
        raw = raw_log(study, wave)
        secrets |= set(raw["客户电话"]) | set(raw["受理工号"])
    assert len(secrets) > 500
    # PNGs are pixels (their compressed bytes can hold 'A111' by chance); the figures' words are
    # those of the Pareto and monthly tables checked here.
    files = [p for d in ("data/processed", "reports", "logs") for p in (study / d).rglob("*")
             if p.is_file() and p.suffix != ".png"]
    assert len(files) >= 2 * (2 + len(TABLES))
    for path in files:
        text = (pd.read_parquet(path).to_csv() if path.suffix == ".parquet"
                else path.read_bytes().decode("utf-8", errors="replace"))
        found = [s for s in secrets if s in text]
        assert not found, f"{path.relative_to(study)} contains {found[:3]}"


def test_nothing_to_do_after_the_run_and_a_library_edit_reruns_only_complaints(study):
    assert planned_jobs(snakemake("-n", *TARGETS, cwd=study)) == {}
    module = study / "src/servqual/complaints.py"
    original = module.read_text(encoding="utf-8")
    try:
        module.write_text(original + "\n# an edit\n", encoding="utf-8")
        assert planned_jobs(snakemake("-n", *TARGETS, cwd=study)) == {"complaints": 2}
    finally:
        module.write_text(original, encoding="utf-8")
