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

Library readers are tested directly, for callers without the workflow. Then every family is run
through the workflow (``hostile.refused`` and ``hostile.Accepted``): each case asserts the message
(file, line or cell, the rule or the bound, what to do), that a refused run wrote no output, that
rows are conserved (every respondent kept or excluded with a reason, every complaint kept with its
problems listed, every coded segment placed or left out with the reason), and that a planted
secret or personal value reaches no file under data/processed/, reports/, logs/ or .snakemake/.
Faults met as the workflow parses its rules run ``snakemake -n``; faults met by a job run that one
step (marked ``slow``); inputs the pipeline accepts and flags share one run per step.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hostile import (
    INTERVIEWS,
    PROJECT,
    SECRET,
    WAVES,
    Accepted,
    accepted,
    edit_config,
    new_study,
    refused,
    survey,
)
from studies import ROOT
from test_complaints import CODEBOOK, COLUMNS, HEADER, PROMISES

from servqual.cleaning import clean_survey
from servqual.codebook import load_codebook
from servqual.complaints import analyse_complaints
from servqual.instrument import instrument_from_config
from servqual.io import SurveyFormatError, read_survey
from servqual.qda import (
    QdaFormatWarning,
    anchor_segments,
    read_qdc,
    read_qdpx,
    read_segments_csv,
)
from servqual.study_files import StudyFileError, load_study_yaml
from servqual.transcripts import read_documents_table, read_transcript

SURVEY = ROOT / "data/raw/wave1/survey.csv"
PHONE = "13912345678"
#: A respondent's name (planted in the survey's personal-data column `name`).
NAME = "欧阳娜娜"
#: A participant of wave 1's focus group (named in its documents table and transcript).
PARTICIPANT = "李建国"


def bomb(path: Path, member: str = "content.xml", size: int = 64 << 20) -> Path:
    """A zip whose one member inflates ``size`` bytes of zeros from a few kilobytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, b"0" * size)
    return path


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


def survey_with(folder: Path, **cells: dict[int, str]) -> Path:
    """The example's wave-1 survey with cells set (row index -> text), as survey.csv in ``folder``."""
    frame = pd.read_csv(SURVEY, dtype=str, keep_default_na=False)
    for column, values in cells.items():
        if column not in frame:
            frame[column] = ""
        for row, value in values.items():
            frame.loc[row, column] = value
    path = folder / "survey.csv"
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


def formula_workbook(path: Path) -> Path:
    """The example's first 20 respondents as a workbook in which two answers are formulas that
    were never calculated (no saved value), as a script or a web export writes them."""
    frame = pd.read_csv(SURVEY, dtype=str, keep_default_na=False).head(20)
    book = openpyxl.Workbook()
    book.active.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        book.active.append(list(row))
    book.active["AB3"] = "=AA3"  # P1 of the second respondent
    book.active["AC7"] = "=SUM(AA7:AB7)"
    book.save(path)
    return path


def test_workbook_formulas_without_saved_values_are_named_cell_by_cell(tmp_path: Path) -> None:
    path = formula_workbook(tmp_path / "survey.xlsx")
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
         r"coder_c\.csv, line 2: a quoted field opens here and is never closed"),
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


# -- the workflow: careless sheets refused as it parses its rules ----------------------------------
@pytest.fixture
def study(tmp_path: Path) -> Path:
    return new_study(tmp_path)


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
    refused(study, ["-n"], message)


def test_documents_table_not_utf8_stops_the_dry_run(study: Path) -> None:
    table = study / INTERVIEWS / "documents.tsv"
    table.write_bytes(table.read_text(encoding="utf-8").replace("staff interview", f"员工 {SECRET}").encode("gbk"))
    refused(study, ["-n"], f"{INTERVIEWS}/documents.tsv, line 2: not UTF-8 text")


# -- the workflow: inputs a job refuses -----------------------------------------------------------
RESPONSES = "data/processed/wave1/responses.parquet"
SEGMENTS = "data/processed/wave1/segments.parquet"
PROBLEMS = "reports/wave1/tables/complaint_problems.csv"


