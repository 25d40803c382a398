"""Files from strangers, continued: inputs built to exhaust the machine, values that cannot be
right, and faults that used to surface as bare Python exceptions.

Families (each case plants one input; test_hostile_inputs.py holds code execution, confinement
and the YAML bounds):

* resource limits: zip members (xlsx, docx, qdpx) by size and compression ratio, XML documents by
  size and entity expansion, single fields of text tables, and the large but legitimate cell,
  which is read;
* silent corruption: complaint timestamps before the study or in the future, events out of order
  (every pair), time zones mixed in one complaint, nan/inf where numbers are expected (survey and
  exposure), coded segments reversed or outside the text, workbook formulas without a saved value;
* crashes: text in no encoding we read, an empty or header-only or comma/semicolon waves sheet,
  a NUL byte, lone carriage returns, unreadable coded-segment and documents tables, a damaged docx,
  a non-integer offset, a codebook of the wrong shape.

Each case asserts the message (file, line or cell, the rule or the bound, what to do), that nothing
was written by the step that refused, that rows are conserved where the step runs (every complaint
kept, every respondent kept or excluded with a reason), and that a planted secret or personal value
reaches no file under data/processed/, reports/, logs/ or .snakemake/. Library readers are tested
directly; the workflow runs where the fault is met as it parses its rules (``snakemake -n``) and,
for a few families, one target.
"""

from __future__ import annotations

import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from studies import ROOT, STUDY, WORKFLOW, copy_tree, snakemake
from test_complaints import CODEBOOK, COLUMNS, HEADER, PROMISES

from servqual.cleaning import clean_survey
from servqual.codebook import load_codebook
from servqual.complaints import analyse_complaints
from servqual.instrument import instrument_from_config
from servqual.io import SurveyFormatError, read_survey
from servqual.qda import QdaFormatWarning, anchor_segments, read_qdc, read_qdpx, read_segments_csv
from servqual.study_files import StudyFileError, load_study_yaml
from servqual.transcripts import read_documents_table, read_transcript

SURVEY = ROOT / "data/raw/wave1/survey.csv"
SECRET = "SECRET-4c1d-do-not-copy"
PHONE = "13912345678"
WRITTEN = ("data/processed", "reports", "logs", ".snakemake")


