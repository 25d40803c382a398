"""The interviews rule end to end on a temporary copy of the example study.

Wave 1's staff interview gets two more turns with planted personal data (an ID number, a phone
number, an e-mail address, a colleague's name, a participant without a pseudonym in the sidecar)
and coder A codes them, partly with codes that look like spreadsheet formulas. Checked: the
columns of every output, the planted assurance dissonance, quotes traceable to their transcript
position, no planted or listed personal value in any output, neutralised CSV cells, the study's
salt behind generated pseudonyms, and that a wave without an interview folder gets no job.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from servqual.agreement import AGREEMENT_COLUMNS
from servqual.interviews import COUNT_COLUMNS, QUOTE_COLUMNS, SEGMENT_TABLE_COLUMNS
from servqual.triangulation import TRIANGULATION_COLUMNS
from servqual.privacy import pseudonym
from servqual.transcripts import INTERVIEWER_ROLES, read_documents_table
from test_workflow import STUDY, WORKFLOW, copy_tree, planned_jobs, snakemake

pytestmark = pytest.mark.slow

FOLDER = "data/raw/wave1/interviews"
# One job writes every interview output of a wave; the gap table it needs pulls in clean and gaps.
TARGET = "reports/wave1/tables/triangulation.csv"
PLANTED_TURNS = (
    "Grace Lin: My ID is 110101199003074514; reach me on +86 139 1234 5678 or grace.lin@example.com, "
    "Tom Reed has the refund file.\n"
    "Sam Quist: I joined in May and the billing system still overcharges customers every week.\n"
)
PLANTED_VALUES = ["110101199003074514", "+86 139 1234 5678", "grace.lin@example.com", "13800138000",
                  "lily.zhao1985@example.org", "Sam Quist"]
# Codes no codebook holds are kept and reported, so they reach the CSV tables as text cells.
FORMULA_CODES = ["=1+1", "+cmd", "-sum", "@at"]
TABLES = {
    "interview_codes": ["wave", *COUNT_COLUMNS],
    "coder_agreement": ["wave", *AGREEMENT_COLUMNS],
    "quotes": ["wave", *QUOTE_COLUMNS],
    "triangulation": ["wave", *TRIANGULATION_COLUMNS, "provider_gaps"],
}


def plant(study: Path) -> None:
    """Append the planted turns to the staff interview, list Sam Quist without a pseudonym and
    let coder A code both turns (billing_error and the formula-like codes)."""
    folder = study / FOLDER
    transcript = folder / "staff_interview.txt"
    text = transcript.read_text(encoding="utf-8") + PLANTED_TURNS
    transcript.write_text(text, encoding="utf-8", newline="")
    sidecar = folder / "documents.tsv"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("Grace Lin=staff=S02",
                                                                   "Grace Lin=staff=S02; Sam Quist=staff"),
                       encoding="utf-8")
    spans = [line.split(": ", 1)[1] for line in PLANTED_TURNS.splitlines()]
    codes = [("billing_error", spans[0]), ("billing_error", spans[1])] + [(c, spans[1]) for c in FORMULA_CODES]
    with (folder / "coder_a.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for code, span in codes:
            start = text.index(span)
            writer.writerow(["staff_interview.txt", "Coder A", code, start, start + len(span), span])


def personal_values(study: Path) -> list[str]:
    """Planted values and the names of every participant in the sidecar (interviewers' labels,
    here role words such as 'Interviewer', excepted)."""
    _, participants = read_documents_table(study / FOLDER)
    names = participants.loc[~participants["role"].isin(INTERVIEWER_ROLES), "speaker"]
    return sorted({*names, *PLANTED_VALUES})


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("interviews")
    copy_tree(WORKFLOW + STUDY, root)
    plant(root)
    result = snakemake(TARGET, cwd=root)
    assert result.returncode == 0, result.stderr[-5000:]
    return root


def outputs(study: Path) -> list[Path]:
    return [p for d in ("data/processed", "reports", "logs") for p in (study / d).rglob("*") if p.is_file()]


def test_every_output_is_written_with_its_columns(study):
    assert pd.read_parquet(study / "data/processed/wave1/segments.parquet").columns.tolist() == SEGMENT_TABLE_COLUMNS
    for name, columns in TABLES.items():
        table = pd.read_csv(study / f"reports/wave1/tables/{name}.csv")
        assert table.columns.tolist() == columns, name
        assert len(table) and table["wave"].eq("wave1").all()
    assert (study / "reports/wave1/figures/interview_codes.png").stat().st_size > 10_000
    assert not (study / "reports/wave2").exists()  # only the requested wave ran


def test_planted_dissonance_and_the_documented_rule(study):
    tri = pd.read_csv(study / "reports/wave1/tables/triangulation.csv").set_index("dimension")
    assert tri.loc["assurance", "convergence"] == "dissonance"
    assert tri.loc["assurance", "survey_signal"] == "negative"
    assert tri.loc["assurance", "interview_signal"] == "strengths dominate"
    assert tri["rule"].str.contains("at least 67% of the coded participant units").all()
    assert tri.loc["reliability", "convergence"] == "agreement"


def test_quotes_point_to_their_transcript_position(study):
    quotes = pd.read_csv(study / "reports/wave1/tables/quotes.csv")
    secrets = personal_values(study)
    checked = 0
    for row in quotes.itertuples(index=False):
        text = (study / FOLDER / row.document).read_text(encoding="utf-8")[row.start : row.end]
        if not any(s in text for s in secrets):  # masked quotes differ from the raw text by design
            assert text == row.text
            checked += 1
    assert checked >= 10


def test_no_personal_data_in_any_output(study):
    secrets = personal_values(study)
    assert {"王芳", "Tom Reed", "Grace Lin", "Sam Quist", "110101199003074514"} <= set(secrets)
    files = outputs(study)
    assert len(files) > 10
    for path in files:
        text = (pd.read_parquet(path).to_csv() if path.suffix == ".parquet"
                else path.read_bytes().decode("utf-8", errors="replace"))
        for secret in secrets:
            assert secret not in text, f"{path.relative_to(study)} contains {secret!r}"
    segments = pd.read_parquet(study / "data/processed/wave1/segments.parquet")
    masked = " ".join(segments["text"])
    assert "[id]" in masked and "[phone]" in masked and "[email]" in masked
    assert "S01 has the refund file" in masked  # a colleague's name becomes his pseudonym


def test_generated_pseudonyms_use_the_study_salt(study):
    segments = pd.read_parquet(study / "data/processed/wave1/segments.parquet")
    # SERVQUAL_SALT and no privacy.pseudonym_scheme: the current scheme, 64 bits.
    expected = pseudonym("Sam Quist", b"test-salt", prefix="S", length=16)
    assert expected in set(segments["speakers"])


def test_csv_cells_cannot_run_as_formulas(study):
    codes = pd.read_csv(study / "reports/wave1/tables/interview_codes.csv", dtype=str)
    assert {"'" + c for c in FORMULA_CODES} <= set(codes["value"])
    for name in TABLES:
        table = pd.read_csv(study / f"reports/wave1/tables/{name}.csv", dtype=str, keep_default_na=False)
        for cell in table.to_numpy().ravel():
            if cell[:1] in ("=", "+", "-", "@"):
                float(cell)  # only numbers (negative gaps) may start so


def test_nothing_to_do_after_the_run_and_a_library_edit_reruns_only_interviews(study):
    assert planned_jobs(snakemake("-n", TARGET, cwd=study)) == {}
    module = study / "src/servqual/qda.py"
    original = module.read_text(encoding="utf-8")
    try:
        module.write_text(original + "\n# an edit\n", encoding="utf-8")
        assert planned_jobs(snakemake("-n", TARGET, cwd=study)) == {"interviews": 1}
    finally:
        module.write_text(original, encoding="utf-8")
