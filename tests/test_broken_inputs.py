"""Broken survey files: each kind stops with its own message naming file, column and lines.

Every file is generated in tmp_path from the small valid survey of test_io.py (data rows start at
line 2), so a case reads as "take a good export and break it this way". A broken config or waves
sheet row is one line per fault, naming the key (or column) and what is allowed there.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml
from test_io import COLUMNS, INSTRUMENT, numeric, options, qualtrics_text, small_survey  # noqa: F401

from servqual.cleaning import CleaningError, clean_survey
from servqual.io import SurveyFormatError, read_survey
from servqual.schema_errors import fault_lines, format_path, schema_faults

SALT = b"test-salt"
ROOT = Path(__file__).resolve().parents[1]


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
]


@pytest.mark.parametrize(("text", "changes", "pattern"), [c[1:] for c in CLEAN_CASES], ids=[c[0] for c in CLEAN_CASES])
def test_structural_fault_stops_cleaning(tmp_path: Path, text: str, changes: dict, pattern: str) -> None:
    with pytest.raises(SurveyFormatError, match=re.compile(pattern, re.S | re.M)):
        clean_text(text, tmp_path, **changes)


def test_free_text_column_named_like_an_output_is_refused(tmp_path: Path) -> None:
    text = csv_text(small_survey().rename(columns={"note": "respondent"}))
    with pytest.raises(SurveyFormatError, match=r"raw columns \['respondent'\] would clash with output columns"):
        clean_text(text, tmp_path, columns={**COLUMNS, "free_text": ["respondent"]})


def test_undeclared_column_named_like_an_output_is_left_out(tmp_path: Path) -> None:
    result = clean_text(csv_text(small_survey().rename(columns={"note": "respondent"})), tmp_path)
    assert result.responses["respondent"].str.fullmatch(r"R[0-9a-f]{16}").all()


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


def test_very_wide_file_carries_its_declared_free_text(tmp_path: Path) -> None:
    frame = small_survey()
    extra = pd.DataFrame({f"q{i}": "x" for i in range(3000)}, index=frame.index)
    columns = {**COLUMNS, "free_text": [f"q{i}" for i in range(3000)]}
    result = clean_text(csv_text(pd.concat([frame, extra], axis=1)), tmp_path, columns=columns)
    # respondent, line, branch, duration; the 3000 declared (attention and note are not); 3 E, 3 P, 2 importance, overall
    assert result.responses.shape == (12, 4 + 3000 + 9)
    assert (result.responses["q2999"] == "x").all()


def test_personal_column_used_as_segment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"personal-data columns also used as \{'segment': \['name'\]\}"):
        clean_text(csv_text(), tmp_path, columns={**COLUMNS, "segments": ["name"]})


# --- config and waves sheet against their JSON Schemas -------------------------------------------


def config_schema() -> dict:
    return json.loads((ROOT / "workflow/schemas/config.schema.json").read_text(encoding="utf-8"))


def example_config() -> dict:
    return yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))


def broken(change: Callable[[dict], None]) -> dict:
    config = copy.deepcopy(example_config())
    change(config)
    return config


def set_in(path: list[str | int], value: object) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        node = config
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
        node[path[-1]] = value
    return change


# (id, change of the example config, the one line expected)
CONFIG_CASES = [
    ("language not offered", set_in(["study", "language"], "fr"),
     "study.language: 'fr' is not one of en, zh, ko"),
    ("unknown item key", set_in(["instrument", "items", 3, "wording"], {"en": "x"}),
     "instrument.items[3]: unknown key 'wording' (allowed: id, dimension, text, reverse)"),
    ("misspelt key", set_in(["cleaning", "straightlinning"], True),
     "cleaning: unknown key 'straightlinning' (allowed: missing_codes, missing_codes_replace, empty_responses, "
     "out_of_range, max_missing_share, straightlining, long_string, speeders, filters, attention_checks, "
     "duplicate_ids, duplicate_responses, importance_sum; did you mean 'straightlining'?)"),
    ("missing required key", lambda c: c["instrument"]["items"][0].pop("dimension"),
     "instrument.items[0]: missing key 'dimension' (required)"),
    ("wrong type", set_in(["analysis", "seed"], "abc"), "analysis.seed: 'abc' is not a whole number"),
    ("below minimum", set_in(["efa", "n_factors"], 0), "efa.n_factors: 0 is below the minimum, 1"),
    ("word not offered", set_in(["efa", "n_factors"], "parallell"),
     "efa.n_factors: 'parallell' is not one of parallel, dimensions"),
    ("estimator not offered", set_in(["cfa", "estimator"], "WLS"),
     "cfa.estimator: 'WLS' is not one of auto, ML, MLR, WLSMV"),
    ("measure of no allowed form", set_in(["measures", "perception"], 5),
     "measures.perception: 5 is not null or a mapping (key: value)"),
    ("unknown key in a measure", set_in(["measures", "expectation"], {"patern": "E{index}"}),
     "measures.expectation: unknown key 'patern' (allowed: pattern, map, regex, positions; did you mean 'pattern'?)"),
    ("filter without exclude or keep", set_in(["cleaning", "filters"], [{"column": "x", "label": "y"}]),
     "cleaning.filters[0]: needs one of the keys exclude, keep"),
    ("filter with exclude and keep", set_in(["cleaning", "filters"], [{"column": "x", "label": "y", "exclude": ["a"],
                                                                     "keep": ["b"]}]),
     "cleaning.filters[0]: give only one of the keys exclude, keep"),
    ("text where a number is expected, in a nested form", set_in(["cleaning", "filters"],
                                                                [{"column": "x", "label": "y", "keep": {"min": "a"}}]),
     "cleaning.filters[0].keep.min: 'a' is not a number"),
]


def test_the_example_config_has_no_fault() -> None:
    assert fault_lines(example_config(), config_schema(), "config/config.yaml") == []


@pytest.mark.parametrize(("change", "line"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES])
def test_config_fault_is_one_line_naming_key_and_what_is_allowed(change: Callable[[dict], None], line: str) -> None:
    assert fault_lines(broken(change), config_schema(), "config/config.yaml") == [f"config/config.yaml: {line}"]


def test_every_config_fault_gets_its_own_line_and_no_schema_text() -> None:
    def change(config: dict) -> None:
        for case in CONFIG_CASES[:5]:
            case[1](config)
    lines = fault_lines(broken(change), config_schema(), "study.yaml")
    assert sorted(lines) == sorted(f"study.yaml: {case[2]}" for case in CONFIG_CASES[:5])
    for line in lines:
        assert "\n" not in line and "description" not in line and "$schema" not in line and len(line) < 400


def test_a_long_value_is_not_quoted_whole() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "number"}, "map": {"type": "string"}}}
    faults = schema_faults({"title": "x" * 500, "map": {f"k{i}": i for i in range(50)}}, schema)
    assert [f.text for f in faults] == [
        "'" + "x" * 37 + "...' is not a number",
        "a mapping with keys k0, k1, k2, k3, k4, ... is not text",
    ]


def test_a_sheet_row_fault_names_its_column() -> None:
    schema = json.loads((ROOT / "workflow/schemas/waves.schema.json").read_text(encoding="utf-8"))
    row = {"wave": "wave 9", "survey": "s.csv", "reader": "xls", "colour": "red"}
    faults = [(f.where, f.text) for f in schema_faults(row, schema, key_word="column")]
    assert faults == [
        ("wave", "'wave 9' does not match ^[A-Za-z0-9_]+$"),
        ("reader", "'xls' is not one of (empty), csv, tsv, xlsx, sav"),
        ("", "unknown column 'colour' (allowed: wave, survey, interviews, start, end, notes, reader, encoding, sheet, "
             "export_format, complaints)"),
    ]


def test_paths_are_written_as_in_yaml() -> None:
    assert format_path(["instrument", "items", 3, "text"]) == "instrument.items[3].text"
    assert format_path([]) == ""
    assert format_path(["columns", "segments", 0, "values", "1 day"]) == "columns.segments[0].values['1 day']"