def bomb(path: Path, member: str = "content.xml", size: int = 64 << 20) -> Path:
    """A zip whose one member inflates ``size`` bytes of zeros from a few kilobytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, b"0" * size)
    return path


def no_secret_under(study: Path, *secrets: str) -> None:
    for folder in WRITTEN:
        for path in (study / folder).rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                for secret in secrets:
                    assert secret.encode() not in data, f"{secret} in {path}"


# -- resource limits -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "read"),
    [("survey.xlsx", read_survey), ("project.qdpx", read_qdpx), ("notes.docx", read_transcript)],
    ids=["xlsx", "qdpx", "docx"],
)
def test_zip_bomb_is_refused_from_its_directory(tmp_path: Path, name: str, read) -> None:
    path = bomb(tmp_path / name)
    started = time.perf_counter()
    with pytest.raises(ValueError, match=rf"^{path}: member content\.xml inflates 67,108,864 bytes from [\d,]+ "
                                         r"\(ratio [\d,]+\), over the bound of 200 .*SERVQUAL_LIMIT_ARCHIVE_RATIO"):
        read(path)
    assert time.perf_counter() - started < 2


def test_archive_member_size_bound_and_how_to_raise_it(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "project.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("sources/a.txt", np.random.default_rng(0).bytes(3 << 20))
    monkeypatch.setenv("SERVQUAL_LIMIT_ARCHIVE_MEMBER_BYTES", str(1 << 20))
    with pytest.raises(StudyFileError, match=r"member sources/a\.txt inflates to 3,145,728 bytes, over the bound of "
                                             r"1,048,576 .*SERVQUAL_LIMIT_ARCHIVE_MEMBER_BYTES"):
        read_qdpx(path)
    monkeypatch.delenv("SERVQUAL_LIMIT_ARCHIVE_MEMBER_BYTES")
    with pytest.raises(ValueError, match="no project.qde inside the archive"):  # past the bound, read as before
        read_qdpx(path)


def test_xml_document_size_bound(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "codes.qdc"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>' + " " * 5000, encoding="utf-8")
    monkeypatch.setenv("SERVQUAL_LIMIT_XML_BYTES", "1000")
    with pytest.raises(StudyFileError, match=rf"^{path}: the XML document holds 5,06\d bytes, over the bound of "
                                             r"1,000 bytes of one XML document .*SERVQUAL_LIMIT_XML_BYTES"):
        read_qdc(path)


XML_BOMB = ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
            + ']><Project xmlns="urn:QDA-XML:project:1.0" name="&j;"/>')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (XML_BOMB, r"line 1, column \d+: not readable XML \(limit on input amplification factor"),
        (('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY s SYSTEM "file:///etc/passwd">]>'
          '<Project xmlns="urn:QDA-XML:project:1.0" name="&s;"/>'),
         r"line 1, column \d+: not readable XML \(reference to external entity in attribute\)"),
        ("<Project><Sources>", r"line 1, column 19: not readable XML \(no element found\)"),
    ],
    ids=["entity expansion", "external entity", "truncated"],
)
def test_hostile_or_broken_xml_names_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "project.qde"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyFileError, match=rf"^{path}, {message}.*export the project again"):
        read_qdpx(path)


def survey_with(tmp_path: Path, **cells: dict[int, str]) -> Path:
    """The example's wave-1 survey with cells set (row index -> text), as a CSV in tmp_path."""
    frame = pd.read_csv(SURVEY, dtype=str, keep_default_na=False)
    for column, values in cells.items():
        if column not in frame:
            frame[column] = ""
        for row, value in values.items():
            frame.loc[row, column] = value
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    return path


def test_field_over_the_bound_is_refused_naming_the_line(tmp_path: Path, monkeypatch) -> None:
    path = survey_with(tmp_path, comment={5: "x" * 3_000_000})
    monkeypatch.setenv("SERVQUAL_LIMIT_FIELD_BYTES", str(1 << 20))
    with pytest.raises(StudyFileError, match=rf"^{path}, line 7: a field holds 3,000,000 bytes, over the bound of "
                                             r"1,048,576 bytes of one field .*SERVQUAL_LIMIT_FIELD_BYTES"):
        read_survey(path)


def clean(path: Path, **columns):
    config = load_study_yaml(ROOT / "config/config.yaml")
    instrument = instrument_from_config(config["instrument"], config["measures"], config.get("outcomes") or [])
    return clean_survey(read_survey(path), instrument, {**config["columns"], **columns}, config["cleaning"], b"salt")


@pytest.mark.parametrize("row", [0, 200], ids=["in the first row", "further down"])
def test_several_megabytes_of_free_text_in_a_cell_are_read(tmp_path: Path, row: int) -> None:
    """Five megabytes with quotes, commas and line breaks: pyarrow's blocks (1 MiB) and the csv
    module's field limit (128 KiB) used to refuse it with their own messages."""
    text = f'She said "wait", then {SECRET} and {PHONE}\nagain, ' * 80_000
    path = survey_with(tmp_path, comment={row: text})
    raw = read_survey(path)
    assert raw.frame.loc[row, "comment"] == text and raw.line[row + 1] == raw.line[row] + 80_001  # its lines counted
    result = clean(path, free_text=["comment"])
    kept, excluded = len(result.responses), result.exclusions["line"].nunique()
    assert kept + excluded == len(raw.frame)  # every respondent kept, or excluded with a reason
    kept_text = "\n".join(result.responses["comment"].dropna())  # declared free text: kept, masked
    assert PHONE not in kept_text


# -- complaint logs: values that cannot be right -------------------------------------------------
def complaints(tmp_path: Path, *rows: str, **options):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return analyse_complaints(path, CODEBOOK, PROMISES, columns=COLUMNS, salt=b"salt", manual_code="code",
                              latest=pd.Timestamp("2026-11-30 12:00"), **options)


