"""Reading raw survey exports without changing them.

Every value is read as text so that missing codes ("99", "N/A", "不适用") are matched before any
number is parsed, and each row keeps its line number in the raw file (Excel: the sheet row; SPSS:
the case number) for error messages and the exclusion log. Raw files are opened read-only.

Readers, chosen by extension unless the waves sheet names one:

* ``csv`` / ``tsv``: UTF-8 (with or without BOM), UTF-16 with BOM, or else the encoding
  charset-normalizer finds among :data:`CANDIDATES` (the East Asian and Windows encodings survey
  tools export in), or a configured encoding. Parsing is pyarrow's multithreaded CSV reader; line numbers
  come from the quote-aware positions of the newlines, so quoted multi-line fields do not shift
  them.
* ``xlsx``: one sheet (name or first), through openpyxl.
* ``sav``: SPSS through pyreadstat; user-defined missing values become missing, value labels and
  missing-value definitions are kept in :attr:`RawSurvey.metadata`.

Survey-tool layouts (``export_format``): ``plain`` (one header row), ``qualtrics`` (the column
names, then a question-text row and a ``{"ImportId": ...}`` row) and ``surveymonkey`` (a
question-text row whose matrix questions span several columns, then a sub-answer row).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from servqual.study_files import check_archive, limit, over_limit

#: Reader of each file extension.
READERS = {"csv": "csv", "txt": "csv", "tsv": "tsv", "tab": "tsv", "xlsx": "xlsx", "xlsm": "xlsx", "sav": "sav"}
#: Header rows of each export layout (see the module docstring).
HEADER_ROWS = {"plain": 1, "qualtrics": 3, "surveymonkey": 2}
#: Encodings the detector chooses among when a file is not UTF-8 and none is configured: Chinese
#: (GB18030, a superset of GBK and GB2312; Big5), Korean (cp949, a superset of EUC-KR), Japanese
#: (Shift-JIS as Windows writes it, cp932) and Western European Windows exports (cp1252).
CANDIDATES = ("gb18030", "big5", "cp949", "cp932", "cp1252")
#: The candidates that write two bytes per East Asian character.
DOUBLE_BYTE = ("gb18030", "big5", "cp949", "cp932")
#: A detection whose best reading is more chaotic than this (charset-normalizer's measure of
#: implausible characters, 0 to 1) is too uncertain to use.
MAX_CHAOS = 0.1
#: SurveyMonkey's sub-answer for single-answer questions: the question text alone names the column.
SURVEYMONKEY_PLAIN = {"", "Response", "Open-Ended Response"}
#: Leading bytes of files that are not text tables, and what they are.
MAGIC = {b"PK\x03\x04": "a zip/xlsx file", b"\xd0\xcf\x11\xe0": "an old Excel .xls file", b"$FL2": "an SPSS .sav file"}


#: Any byte that is neither whitespace nor part of a UTF-8 byte-order mark (stops at the first).
_CONTENT = re.compile(rb"[^\s\xef\xbb\xbf]")


class SurveyFormatError(ValueError):
    """A structural fault of a raw file: the message names the file, column and rows."""


@dataclass(frozen=True)
class RawSurvey:
    """A raw export as text.

    Attributes
    ----------
    path
        The raw file.
    frame
        One column per raw column name, all text (``""`` for an empty cell).
    line
        Raw line number of each row (Excel: sheet row; SPSS: case number), same index as ``frame``.
    encoding
        Text encoding used (None for xlsx and sav).
    reader
        ``csv``, ``tsv``, ``xlsx`` or ``sav``.
    sha256, size
        Checksum and size in bytes of the raw file.
    metadata
        Reader-specific facts kept for provenance: export layout, sheet, SPSS value labels,
        variable labels and user-missing definitions.
    """

    path: str
    frame: pd.DataFrame
    line: pd.Series
    encoding: str | None
    reader: str = "csv"
    sha256: str = ""
    size: int = 0
    metadata: Mapping[str, Any] = field(default_factory=dict)


def read_wave_export(path: str | Path, reader: str = "", encoding: str = "", sheet: str = "",
                     export_format: str = "") -> RawSurvey:
    """:func:`read_survey` with the cells of the waves sheet, where an empty cell means the default."""
    return read_survey(path, reader=reader or None, encoding=encoding or None, sheet=sheet or None,
                       export_format=export_format or "plain")


def read_survey(
    path: str | Path,
    *,
    reader: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    export_format: str = "plain",
) -> RawSurvey:
    """Read a survey export as text, with raw line numbers.

    Parameters
    ----------
    path
        The raw file. Its extension chooses the reader unless ``reader`` is given.
    reader
        ``csv``, ``tsv``, ``xlsx`` or ``sav``.
    encoding
        Text encoding of CSV/TSV; detected when None: UTF-8 (with or without BOM), UTF-16 with
        BOM, else :func:`detect_encoding`. A configured single-byte encoding (latin-1, cp1252, ...) is refused
        when the bytes are plainly UTF-8 or GBK text, which it would turn into mojibake.
    sheet
        Excel sheet name or 0-based index (first sheet when None).
    export_format
        ``plain``, ``qualtrics`` or ``surveymonkey`` (see the module docstring).

    Returns
    -------
    RawSurvey
        The text table; blank lines are skipped, every other row is kept.

    Raises
    ------
    SurveyFormatError
        An empty file, binary content, an undecodable byte (naming the line), a file ending inside
        a quoted field, rows with more or fewer fields than the header, a header without data rows,
        duplicated or missing column names, a wrong export layout, a missing or corrupt sheet, or
        a corrupt SPSS file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "w.csv").write_text('id,P1\\n1,"4"\\n2,5\\n', encoding="utf-8")
    >>> raw = read_survey(folder / "w.csv")
    >>> raw.frame["P1"].tolist(), raw.line.tolist(), raw.encoding
    (['4', '5'], [2, 3], 'utf-8')
    """
    path = str(path)
    kind = reader or READERS.get(Path(path).suffix.lower().lstrip("."))
    if kind not in ("csv", "tsv", "xlsx", "sav"):
        raise SurveyFormatError(f"{path}: unknown survey format {Path(path).suffix!r}; set `reader` (csv, tsv, xlsx or sav)")
    if export_format not in HEADER_ROWS:
        raise SurveyFormatError(f"{path}: unknown export_format {export_format!r} ({', '.join(HEADER_ROWS)})")
    # "rb": the raw file is only ever read.
    with open(path, "rb") as handle:
        data = handle.read()
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    if not _CONTENT.search(data):
        raise SurveyFormatError(f"{path}: the file is empty")
    metadata: dict[str, Any] = {"export_format": export_format}
    if kind == "sav":
        frame, line, labels = _read_sav(path)
        return RawSurvey(path, frame, line, None, kind, digest, size, {**metadata, **labels})
    if kind == "xlsx":
        grid, lines, sheet_name = _read_xlsx(path, data, sheet)
        metadata["sheet"] = sheet_name
        used = None
    else:
        grid, lines, used = _read_delimited(path, data, "\t" if kind == "tsv" else ",", encoding)
    frame, line, questions = _as_table(path, grid, lines, export_format)
    if questions:
        metadata["questions"] = questions
    return RawSurvey(path, frame, line, used, kind, digest, size, metadata)


# -- text tables ---------------------------------------------------------------------------------
class _WrongEncoding(Exception):
    """Internal: the bytes are not text in the encoding tried; ``line`` is where decoding failed."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _read_delimited(path: str, data: bytes, delimiter: str, encoding: str | None) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Decode, parse and number the records of a CSV/TSV file, trying the candidate encodings."""
    for magic, what in MAGIC.items():
        if data.startswith(magic):
            raise SurveyFormatError(f"{path}: not a text table but {what}; set `reader` in the waves sheet")
    if encoding is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    failures = []
    for candidate in [encoding] if encoding else ["utf-8", None]:
        try:
            candidate = candidate or detect_encoding(path, data, failures)
            utf8, used = _to_utf8(path, data, candidate)
            return (*_numbered_table(path, utf8, delimiter), used)
        except _WrongEncoding as err:
            failures.append(f"{candidate} (fails at line {err.line})")
    hint = "" if encoding else "; set `encoding` in the waves sheet to the encoding the file was saved in"
    raise SurveyFormatError(f"{path}: cannot decode the file as {' or '.join(failures)}{hint}")


