"""Reading raw survey exports: encodings, layouts, readers and raw line numbers.

The small survey built here (:func:`small_survey`, :data:`INSTRUMENT`, :data:`COLUMNS`,
:func:`options`) is shared with test_cleaning.py and test_broken_inputs.py.
"""

from __future__ import annotations

import copy
import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from servqual.instrument import instrument_from_config
from servqual.io import SurveyFormatError, read_survey

STUDY = Path(__file__).resolve().parents[1]
INSTRUMENT = instrument_from_config(
    {
        "scale": {"min": 1, "max": 7, "integer": True},
        "dimensions": [{"id": "x"}, {"id": "y"}],
        "items": [
            {"id": "x1", "dimension": "x"},
            {"id": "x2", "dimension": "x", "reverse": True},
            {"id": "y1", "dimension": "y"},
        ],
    },
    {
        "expectation": {"pattern": "E{index}"},
        "perception": {"pattern": "P{index}"},
        "importance": {"pattern": "imp_{dimension}"},
        "overall": {"column": "overall"},
    },
)
COLUMNS = {
    "respondent_id": "id",
    "duration": "secs",
    "segments": ["branch"],
    "personal_data": ["name", "phone"],
    "personal_data_action": "drop",
}


def options(**changes: object) -> dict:
    """The example study's cleaning options with top-level keys replaced."""
    config = yaml.safe_load((STUDY / "config" / "config.yaml").read_text(encoding="utf-8"))
    return {**copy.deepcopy(config["cleaning"]), "long_string": {"enabled": True, "measures": ["perception"], "max_run": 2}} | changes


def small_survey(n: int = 12) -> pd.DataFrame:
    """A valid raw export as text: no rule matches any row (answers vary within each measure,
    importance sums to 100, durations near 500 s, attention passed)."""
    r = np.arange(n)
    frame = pd.DataFrame({"id": [f"S{i:03d}" for i in r], "name": [f"王{i}" for i in r], "phone": [f"1380013{i:04d}" for i in r]})
    for j in range(3):
        frame[f"E{j + 1}"] = (r + j) % 7 + 1
        frame[f"P{j + 1}"] = (3 * r + 2 * j) % 7 + 1
    frame["imp_x"] = r % 50 + 25
    frame["imp_y"] = 100 - frame["imp_x"]
    frame["overall"] = r % 7 + 1
    frame["branch"] = np.where(r % 2, "北区", "Central")
    frame["secs"] = 500 + r
    frame["attention"] = 4
    frame["note"] = [f"comment {i}" for i in r]
    return frame.astype(str)


def numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """The survey with numbers as numbers (for Excel and SPSS writers)."""
    return frame.apply(lambda column: pd.to_numeric(column) if column.str.fullmatch(r"-?\d+").all() else column)


def write(frame: pd.DataFrame, path: Path, **kwargs: object) -> Path:
    frame.to_csv(path, index=False, **kwargs)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    frame = small_survey(4)
    raw = read_survey(write(frame, tmp_path / "s.csv", encoding=encoding))
    pd.testing.assert_frame_equal(raw.frame, frame, check_dtype=False)
    expected = {"gbk": "gb18030"}.get(encoding, encoding)
    assert raw.encoding == expected
    assert raw.line.tolist() == [2, 3, 4, 5]


def test_configured_utf8_on_gbk_file_names_file_and_line(tmp_path: Path) -> None:
    path = write(small_survey(4), tmp_path / "gbk.csv", encoding="gbk")
    # The first respondent's name (line 2) is the first GBK text.
    with pytest.raises(SurveyFormatError, match=r"gbk\.csv: cannot decode the file as utf-8 \(fails at line 2\)$"):
        read_survey(path, encoding="utf-8")


