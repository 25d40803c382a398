"""What every report is written from, and the words it writes with.

:class:`ReportContext` binds a report's tables, the labels of the study (dimensions, items,
segments, outcomes, interview codes) in its language, its figures folder, the message catalogue
of the language and the outline that numbers the sections. Its methods turn a table's recorded
categories into words (:meth:`ReportContext.value`: a category without a message stops the
report rather than reaching the reader untranslated) and make the pieces of an APA table (column
heads, caption, note) from the ``report`` catalogue.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

import pandas as pd

from servqual.apa import ApaTable, Column, matrix_table
from servqual.i18n import Messages
from servqual.labels import (
    code_labels,
    dimension_labels,
    item_labels,
    outcome_labels,
    segment_labels,
)
from servqual.report_page import Outline, figure_html
from servqual.tables import read_tables

Context = TypeVar("Context", bound="ReportContext")


@dataclass
class ReportContext:
    """A report's tables, labels, figures and messages."""

    t: Messages
    tables: Mapping[str, pd.DataFrame]
    dimensions: Mapping[str, str]
    items: Mapping[str, str]
    figures: Path
    segments: Mapping[str, str] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, str] = field(default_factory=dict)
    outline: Outline = field(default_factory=Outline)
    #: Every table the report printed, in order (for the Word export of the same tables).
    printed: list[ApaTable] = field(default_factory=list)
    #: Whether :meth:`apa` writes each table's HTML: the Word export reads :attr:`printed` only,
    #: and pandas' Styler took half of its time writing HTML nobody read.
    renders_html: bool = True

    @classmethod
    def read(
        cls,
        tables: str | Path,
        figures: str | Path,
        *,
        language: str,
        instrument: Mapping[str, Any],
        segments: Sequence[str | Mapping[str, Any]] | None = None,
        outcomes: list[Mapping[str, Any]] | None = None,
        codebook: str | Path | None = None,
        **more: Any,
    ) -> Self:
        """The context of a report as both report notebooks open it: every table of the folder
        ``tables``, the study's labels in ``language`` (an outcome named ``overall`` is overall
        satisfaction), the figures folder, and the fields ``more`` of a subclass."""
        t = Messages(language)
        return cls(
            t=t,
            tables=read_tables(sorted(Path(tables).glob("*.csv"))),
            dimensions=dimension_labels(instrument, language),
            items=item_labels(instrument, language),
            figures=Path(figures),
            segments=segment_labels(segments or [], language),
            outcomes={"overall": t("report.outcome_overall"), **outcome_labels(outcomes or [], language)},
            codes=code_labels(codebook, language),
            **more,
        )

    def table(self, name: str) -> pd.DataFrame:
        """A table of the report; an empty frame where the run wrote none."""
        return self.tables.get(name, pd.DataFrame())

    def value(self, kind: str, value: object) -> str:
        """A category recorded in a table (``kind`` e.g. ``measure``), in the report's language."""
        return self.t(f"report.{kind}.{value}")

    def dimension(self, key: object) -> str:
        """A dimension's label; complaints no code maps to a dimension are named as such."""
        if str(key) == "(unmapped)":
            return self.t("report.unmapped")
        return self.dimensions.get(str(key), str(key))

    def item(self, key: object) -> str:
        return self.items.get(str(key), str(key))

    def target(self, key: object) -> str:
        """A dimension, or an overall score (``servqual``, ``overall``...), by name."""
        return self.dimension(key) if str(key) in self.dimensions else self.value("score", key)

    def figure(self, name: str) -> str:
        return figure_html(self.figures / f"{name}.png", self.t(f"report.figure.{name}"))

    def p(self, key: str, **values: object) -> str:
        """A paragraph from message ``report.<key>``."""
        return f"<p>{html.escape(self.t(f'report.{key}', **values))}</p>"

    def col(self, name: str, kind: str = "text", group: str = "") -> Column:
        """A printed column ``name`` headed by message ``report.col.<name>``."""
        return Column(name, self.t(f"report.col.{name}"), kind, group)

    def sentences(self, parts: Sequence[str]) -> str:
        """Sentences run together as the language writes them (a space in English and Korean,
        nothing after a Chinese full stop)."""
        return self.t("report.sentence_separator").join(part for part in parts if part)

    def note(self, *keys: str, **values: object) -> str:
        """The note under a table: messages ``report.note.<key>`` after "Note." in italics."""
        sentences = self.sentences([self.t(f"report.note.{key}", **values) for key in keys])
        separator = self.t("report.sentence_separator")
        return f"<em>{html.escape(self.t('report.note.label'))}</em>{separator}{html.escape(sentences)}"

    def caption(self, key: str, **values: object) -> str:
        return self.t(f"report.caption.{key}", **values)

    def apa(self, frame: pd.DataFrame, columns: Sequence[Column], *, caption: str, note: str | None = None,
            marked: pd.DataFrame | None = None) -> str:
        """An APA table as HTML (empty without :attr:`renders_html`), recorded in :attr:`printed`."""
        table = ApaTable(frame, tuple(columns), caption, note, marked)
        self.printed.append(table)
        return table.html() if self.renders_html else ""

    def apa_matrix(self, matrix: pd.DataFrame, kind: str, *, caption: str, note: str | None = None,
                   marked: pd.DataFrame | None = None) -> str:
        """A dimension-by-dimension matrix as an APA table (:func:`servqual.apa.matrix_table`)."""
        frame, columns, marked = matrix_table(matrix, kind, marked)
        return self.apa(frame, columns, caption=caption, note=note, marked=marked)