GOOD = "G,2026-03-02 09:00,counter,North,front desk,service,排队太久,2026-03-02 10:00,2026-03-02 12:00,done,N101,,1"


@pytest.mark.parametrize(
    ("row", "column", "rule", "left_out"),
    [
        ("F,2062-03-02 09:00,counter,North,d,c,t,2062-03-02 10:00,,open,N1,,1", "received",
         "received in the future (after 2026-11-30 12:00); left out of counts and response times", "counts"),
        ("F,2026-03-02 09:00,counter,North,d,c,t,2026-03-02 10:00,2027-01-01 09:00,done,N1,,1", "resolved",
         "resolved in the future (after 2026-11-30 12:00)", "resolution"),
        ("F,2016-03-02 09:00,counter,North,d,c,t,2026-03-02 10:00,,open,N1,,1", "received",
         "received before 2025-03-02, the earliest plausible date (complaints.earliest", "counts"),
        ("F,2026-03-02 09:00,counter,North,d,c,t,2026-03-01 10:00,,open,N1,,1", "first_response",
         "first_response before receipt", "response"),
        ("F,2026-03-02 09:00,counter,North,d,c,t,,2026-03-01 10:00,done,N1,,1", "resolved",
         "resolved before receipt", "resolution"),
        ("F,2026-03-02 09:00,counter,North,d,c,t,2026-03-04 10:00,2026-03-03 10:00,done,N1,,1", "resolved",
         "resolved before first_response", "both"),
        ("F,2026-03-02T09:00+08:00,counter,North,d,c,t,2026-03-02 10:00,,open,N1,,1", "received",
         "timestamps of this complaint are in different time zones (received +08:00, first_response without zone)",
         "response"),
    ],
    ids=["received in the future", "resolved in the future", "before the study", "response before receipt",
         "resolution before receipt", "resolution before response", "zones mixed in a complaint"],
)
def test_complaint_values_that_cannot_be_right_are_flagged_and_left_out(
        tmp_path: Path, row: str, column: str, rule: str, left_out: str) -> None:
    result = complaints(tmp_path, GOOD, row, earliest=pd.Timestamp("2025-03-02"))
    problems = result.problems[result.problems["complaint"] == "F"]
    assert (problems["column"] == column).any() and problems["problem"].str.contains(rule, regex=False).any(), problems
    assert len(result.complaints) == 2  # kept, with its problems listed
    bad = result.complaints.set_index("complaint").loc["F"]
    assert rule.split(";")[0].split(" (")[0] in bad["problems"]
    if left_out == "counts":
        assert pd.isna(bad["received"]) and pd.isna(bad["period"])
        assert result.monthly.query("level == 'all'")["count"].sum() == 1
    if left_out in ("response", "both"):
        assert pd.isna(bad["response_hours"]) and bad["response_status"] == ""
    if left_out in ("resolution", "both"):
        assert pd.isna(bad["resolution_hours"]) and bad["resolution_status"] == ""
    times = result.response_times.set_index("channel").loc["all"]
    assert times["response_done"] == 1 + (left_out in ("resolution", "counts") and not pd.isna(bad["response_hours"]))


def test_a_log_in_one_time_zone_and_a_column_with_zones_parse(tmp_path: Path) -> None:
    """Every stamp of a complaint in +08:00, or Z beside +08:00 in other complaints: read at
    their clock times, no problem, no crash (pandas refused to mix zones in one column)."""
    result = complaints(tmp_path, GOOD.replace("2026-03-02 09:00,", "2026-03-02 09:00Z,", 1).replace(
        "2026-03-02 10:00,2026-03-02 12:00", "2026-03-02 10:00Z,2026-03-02 12:00Z"),
        "H,2026-03-05T09:00+08:00,counter,North,d,c,t,2026-03-05T11:30+08:00,,open,N1,,1")
    assert result.problems.empty, result.problems
    assert result.complaints.set_index("complaint")["response_hours"].tolist() == [1.0, 2.5]


