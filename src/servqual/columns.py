"""Readable headers and the data dictionary of every column the pipeline writes, in the study's language.

Each column name of each table has a short header (catalogue domain ``columns``) and an entry in
the data dictionary (domain ``dictionary``): its ``meaning``, its ``unit`` and the ``method``
behind it, in every language of :data:`servqual.i18n.LANGUAGES`. Where one name means different
things in different tables (``n`` counts respondents in ``descriptives``, rows in
``cleaning_summary``), a key ``<table>.<column>`` overrides the column's entry for that table.
Columns named after a scale point (``freq_<point>``) share one entry with a ``{point}`` field
(the name ``freq_<point>`` itself, as the outputs reference lists it, reads ``<point>`` there).

The cross-wave tables that stack a wave table (``wave_fit`` holds the rows of ``cfa_fit``) read
that table's overrides (:data:`TABLE_ALIASES`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from servqual.i18n import LANGUAGES, catalogue, text

#: Parts of a column's dictionary entry, in the order a dictionary sheet lists them.
PARTS = ("meaning", "unit", "method")

#: Cross-wave tables whose rows are those of a wave table, whose overrides they share.
TABLE_ALIASES = {
    "wave_fit": "cfa_fit",
    "wave_reliability": "reliability",
    "wave_segments": "segments",
    "wave_complaints": "complaints_by_dimension",
    "kpi_trend": "kpi_scorecard",
}

#: Column names that stand for a family (one column per scale point): catalogue key and fields.
_FAMILIES = ((re.compile(r"freq_(?P<point>-?\d+(?:\.\d+)?|<point>)"), "freq_point"),)


def _key(column: str) -> tuple[str, dict[str, str]]:
    for pattern, key in _FAMILIES:
        found = pattern.fullmatch(column)
        if found:
            return key, found.groupdict()
    return column, {}


def _lookup(language: str, domain: str, column: str, table: str | None, part: str = "") -> str:
    key, fields = _key(column)
    suffix = f".{part}" if part else ""
    messages = catalogue(language)
    for name in (table, TABLE_ALIASES.get(table or "")):
        if name and f"{domain}.{name}.{key}{suffix}" in messages:
            return text(language, f"{domain}.{name}.{key}{suffix}", **fields)
    return text(language, f"{domain}.{key}{suffix}", **fields)


def header(language: str, column: str, table: str | None = None) -> str:
    """The short readable header of ``column`` (of ``table``, where it has its own) in ``language``.

    Parameters
    ----------
    language : str
        One of :data:`servqual.i18n.LANGUAGES`.
    column : str
        Column name as the table's CSV has it.
    table : str, optional
        Table name (its CSV's stem), for a header particular to that table.

    Raises
    ------
    KeyError
        The catalogue has no header for the column (a test keeps every written column covered).

    Examples
    --------
    >>> header("en", "ci_low"), header("zh", "ci_low"), header("ko", "freq_7")
    ('CI lower', '区间下限', '7점 응답 수')
    """
    return _lookup(language, "columns", column, table)


def description(language: str, column: str, table: str | None = None) -> dict[str, str]:
    """The data-dictionary entry of ``column``: ``{"meaning", "unit", "method"}`` in ``language``.

    The entry of ``<table>.<column>`` wins over the column's general one.

    Examples
    --------
    >>> description("en", "n", "cleaning_summary")["meaning"]
    'Rows at this step of the flow.'
    >>> description("en", "alpha")["unit"]
    'coefficient, unitless'
    """
    return {part: _lookup(language, "dictionary", column, table, part) for part in PARTS}


def undocumented(columns_by_table: Mapping[str, Iterable[str]]) -> list[str]:
    """``<language>: <table>.<column>`` for each column lacking a header or a dictionary entry.

    >>> undocumented({"descriptives": ["wave", "mean"], "made_up": ["no_such_column"]})[:1]
    ['en: made_up.no_such_column']
    """
    missing = []
    for language in LANGUAGES:
        for table, columns in columns_by_table.items():
            for column in columns:
                try:
                    header(language, column, table)
                    description(language, column, table)
                except KeyError:
                    missing.append(f"{language}: {table}.{column}")
    return missing