def section(
    key: str, table: str, *, none: str
) -> Callable[[Callable[[Context, pd.DataFrame], str]], Callable[[Context], str]]:
    """A report section written from one table: the decorated ``body(ctx, frame)`` follows the
    section's numbered heading (message ``report.section.<key>``); where the run wrote no rows of
    ``table``, the paragraph ``report.<none>`` stands in its place. The section is called with the
    context alone."""

    def decorate(body: Callable[[Context, pd.DataFrame], str]) -> Callable[[Context], str]:
        @functools.wraps(body)
        def write(ctx: Context) -> str:
            heading = ctx.outline.section(key, ctx.t(f"report.section.{key}"))
            frame = ctx.table(table)
            return heading + (ctx.p(none) if frame.empty else body(ctx, frame))

        return write

    return decorate


#: Fit columns a report table shows -> the robust statistic shown in their place on a row
#: estimated by MLR (the Yuan-Bentler scaled chi-square, the robust CFI/TLI/RMSEA).
ROBUST_SHOWN = {"chisq": "chisq_scaled", "pvalue": "pvalue_scaled", "cfi": "cfi_robust", "tli": "tli_robust",
                "rmsea": "rmsea_robust", "rmsea_ci_low": "rmsea_robust_ci_low",
                "rmsea_ci_high": "rmsea_robust_ci_high", "delta_chisq": "delta_chisq_scaled"}


#: The same for a row estimated by WLSMV: the scaled-and-shifted chi-square and the indices of it
#: (lavaan's *.scaled; the robust ones are not computed under WLSMV).
SCALED_SHOWN = {"chisq": "chisq_scaled", "pvalue": "pvalue_scaled", "cfi": "cfi_scaled", "tli": "tli_scaled",
                "rmsea": "rmsea_scaled", "rmsea_ci_low": "rmsea_scaled_ci_low",
                "rmsea_ci_high": "rmsea_scaled_ci_high", "delta_chisq": "delta_chisq_scaled"}


def show_robust(table: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """A fit table (``cfa_fit``, ``wave_fit``, ``invariance``) with, on rows estimated by MLR,
    the robust statistics in the columns of :data:`ROBUST_SHOWN` (by WLSMV, the scaled ones of
    :data:`SCALED_SHOWN`), and whether any row was estimated by MLR."""
    if "estimator" not in table:
        return table, False
    shown = table.copy()
    for estimator, columns in (("MLR", ROBUST_SHOWN), ("WLSMV", SCALED_SHOWN)):
        rows = table["estimator"].eq(estimator)
        for column, robust in columns.items():
            if column in shown and robust in shown:
                shown[column] = shown[robust].where(rows, shown[column])
    return shown, bool(table["estimator"].eq("MLR").any())


def fit_note(table: pd.DataFrame) -> str:
    """The note key of a CFA fit table (``cfa_fit``, ``wave_fit``): ``cfa_fit_wlsmv`` or
    ``cfa_fit_mlr`` when a row was estimated by WLSMV or MLR, ``cfa_fit`` otherwise."""
    estimators = set(table["estimator"]) if "estimator" in table else set()
    return "cfa_fit_wlsmv" if "WLSMV" in estimators else "cfa_fit_mlr" if "MLR" in estimators else "cfa_fit"


def ladder_columns(ctx: ReportContext, first: Sequence[Column]) -> list[Column]:
    """The columns of an invariance ladder after the ``first`` ones that name its rows: each
    level's chi-square, df, CFI and RMSEA, the changes from the level before, and the decision."""
    blank, delta = " ", ctx.t("report.col.delta_group")
    return [*first,
            Column("chisq", "χ²", "mean", group=blank), Column("df", "df", "int", group=blank),
            Column("cfi", "CFI", "coef", group=blank), Column("rmsea", "RMSEA", "coef", group=blank),
            Column("delta_chisq", "Δχ²", "mean", group=delta), Column("delta_df", "Δdf", "int", group=delta),
            Column("p", "p", "p", group=delta), Column("delta_cfi", "ΔCFI", "coef", group=delta),
            Column("delta_rmsea", "ΔRMSEA", "coef", group=delta),
            Column("decision_label", ctx.t("report.col.decision"), group=blank)]


def confidence(frame: pd.DataFrame) -> float:
    """The confidence level a table's intervals were computed at (its ``confidence`` column)."""
    return float(frame["confidence"].iloc[0]) if "confidence" in frame and len(frame) else 0.95


def provider_gap_names(ctx: ReportContext, text: object, short: bool = False) -> str:
    """Provider gaps recorded as ``"2 standards (15); 3 delivery (9)"`` named in the report's
    language (``short``: the name alone, for table cells), in the order recorded.

    >>> ctx = ReportContext(Messages("en"), {}, {}, {}, Path("."))
    >>> provider_gap_names(ctx, "2 standards (15); 3 delivery (9)", short=True)
    '2 standards, 3 delivery'
    """
    numbers = dict.fromkeys(re.findall(r"(?:^|[,;]\s*)([1-4])\b", str(text))) if isinstance(text, str) else {}
    key = "provider_gap_short" if short else "provider_gap"
    return ctx.t("report.list_separator").join(ctx.t(f"report.{key}.{n}") for n in numbers)


def cautions_list(ctx: ReportContext, cautions: pd.DataFrame, none: str = "cautions.none") -> str:
    """The cautions of a run (``cautions.csv``: topic, text), grouped by the topic they concern;
    message ``report.<none>`` where there are none."""
    if cautions.empty:
        return ctx.p(none)
    listed = []
    for topic, part in cautions.groupby("topic", sort=False):
        entries = "".join(f"<li>{html.escape(str(text))}</li>" for text in part["text"])
        listed.append(f"<li><strong>{html.escape(ctx.t(f'cautions.topic_{topic}'))}</strong><ul>{entries}</ul></li>")
    return f'<ul class="caution">{"".join(listed)}</ul>'
