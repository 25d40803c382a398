"""Broken survey files: each kind stops with its own message naming file, column and lines.

Every file is generated in tmp_path from the small valid survey of test_io.py (data rows start at
line 2), so a case reads as "take a good export and break it this way".
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from test_io import COLUMNS, INSTRUMENT, numeric, options, qualtrics_text, small_survey  # noqa: F401

from servqual.cleaning import CleaningError, clean_survey
from servqual.io import SurveyFormatError, read_survey

SALT = b"test-salt"


def csv_text(frame: pd.DataFrame | None = None) -> str:
    return (small_survey() if frame is None else frame).to_csv(index=False)


def changed(**cells: object) -> str:
    """The good export with cells set: ``E2={3: "abc"}`` puts "abc" in E2 of data row 3 (line 5)."""
    frame = small_survey()
    for column, values in cells.items():
        for row, value in values.items():
            frame.loc[row, column] = value
    return csv_text(frame)


def xlsx_bytes(build: Callable[[openpyxl.Workbook], None]) -> bytes:
    book = openpyxl.Workbook()
    build(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_with_survey(book: openpyxl.Workbook) -> None:
    book.active.title = "survey"
    frame = small_survey(3)
    book.active.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        book.active.append(list(row))


def sav_bytes(frame: pd.DataFrame, tmp: Path) -> bytes:
    path = tmp / "tmp.sav"
    pyreadstat.write_sav(frame, str(path))
    return path.read_bytes()


# (id, file name, content: str/bytes or a function of tmp_path, read_survey kwargs, expected pattern)
READ_CASES = [
    ("empty file", "s.csv", b"", {}, r"s\.csv: the file is empty"),
    ("whitespace only", "s.csv", "\n  \n\t\n", {}, r"s\.csv: the file is empty"),
    ("BOM only", "s.csv", b"\xef\xbb\xbf\n", {}, r"s\.csv: the file is empty"),
    ("header only", "s.csv", csv_text().splitlines()[0] + "\n", {}, r"s\.csv: 1 header rows but no data rows"),
    ("binary garbage", "s.csv", bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8)), {}, r"s\.csv: (not a text table \(binary content at line \d+\)|cannot decode)"),
    ("xlsx saved as csv", "s.csv", lambda tmp: xlsx_bytes(sheet_with_survey), {}, r"s\.csv: not a text table but a zip/xlsx file; set `reader`"),
    ("sav saved as csv", "s.csv", lambda tmp: sav_bytes(numeric(small_survey(3)).drop(columns=["name", "branch", "note"]), tmp), {}, r"not a text table but an SPSS \.sav file"),
    ("semicolon delimiter", "s.csv", csv_text().replace(",", ";"), {}, r"s\.csv: not a table: line 1 has a single column that contains semicolons \(wrong delimiter"),
    ("tab file read as csv", "s.csv", small_survey().to_csv(index=False, sep="\t"), {}, r"single column that contains tabs"),
    ("truncated mid-row", "s.csv", csv_text()[:-12], {}, r"s\.csv: 1 rows have a different number of fields than the header's 16 \(line 13 has 15\); a ragged or truncated"),
    ("truncated in a quoted field", "s.csv", changed(note={5: "a\nlong comment"}).split("long")[0], {}, r"s\.csv: the quoted field opened at line 7 is never closed \(truncated file\?\)"),
    ("ragged rows", "s.csv", csv_text().replace("comment 2\n", "comment 2,extra\n").replace("comment 6\n", "comment 6,x,y\n"), {}, r"2 rows have a different number of fields than the header's 16 \(line 4 has 17, line 8 has 18\)"),
    ("short row", "s.csv", csv_text().replace(",4,comment 3\n", "\n"), {}, r"\(line 5 has 14\)"),
    ("duplicated header", "s.csv", csv_text().replace("P2,", "E1,", 1), {}, r"s\.csv: duplicated column names in the header \(line 1\): 'E1' at columns \[4, 7\]"),
    ("unnamed column with values", "s.csv", csv_text().replace(",note\n", ",\n", 1), {}, r"s\.csv: column 16 has no name but holds values in 12 rows \(first at line 2\)"),
    ("configured utf-8 on gbk", "s.csv", csv_text().encode("gbk"), {"encoding": "utf-8"}, r"s\.csv: cannot decode the file as utf-8 \(fails at line 2\)$"),
    ("damaged utf-8", "s.csv", csv_text().encode("utf-8").replace(b"comment 11", b"comment \x80\xff"), {}, r"cannot decode the file as utf-8 \(fails at line 13\): it is UTF-8 text with bytes that are not UTF-8"),
    ("latin-1 on utf-8 Chinese", "s.csv", csv_text().encode("utf-8"), {"encoding": "latin-1"}, r"encoding 'latin-1' would garble the text \(from line 2 the bytes are utf-8 text\)"),
    ("cp1252 on gbk", "s.csv", csv_text().encode("gbk"), {"encoding": "cp1252"}, r"encoding 'cp1252' would garble .* gb18030"),
    ("unknown encoding", "s.csv", csv_text(), {"encoding": "klingon"}, r"unknown encoding 'klingon'"),
    ("qualtrics read as plain", "s.csv", qualtrics_text(small_survey(3)), {}, r"s\.csv: line 4 holds Qualtrics import ids; set `export_format: qualtrics`"),
    ("BOM plain read as qualtrics", "s.csv", ("\ufeff" + csv_text()), {"export_format": "qualtrics"}, r'export_format qualtrics expects the \{"ImportId": \.\.\.\} row at line 3, the third header row'),
    ("qualtrics header only", "s.csv", "\ufeff" + qualtrics_text(small_survey(3).iloc[:0]), {"export_format": "qualtrics"}, r"3 header rows but no data rows \(qualtrics"),
    ("unknown extension", "s.json", "{}", {}, r"unknown survey format '\.json'; set `reader`"),
    ("empty xlsx sheet", "s.xlsx", lambda tmp: xlsx_bytes(lambda b: b.create_sheet("blank")), {"sheet": "blank"}, r"s\.xlsx: sheet 'blank' is empty"),
    ("missing sheet name", "s.xlsx", lambda tmp: xlsx_bytes(sheet_with_survey), {"sheet": "Sheet9"}, r"s\.xlsx: no sheet named 'Sheet9'; the workbook has \['survey'\]"),
    ("sheet number out of range", "s.xlsx", lambda tmp: xlsx_bytes(sheet_with_survey), {"sheet": 3}, r"no sheet number 3; the workbook has 1 sheets"),
    ("corrupt xlsx", "s.xlsx", lambda tmp: xlsx_bytes(sheet_with_survey)[:700], {}, r"s\.xlsx: not a readable xlsx workbook \(BadZipFile"),
    ("text file named xlsx", "s.xlsx", csv_text(), {}, r"s\.xlsx: not a readable xlsx workbook"),
    ("corrupt sav", "s.sav", lambda tmp: sav_bytes(numeric(small_survey(3)).drop(columns=["name", "branch", "note"]), tmp)[:300], {}, r"s\.sav: not a readable SPSS \.sav file"),
    ("sav without cases", "s.sav", lambda tmp: sav_bytes(numeric(small_survey(3)).drop(columns=["name", "branch", "note"]).iloc[:0], tmp), {}, r"s\.sav: the SPSS file holds no cases"),
]


@pytest.mark.parametrize(("name", "content", "kwargs", "pattern"), [c[1:] for c in READ_CASES], ids=[c[0] for c in READ_CASES])
def test_unreadable_file(tmp_path: Path, name: str, content: object, kwargs: dict, pattern: str) -> None:
    content = content(tmp_path) if callable(content) else content
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(SurveyFormatError, match=pattern):
        read_survey(path, **kwargs)


def clean_text(text: str, tmp_path: Path, columns: dict | None = None, **changes: object):
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    return clean_survey(read_survey(path), INSTRUMENT, columns or COLUMNS, options(**changes), SALT)


CLEAN_CASES = [
    ("text in a measure", changed(E2={3: "abc", 7: "4,5"}), {}, r"s\.csv: text where numbers are expected.*\n  column 'E2': 2 rows \(lines 5, 9\), e\.g\. 'abc', '4,5'$"),
    ("text in two measures", changed(E2={3: "x"}, P3={0: "?", 1: "?", 2: "?", 3: "?", 4: "?", 5: "?", 6: "?"}), {}, r"column 'E2': 1 row \(line 5\).*\n  column 'P3': 7 rows \(lines 2, 3, 4, 5, 6, \.\.\.\), e\.g\. '\?'"),
    ("unknown missing code", changed(P1={2: "n/a"}), {}, r"column 'P1': 1 row \(line 4\), e\.g\. 'n/a'"),
    ("text duration", changed(secs={10: "ten min"}), {}, r"column 'secs': 1 row \(line 12\)"),
    ("text attention answer", changed(attention={0: "yes"}), {}, r"column 'attention': 1 row \(line 2\)"),
    ("missing measure column", csv_text(small_survey().drop(columns=["P3"])), {}, r"s\.csv: missing required columns: measure \['P3'\]"),
    ("missing segment and attention", csv_text(small_survey().drop(columns=["branch", "attention"])), {}, r"missing required columns: segment \['branch'\]; duration or attention-check \['attention'\]"),
    ("missing id column", csv_text(small_survey().drop(columns=["id"])), {}, r"missing required columns: respondent id \['id'\]"),
    ("all-missing column", changed(E3=dict.fromkeys(range(12), "")), {}, r"s\.csv: measure columns without a single answer in 12 rows .*: \['E3'\]"),
    ("column of missing codes", changed(imp_y=dict.fromkeys(range(12), "不适用")), {}, r"without a single answer .*\['imp_y'\]"),
    ("raw column named like an output", csv_text(small_survey().rename(columns={"note": "respondent"})), {}, r"raw columns \['respondent'\] would clash with output columns"),
]


@pytest.mark.parametrize(("text", "changes", "pattern"), [c[1:] for c in CLEAN_CASES], ids=[c[0] for c in CLEAN_CASES])
def test_structural_fault_stops_cleaning(tmp_path: Path, text: str, changes: dict, pattern: str) -> None:
    with pytest.raises(SurveyFormatError, match=re.compile(pattern, re.S | re.M)):
        clean_text(text, tmp_path, **changes)


def test_zero_respondents_left_names_counts(tmp_path: Path) -> None:
    text = changed(**{f"P{j}": dict.fromkeys(range(12), "5") for j in (1, 2, 3)})
    with pytest.raises(CleaningError, match=r"s\.csv: no respondent left after exclusions \(12 read; straightlining 12\)$"):
        clean_text(text, tmp_path, duplicate_responses=False)


def test_one_respondent_is_kept_with_a_warning(tmp_path: Path) -> None:
    result = clean_text(csv_text(small_survey(1)), tmp_path)
    assert len(result.responses) == 1
    assert any("only one respondent kept" in w for w in result.warnings)


def test_zero_variance_item_is_a_warning(tmp_path: Path) -> None:
    result = clean_text(changed(E1=dict.fromkeys(range(12), "3")), tmp_path)
    assert len(result.responses) == 12
    assert result.warnings == (f"{tmp_path / 's.csv'}: E_x1 (raw 'E1') has a single value for every kept respondent (zero variance)",)


def test_very_wide_file_carries_its_extra_columns(tmp_path: Path) -> None:
    frame = small_survey()
    extra = pd.DataFrame({f"q{i}": "x" for i in range(3000)}, index=frame.index)
    result = clean_text(csv_text(pd.concat([frame, extra], axis=1)), tmp_path)
    # respondent, line, branch, duration; attention, note and the 3000; 3 E, 3 P, 2 importance, overall
    assert result.responses.shape == (12, 4 + 3002 + 9)
    assert (result.responses["q2999"] == "x").all()


def test_personal_column_used_as_segment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"personal-data columns also used as \{'segment': \['name'\]\}"):
        clean_text(csv_text(), tmp_path, columns={**COLUMNS, "segments": ["name"]})
