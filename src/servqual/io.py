"""Reading raw survey exports without changing them.

Every value is read as text so that missing codes ("99", "N/A", "不适用") are matched before any
number is parsed, and each row keeps its line number in the raw file for error messages and the
exclusion log. Raw files are opened read-only.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


class SurveyFormatError(ValueError):
    """A structural fault of a raw file: the message names the file, column and rows."""


@dataclass(frozen=True)
class RawSurvey:
    """A raw export as text: ``frame`` (all columns str), ``line`` (raw line number per row)."""

    path: str
    frame: pd.DataFrame
    line: pd.Series
    encoding: str


def sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode(raw: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes: the configured encoding, else UTF-8 (with or without BOM), else GB18030.

    A failed decode is an error naming the file and the line, never mojibake.
    """
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for candidate in candidates:
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError as err:
            last = err
    line = raw[: last.start].count(b"\n") + 1
    raise SurveyFormatError(
        f"{path}: cannot decode line {line} as {' or '.join(candidates)}; set `encoding` in the waves sheet"
    )


def read_survey(
    path: str | Path,
    *,
    reader: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    export_format: str = "plain",
) -> RawSurvey:
    """Read a survey export (CSV, TSV or Excel) as text, with raw line numbers.

    Parameters
    ----------
    path
        The raw file. Its extension chooses the reader unless ``reader`` is given.
    reader
        ``csv``, ``tsv`` or ``xlsx``.
    encoding
        Text encoding of CSV/TSV; detected (UTF-8, then GB18030) when None.
    sheet
        Excel sheet name or index (first sheet when None).
    export_format
        ``plain``; ``qualtrics`` (two extra header rows after the column names) or
        ``surveymonkey`` (a second header row), whose extra rows are skipped.

    Raises
    ------
    SurveyFormatError
        Empty file, not a table, or duplicated column names.
    """
    path = str(path)
    kind = reader or Path(path).suffix.lower().lstrip(".")
    extra_header = {"plain": 0, "surveymonkey": 1, "qualtrics": 2}[export_format]
    if kind in ("xlsx", "xls"):
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, header=None).fillna("")
        used = "xlsx"
    elif kind in ("csv", "tsv", "txt"):
        data = Path(path).read_bytes()
        if not data.strip():
            raise SurveyFormatError(f"{path}: the file is empty")
        if b"\x00" in data[:4096]:
            raise SurveyFormatError(f"{path}: not a text table (binary content)")
        text, used = decode(data, path, encoding)
        delimiter = "\t" if kind == "tsv" else ","
        frame = pd.DataFrame(list(csv.reader(io.StringIO(text), delimiter=delimiter)))
    else:
        raise SurveyFormatError(f"{path}: unknown survey format {kind!r} (csv, tsv or xlsx)")
    return _as_table(path, frame, used, extra_header)


def _as_table(path: str, grid: pd.DataFrame, encoding: str, extra_header: int) -> RawSurvey:
    if grid.empty or grid.shape[1] < 2:
        raise SurveyFormatError(f"{path}: not a table (fewer than two columns; wrong delimiter?)")
    header = [str(h).strip() for h in grid.iloc[0].fillna("")]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise SurveyFormatError(f"{path}: duplicated column names {duplicated}")
    body = grid.iloc[1 + extra_header :].reset_index(drop=True)
    body.columns = header
    body = body.fillna("").astype(str)
    if "" in header:
        raise SurveyFormatError(f"{path}: rows have more fields than the header (wrong delimiter?)")
    line = pd.Series(range(2 + extra_header, 2 + extra_header + len(body)), name="line")
    return RawSurvey(path, body, line, encoding)
