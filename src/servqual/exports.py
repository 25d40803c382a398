"""The study's results in the formats people open: an Excel workbook and an SPSS data file.

:func:`write_workbook` writes one sheet per table, headed by the readable headers of
:mod:`servqual.columns`, numbers kept as numbers, and a data-dictionary sheet listing every
sheet's columns with their meaning, unit and method. :func:`write_sav` writes the cleaned
responses for SPSS (and PSPP, jamovi, JASP, R's haven): item wording as variable labels and the
points of bounded integer scales as value labels. Only the pseudonym, the raw line, segments,
duration and the canonical measure columns go out: never the raw columns the cleaning carried
through untouched (free text may hold personal data) nor pseudonyms of personal-data columns.
Canonical names (``P_<item>``, item ids being letters, digits and ``_``) are valid SPSS names as
they are, so the file's variables are the cleaned data's columns and the lavaan models' indicators.
The CFA models go out as lavaan syntax through :mod:`servqual.lavaan`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from servqual.columns import PARTS, description, header
from servqual.i18n import text
from servqual.instrument import Instrument, Scale
from servqual.tables import is_formula_like

#: Excel's limit on sheet names, and the characters it refuses in them.
SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: Widest column of a sheet, in characters.
COLUMN_WIDTH_MAX = 60
#: SPSS: variable names of at most 64 bytes, not one of these reserved words (any case).
SPSS_NAME_MAX = 64
SPSS_RESERVED = frozenset({"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"})


# --------------------------------------------------------------------------------------------
# Results workbook
# --------------------------------------------------------------------------------------------


def sheet_names(tables: Sequence[str], reserved: Sequence[str] = ()) -> dict[str, str]:
    """Table name -> a valid, unique Excel sheet name (at most 31 characters, none of ``[]:*?/\\``,
    unique without regard to case, as Excel compares them), avoiding ``reserved`` names.

    >>> sheet_names(["complaint_response_times_by_channel_and_month", "a:b", "A?b"])
    {'complaint_response_times_by_channel_and_month': 'complaint_response_times_by_cha', 'a:b': 'a_b', 'A?b': 'A_b~2'}
    """
    taken = {name.casefold() for name in reserved}
    names = {}
    for table in tables:
        base = _SHEET_FORBIDDEN.sub("_", table).strip("'")[:SHEET_NAME_MAX] or "sheet"
        name, k = base, 1
        while name.casefold() in taken:
            k += 1
            name = f"{base[:SHEET_NAME_MAX - len(str(k)) - 1]}~{k}"
        taken.add(name.casefold())
        names[table] = name
    return names


def _cell(value: Any) -> Any:
    """A table value as openpyxl stores it: numbers as numbers, missing as an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _display_width(value: object) -> int:
    """Characters a value takes on screen (East Asian wide characters count twice; ASCII text,
    most cells of a results workbook, is its length without a lookup per character)."""
    text = str(value)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _write_sheet(sheet: Any, rows: list[list[Any]], headers: Sequence[str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [_display_width(h) for h in headers]
    for row in rows:
        sheet.append(row)
        for j, value in enumerate(row):
            if j < 50 or len(rows) < 200:
                widths[j] = max(widths[j], _display_width(value) if value is not None else 0)
    # Text that a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage
    # return) is stored as text with Excel's own quote prefix, as when one types '=...: shown
    # as it is, never evaluated, and still text after the cell is edited.
    for row in sheet.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
    sheet.freeze_panes = "A2"
    for j, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = min(width + 2, COLUMN_WIDTH_MAX)


def results_workbook(tables: Mapping[str, pd.DataFrame], language: str) -> Any:
    """The results workbook: one sheet per table, then the data dictionary.

    Parameters
    ----------
    tables : mapping
        Table name (its CSV's stem) -> the table as read from its CSV, in sheet order.
    language : str
        Language of the headers and the dictionary (:data:`servqual.i18n.LANGUAGES`).

    Returns
    -------
    openpyxl.Workbook
        Each table sheet: a bold header row of readable headers (:func:`servqual.columns.header`),
        frozen, then the rows with numbers as numbers and missing values as empty cells. The
        dictionary sheet has one row per sheet and column: sheet, column name, header, meaning,
        unit and method (:func:`servqual.columns.description`).

    Examples
    --------
    >>> book = results_workbook({"descriptives": pd.DataFrame({"n": [3], "mean": [4.25]})}, "en")
    >>> book.sheetnames, [c.value for c in book["descriptives"][2]]
    (['descriptives', 'Data dictionary'], [3, 4.25])
    """
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    dictionary_name = text(language, "exports.dictionary_sheet")
    names = sheet_names(list(tables), reserved=[dictionary_name])
    entries = []
    for table, frame in tables.items():
        headers = [header(language, column, table) for column in frame.columns]
        rows = [[_cell(v) for v in row] for row in frame.astype(object).itertuples(index=False, name=None)]
        _write_sheet(book.create_sheet(names[table]), rows, headers)
        for column, shown in zip(frame.columns, headers):
            described = description(language, column, table)
            entries.append([names[table], column, shown, *(described[part] for part in PARTS)])
    keys = ["dictionary_sheet_column", "dictionary_column", "dictionary_header",
            *(f"dictionary_{part}" for part in PARTS)]
    _write_sheet(book.create_sheet(dictionary_name), entries, [text(language, f"exports.{k}") for k in keys])
    return book


def write_workbook(tables: Mapping[str, pd.DataFrame], path: str | Path, language: str) -> None:
    """Write :func:`results_workbook` to ``path`` (``.xlsx``)."""
    results_workbook(tables, language).save(path)


# --------------------------------------------------------------------------------------------
# SPSS data file
# --------------------------------------------------------------------------------------------


def spss_name(name: str, taken: set[str] | None = None) -> str:
    """A valid SPSS variable name for ``name``: letters, digits and ``_ . @ # $`` only, starting
    with a letter, not ending in ``.``, at most 64 bytes, not a reserved word, and not in
    ``taken`` (compared without case, as SPSS does; the new name is added to it).

    >>> taken = set()
    >>> [spss_name(n, taken) for n in ["E_tan1", "1st item", "with", "E_TAN1", "满意度"]]
    ['E_tan1', 'v1st_item', 'with_v', 'E_TAN1_2', '满意度']
    """
    taken = set() if taken is None else taken
    clean = re.sub(r"[^\w.@#$]", "_", name, flags=re.UNICODE).rstrip(".") or "v"
    if not clean[0].isalpha():
        clean = "v" + clean
    if clean.upper() in SPSS_RESERVED:
        clean += "_v"

    def fit(base: str, suffix: str = "") -> str:
        while len((base + suffix).encode("utf-8")) > SPSS_NAME_MAX:
            base = base[:-1]
        return base.rstrip(".") + suffix

    candidate, k = fit(clean), 1
    while candidate.casefold() in taken:
        k += 1
        candidate = fit(clean, f"_{k}")
    taken.add(candidate.casefold())
    return candidate


def _scale_labels(scale: Scale, language: str) -> dict[float, str] | None:
    """Value labels of a bounded integer scale: every point, its ends named lowest and highest."""
    if not scale.points:
        return None
    points = range(int(scale.min), int(scale.max) + 1)
    labels = {float(p): str(p) for p in points}
    labels[float(scale.min)] = text(language, "exports.scale_low", point=int(scale.min))
    labels[float(scale.max)] = text(language, "exports.scale_high", point=int(scale.max))
    return labels


def spss_variables(instrument: Instrument, segments: Sequence[str], language: str,
                   segment_labels: Mapping[str, str] | None = None) -> dict[str, tuple[str, dict[float, str] | None]]:
    """Column of the cleaned responses -> (variable label, value labels or None), for the columns
    the SPSS file holds, in its order: pseudonym, line, segments, duration, then the measures.

    >>> from servqual.instrument import instrument_from_config
    >>> inst = instrument_from_config({"scale": {"min": 1, "max": 5, "integer": True},
    ...     "dimensions": [{"id": "d", "label": {"en": "Speed"}}],
    ...     "items": [{"id": "q1", "dimension": "d", "text": {"en": "Fast service."}}]},
    ...     {"perception": {"pattern": "P{index}"}})
    >>> label, points = spss_variables(inst, [], "en")["P_q1"]
    >>> label, points[1.0], points[5.0]
    ('Perception: Fast service.', '1 (lowest)', '5 (highest)')
    """
    def shown(column: str) -> str:
        return header(language, column)

    variables: dict[str, tuple[str, dict[float, str] | None]] = {
        "respondent": (shown("respondent"), None), "line": (shown("line"), None)}
    for segment in segments:
        variables[segment] = ((segment_labels or {}).get(segment, segment), None)
    variables["duration"] = (shown("duration"), None)
    items = {item.id: item.label(language) for item in instrument.items}
    scale_labels = _scale_labels(instrument.scale, language)
    for measure in instrument.item_measures:
        name = text(language, f"exports.measure_{measure}")
        for item, column in zip(instrument.item_ids, instrument.columns(measure)):
            variables[column] = (text(language, "exports.item_label", measure=name, wording=items[item]), scale_labels)
    if instrument.has_item_importance:
        name = text(language, "exports.measure_importance_items")
        for item, column in zip(instrument.item_ids, instrument.item_importance_columns):
            variables[column] = (text(language, "exports.item_label", measure=name, wording=items[item]), scale_labels)
    if instrument.has_importance:
        for dim, column in zip(instrument.dimensions, instrument.importance_columns):
            variables[column] = (text(language, "exports.importance_label", dimension=dim.name(language)), None)
    if instrument.has_overall:
        variables["overall"] = (text(language, "exports.overall_label"), _scale_labels(instrument.overall_scale, language))
    for outcome in instrument.outcomes:
        label = outcome.label.get(language) or next(iter(outcome.label.values()), outcome.id)
        for k, column in enumerate(outcome.canonical_columns, start=1):
            variables[column] = (text(language, "exports.outcome_label", outcome=label, k=k),
                                 _scale_labels(outcome.scale, language))
    return variables


def spss_frame(responses: pd.DataFrame, variables: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The columns of ``responses`` the SPSS file holds (those of ``variables`` it has), renamed to
    valid SPSS names; segments and other categories as text. Returns the frame and the map
    SPSS name -> column of the cleaned data."""
    columns = [c for c in variables if c in responses.columns]
    taken: set[str] = set()
    names = {c: spss_name(c, taken) for c in columns}
    frame = responses[columns].copy()
    for column in columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "").astype(str)
        elif not pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].astype(float)
    return frame.rename(columns=names), {name: column for column, name in names.items()}


def write_sav(responses: pd.DataFrame, path: str | Path, instrument: Instrument, segments: Sequence[str],
              language: str, segment_labels: Mapping[str, str] | None = None) -> None:
    """Write the cleaned responses as an SPSS ``.sav`` file (pyreadstat): variable labels from the
    item wording in ``language``, value labels for the points of bounded integer scales, and
    the columns of :func:`spss_variables` only (no raw free text, no personal-data pseudonyms).
    """
    import pyreadstat

    variables = spss_variables(instrument, segments, language, segment_labels)
    frame, original = spss_frame(responses, variables)
    pyreadstat.write_sav(
        frame, str(path),
        column_labels={name: variables[column][0] for name, column in original.items()},
        variable_value_labels={name: variables[column][1] for name, column in original.items()
                               if variables[column][1]},
    )