@pytest.mark.parametrize(("written", "found"), [("utf-8", "utf-8"), ("gbk", "gb18030")])
def test_single_byte_encoding_refused_for_chinese_text(tmp_path: Path, written: str, found: str) -> None:
    path = write(small_survey(4), tmp_path / "s.csv", encoding=written)
    with pytest.raises(SurveyFormatError, match=rf"s\.csv: encoding 'latin-1' would garble .* line 2 .* `encoding: {found}`"):
        read_survey(path, encoding="latin-1")


def test_genuine_latin1_file_is_read(tmp_path: Path) -> None:
    frame = small_survey(3).assign(name="Müller", branch="Zürich Süd")
    raw = read_survey(write(frame, tmp_path / "l1.csv", encoding="latin-1"), encoding="latin-1")
    assert raw.frame["branch"].tolist() == ["Zürich Süd"] * 3
    assert raw.encoding == "latin-1"


def test_multiline_quoted_fields_keep_line_numbers(tmp_path: Path) -> None:
    frame = small_survey(5)
    frame.loc[1, "note"] = "first line\nsecond line\nthird"
    frame.loc[3, "E2"] = "abc"
    path = write(frame, tmp_path / "ml.csv")
    from servqual.validation import parse_numeric

    raw = read_survey(path)
    assert raw.line.tolist() == [2, 3, 6, 7, 8]
    assert raw.frame.loc[1, "note"] == "first line\nsecond line\nthird"
    with pytest.raises(SurveyFormatError, match=r"column 'E2': 1 row \(line 7\), e\.g\. 'abc'"):
        parse_numeric(raw, {"E2": "E_x2"}, [])


def test_blank_lines_and_crlf_keep_line_numbers(tmp_path: Path) -> None:
    text = small_survey(3).to_csv(index=False, lineterminator="\r\n")
    head, *rows = text.split("\r\n")
    path = tmp_path / "b.csv"
    path.write_text("\r\n".join([head, rows[0], "", rows[1], "", "", rows[2], ""]), encoding="utf-8", newline="")
    assert read_survey(path).line.tolist() == [2, 4, 7]


def test_quote_inside_unquoted_field_falls_back_to_csv_line_numbers(tmp_path: Path) -> None:
    text = small_survey(3).to_csv(index=False).replace("comment 1", 'comment 1 5" wide')
    path = tmp_path / "q.csv"
    path.write_text(text, encoding="utf-8")
    raw = read_survey(path)
    assert raw.line.tolist() == [2, 3, 4]
    assert raw.frame.loc[1, "note"] == 'comment 1 5" wide'


def qualtrics_text(frame: pd.DataFrame) -> str:
    """A Qualtrics CSV export: names, question texts (one spans two lines), import ids."""
    questions = [f'"Question {c}\nsecond line"' if c == "E1" else f"Question {c}" for c in frame.columns]
    ids = ['"{""ImportId"":""QID' + str(i) + '""}"' for i in range(len(frame.columns))]
    body = frame.to_csv(index=False, header=False)
    return ",".join(frame.columns) + "\n" + ",".join(questions) + "\n" + ",".join(ids) + "\n" + body


def test_qualtrics_export_with_bom(tmp_path: Path) -> None:
    frame = small_survey(3)
    path = tmp_path / "q.csv"
    path.write_text(qualtrics_text(frame), encoding="utf-8-sig")
    raw = read_survey(path, export_format="qualtrics")
    assert raw.encoding == "utf-8-sig"
    assert list(raw.frame.columns) == list(frame.columns)
    # The question text of E1 spans lines 2-3, so the import ids are on line 4 and data start at 5.
    assert raw.line.tolist() == [5, 6, 7]
    assert raw.metadata["questions"]["E1"] == "Question E1\nsecond line"


def test_surveymonkey_column_names(tmp_path: Path) -> None:
    path = tmp_path / "sm.csv"
    path.write_text(
        "Respondent ID,How satisfied are you?,Rate the hall,,Comments\n"
        ",Response,Waiting time,Staff,Open-Ended Response\n"
        "1,4,5,6,fine\n2,3,2,1,slow\n",
        encoding="utf-8",
    )
    raw = read_survey(path, export_format="surveymonkey")
    assert list(raw.frame.columns) == [
        "Respondent ID",
        "How satisfied are you?",
        "Rate the hall - Waiting time",
        "Rate the hall - Staff",
        "Comments",
    ]
    assert raw.line.tolist() == [3, 4]