@pytest.mark.parametrize("value", ["inf", "nan", "-Infinity"])
def test_exposure_that_parses_only_by_accident_is_a_problem(tmp_path: Path, value: str) -> None:
    path = tmp_path / "log.csv"
    path.write_text(HEADER.replace(",phone", ",visits") + GOOD + "\n" + GOOD.replace("G,", "H,")[:-1] + value + "\n",
                    encoding="utf-8")
    result = analyse_complaints(path, CODEBOOK, PROMISES, columns=COLUMNS, salt=b"salt", manual_code="code",
                                exposure="visits")
    row = result.problems.query("complaint == 'H'")
    assert row["problem"].tolist() == ["exposure is not a non-negative number"]
    assert np.isfinite(result.monthly["exposure"].dropna()).all()


# -- survey values -------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "Infinity", "-inf", "NaN"])
def test_nan_and_inf_in_a_numeric_column_are_text(tmp_path: Path, value: str) -> None:
    path = survey_with(tmp_path, P3={4: value}, name={4: SECRET})
    with pytest.raises(SurveyFormatError, match=rf"column 'P3': 1 row \(line 6\), e\.g\. '{value}' \(nan and inf read "
                                                r"as numbers only by accident; if they mean no answer, add them to "
                                                r"cleaning\.missing_codes\)") as caught:
        clean(path)
    assert SECRET not in str(caught.value)


def test_workbook_formulas_without_saved_values_are_named_cell_by_cell(tmp_path: Path) -> None:
    frame = pd.read_csv(SURVEY, dtype=str, keep_default_na=False).head(20)
    book = openpyxl.Workbook()
    book.active.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        book.active.append(list(row))
    book.active["AB3"] = "=AA3"  # P1 of the second respondent
    book.active["AC7"] = "=SUM(AA7:AB7)"
    path = tmp_path / "survey.xlsx"
    book.save(path)
    with pytest.raises(SurveyFormatError, match=rf"^{path}: sheet 'Sheet', cell\(s\) AB3, AC7: a formula without a "
                                                r"saved value .* open and save the workbook in Excel or LibreOffice"):
        read_survey(path)


@pytest.mark.parametrize("newline", ["\r", "mixed"], ids=["carriage returns only", "some carriage returns"])
def test_lone_carriage_returns_end_lines(tmp_path: Path, newline: str) -> None:
    text = SURVEY.read_text(encoding="utf-8")
    path = tmp_path / "survey.csv"
    path.write_text(text.replace("\n", "\r") if newline == "\r" else text.replace("\n", "\r", 5), encoding="utf-8")
    raw = read_survey(path)
    assert raw.frame.shape == read_survey(SURVEY).frame.shape and raw.line.tolist()[:3] == [2, 3, 4]


# -- coded segments ------------------------------------------------------------------------------
TEXT = "Customer: The queue was very long.\nStaff: We had two counters open."


@pytest.mark.parametrize(
    ("start", "end", "quote", "method"),
    [(20, 10, "", "reversed"), (10, 500, "", "outside the text"), (-5, 3, "", "outside the text"),
     (30, 10, "The queue was very long", "located"), (5, None, "", "not found")],
    ids=["reversed", "past the end", "negative", "reversed with a quote", "end missing"],
)
def test_segment_positions_reversed_or_outside_the_text(start, end, quote: str, method: str) -> None:
    segments = pd.DataFrame({"document": ["a.txt"], "coder": "A", "code": "q", "text": quote, "origin": "f",
                             "start": pd.array([start], dtype="Int64"), "end": pd.array([end], dtype="Int64")})
    if method == "located":
        kept, repairs = anchor_segments(segments, {"a.txt": TEXT})
        assert kept["text"].tolist() == [quote] and repairs["method"].tolist() == ["located"]
        return
    with pytest.warns(QdaFormatWarning, match=rf"1 coded segment\(s\) could not be placed .* \(1 {method}; see repairs\)"):
        kept, repairs = anchor_segments(segments, {"a.txt": TEXT})
    assert kept.empty and repairs["method"].tolist() == [method]