def detect_encoding(path: str, data: bytes, tried: list[str]) -> str:
    """The encoding of a file that is not UTF-8, by charset-normalizer among :data:`CANDIDATES`.

    GB18030 decodes almost any byte string, so trying it blindly turned a Korean cp949 export
    into garbled Chinese headers; the detector instead scores how plausible each decoding is.
    ``tried`` holds what was tried before (for the message). An uncertain guess is an error that
    names the file, what was tried and what to set, never a silent choice.

    Examples
    --------
    >>> detect_encoding("x.csv", "응답자,키오스크는 사용하기 쉽다\\n1,7\\n".encode("cp949"), [])
    'cp949'
    """
    from charset_normalizer import from_bytes  # imported here: only non-UTF-8 files need it

    if _broken_utf8(data):
        raise SurveyFormatError(
            f"{path}: cannot decode the file as {', '.join(tried)}: it is UTF-8 text with bytes that are not "
            "UTF-8 (a damaged file, or text pasted from another encoding); repair those lines or re-save the "
            "file as UTF-8"
        )
    # Non-ASCII bytes only in runs of even length are East Asian two-byte text: a survey export
    # with a few Chinese names can otherwise look like Western accented letters to the detector.
    high = np.frombuffer(data, np.uint8) >= 0x80
    candidates = DOUBLE_BYTE if _even_runs(high) else CANDIDATES
    best = from_bytes(data, cp_isolation=list(candidates)).best()
    if best is None and candidates is DOUBLE_BYTE:
        best = from_bytes(data, cp_isolation=list(CANDIDATES)).best()
    if best is None or best.chaos > MAX_CHAOS:
        found = "" if best is None else f"; the closest, {best.encoding}, reads {best.chaos:.0%} of it as noise"
        raise SurveyFormatError(
            f"{path}: cannot tell the file's encoding: tried {', '.join(tried)} and {', '.join(CANDIDATES)}"
            f"{found}. Set `encoding` in the waves sheet to the encoding the file was saved in (for example "
            "cp949 for Korean, big5 for traditional Chinese, gb18030 for simplified Chinese, cp932 for "
            "Japanese, cp1252 for Western European Windows exports)"
        )
    return codecs.lookup(best.encoding).name


