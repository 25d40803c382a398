"""Tables as journals print them (APA 7th edition, section 7), for the HTML report and the Word export.

Numbers are written by the kind of quantity they are, never by pandas' display options:

========  ===========================================================  ==============
kind      rule                                                          example
========  ===========================================================  ==============
mean      2 decimals (means, SDs, loadings, gaps, test statistics)      ``−1.27``
coef      3 decimals, no leading zero: cannot exceed 1 in size          ``.873``
          (alpha, omega, correlations, CFI, RMSEA, effect sizes r)
p         3 decimals, no leading zero; below .001 as ``< .001``          ``.034``
int       whole numbers with thousands separators                       ``1,204``
percent   whole percent                                                 ``12%``
text      as given
written   a number already written by the caller (aligned as a number)
========  ===========================================================  ==============

A missing value (not applicable, not estimated) is an em dash; negative numbers take a true
minus sign. Headers, the caption and the note under the table come from the caller in the
report's language.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

#: What an empty cell shows: not applicable or not estimated.
DASH = "—"
MINUS = "−"

KINDS = ("mean", "coef", "p", "int", "percent", "text", "written")

_EMPTY_STYLE = re.compile(r'<style type="text/css">\s*</style>\s*')


def _signed(value: float, decimals: int, leading_zero: bool) -> str:
    written = f"{abs(value):,.{decimals}f}"
    if not leading_zero and written.startswith("0."):
        written = written[1:]
    negative = value < 0 and float(written.replace(",", "") or 0) != 0
    return (MINUS if negative else "") + written


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def format_value(value: object, kind: str) -> str:
    """One cell written as APA prints it.

    >>> [format_value(v, "mean") for v in (3.14159, -0.004, -1.266)]
    ['3.14', '0.00', '−1.27']
    >>> [format_value(v, "coef") for v in (0.8734, -0.05, 1.0)]
    ['.873', '−.050', '1.000']
    >>> [format_value(v, "p") for v in (2.095e-210, 0.0342, 0.99999)]
    ['< .001', '.034', '> .999']
    >>> format_value(float("nan"), "mean"), format_value(1204.0, "int"), format_value(0.123, "percent")
    ('—', '1,204', '12%')
    """
    if kind == "written":
        return "" if _missing(value) else str(value)
    if _missing(value):
        return DASH
    if kind == "text":
        return str(value)
    if isinstance(value, str):
        return value
    number = float(value)
    if kind == "p":
        if number < 0.001:
            return "< .001"
        if number > 0.999:
            return "> .999"
        return _signed(number, 3, leading_zero=False)
    if kind == "coef":
        return _signed(number, 3, leading_zero=False)
    if kind == "int":
        return f"{number:,.0f}".replace("-", MINUS)
    if kind == "percent":
        return f"{number:.0%}".replace("-", MINUS)
    if kind == "mean":
        return _signed(number, 2, leading_zero=True)
    raise ValueError(f"Unknown kind of number {kind!r}; one of {', '.join(KINDS)}.")


def interval(low: object, high: object, kind: str) -> str:
    """A confidence interval as APA prints it, in square brackets.

    >>> interval(-1.08, -0.87, "mean"), interval(0.81, 0.87, "coef"), interval(None, 1, "mean")
    ('[−1.08, −0.87]', '[.810, .870]', '—')
    """
    if _missing(low) or _missing(high):
        return DASH
    return f"[{format_value(low, kind)}, {format_value(high, kind)}]"


def p_statement(p: object) -> str:
    """A p-value as a statement: ``p < .001`` or ``p = .034``.

    >>> p_statement(2e-9), p_statement(0.0342)
    ('p < .001', 'p = .034')
    """
    written = format_value(p, "p")
    return f"p {written}" if written.startswith(("<", ">")) else f"p = {written}"


@dataclass(frozen=True)
class Column:
    """A column of a printed table: the table's column ``name``, its ``header`` for the reader,
    the ``kind`` of number it holds (one of :data:`KINDS`) and an optional ``group``: columns with
    the same group share a spanning head above theirs (``Expectation`` over ``M`` and ``SD``)."""

    name: str
    header: str
    kind: str = "text"
    group: str = ""


def formatted(frame: pd.DataFrame, columns: Sequence[Column]) -> pd.DataFrame:
    """The rows of ``frame`` as strings, one column per :class:`Column`, headed by its header.

    >>> frame = pd.DataFrame({"dimension": ["Empathy"], "gap": [-1.2345], "p": [0.0004]})
    >>> formatted(frame, [Column("dimension", "Dimension"), Column("gap", "Gap", "mean"),
    ...                   Column("p", "p", "p")]).to_dict("records")
    [{'Dimension': 'Empathy', 'Gap': '−1.23', 'p': '< .001'}]
    """
    missing = [c.name for c in columns if c.name not in frame.columns]
    if missing:
        raise KeyError(f"Table has no column {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}.")
    heads = _heads(columns)
    if len(set(heads)) < len(heads):
        raise ValueError(f"Two printed columns have the same head: {heads}; give them groups.")
    written = pd.DataFrame([[format_value(v, c.kind) for v in frame[c.name]] for c in columns]).T
    written.index = pd.RangeIndex(len(frame))
    written.columns = pd.MultiIndex.from_tuples(heads) if isinstance(heads[0], tuple) else heads
    return written


def _heads(columns: Sequence[Column]) -> list:
    """Column heads: plain headers, or (group, header) pairs where any column has a group."""
    if any(c.group for c in columns):
        return [(c.group, c.header) for c in columns]
    return [c.header for c in columns]


def _note_html(note: str | None) -> str:
    return f'<p class="table-note">{note}</p>' if note else ""


def table_html(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    caption: str,
    note: str | None = None,
    marked: pd.DataFrame | None = None,
    numeric_align: bool = True,
) -> str:
    """An APA table as HTML (pandas Styler): caption above, no index, every cell whole, a note below.

    Parameters
    ----------
    frame, columns
        The table and the columns to print, in order (see :func:`formatted`).
    caption
        Title of the table, in the report's language (escaped here).
    note
        Text under the table saying what the columns and symbols mean (HTML; the caller escapes).
    marked
        Optional frame of booleans shaped like the printed table (columns by header): cells to
        mark as failing a criterion (bold, with the class ``fail``).
    numeric_align
        Right-align the number columns (all but ``text``), as journals align on the decimal point.
    """
    body = formatted(frame, columns)
    styler = body.style.hide(axis="index").set_table_attributes('class="apa"')
    if numeric_align:
        classes = pd.DataFrame(
            [["num" if c.kind != "text" else "" for c in columns]] * len(body),
            index=body.index, columns=body.columns,
        )
        if marked is not None:
            marks = marked.reindex(index=body.index, columns=body.columns, fill_value=False).fillna(False).astype(bool)
            classes = classes.where(~marks, classes + " fail")
        styler = styler.set_td_classes(classes)
    # A stable id from the caption keeps the page the same from run to run (Styler's default is random).
    styler = styler.set_uuid(hashlib.sha1(caption.encode("utf-8")).hexdigest()[:10])
    rendered = _EMPTY_STYLE.sub("", styler.to_html(escape="html", doctype_html=False))
    return (
        f'<figure class="apa-table"><figcaption>{html.escape(caption)}</figcaption>'
        f'<div class="table-scroll">{rendered}</div>{_note_html(note)}</figure>'
    )


def matrix_table(matrix: pd.DataFrame, kind: str, marked: pd.DataFrame | None = None,
                 corner: str = " ") -> tuple[pd.DataFrame, list[Column], pd.DataFrame | None]:
    """A square matrix (rows and columns the same dimensions, labels already in the report's
    language) as a printable table: the row labels as its first column, the numbers written as
    ``kind``, the cells the matrix leaves empty (the upper triangle, a diagonal without a value)
    blank rather than dashed, and ``marked`` (failing cells) aligned to the printed columns.
    """
    written = matrix.map(lambda v: None if _missing(v) else format_value(v, kind))
    frame = written.reset_index(names=corner)
    columns = [Column(corner, corner)] + [Column(c, c, "written") for c in matrix.columns]
    if marked is not None:
        marked = marked.reset_index(drop=True)
        marked.insert(0, corner, False)
    return frame, columns, marked


@dataclass(frozen=True)
class ApaTable:
    """A table as printed: rows, columns, caption, note (HTML) and the cells marked as failing."""

    frame: pd.DataFrame
    columns: tuple[Column, ...]
    caption: str
    note: str | None = None
    marked: pd.DataFrame | None = None

    def html(self) -> str:
        return table_html(self.frame, self.columns, caption=self.caption, note=self.note, marked=self.marked)


def footnote(parts: Mapping[str, str] | Sequence[str], label: str = "Note.") -> str:
    """The note under a table: ``Note.`` in italics, then its sentences (already in the report's language)."""
    sentences = list(parts.values()) if isinstance(parts, Mapping) else list(parts)
    return f"<em>{html.escape(label)}</em> " + " ".join(html.escape(s) for s in sentences if s)