@pytest.mark.parametrize("value", ["11x", "1.5", "-3", "1e3"])
def test_segment_position_that_is_not_a_whole_number_names_the_line(tmp_path: Path, value: str) -> None:
    path = tmp_path / "coder_c.csv"
    path.write_text(f"document,code,start,end,text\na.txt,q,0,5,Custo\na.txt,q,{value},9,x\n", encoding="utf-8")
    with pytest.raises(StudyFileError, match=rf"^{path}, line 3, column start: '{value}' is not a character position"):
        read_segments_csv(path)


# -- crashes that now name the file and line -----------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "read", "message"),
    [
        ("notes.txt", b"Customer: hi\n\x80\x80\xff\n", read_transcript, r"notes\.txt, line 2: neither UTF-8 nor GB18030"),
        ("notes.docx", b"PK\x03\x04 not a document", read_transcript, r"notes\.docx: not a readable \.docx document"),
        ("coder_c.csv", b'document,code,start,end\n"a.txt,q,1,2\n', read_segments_csv,
         r"coder_c\.csv: not a readable CSV table of coded segments \(.*EOF inside string"),
        ("coder_d.csv", b"document,code\n\xff\xfe\xff,q\n", read_segments_csv, r"coder_d\.csv, line 2: neither UTF-8"),
        ("codebook.yaml", b"codes:\n  queue: {dimensions: 5}\n", load_codebook,
         r"codebook\.yaml: code 'queue' key 'dimensions': 5 not among"),
        ("codebook.yaml", b"- queue\n", load_codebook, r"codebook\.yaml: expected a mapping"),
    ],
    ids=["transcript bytes", "damaged docx", "unclosed quote", "segment bytes", "codebook value", "codebook shape"],
)
def test_unreadable_files_name_the_file_and_line(tmp_path: Path, name: str, data: bytes, read, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValueError, match=rf"^{tmp_path}/{message}"):
        read(path)


def test_documents_table_not_utf8_names_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "documents.tsv").write_bytes("file\ttype\tparticipants\na.txt\t客户\tA=customer\n".encode("gbk"))
    with pytest.raises(StudyFileError, match=rf"^{folder}/documents\.tsv, line 2: not UTF-8 text; save the file as UTF-8"):
        read_documents_table(folder)


# -- the workflow ----------------------------------------------------------------------------------
@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    copy_tree(WORKFLOW + STUDY, root)
    return root


def run(study: Path, *args: str) -> subprocess.CompletedProcess:
    return snakemake(*args, cwd=study, cores=1, timeout=600)


def refused(result: subprocess.CompletedProcess, study: Path, message: str, *secrets: str) -> None:
    console = result.stdout + result.stderr
    assert result.returncode != 0 and message in console, console[-3000:]
    for folder in ("data/processed", "reports", "logs"):
        assert not [p for p in (study / folder).rglob("*") if p.is_file()], f"partial outputs in {folder}"
    no_secret_under(study, SECRET, *secrets)


WAVES = "config/waves.tsv"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda text: "", f"waves sheet {WAVES}: the file is empty"),
        (lambda text: text.splitlines()[0] + "\n", f"waves sheet {WAVES}: no wave (a header and no rows)"),
        (lambda text: text.replace("\t", ";"), f"waves sheet {WAVES}, line 1: no tab in the header but semicolons"),
        (lambda text: text.replace("\t", ","), f"waves sheet {WAVES}, line 1: no tab in the header but commas"),
        (lambda text: (text.replace("Spring wave", f"春季 {SECRET}")).encode("gbk"),
         f"waves sheet {WAVES}, line 2: not UTF-8 text; save the file as UTF-8"),
        (lambda text: text + "wave3\x00\t\n", f"waves sheet {WAVES}, line 4: a NUL byte"),
    ],
    ids=["empty", "header only", "semicolons", "commas", "not UTF-8", "NUL byte"],
)
def test_careless_waves_sheet_stops_the_dry_run(study: Path, content, message: str) -> None:
    path = study / WAVES
    new = content(path.read_text(encoding="utf-8"))
    path.write_bytes(new if isinstance(new, bytes) else new.encode("utf-8"))
    result = run(study, "-n")
    refused(result, study, message)
    assert "Traceback" not in result.stdout + result.stderr


