"""Assembling per-measure result tables into the pipeline's tidy output tables, and the one
writer (and reader) of every CSV table the pipeline makes.

Spreadsheet formula injection: a text cell starting with ``= + - @``, a tab or a carriage
return is run as a formula by Excel, LibreOffice and Google Sheets when the CSV is opened
(OWASP, "CSV Injection"). Survey segment levels, complaint categories and quotes come from
strangers' files, so :func:`write_table` writes every such text cell with a leading ``'`` and
:func:`read_table` removes it again: the pipeline's own readers (reports, notebooks, the
workbook) show the value as it was, while a spreadsheet opening the CSV shows it as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd


def stack_by_measure(per_measure: Mapping[str, Mapping[str, pd.DataFrame]], wave: str) -> dict[str, pd.DataFrame]:
    """Stack ``{measure: {table: frame}}`` into ``{table: frame}`` with leading wave and measure
    columns, keeping the measures' order."""
    names = dict.fromkeys(name for tables in per_measure.values() for name in tables)
    out = {}
    for name in names:
        parts = [
            tables[name].assign(measure=measure)
            for measure, tables in per_measure.items()
            if name in tables
        ]
        frame = pd.concat(parts, ignore_index=True)
        front = ["measure"] + [c for c in frame.columns if c != "measure"]
        out[name] = frame[front].assign(wave=wave)[["wave", *front]]
    return out


#: First characters that make a spreadsheet program read a cell as a formula (OWASP, "CSV
#: Injection"): ``= + - @``, a tab and a carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The prefix that neutralises such a cell, as Excel itself writes it for text typed after ``'``.
QUOTE = "'"
#: Text that is a plain decimal number: a spreadsheet reads it as that number, never as a formula.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would run as a formula: it starts with one of
    :data:`FORMULA_STARTS` and is not a plain number (``-0.25`` is read as the number).

    >>> [is_formula_like(v) for v in ("=1+1", "-cmd|' /C calc'!A0", "@SUM(A1)", "-0.25", -3, "a=b")]
    [True, True, True, False, False, False]
    """
    return isinstance(value, str) and value[:1] in FORMULA_STARTS and not _NUMBER.fullmatch(value)


def neutralise_cell(value: object) -> object:
    """One cell as written to a CSV table: formula-like text (:func:`is_formula_like`) gets a
    leading ``'``, and so does text already starting with ``'``, so that :func:`restore_cell`
    gives back exactly the value written (but for carriage returns, written as line feeds);
    numbers and other text are unchanged.

    >>> [neutralise_cell(v) for v in ("=SUM(A1)", "'quoted", "-1.5", -1.5, "ok")]
    ["'=SUM(A1)", "''quoted", '-1.5', -1.5, 'ok']
    """
    if not isinstance(value, str):
        return value
    # A carriage return inside a cell is a line break: written as one (pandas leaves a bare CR
    # unquoted, and every CSV reader would split the row there).
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return QUOTE + value if value[:1] == QUOTE or is_formula_like(value) else value


def restore_cell(value: object) -> object:
    """The value :func:`neutralise_cell` was given: one leading ``'`` is removed where it
    precedes a formula character or another ``'``.

    >>> [restore_cell(v) for v in ("'=1+1", "''quoted", "'plain", 3)]
    ['=1+1', "'quoted", "'plain", 3]
    """
    if isinstance(value, str) and value[:1] == QUOTE and value[1:2] in (*FORMULA_STARTS, QUOTE) and value[1:2]:
        return value[1:]
    return value


def _text_columns(table: pd.DataFrame) -> list:
    # from the dtypes alone: a column taken out of a wide table as a Series costs more than its check
    return [c for c, dtype in table.dtypes.items() if dtype == object or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)]


def neutralise_spreadsheet_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell passed through :func:`neutralise_cell` (numbers untouched).

    Use on a copy meant for CSV export, not on data still to be analysed.
    """
    columns = _text_columns(table)
    return table.assign(**{c: table[c].astype(object).map(neutralise_cell) for c in columns})


def write_table(table: pd.DataFrame, path: str | Path, *, index: bool = False) -> None:
    """Write ``table`` as a CSV file (UTF-8, comma separated), the one way every pipeline table
    is written.

    Every text cell a spreadsheet program would run as a formula (:func:`is_formula_like`: it
    starts with ``= + - @``, a tab or a carriage return and is not a plain number) is written
    with a leading ``'``, as OWASP recommends; a text cell starting with ``'`` gets a second one,
    so :func:`read_table` gives back exactly the values written. Numbers (negative ones
    included) stay numbers.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_table(pd.DataFrame({"level": ["=1+1", "north"], "gap": [-0.5, 0.25]}), path)
    >>> path.read_text().splitlines()
    ['level,gap', "'=1+1,-0.5", 'north,0.25']
    >>> read_table(path)["level"].tolist()
    ['=1+1', 'north']
    """
    frame = table.reset_index() if index else table
    neutralise_spreadsheet_cells(frame).to_csv(path, index=False)


def read_table(path: str | Path, **kwargs: object) -> pd.DataFrame:
    """Read a table written by :func:`write_table`, its neutralised cells restored
    (:func:`restore_cell`); ``kwargs`` go to :func:`pandas.read_csv`."""
    table = pd.read_csv(path, **kwargs)
    columns = [c for c in _text_columns(table) if table[c].map(lambda v: isinstance(v, str) and v[:1] == QUOTE).any()]
    return table.assign(**{c: table[c].map(restore_cell) for c in columns}) if columns else table


def table_in(folder: str | Path, name: str) -> pd.DataFrame:
    """``<folder>/<name>.csv`` as a step wrote it (:func:`read_table`, empty cells read as missing
    and every other text kept as text, so a level called ``NA`` stays ``"NA"``); an empty frame
    where the step wrote no such table (e.g. a wave without interviews)."""
    path = Path(folder) / f"{name}.csv"
    return read_table(path, keep_default_na=False, na_values=[""]) if path.exists() else pd.DataFrame()


def read_tables(paths: Iterable[str | Path]) -> dict[str, pd.DataFrame]:
    """The CSV tables among ``paths``, by name (the file's stem), each read by :func:`table_in`."""
    return {Path(path).stem: table_in(Path(path).parent, Path(path).stem) for path in paths
            if str(path).endswith(".csv")}


def write_tables(tables: Mapping[str, pd.DataFrame], paths: Mapping[str, str | Path], *,
                 wave: str | None = None) -> None:
    """Write each table to the path of the same name, through :func:`write_table`: the one way
    a step writes its tables, by name, never by position.

    A table's name is its file's stem and its rule's output key, so ``paths`` is the rule's
    ``snakemake.output``. With ``wave`` every table gets a leading ``wave`` column (unless it has
    one); a name without a path is an error, not a table silently left out.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_tables({"gaps": pd.DataFrame({"gap": [-0.5]})}, {"gaps": folder / "gaps.csv"}, wave="w1")
    >>> (folder / "gaps.csv").read_text().splitlines()
    ['wave,gap', 'w1,-0.5']
    """
    named = set(paths.keys())  # Snakemake's output is a list with names: ``in`` tests its paths
    missing = [name for name in tables if name not in named]
    if missing:
        raise KeyError(f"no output path for table(s) {missing}; outputs: {list(paths)}")
    for name, table in tables.items():
        if wave is not None and "wave" not in table.columns:
            table = table.assign(wave=wave)[["wave", *table.columns]]
        write_table(table, paths[name])