def test_xlsx_sheet_and_rows(tmp_path: Path) -> None:
    frame = small_survey(3)
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"x": [1]}).to_excel(book, sheet_name="other", index=False)
        numeric(frame).to_excel(book, sheet_name="survey", index=False, startrow=1)
    raw = read_survey(path, sheet="survey")
    assert raw.reader == "xlsx" and raw.metadata["sheet"] == "survey" and raw.encoding is None
    assert raw.line.tolist() == [3, 4, 5]
    assert raw.frame["E1"].tolist() == frame["E1"].tolist()


def test_sav_value_labels_and_user_missing(tmp_path: Path) -> None:
    frame = numeric(small_survey(4)).drop(columns=["name", "branch", "note"])
    frame.loc[2, "E1"] = 99
    path = tmp_path / "s.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        variable_value_labels={"E1": {1.0: "strongly disagree", 7.0: "strongly agree", 99.0: "no answer"}},
        missing_ranges={"E1": [99]},
    )
    raw = read_survey(path)
    assert raw.reader == "sav" and raw.line.tolist() == [1, 2, 3, 4]
    assert raw.frame["E1"].tolist() == ["1", "2", "", "4"]
    assert raw.metadata["value_labels"]["E1"]["99"] == "no answer"
    assert raw.metadata["missing_ranges"]["E1"] == [{"lo": 99, "hi": 99}]


def test_raw_file_is_opened_read_only_and_unchanged(tmp_path: Path) -> None:
    path = write(small_survey(3), tmp_path / "ro.csv")
    os.chmod(path, stat.S_IRUSR)
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    raw = read_survey(path)
    assert (raw.sha256, path.stat().st_mtime_ns) == before
    assert raw.size == path.stat().st_size


KOREAN = "응답자,1-1. 키오스크는 사용하기 쉬워야 한다 (기대 설문),1-1. 키오스크는 사용하기 쉽다 (인식 설문)\n1,7,5\n2,6,4\n"
EAST_ASIAN_AND_WINDOWS = {
    "cp949": KOREAN,
    "big5": "編號,服務大廳環境整潔,員工態度友好\n1,7,5\n2,6,4\n",
    "cp932": "回答者,キオスクは使いやすい,スタッフは親切です\n1,7,5\n2,6,4\n",
    "cp1252": "id,Qualität der Beratung,Freundlichkeit – Personal\n1,7,5\n2,6,4\n",
    "gb18030": "编号,服务大厅环境整洁,员工态度友好\n1,7,5\n2,6,4\n",
}


@pytest.mark.parametrize("encoding", list(EAST_ASIAN_AND_WINDOWS))
def test_east_asian_and_windows_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    """A cp949 export read as GB18030 came out as garbled Chinese headers; each encoding is now
    told apart from the others by how plausible its text is."""
    text = EAST_ASIAN_AND_WINDOWS[encoding]
    path = tmp_path / "s.csv"
    path.write_bytes(text.encode(encoding))
    raw = read_survey(path)
    assert raw.encoding == encoding
    assert list(raw.frame.columns) == text.splitlines()[0].split(",")


def test_an_encoding_that_cannot_be_told_names_what_was_tried(tmp_path: Path) -> None:
    path = tmp_path / "noise.csv"
    path.write_bytes(b"id,q\n" + bytes(range(0x80, 0x100)) * 3 + b",1\n")
    with pytest.raises(SurveyFormatError, match=r"noise\.csv: cannot tell the file's encoding: tried utf-8 \(fails at "
                       r"line 2\) and gb18030, big5, cp949, cp932, cp1252.*Set `encoding` in the waves sheet"):
        read_survey(path)