def test_documents_table_not_utf8_stops_the_dry_run(study: Path) -> None:
    table = study / "data/raw/wave1/interviews/documents.tsv"
    table.write_bytes(table.read_text(encoding="utf-8").replace("staff interview", f"员工 {SECRET}").encode("gbk"))
    result = run(study, "-n")
    refused(result, study, "data/raw/wave1/interviews/documents.tsv, line 2: not UTF-8 text")
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_hostile_complaint_log_runs_with_every_fault_listed_and_masked(study: Path) -> None:
    """A register with a complaint in the future, one before the study, events out of order,
    zones mixed, and a phone number typed into a timestamp: the job runs, keeps every complaint,
    lists each fault with its rule, and the phone number reaches no output."""
    log = study / "data/raw/wave1/complaints.csv"
    rows = log.read_text(encoding="utf-8-sig").splitlines()
    header, n = rows[0], len(rows) - 1
    first = rows[1].split(",")
    planted = [
        [f"X{i}", *first[1:]] for i in range(5)
    ]
    planted[0][1] = "2062-03-02 09:00"
    planted[1][1] = "2019-03-02 09:00"
    planted[2][7], planted[2][8] = "2025-10-03 09:00", "2025-10-02 09:00"
    planted[3][1] = "2025-10-01T11:37+08:00"
    planted[4][8] = PHONE
    log.write_text("\n".join([header, *rows[1:], *(",".join(p) for p in planted)]) + "\n", encoding="utf-8")
    result = run(study, "reports/wave1/tables/complaint_problems.csv")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    problems = pd.read_csv(study / "reports/wave1/tables/complaint_problems.csv", dtype=str)
    listed = problems.groupby("complaint")["problem"].agg("; ".join)
    assert "in the future" in listed["X0"] and "the earliest plausible date" in listed["X1"]
    assert "resolved before first_response" in listed["X2"] and "different time zones" in listed["X3"]
    assert "timestamp does not parse" in listed["X4"]
    coded = pd.read_parquet(study / "data/processed/wave1/complaints.parquet")
    assert len(coded) == n + 5  # every complaint kept
    no_secret_under(study, PHONE)


@pytest.mark.slow
def test_survey_with_megabytes_of_undeclared_free_text_is_cleaned_without_it(study: Path) -> None:
    survey = study / "data/raw/wave1/survey.csv"
    frame = pd.read_csv(survey, dtype=str, keep_default_na=False)
    frame["comment"] = ""
    frame.loc[7, "comment"] = f"{SECRET}, call {PHONE}\n" * 200_000
    frame.to_csv(survey, index=False)
    result = run(study, "data/processed/wave1/responses.parquet")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    summary = pd.read_csv(study / "data/processed/wave1/cleaning_summary.csv").set_index("rule")["n"]
    exclusions = pd.read_csv(study / "data/processed/wave1/exclusions.csv")
    assert summary["rows read"] == len(frame) == summary["respondents kept"] + exclusions["line"].nunique()
    no_secret_under(study, SECRET, PHONE)


@pytest.mark.slow
def test_zip_bomb_as_survey_stops_the_clean_step(study: Path) -> None:
    bomb(study / "data/raw/wave1/survey.xlsx", "xl/worksheets/sheet1.xml")
    path = study / WAVES
    path.write_text(path.read_text(encoding="utf-8").replace("wave1/survey.csv", "wave1/survey.xlsx"), encoding="utf-8")
    result = run(study, "data/processed/wave1/responses.parquet")
    console = result.stdout + result.stderr
    assert result.returncode != 0 and "SERVQUAL_LIMIT_ARCHIVE_RATIO" in console, console[-3000:]
    assert not (study / "data/processed/wave1").exists() or not list((study / "data/processed/wave1").iterdir())