def use_survey(study: Path, name: str) -> Path:
    """Point wave 1's survey at data/raw/wave1/<name>, and return that path."""
    path = study / WAVES
    path.write_text(path.read_text(encoding="utf-8").replace("wave1/survey.csv", f"wave1/{name}"), encoding="utf-8")
    return study / "data/raw/wave1" / name


def nan_in_survey(value: str):
    def plant(study: Path) -> None:
        survey_with(study / "data/raw/wave1", P3={4: value}, name={4: SECRET})
    return plant


#: Survey exports the clean step refuses: (plant, message, environment).
SURVEYS = {
    "nan": (nan_in_survey("nan"), ("column 'P3': 1 row (line 6), e.g. 'nan' (nan and inf read as numbers only by "
                                  "accident; if they mean no answer, add them to cleaning.missing_codes)"), None),
    "-Infinity": (nan_in_survey("-Infinity"), "column 'P3': 1 row (line 6), e.g. '-Infinity' (nan and inf", None),
    "formula without a saved value": (
        lambda study: formula_workbook(use_survey(study, "survey.xlsx")),
        "data/raw/wave1/survey.xlsx: sheet 'Sheet', cell(s) AB3, AC7: a formula without a saved value", None),
    "field over the bound": (
        lambda study: survey_with(study / "data/raw/wave1", comment={5: SECRET * 100_000}),
        ("data/raw/wave1/survey.csv, line 7: a field holds 2,300,000 bytes, over the bound of 1,048,576 bytes of one "
        "field"), {"SERVQUAL_LIMIT_FIELD_BYTES": str(1 << 20)}),
    "semicolons": (
        lambda study: pd.read_csv(SURVEY, dtype=str).to_csv(study / "data/raw/wave1/survey.csv", sep=";", index=False),
        ("data/raw/wave1/survey.csv: not a table: line 1 has a single column that contains semicolons (wrong "
        "delimiter? set `reader`)"), None),
    "personal data in a measure column": (
        lambda study: survey_with(study / "data/raw/wave1", P3={4: f"call {PHONE}", 5: NAME}, name={9: NAME}),
        "column 'P3': 2 rows (lines 6, 7), e.g. 'call [phone]', '[name]'", None),
    "zip bomb": (lambda study: bomb(use_survey(study, "survey.xlsx"), "xl/worksheets/sheet1.xml"),
                 "data/raw/wave1/survey.xlsx: member xl/worksheets/sheet1.xml inflates 67,108,864 bytes", None),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", SURVEYS)
def test_survey_the_clean_step_refuses(study: Path, case: str) -> None:
    """The message quotes the cells it refuses masked: a phone number or a respondent's name typed
    into an answer reaches neither the log nor the console."""
    plant, message, env = SURVEYS[case]
    plant(study)
    refused(study, [RESPONSES], message, PHONE, NAME, env=env)


def replace_transcript(study: Path, data: bytes) -> None:
    """Wave 1's staff interview as a .docx holding ``data``, listed so in its documents table."""
    (study / INTERVIEWS / "staff_interview.txt").unlink()
    (study / INTERVIEWS / "staff_interview.docx").write_bytes(data)
    table = study / INTERVIEWS / "documents.tsv"
    table.write_text(table.read_text(encoding="utf-8").replace("staff_interview.txt", "staff_interview.docx"),
                     encoding="utf-8")


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def project_of(text: str):
    def plant(study: Path) -> None:
        with zipfile.ZipFile(study / PROJECT, "w") as archive:
            archive.writestr("project.qde", text)
    return plant


def coder_table(text: bytes):
    def plant(study: Path) -> None:
        (study / INTERVIEWS / "coder_c.csv").write_bytes(text)
    return plant


#: Interview folders the interview step refuses: (plant, message, environment).
INTERVIEW_FOLDERS = {
    "docx zip bomb": (lambda study: replace_transcript(study, bomb(study / "bomb.zip", "word/document.xml").read_bytes()),
                      f"{INTERVIEWS}/staff_interview.docx: member word/document.xml inflates 67,108,864 bytes", None),
    "qdpx zip bomb": (lambda study: bomb(study / PROJECT, "project.qde"),
                      f"{PROJECT}: member project.qde inflates 67,108,864 bytes", None),
    "entity expansion": (project_of(XML_BOMB), (f"{PROJECT}, project.qde, line 1, column 457: not readable XML "
                                               "(limit on input amplification factor"), None),
    "external entity": (project_of(
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY s SYSTEM "file:///etc/passwd">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&s;"/>'),
        f"{PROJECT}, project.qde, line 1, column 123: not readable XML (reference to external entity", None),
    "XML size bound": (lambda study: None, f"{PROJECT}, project.qde: the XML document holds 29,075 bytes",
                       {"SERVQUAL_LIMIT_XML_BYTES": "1000"}),
    "archive member bound": (lambda study: None, f"{PROJECT}: member project.qde inflates to 29,0",
                             {"SERVQUAL_LIMIT_ARCHIVE_MEMBER_BYTES": "10000"}),
    "transcript bytes": (lambda study: (study / INTERVIEWS / "staff_interview.txt").write_bytes(
        f"Interviewer: {SECRET}\n".encode() + b"\x80\x80\xff\n"),
        f"{INTERVIEWS}/staff_interview.txt, line 2: neither UTF-8 nor GB18030", None),
    "damaged docx": (lambda study: replace_transcript(study, b"PK\x03\x04 not a document " + SECRET.encode()),
                     f"{INTERVIEWS}/staff_interview.docx: not a readable .docx document", None),
    "unclosed quote": (coder_table(f'document,code,start,end,text\n"staff_interview.txt,q,1,2,{SECRET}\n'.encode()),
                       f"{INTERVIEWS}/coder_c.csv, line 2: a quoted field opens here and is never closed", None),
    "documents table fields": (lambda study: append(study / INTERVIEWS / "documents.tsv",
                                                    f"notes.txt\tstaff interview\t2026-03-18\t{SECRET}=staff\textra\n"),
                               f"{INTERVIEWS}/documents.tsv, line 4: 5 fields where the header has 4", None),
    "participant entry without a role": (
        lambda study: replace_in(study / INTERVIEWS / "documents.tsv", f"{PARTICIPANT}=customer=C02", f"{PARTICIPANT} C02"),
        (f"{INTERVIEWS}/documents.tsv, line 2, column participants: documents table, document "
        "'customers_focus_group.txt': participant entry 3 of 6 must be name=role"), None),
    "segment bytes": (coder_table(b"document,code,start,end\n\xff\xfe\xff,q,1,2\n"),
                      f"{INTERVIEWS}/coder_c.csv, line 2: neither UTF-8", None),
    "offset not a number": (coder_table(f"document,code,start,end,text\nstaff_interview.txt,q,11x,20,{SECRET}\n".encode()),
                            f"{INTERVIEWS}/coder_c.csv, line 2, column start: '11x' is not a character position", None),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", INTERVIEW_FOLDERS)
def test_interview_folder_the_interview_step_refuses(prepared: Path, tmp_path: Path, case: str) -> None:
    """Each case runs the interview step alone, in a copy of a study whose survey step has run. A
    message never quotes a participant's name."""
    study = new_study(tmp_path, prepared)
    plant, message, env = INTERVIEW_FOLDERS[case]
    plant(study)
    refused(study, [SEGMENTS], message, PARTICIPANT, env=env)


#: Codebooks and complaint logs the complaints step refuses: (file, content, message).
COMPLAINT_INPUTS = {
    "codebook value": ("config/codebook.yaml", b"codes:\n  queue: {dimensions: 5}\n",
                       "config/codebook.yaml: code 'queue' key 'dimensions': 5 not among"),
    "codebook shape": ("config/codebook.yaml", b"- queue\n", "config/codebook.yaml: expected a mapping"),
    "binary log": ("data/raw/wave1/complaints.csv", b"id,received\n1,\x00\x01\x02" + SECRET.encode(),
                   "data/raw/wave1/complaints.csv: not a text table (binary content at line 2)"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", COMPLAINT_INPUTS)
def test_input_the_complaints_step_refuses(study: Path, case: str) -> None:
    name, data, message = COMPLAINT_INPUTS[case]
    (study / name).write_bytes(data)
    refused(study, [PROBLEMS], message)


# -- the workflow: values flagged and kept out, one run per step ---------------------------------
#: Complaints planted in wave 1's log: id -> (cells changed, the column and rule listed, what the
#: value is left out of). Each complaint's text holds its own phone number, which must be masked.
#: The log's columns 1, 7 and 8: received (受理时间), first response (首次响应时间), resolved (办结时间).
COMPLAINTS = {
    "X0": ({1: "2062-03-02 09:00"}, "受理时间", "received in the future", "counts"),
    "X1": ({1: "2019-03-02 09:00"}, "受理时间", "the earliest plausible date", "counts"),
    "X2": ({7: "2025-10-03 09:00", 8: "2025-10-02 09:00"}, "办结时间", "resolved before first_response", "both"),
    "X3": ({1: "2025-10-01T11:37+08:00"}, "受理时间", "different time zones", "response"),
    "X4": ({8: PHONE}, "办结时间", "timestamp does not parse", "resolution"),
    "X5": ({7: "2025-09-30 09:00"}, "首次响应时间", "first_response before receipt", "response"),
    "X6": ({7: "", 8: "2025-09-30 09:00"}, "办结时间", "resolved before receipt", "resolution"),
    "X7": ({8: "2062-01-01 09:00"}, "办结时间", "resolved in the future", "resolution"),
    "X8": ({7: "nan"}, "首次响应时间", "timestamp does not parse", "response"),
    "X9": ({1: "01.10.2025 11:37"}, "受理时间", "timestamp does not parse", "counts"),
    "X10": ({7: "2025/10/01 13:58"}, None, "", ""),  # another format, read: no problem
}


def phone_of(complaint: str) -> str:
    return f"1390000{int(complaint[1:]):04d}"


def plant_complaints(study: Path) -> None:
    log = study / "data/raw/wave1/complaints.csv"
    rows = log.read_text(encoding="utf-8-sig").splitlines()
    first = rows[1].split(",")
    planted = []
    for complaint, (cells, *_) in COMPLAINTS.items():
        row = [complaint, *first[1:]]
        row[6] = f"柜台态度差，回电 {phone_of(complaint)}"
        for position, value in cells.items():
            row[position] = value
        planted.append(",".join(row))
    log.write_text("\n".join([*rows, *planted]) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def complaint_run(tmp_path_factory) -> Accepted:
    return accepted(tmp_path_factory, "complaints", plant_complaints, PROBLEMS)


@pytest.mark.slow
@pytest.mark.parametrize("complaint", COMPLAINTS)
def test_complaint_that_cannot_be_right_is_listed_kept_and_left_out(complaint_run: Accepted, complaint: str) -> None:
    """A register with complaints in the future, before the study, with events out of order,
    zones mixed, a phone number typed into a timestamp: the job runs, keeps every complaint,
    lists each fault with its rule, leaves the value out of what it would distort, and masks
    the phone numbers of the texts and of the unmapped customer-phone column."""
    _, column, rule, left_out = COMPLAINTS[complaint]
    study = complaint_run.study
    raw = pd.read_csv(study / "data/raw/wave1/complaints.csv", dtype=str, encoding="utf-8-sig")
    complaint_run.check(phone_of(complaint), PHONE, *raw["客户电话"].dropna())
    problems = pd.read_csv(study / PROBLEMS, dtype=str, keep_default_na=False).query("complaint == @complaint")
    if column is None:
        assert problems.empty, problems
    else:
        assert ((problems["column"] == column) & problems["problem"].str.contains(rule, regex=False)).any(), problems
    assert not problems["value"].str.contains(r"\d{11}").any()
    coded = pd.read_parquet(study / "data/processed/wave1/complaints.parquet").set_index("complaint").loc[complaint]
    assert "[phone]" in coded["text"]
    if left_out == "counts":
        assert pd.isna(coded["received"]) and pd.isna(coded["period"])
    if left_out == "":
        assert coded["response_hours"] > 0
    if left_out in ("response", "both"):
        assert pd.isna(coded["response_hours"])
    if left_out in ("resolution", "both"):
        assert pd.isna(coded["resolution_hours"])


#: Coded segments planted in a third coder's table: (start, end, why it is left out).
SEGMENT_FAULTS = {"reversed": (900, 850, "reversed"), "ends past the text": (900, 50_000, "outside the text"),
                  "starts past the text": (50_000, 50_010, "outside the text"), "end missing": (5, "", "not found")}


def plant_segments(study: Path) -> None:
    rows = ["document,code,start,end,text"]
    rows += [f"staff_interview.txt,queue_wait,{start},{end},{SECRET}-{case}"
             for case, (start, end, _) in SEGMENT_FAULTS.items()]
    (study / INTERVIEWS / "coder_c.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def segment_run(tmp_path_factory, prepared: Path) -> Accepted:
    return accepted(tmp_path_factory, "segments", plant_segments, SEGMENTS, prepared=prepared)


@pytest.mark.slow
@pytest.mark.parametrize("case", SEGMENT_FAULTS)
def test_coded_segment_reversed_or_outside_the_text_is_left_out_with_the_reason(segment_run: Accepted, case: str) -> None:
    start, end, why = SEGMENT_FAULTS[case]
    segment_run.check(f"{SECRET}-{case}")
    log = (segment_run.study / "logs/wave1/interviews.log").read_text(encoding="utf-8")
    assert f"segment staff_interview.txt/coder_c/queue_wait at {start}-{'<NA>' if end == '' else end}: {why}" in log
    assert "4 coded segment(s) could not be placed on the transcripts and were left out (1 not found, " \
           "2 outside the text, 1 reversed; see repairs)" in log
    left = pd.read_csv(segment_run.study / "reports/wave1/tables/segments_left_out.csv", dtype=str, keep_default_na=False)
    row = left[(left["file"] == "coder_c.csv") & (left["start"] == str(start)) & (left["end"] == str(end))]
    assert row[["document", "coder", "code", "reason"]].values.tolist() == [
        ["staff_interview.txt", "coder_c", "queue_wait", why]]
    segments = pd.read_parquet(segment_run.study / SEGMENTS)
    assert "coder_c" not in set(segments["coder"])


#: Careless survey exports, one per wave: wave 1's lines end in lone carriage returns; wave 2 has
#: megabytes of free text, declared (kept, masked) and not (left out).
SURVEY_CASES = ("carriage returns", "declared free text", "undeclared free text")
UNDECLARED = "undeclared-" + SECRET


def plant_surveys(study: Path) -> None:
    path, frame = survey(study, "wave1")
    frame["comment"] = ""
    frame.to_csv(path, index=False, lineterminator="\r")
    path, frame = survey(study, "wave2")
    frame["comment"] = ""
    frame.loc[5, "comment"] = f'She said "wait", then call {PHONE}\nagain, ' * 80_000
    frame["notes"] = ""
    frame.loc[7, "notes"] = f"{UNDECLARED}, call {PHONE}\n" * 200_000
    frame.to_csv(path, index=False)
    edit_config(study, lambda config: config["columns"].update(free_text=["comment"]))


@pytest.fixture(scope="module")
def survey_run(tmp_path_factory) -> Accepted:
    return accepted(tmp_path_factory, "surveys", plant_surveys, RESPONSES, "data/processed/wave2/responses.parquet")


@pytest.mark.slow
@pytest.mark.parametrize("case", SURVEY_CASES)
def test_careless_survey_is_cleaned_with_every_row_accounted_for(survey_run: Accepted, case: str) -> None:
    survey_run.check(PHONE, UNDECLARED)
    processed = survey_run.study / "data/processed"
    if case == "carriage returns":
        exclusions = pd.read_csv(processed / "wave1/exclusions.csv")
        assert exclusions["line"].between(2, 406).all()
    else:
        responses = pd.read_parquet(processed / "wave2/responses.parquet")
        assert "notes" not in responses
        text = "".join(responses["comment"].dropna())
        assert (len(text) > 1_000_000 and "[phone]" in text) if case == "declared free text" else UNDECLARED not in text
