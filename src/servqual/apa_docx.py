"""The report's tables as a Word document, in APA format, ready to paste into a paper.

Each table is numbered and captioned above (``Table 1`` in bold, its title in italics on the
next line), has horizontal rules only (above and below the heads, below the last row), spanning
heads over grouped columns, numbers written exactly as in the HTML report
(:func:`servqual.apa.formatted`) and its note below (APA 7th edition, section 7.8-7.14).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from servqual.apa import ApaTable, formatted
from servqual.i18n import Messages

_TAG = re.compile(r"<[^>]+>")


def _plain(fragment: str) -> str:
    """Text of an HTML fragment (a table note)."""
    return html.unescape(_TAG.sub("", fragment)).strip()


def _rule(cell, *edges: str) -> None:
    """A single horizontal rule on the given edges (top, bottom) of a cell."""
    borders = cell._tc.get_or_add_tcPr().first_child_found_in("w:tcBorders")
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        cell._tc.get_or_add_tcPr().append(borders)
    for edge in edges:
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "8")
        element.set(qn("w:color"), "000000")
        borders.append(element)


def _write_cell(cell, text: str, *, bold: bool = False, right: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
    run = paragraph.add_run(text)
    if bold:  # bold=False would write an explicit "not bold" into each of the thousands of cells
        run.bold = True
    run.font.size = Pt(9)


def _head_rows(columns: pd.Index) -> list[list[str]]:
    """One row of heads, or two where columns are grouped (group above, own head below)."""
    if isinstance(columns, pd.MultiIndex):
        return [[str(c[0]) for c in columns], [str(c[1]) for c in columns]]
    return [[str(c) for c in columns]]


def _add_table(document, table: ApaTable, number: int, messages: Messages) -> None:
    label = document.add_paragraph()
    label.add_run(messages("report.docx.table", number=number)).bold = True
    document.add_paragraph().add_run(table.caption).italic = True
    body = formatted(table.frame, table.columns)
    heads = _head_rows(body.columns)
    numeric = [c.kind != "text" for c in table.columns]
    grid = document.add_table(rows=len(heads) + len(body), cols=len(body.columns))
    # Cells are reached row by row: Table.cell(r, c) walks the whole table at each call, which
    # made a table of n cells cost n^2 (seconds for the report's tables).
    rows = grid.rows
    for r, row in enumerate(heads):
        cells = rows[r].cells
        for c, text in enumerate(row):
            first_of_group = r < len(heads) - 1 and (c == 0 or row[c - 1] != text)
            if r < len(heads) - 1 and not first_of_group:
                continue
            _write_cell(cells[c], text.strip(), bold=True, right=numeric[c] and r == len(heads) - 1)
        if r < len(heads) - 1:
            _merge_groups(cells, row)
    for r, values in enumerate(body.itertuples(index=False), start=len(heads)):
        cells = rows[r].cells
        for c, text in enumerate(values):
            _write_cell(cells[c], str(text), right=numeric[c])
    # A group head merged over c columns is one cell, ruled once per column it spans.
    for r, edge in ((0, "top"), (len(heads) - 1, "bottom"), (len(heads) + len(body) - 1, "bottom")):
        for cell in rows[r].cells:
            _rule(cell, edge)
    if table.note:
        note = document.add_paragraph()
        text = _plain(table.note)
        lead = messages("report.note.label")
        note.add_run(lead).italic = True
        note.add_run(text.removeprefix(lead))
    document.add_paragraph()


def _merge_groups(cells: Sequence, groups: Sequence[str]) -> None:
    """Merge the cells of a group head (one row's ``cells``) over the columns it spans."""
    start = 0
    for c in range(1, len(groups) + 1):
        if c == len(groups) or groups[c] != groups[start]:
            if c - 1 > start and groups[start].strip():
                cells[start].merge(cells[c - 1])
            start = c


def write_docx(tables: Sequence[ApaTable], path: str | Path, *, title: str, subtitle: str, messages: Messages) -> None:
    """Write ``tables`` to a Word document at ``path``, numbered in order, under the study's title."""
    document = Document()
    document.add_heading(title, level=1)
    document.add_paragraph(subtitle)
    for number, table in enumerate(tables, start=1):
        _add_table(document, table, number, messages)
    document.save(str(path))