def _to_utf8(path: str, data: bytes, encoding: str) -> tuple[bytes, str]:
    """The file as UTF-8 bytes and the name of the encoding read.

    UTF-8 input is returned as is: pyarrow validates it while parsing, which spares a decode of
    the whole file. Other encodings are decoded strictly here, so a wrong guess is an error naming
    the line, never mojibake.
    """
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise SurveyFormatError(f"{path}: unknown encoding {encoding!r} in the waves sheet") from None
    if name in ("utf-8", "utf-8-sig"):
        return data, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        raise _WrongEncoding(_line_at(data, err.start)) from None
    _refuse_mojibake(path, data, encoding)
    return text.encode("utf-8"), encoding


def _numbered_table(path: str, utf8: bytes, delimiter: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Every record as text and the raw line it starts at."""
    if re.search(rb"\r(?!\n)", utf8):
        # A carriage return alone ends a line (classic Mac OS; files pasted together), as editors
        # show it; inside a quoted cell it becomes a line feed.
        utf8 = re.sub(rb"\r(?!\n)", b"\n", utf8)
    nul = utf8.find(b"\x00")
    if nul >= 0:
        raise SurveyFormatError(f"{path}: not a text table (binary content at line {_line_at(utf8, nul)})")
    lines, longest = _record_lines(path, utf8, delimiter)
    grid = _parse(path, utf8, delimiter, lines, longest).to_pandas()
    if len(grid) != len(lines):
        lines = _csv_module_lines(path, utf8, delimiter)
    return grid, lines


def _refuse_mojibake(path: str, data: bytes, encoding: str) -> None:
    """Refuse a single-byte encoding (latin-1, cp1252, ...) for bytes that are plainly UTF-8 or GBK.

    Single-byte encodings decode any byte, so a wrong one never fails: it silently turns Chinese
    text into mojibake. Two signs give it away: non-ASCII bytes that form valid UTF-8 multi-byte
    sequences (Western single-byte text almost never does), and non-ASCII bytes that only come in
    runs of even length and decode as GB18030 (two bytes per Chinese character). A genuine
    single-byte file made only of accented letters in pairs would be refused too; re-save it
    as UTF-8.
    """
    if codecs.lookup(encoding).name not in _SINGLE_BYTE:
        return
    high = np.frombuffer(data, np.uint8) >= 0x80
    if not high.any():
        return
    for other, shape_ok in (("utf-8", True), ("gb18030", _even_runs(high))):
        if not shape_ok:
            continue
        try:
            data.decode(other)
        except UnicodeDecodeError:
            continue
        line = _line_at(data, int(np.argmax(high)))
        raise SurveyFormatError(
            f"{path}: encoding {encoding!r} would garble the text (from line {line} the bytes are "
            f"{other} text); set `encoding: {other}` in the waves sheet"
        )


#: Python codec names of the single-byte encodings the mojibake check applies to.
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "iso8859-15", "cp1250", "cp437", "cp850", "mac-roman", "ascii"}


def _broken_utf8(data: bytes) -> bool:
    """True when nine in ten of the file's non-ASCII characters are valid UTF-8 although the file
    does not decode as UTF-8 as a whole: damaged UTF-8, which no other encoding reads correctly
    either. (Text in a two-byte encoding makes valid UTF-8 only by chance, here and there.)"""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    return valid >= 9 * invalid


def _even_runs(high: np.ndarray) -> bool:
    """True when every maximal run of non-ASCII bytes has an even length (a GBK signature)."""
    padded = np.zeros(high.size + 2, bool)
    padded[1:-1] = high
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return bool(np.all((edges[1::2] - edges[::2]) % 2 == 0))


def _line_at(data: bytes, offset: int) -> int:
    """1-based line number of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def _record_lines(path: str, utf8: bytes, delimiter: str) -> tuple[np.ndarray, int]:
    """Raw line number at which each non-blank record starts, and the length of the longest
    record in bytes (the parser reads blocks larger than it).

    A newline ends a record unless it lies inside a quoted field, i.e. after an odd number of
    quote characters (escaped quotes ``""`` come in pairs and keep the parity). Counting this way
    is vectorised and agrees with pyarrow for RFC 4180 files; :func:`_read_delimited` falls back to
    the csv module's ``line_num`` when the counts disagree (quotes inside unquoted fields).
    """
    buf = np.frombuffer(utf8, np.uint8)
    newlines = np.flatnonzero(buf == 10)
    quotes = np.flatnonzero(buf == 34)
    # With an odd count, a last quote that starts a field opens one that nothing closes: the file
    # was cut inside it. A last quote inside a field is a stray one (the csv-module fallback copes).
    if quotes.size % 2 and (quotes[-1] == 0 or buf[quotes[-1] - 1] in (10, 13, ord(delimiter), 0xBF)):
        raise SurveyFormatError(
            f"{path}: the quoted field opened at line {_line_at(utf8, int(quotes[-1]))} is never closed (truncated file?)"
        )
    inside = np.searchsorted(quotes, newlines) % 2 == 1
    ends = np.concatenate((newlines[~inside], [buf.size]))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    _check_fields(path, utf8, buf, quotes, ends, delimiter)
    last = np.minimum(starts, max(buf.size - 1, 0))
    blank = (length == 0) | ((length == 1) & (buf[last] == 13))
    return (1 + np.searchsorted(newlines, starts))[~blank], int(length.max(initial=0))


def _check_fields(path: str, utf8: bytes, buf: np.ndarray, quotes: np.ndarray, ends: np.ndarray,
                  delimiter: str) -> None:
    """Refuse a field longer than ``limit("field_bytes")``: the gaps between the delimiters and
    record ends that lie outside quotes, measured without building a string."""
    bound = limit("field_bytes")
    if buf.size <= bound:
        return
    delimiters = np.flatnonzero(buf == ord(delimiter))
    delimiters = delimiters[np.searchsorted(quotes, delimiters) % 2 == 0]
    edges = np.union1d(delimiters, ends)
    gaps = np.diff(np.concatenate(([-1], edges)))
    if gaps.max(initial=0) - 1 > bound:
        at = int(edges[np.argmax(gaps)] - gaps.max() + 1)
        raise over_limit("field_bytes", f"{path}, line {_line_at(utf8, at)}",
                         f"a field holds {int(gaps.max()) - 1:,} bytes")


def _csv_reader(text: io.StringIO, delimiter: str) -> Any:
    """The csv module's reader, its field limit (128 KiB by default, a process-wide setting)
    raised to ours: a long free-text answer is read, not refused with the module's message."""
    csv.field_size_limit(max(csv.field_size_limit(), limit("field_bytes")))
    return csv.reader(text, delimiter=delimiter)


def _unreadable(path: str, line: int, err: csv.Error) -> SurveyFormatError:
    return SurveyFormatError(f"{path}, line {line}: not a readable table ({err}); check the quotes and line ends "
                             "of that line, or export the file again")


def _csv_module_lines(path: str, utf8: bytes, delimiter: str) -> np.ndarray:
    """Record start lines from the csv module, for files whose quoting the parity count misreads."""
    reader = _csv_reader(io.StringIO(utf8.decode("utf-8-sig"), newline=""), delimiter)
    starts, previous = [], 0
    try:
        for row in reader:
            if row:
                starts.append(previous + 1)
            previous = reader.line_num
    except csv.Error as err:
        raise _unreadable(path, reader.line_num, err) from None
    return np.array(starts, dtype=np.int64)


def _parse(path: str, utf8: bytes, delimiter: str, lines: np.ndarray, longest: int) -> pa.Table:
    """All records as text columns; rows with more or fewer fields than the first are an error.

    The parser cuts the file into blocks that must each hold whole records: blocks are made
    larger than the longest record, so a cell of several megabytes of free text is read."""
    head = _csv_reader(io.StringIO(utf8[: 1 << 20].decode("utf-8-sig", "replace")), delimiter)
    try:
        first = next((row for row in head if row), [])
    except csv.Error as err:
        raise _unreadable(path, head.line_num, err) from None
    bad: list[tuple[int | None, int, int]] = []

    def invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.actual_columns, row.expected_columns))
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=threads,
                                           block_size=max(1 << 20, 2 * longest + 2)),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                # large_string is what pandas' str dtype holds, so to_pandas() does not copy.
                column_types={f"f{i}": pa.large_string() for i in range(len(first))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        table = read(threads=True)
        if bad:
            # Row numbers are only known to a single-threaded parse; it runs on this error path only.
            bad.clear()
            read(threads=False)
    except pa.ArrowInvalid as err:
        if "UTF8" in str(err):
            raise _WrongEncoding(_utf8_error_line(utf8)) from None
        kind = "TSV" if delimiter == "\t" else "CSV"
        # pyarrow quotes the offending row after a colon: cut it, it may hold personal data.
        reason = ": ".join(str(err).split(": ", 2)[:2])
        raise SurveyFormatError(f"{path}: not a readable {kind} table ({reason})") from None
    if bad:
        at = [int(lines[n - 1]) if n and n <= len(lines) else n for n, _, _ in bad]
        shown = ", ".join(f"line {a} has {got}" for a, (_, got, _) in zip(at[:5], bad[:5], strict=False))
        raise SurveyFormatError(
            f"{path}: {len(bad)} rows have a different number of fields than the header's "
            f"{bad[0][2]} ({shown}); a ragged or truncated file, or the wrong delimiter"
        )
    return table


def _utf8_error_line(data: bytes) -> int:
    """Line of the first byte that is not UTF-8 (error path: decodes the whole file)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return _line_at(data, err.start)
    return 1


# -- Excel and SPSS ------------------------------------------------------------------------------
def _read_xlsx(path: str, data: bytes, sheet: str | int | None) -> tuple[pd.DataFrame, np.ndarray, str]:
    """One sheet as text; row ``i`` of the grid is sheet row ``i + 1`` (pandas keeps leading blanks)."""
    check_archive(io.BytesIO(data), path)
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
    except (BadZipFile, OSError, ValueError, KeyError) as err:
        raise SurveyFormatError(f"{path}: not a readable xlsx workbook ({type(err).__name__}: {err})") from None
    names = [str(s) for s in book.sheet_names]
    chosen = 0 if sheet in (None, "") else sheet
    if isinstance(chosen, str) and chosen not in names:
        raise SurveyFormatError(f"{path}: no sheet named {chosen!r}; the workbook has {names}")
    if isinstance(chosen, int) and not 0 <= chosen < len(names):
        raise SurveyFormatError(f"{path}: no sheet number {chosen}; the workbook has {len(names)} sheets {names}")
    name = chosen if isinstance(chosen, str) else names[chosen]
    grid = pd.read_excel(book, sheet_name=name, header=None, dtype=str)
    if grid.empty:
        raise SurveyFormatError(f"{path}: sheet {name!r} is empty")
    _refuse_uncomputed_formulas(path, data, name, grid)
    filled = grid.notna().any(axis=1).to_numpy()
    lines = np.arange(1, len(grid) + 1)[filled]
    return grid.loc[filled].fillna("").reset_index(drop=True), lines, name


def _refuse_uncomputed_formulas(path: str, data: bytes, sheet: str, grid: pd.DataFrame) -> None:
    """Refuse formula cells that have no saved value, naming each (up to ten).

    Excel saves a formula's last result beside it, and that result is what is read. A workbook
    written by a program that does not compute formulas (a script, some exporters) has none, and
    the cell would read as empty: an answer lost without a word. Only workbooks that hold a
    formula pay for the second reading that finds them.
    """
    if not _zipped_formulas(data):
        return
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        cells = [cell.coordinate for row in book[sheet].iter_rows() for cell in row
                 if isinstance(cell.value, str) and cell.value.startswith("=")
                 and not _filled(grid, cell.row - 1, cell.column - 1)]
    finally:
        book.close()
    if cells:
        shown = ", ".join(cells[:10]) + (f" and {len(cells) - 10} more" if len(cells) > 10 else "")
        raise SurveyFormatError(
            f"{path}: sheet {sheet!r}, cell(s) {shown}: a formula without a saved value (the workbook was written "
            "by a program that does not compute formulas), which would read as an empty answer; open and save "
            "the workbook in Excel or LibreOffice, or export the sheet as CSV"
        )


def _filled(grid: pd.DataFrame, row: int, column: int) -> bool:
    return row < grid.shape[0] and column < grid.shape[1] and pd.notna(grid.iat[row, column])


#: A formula element of a worksheet's XML (``<f>``, ``<f t="shared" .../>``, with a prefix or not).
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _zipped_formulas(data: bytes) -> bool:
    """True when a worksheet of the workbook (a zip of XML parts) holds a formula element."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(_FORMULA.search(archive.read(n)) for n in archive.namelist() if n.startswith("xl/worksheets/"))


def _read_sav(path: str) -> tuple[pd.DataFrame, pd.Series, dict[str, Any]]:
    """An SPSS file as text, with user-defined missing values made missing.

    Read with ``user_missing=True`` so that the missing-value definitions are known, then every
    value inside a declared missing range (or in the declared missing set of a string variable)
    becomes an empty cell, as SPSS itself treats it.
    """
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(path, user_missing=True, apply_value_formats=False)
    except Exception as err:  # pyreadstat raises its own ReadstatError and PyreadstatError
        raise SurveyFormatError(f"{path}: not a readable SPSS .sav file ({err})") from None
    if frame.empty:
        raise SurveyFormatError(f"{path}: the SPSS file holds no cases")
    _check_names(path, [str(c) for c in frame.columns], "the variable list")
    text = {}
    for column in frame.columns:
        values = frame[column]
        missing = values.isna()
        for bounds in meta.missing_ranges.get(column, []):
            # Numeric variables declare ranges (a discrete value has lo == hi); strings only values.
            numeric = values.dtype.kind == "f"
            missing |= values.between(bounds["lo"], bounds["hi"]) if numeric else values.eq(bounds["lo"])
        text[column] = as_text(values.mask(missing))
    labels = {
        "value_labels": _jsonable(meta.variable_value_labels),
        "variable_labels": dict(zip(meta.column_names, meta.column_labels, strict=True)),
        "missing_ranges": _jsonable(meta.missing_ranges),
    }
    return pd.DataFrame(text), pd.Series(np.arange(1, len(frame) + 1), name="line"), labels


def as_text(values: pd.Series) -> pd.Series:
    """Numbers as the text a CSV export would hold ("4", not "4.0"); missing as "".

    Examples
    --------
    >>> as_text(pd.Series([4.0, None, 2.5])).tolist()
    ['4', '', '2.5']
    """
    return values.astype("string").fillna("").str.replace(r"\.0$", "", regex=True).astype(str)


def _jsonable(value: Any) -> Any:
    """Metadata with str keys and plain numbers, for provenance.json."""
    if isinstance(value, Mapping):
        return {str(_jsonable(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value


# -- header rows ---------------------------------------------------------------------------------
def _as_table(
    path: str, grid: pd.DataFrame, lines: np.ndarray, export_format: str
) -> tuple[pd.DataFrame, pd.Series, dict[str, str]]:
    """Column names from the header rows of the layout; the rest is the body."""
    n_header = HEADER_ROWS[export_format]
    if grid.shape[1] < 2:
        raise SurveyFormatError(f"{path}: not a table: line {lines[0]} has a single column{_delimiter_hint(grid)}")
    head = [[str(v).strip() for v in grid.iloc[i]] for i in range(min(3, len(grid)))]
    if len(grid) <= n_header:
        raise SurveyFormatError(
            f"{path}: {len(grid)} header rows but no data rows ({export_format} exports have {n_header} header rows)"
        )
    _check_layout(path, head, lines, export_format)
    questions: dict[str, str] = {}
    if export_format == "surveymonkey":
        names = _surveymonkey_names(head[0], head[1])
    else:
        names = head[0]
        if export_format == "qualtrics":
            questions = dict(zip(names, head[1], strict=True))
    body = grid.iloc[n_header:].reset_index(drop=True)
    body.columns = names
    body = _drop_unnamed(path, body, lines[n_header:])
    _check_names(path, list(body.columns), f"the header (line {lines[0]})")
    return body, pd.Series(lines[n_header:], name="line"), questions


def _delimiter_hint(grid: pd.DataFrame) -> str:
    first = str(grid.iloc[0, 0])
    for sign, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")):
        if sign in first:
            return f" that contains {name}s (wrong delimiter? set `reader`)"
    return ""


def _check_layout(path: str, head: list[list[str]], lines: np.ndarray, export_format: str) -> None:
    """The header rows must match the configured layout; a Qualtrics file read as plain is named."""
    import_ids = [i for i, row in enumerate(head) if any(cell.startswith('{"ImportId"') for cell in row)]
    if export_format == "qualtrics" and import_ids != [2]:
        raise SurveyFormatError(
            f'{path}: export_format qualtrics expects the {{"ImportId": ...}} row at line {lines[2]}, '
            "the third header row; is this a Qualtrics CSV export with question texts and import ids?"
        )
    if export_format == "plain" and import_ids:
        raise SurveyFormatError(
            f"{path}: line {lines[import_ids[0]]} holds Qualtrics import ids; set `export_format: qualtrics` in the waves sheet"
        )


def _surveymonkey_names(questions: list[str], answers: list[str]) -> list[str]:
    """Column names of a SurveyMonkey export: the question text, carried over the blank cells of a
    matrix question, and its sub-answer when there is one (``"Q3 - Waiting time"``)."""
    names, current = [], ""
    for question, answer in zip(questions, answers, strict=True):
        current = question or current
        names.append(current if answer in SURVEYMONKEY_PLAIN else f"{current} - {answer}".strip(" -"))
    return names


def _drop_unnamed(path: str, body: pd.DataFrame, lines: np.ndarray) -> pd.DataFrame:
    """Drop columns without a name that hold nothing (a trailing delimiter); any other is an error."""
    unnamed = [i for i, name in enumerate(body.columns) if name == ""]
    for i in unnamed:
        filled = body.iloc[:, i].str.strip().ne("").to_numpy()
        if filled.any():
            raise SurveyFormatError(
                f"{path}: column {i + 1} has no name but holds values in {int(filled.sum())} rows "
                f"(first at line {lines[filled][0]})"
            )
    keep = [i for i in range(body.shape[1]) if i not in unnamed]
    return body.iloc[:, keep]


def _check_names(path: str, names: list[str], where: str) -> None:
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(names, start=1):
        seen.setdefault(name, []).append(position)
    duplicated = {name: pos for name, pos in seen.items() if len(pos) > 1}
    if duplicated:
        shown = "; ".join(f"{name!r} at columns {pos}" for name, pos in duplicated.items())
        raise SurveyFormatError(f"{path}: duplicated column names in {where}: {shown}")
