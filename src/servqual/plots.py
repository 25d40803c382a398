"""Figures in one consistent style: colour-blind-safe palette (Okabe & Ito 2008), CIs drawn
wherever an estimate is shown, labels wrapped between words (or between Chinese characters,
never inside a word), titles above and legends beside or below the data so neither hides the
other.

Every text a reader sees comes from the ``figures`` message catalogue of the study's language
(:mod:`servqual.i18n`) or from the study's own labels; figures are laid out when saved, after
:func:`servqual.fonts.apply` has chosen the fonts that cover their texts.
"""

from __future__ import annotations

import math
import re
import struct
import unicodedata
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from servqual import fonts
from servqual.figures import quadrant_name
from servqual.i18n import Messages

#: Resolution of the PNG files (the report embeds them; twice a screen's 100 dpi, sharp on high-density screens).
PNG_DPI = 200
#: Widest PNG in pixels: the reports show a figure at most as wide as their column (60rem of 16 px, 960
#: CSS pixels), 1,920 pixels on a screen of two pixels per CSS pixel. A figure wider than 9.6 inches
#: is drawn at the resolution that gives it this width, not at :data:`PNG_DPI`: more pixels would not
#: be shown, only drawn and stored.
PNG_MAX_WIDTH = 1920
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
#: One colour per IPA quadrant (the tables' quadrant values), the same in every figure and wave.
QUADRANT_COLOURS = {
    "concentrate here": "#D55E00",
    "keep up the good work": "#009E73",
    "low priority": "#6F6F6F",
    "possible overkill": "#0072B2",
}
#: Where each quadrant lies: (importance high, performance high).
QUADRANT_PLACES = {
    "concentrate here": (True, False),
    "keep up the good work": (True, True),
    "low priority": (False, False),
    "possible overkill": (False, True),
}


def style() -> None:
    """Apply the project's matplotlib style (fonts are chosen per figure, by :func:`save`)."""
    matplotlib.rcParams.update(
        {
            "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
            "font.family": [fonts.LATIN],
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100,
            "savefig.dpi": PNG_DPI,
        }
    )


class FontedFigure(Figure):
    """A figure that chooses the fonts of its texts (:func:`servqual.fonts.apply`) each time it
    is drawn, before it is laid out: saved by :func:`save` or by ``savefig``, or shown in a
    notebook, it has a glyph for every character wherever an installed font has one."""

    def draw(self, renderer):
        fonts.apply(self)
        super().draw(renderer)


def subplots(*args, figsize: tuple[float, float], **kwargs) -> tuple[FontedFigure, Any]:
    """A figure and its axes (``Figure.subplots``'s arguments) in the project style, laid out when
    drawn (after the fonts are set), on matplotlib's Agg canvas: no pyplot, so no figure is kept
    in a global list once the caller lets it go."""
    style()
    fig = FontedFigure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(*args, **kwargs)


# Characters after which a line may break: Chinese characters and kana (Korean breaks at spaces).
_BREAK_ANYWHERE = "\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(f"\\s+|[{_BREAK_ANYWHERE}]|[^\\s{_BREAK_ANYWHERE}]+")
# Punctuation that never starts a line.
_NO_LINE_START = set("，。、；：？！）》」』】…,.;:?!)%·")


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(label: object, width: int = 40) -> str:
    """Wrap a label onto lines of at most ``width`` columns (a Chinese or Korean character takes
    two), breaking at spaces or between Chinese characters, never inside a word.

    >>> wrap("responsiveness and empathy", 12)
    'responsiveness\\nand empathy'
    >>> wrap("营业厅的设施外观吸引人。", 10)
    '营业厅的设\\n施外观吸引\\n人。'
    """
    text = " ".join(str(label).split())
    units: list[tuple[str, bool]] = []
    space = False
    for token in _TOKENS.findall(text):
        if token.isspace():
            space = True
            continue
        if units and not space and token[0] in _NO_LINE_START:
            units[-1] = (units[-1][0] + token, units[-1][1])
        else:
            units.append((token, space))
        space = False
    lines, line = [], ""
    for token, spaced in units:
        candidate = line + (" " if spaced and line else "") + token
        if line and _columns(candidate) > width:
            lines.append(line)
            line = token
        else:
            line = candidate
    return "\n".join([*lines, line]) if line or lines else str(label)


def ci_level(table: pd.DataFrame) -> int | None:
    """The confidence level in percent that the table's ``confidence`` column records."""
    levels = table["confidence"].dropna() if "confidence" in table else pd.Series(dtype=float)
    return round(100 * float(levels.iloc[0])) if len(levels) else None


def ci_label(table: pd.DataFrame, language: str = "en") -> str:
    """'95% CI' at the level the table's ``confidence`` column records (never a typed-in level).

    >>> ci_label(pd.DataFrame({"confidence": [0.9]}), "zh")
    '90% 置信区间'
    """
    level = ci_level(table)
    return Messages(language)("figures.ci", level="" if level is None else level).lstrip("% ")


def measure_name(measure: str, language: str = "en") -> str:
    """The reader's name of a measure (expectation, perception, adequate, desired, gap)."""
    t = Messages(language)
    return t(f"figures.measure_{measure}") if f"figures.measure_{measure}" in t else measure


def _legend_below(ax, ncol: int, **kwargs) -> None:
    """A legend under the axes' x-axis title, so it covers neither data nor titles."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=max(1, ncol),
                  fontsize=8, frameon=False, **kwargs)


def _legend_above(ax, ncol: int) -> None:
    """A legend in one row between the figure title and the axes."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=max(1, ncol),
                  fontsize=8, frameon=False, borderaxespad=0.0)


def _title(fig, title: str) -> None:
    fig.suptitle(title, x=0.01, ha="left")


def gap_forest(table: pd.DataFrame, labels: pd.Series, title: str, *, language: str = "en") -> Figure:
    """Mean gaps sorted from most negative, with their confidence intervals.

    ``table`` has columns gap, gap_ci_low, gap_ci_high; ``labels`` the text of each row.
    """
    t = Messages(language)
    order = table.sort_values("gap", ascending=False)
    fig, ax = subplots(figsize=(8, 0.35 * len(order) + 1.4))
    y = range(len(order))
    err = [order["gap"] - order["gap_ci_low"], order["gap_ci_high"] - order["gap"]]
    ax.errorbar(order["gap"], y, xerr=err, fmt="o", color=OKABE_ITO[0], capsize=3)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(list(y), [wrap(labels[i], 45) for i in order.index], fontsize=8)
    ax.set_xlabel(t("figures.gap_ci", ci=ci_label(table, language)))
    _title(fig, title)
    return fig


FLOW_STEPS = {"read": 0, "excluded": 3, "kept": 2}


def flow_bars(summary: pd.DataFrame, title: str = "", *, language: str = "en") -> Figure:
    """Cleaning flow: rows read, excluded per rule, kept (``summary`` as ``cleaning_summary.csv``;
    each rule named in the reader's words)."""
    t = Messages(language)
    rows = summary[summary["step"].isin(list(FLOW_STEPS))]
    fig, ax = subplots(figsize=(7, 0.3 * len(rows) + 1.2))
    colours = [OKABE_ITO[FLOW_STEPS[s]] for s in rows["step"]]
    ax.barh(range(len(rows)), rows["n"], color=colours)

    def name(step: str, rule: str) -> str:
        key = {"read": "figures.flow_rows_read", "kept": "figures.flow_respondents_kept"}.get(step, f"figures.flow_{rule}")
        return t(key) if key in t else str(rule).replace("_", " ")

    ax.set_yticks(range(len(rows)), [wrap(name(s, r), 36) for s, r in zip(rows["step"], rows["rule"])], fontsize=8)
    ax.invert_yaxis()
    for i, n in enumerate(rows["n"]):
        ax.text(n, i, f" {n}", va="center", fontsize=8)
    ax.set_xlabel(t("figures.flow_axis"))
    if title:
        _title(fig, title)
    return fig


MEASURE_COLOURS = {"expectation": OKABE_ITO[1], "perception": OKABE_ITO[0], "adequate": OKABE_ITO[5], "desired": OKABE_ITO[4]}


def measure_profile(
    descriptives: pd.DataFrame, labels: pd.Series, title: str, *, snake: bool = False, language: str = "en"
) -> Figure:
    """Mean of each rated measure per row (dimension or item) with its confidence interval.

    ``descriptives`` has columns measure, key (the row's id), mean, ci_low, ci_high, as written
    to ``descriptives.csv``; ``labels`` maps each key to its display text. Rows keep the order
    of ``labels``. ``snake=True`` joins each measure's means with a line, the "snake plot" of
    SERVQUAL reports (Parasuraman, Zeithaml & Berry 1988) in which the E and P profiles cross
    where a gap changes sign.
    """
    t = Messages(language)
    fig, ax = subplots(figsize=(8, 0.45 * len(labels) + 1.6))
    rated = [m for m in MEASURE_COLOURS if m in set(descriptives["measure"])]
    offsets = {m: (j - (len(rated) - 1) / 2) * 0.18 for j, m in enumerate(rated)}
    position = {key: i for i, key in enumerate(labels.index)}
    for measure in rated:
        rows = descriptives[descriptives["measure"] == measure]
        rows = rows.assign(y=rows["key"].map(position) + offsets[measure]).sort_values("y")
        y = rows["y"]
        err = [rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]]
        ax.errorbar(
            rows["mean"], y, xerr=err, fmt="o-" if snake else "o", capsize=3, lw=1,
            color=MEASURE_COLOURS[measure], label=measure_name(measure, language),
        )
    ax.set_yticks(range(len(labels)), [wrap(text, 45) for text in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(t("figures.mean_ci", ci=ci_label(descriptives, language)))
    # Between the title and the axes, so the legend never hides a mean or the title.
    _legend_above(ax, len(rated))
    _title(fig, title)
    return fig


def _importance_axis(ipa: pd.DataFrame, t: Messages) -> str:
    kind = str(ipa["importance_kind"].iloc[0]) if len(ipa) else "stated"
    level = str(ipa["level"].iloc[0]) if "level" in ipa and len(ipa) else "dimension"
    key = f"figures.ipa_importance_{kind}_{level}"
    return t(key) if key in t else t("figures.measure_importance")


def ipa_grid(
    ipa: pd.DataFrame, labels: pd.Series, title: str, *, language: str = "en", key: pd.Series | None = None
) -> Figure:
    """Importance-Performance grid (Martilla & James 1977) cut at the means, each quadrant named
    inside the grid and coloured as in every other IPA figure (:data:`QUADRANT_COLOURS`).

    ``ipa`` has columns level, importance, importance_kind, performance, importance_cut,
    performance_cut, quadrant (the stable keys of the IPA table); ``labels`` the text printed
    beside each point, in the same order. ``key`` (point text -> full wording) adds a panel that
    lists the points of each quadrant with their wording, for points labelled by short ids. The
    importance axis names the importance the table used; where items take their dimension's
    stated points, a note says so.
    """
    t = Messages(language)
    if key is None:
        fig, ax = subplots(figsize=(7.5, 6))
    else:
        fig, (ax, side) = subplots(1, 2, figsize=(13, max(6.5, 0.2 * len(key) + 3)), width_ratios=[1.25, 1])
    x, y = ipa["performance"].to_numpy(float), ipa["importance"].to_numpy(float)
    x_cut, y_cut = float(ipa["performance_cut"].iloc[0]), float(ipa["importance_cut"].iloc[0])
    # Room around the points (and the cuts) for the quadrant names in the corners.
    x_pad = 0.12 * (np.ptp(np.append(x, x_cut)) or 1.0)
    y_pad = 0.2 * (np.ptp(np.append(y, y_cut)) or 1.0)
    x_lim = (min(x.min(), x_cut) - x_pad, max(x.max(), x_cut) + 2 * x_pad)
    y_lim = (min(y.min(), y_cut) - y_pad, max(y.max(), y_cut) + y_pad)
    ax.set_xlim(x_lim)
    ax.set_ylim(y_lim)
    for quadrant, (high_importance, high_performance) in QUADRANT_PLACES.items():
        colour = QUADRANT_COLOURS[quadrant]
        xs = (x_cut, x_lim[1]) if high_performance else (x_lim[0], x_cut)
        ys = (y_cut, y_lim[1]) if high_importance else (y_lim[0], y_cut)
        ax.fill_between(xs, *ys, color=colour, alpha=0.06, lw=0, zorder=0)
        corner = (xs[1] if high_performance else xs[0], ys[1] if high_importance else ys[0])
        ax.annotate(quadrant_name(quadrant, language), corner, xytext=(-5 if high_performance else 5, -5 if high_importance else 5),
                    textcoords="offset points", ha="right" if high_performance else "left",
                    va="top" if high_importance else "bottom", color=colour, fontsize=10, fontweight="bold", zorder=2)
    colours = [QUADRANT_COLOURS.get(q, OKABE_ITO[7]) for q in ipa["quadrant"]]
    ax.scatter(x, y, color=colours, zorder=3)
    # Points of one dimension may share its stated importance and sit in a row: stagger their
    # labels over three heights (left to right) so neighbours do not print over each other.
    placed = pd.DataFrame({"x": x, "y": y, "text": [wrap(text, 18) for text in labels]})
    placed["level"] = placed.sort_values("x").groupby("y").cumcount() % 3
    for row in placed.itertuples():
        ax.annotate(row.text, (row.x, row.y), fontsize=7, xytext=(4, 3 - 9 * row.level), textcoords="offset points",
                    zorder=4)
    ax.axvline(x_cut, color="grey", lw=1, ls="--")
    ax.axhline(y_cut, color="grey", lw=1, ls="--")
    ax.set_xlabel(t("figures.ipa_performance"))
    ax.set_ylabel(_importance_axis(ipa, t))
    notes = [t("figures.ipa_cuts", n=len(ipa))]
    if str(ipa["importance_kind"].iloc[0]) == "stated" and set(ipa.get("level", [])) == {"item"}:
        notes.append(t("figures.ipa_shared_importance"))
    # Under the x-axis title (offset in points, whatever the figure's size).
    ax.annotate("\n".join(wrap(n, 95) for n in notes), xy=(0, 0), xycoords="axes fraction", xytext=(0, -40),
                textcoords="offset points", fontsize=7, va="top", color="#444444", linespacing=1.6)
    if key is not None:
        _ipa_key(side, ipa, labels, key, t, language)
    _title(fig, title)
    return fig


def _ipa_key(ax, ipa: pd.DataFrame, labels: pd.Series, key: pd.Series, t: Messages, language: str) -> None:
    """The points of each quadrant with their full wording, quadrant by quadrant."""
    ax.set_axis_off()
    lines: list[tuple[str, str, bool]] = []
    for quadrant in QUADRANT_PLACES:
        shown = [label for label, q in zip(labels, ipa["quadrant"]) if q == quadrant]
        if not shown:
            continue
        lines.append((quadrant_name(quadrant, language), QUADRANT_COLOURS[quadrant], True))
        for label in shown:
            lines.append((wrap(f"{label}  {key.get(label, '')}", 70), "black", False))
    total = sum(text.count("\n") + 1 for text, _, _ in lines) + sum(1 for *_, head in lines if head)
    y, step = 1.0, 1.0 / max(total, 1)
    for text, colour, head in lines:
        if head and y < 1.0:
            y -= step
        ax.text(0, y, text, transform=ax.transAxes, va="top", fontsize=8 if head else 7, color=colour,
                fontweight="bold" if head else "normal")
        y -= step * (text.count("\n") + 1)


def radar(descriptives: pd.DataFrame, labels: pd.Series, title: str, *, language: str = "en") -> Figure:
    """Dimension means of each rated measure on a radar (spider) chart, the shaded band the
    CI of each mean; ``descriptives`` as for :func:`measure_profile`, one row per dimension."""
    t = Messages(language)
    angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False)
    closed = np.append(angles, angles[0])
    fig, ax = subplots(figsize=(6.5, 6.5), subplot_kw={"polar": True})
    for measure in [m for m in MEASURE_COLOURS if m in set(descriptives["measure"])]:
        rows = descriptives[descriptives["measure"] == measure].set_index("key").reindex(labels.index)
        colour = MEASURE_COLOURS[measure]
        ax.plot(closed, np.append(rows["mean"], rows["mean"].iloc[0]), "o-", color=colour,
                label=measure_name(measure, language))
        ax.fill_between(
            closed, np.append(rows["ci_low"], rows["ci_low"].iloc[0]),
            np.append(rows["ci_high"], rows["ci_high"].iloc[0]), color=colour, alpha=0.2,
        )
    ax.set_xticks(angles, [wrap(text, 16) for text in labels], fontsize=9)
    ax.tick_params(axis="x", pad=10)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, [f"{n} ({t('figures.ci', level=ci_level(descriptives) or '')})" for n in names],
               loc="outside lower center", ncol=len(names), fontsize=8, frameon=False)
    _title(fig, title)
    return fig


def item_rest_chart(
    items: pd.DataFrame, labels: pd.Series, title: str, threshold: float = 0.30, *, language: str = "en"
) -> Figure:
    """Item-rest correlations per measure (one panel each), items grouped by dimension; the
    dashed line marks ``threshold`` (.30, Nunnally & Bernstein 1994), red bars are negative
    (likely an unreversed item)."""
    t = Messages(language)
    measures = list(dict.fromkeys(items["measure"]))
    fig, axes = subplots(
        1, len(measures), figsize=(3.2 * len(measures) + 2.5, 0.28 * len(labels) + 1.8), sharey=True, squeeze=False
    )
    for ax, measure in zip(axes[0], measures):
        rows = items[items["measure"] == measure].set_index("item").reindex(labels.index)
        r = rows["item_rest_r"]
        ax.barh(range(len(r)), r, color=[OKABE_ITO[3] if v < 0 else OKABE_ITO[0] for v in r.fillna(0)])
        ax.axvline(threshold, color="grey", lw=1, ls="--")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(measure_name(measure, language), fontsize=9)
        ax.set_xlabel(t("figures.item_rest_axis"))
    axes[0][0].set_yticks(range(len(labels)), [wrap(text, 40) for text in labels], fontsize=7)
    axes[0][0].invert_yaxis()
    _title(fig, title)
    return fig


def _simulation_rule(rule: str, n: object, t: Messages) -> str:
    """The parallel-analysis rule of the table (e.g. '95th percentile of 100 simulations') in
    the reader's words."""
    match = re.search(r"([\d.]+)th percentile", str(rule))
    n = "" if pd.isna(n) else int(n)
    if match:
        return t("figures.scree_rule_quantile", percentile=match.group(1), n=n)
    return t("figures.scree_rule_mean", n=n)


def scree(parallel: pd.DataFrame, title: str, *, language: str = "en") -> Figure:
    """Scree plot per measure: observed eigenvalues of components and factors beside the
    simulated ones of Horn's (1965) parallel analysis (the rule is named in the legend)."""
    t = Messages(language)
    measures = list(dict.fromkeys(parallel["measure"]))
    fig, axes = subplots(1, len(measures), figsize=(5 * len(measures), 4.6), squeeze=False)
    for ax, measure in zip(axes[0], measures):
        rows = parallel[parallel["measure"] == measure]
        rule = _simulation_rule(rows["rule"].iloc[0], rows["n_iter"].iloc[0] if "n_iter" in rows else None, t)
        ax.plot(rows["position"], rows["observed_pc"], "o-", color=OKABE_ITO[0], label=t("figures.scree_components_observed"))
        ax.plot(rows["position"], rows["simulated_pc"], "--", color=OKABE_ITO[0],
                label=t("figures.scree_components_simulated", rule=rule))
        ax.plot(rows["position"], rows["observed_fa"], "s-", color=OKABE_ITO[1], label=t("figures.scree_factors_observed"))
        ax.plot(rows["position"], rows["simulated_fa"], ":", color=OKABE_ITO[1],
                label=t("figures.scree_factors_simulated", rule=rule))
        ax.axhline(1, color="grey", lw=0.8)
        ax.set_xlabel(t("figures.scree_position"))
        ax.set_ylabel(t("figures.scree_eigenvalue"))
        retained = int(rows["retained_fa"].sum())
        ax.set_title(t("figures.scree_retained", measure=measure_name(measure, language), n=retained), fontsize=9)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    _title(fig, title)
    return fig


def loading_heatmap(
    loadings: pd.DataFrame, labels: pd.Series, title: str, *, factor_labels: Mapping[str, str] | None = None,
    language: str = "en",
) -> Figure:
    """Pattern loadings (items x factors) per measure as a diverging heatmap, factors named by
    the dimension they were matched to (``factor_labels``: dimension id -> text); loadings of
    .30 or more are printed."""
    t = Messages(language)
    factor_labels = dict(factor_labels or {})
    measures = list(dict.fromkeys(loadings["measure"]))
    fig, axes = subplots(
        1, len(measures), figsize=(3.4 * len(measures) + 4, 0.3 * len(labels) + 2.2), sharey=True, squeeze=False
    )
    for ax, measure in zip(axes[0], measures):
        rows = loadings[loadings["measure"] == measure]
        grid = rows.pivot(index="item", columns="factor", values="loading").reindex(labels.index)
        names = rows.drop_duplicates("factor").set_index("factor")["factor_label"].reindex(grid.columns)
        image = ax.imshow(grid.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
            if abs(value) >= 0.30:
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6)
        shown = [wrap(factor_labels.get(n, n), 14) if isinstance(n, str) else "" for n in names]
        ax.set_xticks(range(len(names)), shown, fontsize=7, rotation=45, ha="right", rotation_mode="anchor")
        ax.set_title(measure_name(measure, language), fontsize=9)
    axes[0][0].set_yticks(range(len(labels)), [wrap(text, 40) for text in labels], fontsize=7)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.6, label=t("figures.loadings_colour"))
    _title(fig, title)
    return fig


def zone_chart(zone: pd.DataFrame, labels: pd.Series, title: str, *, language: str = "en") -> Figure:
    """Zone of tolerance per row (Parasuraman, Zeithaml & Berry 1994): a bar from the mean
    adequate to the mean desired level, the mean perception as a dot; ``zone`` is the
    zone-of-tolerance table restricted to one level, ``labels`` its row texts in order."""
    t = Messages(language)
    fig, ax = subplots(figsize=(8, 0.4 * len(labels) + 1.6))
    y = np.arange(len(zone))
    ax.barh(y, zone["mean_desired"] - zone["mean_adequate"], left=zone["mean_adequate"], color=OKABE_ITO[5],
            alpha=0.5, label=t("figures.zone_band"))
    ax.plot(zone["mean_p"], y, "o", color=OKABE_ITO[0], label=t("figures.zone_perception"))
    ax.set_yticks(y, [wrap(text, 45) for text in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(t("figures.mean_rating"))
    _legend_above(ax, 2)
    _title(fig, title)
    return fig


def segment_name(segment: str, segment_labels: Mapping[str, str] | None = None) -> str:
    """A segment's name as readers see it: the study's text for it, else its short name with
    spaces for underscores.

    >>> segment_name("customer_type")
    'Customer type'
    """
    given = (segment_labels or {}).get(segment)
    if given:
        return str(given)
    text = str(segment).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def segment_chart(
    segments: pd.DataFrame, labels: pd.Series, title: str, *, segment_labels: Mapping[str, str] | None = None,
    language: str = "en",
) -> Figure:
    """Mean score per segment level with its CI, one panel per segment column, one row per
    dimension (``labels``: dimension id -> text) and the overall score; untested levels (too
    few respondents) are drawn hollow. Panels are named by ``segment_labels`` (segment -> text,
    see :func:`segment_name`); each panel's levels are listed under it, wrapped short."""
    t = Messages(language)
    columns = list(dict.fromkeys(segments["segment"]))
    targets = list(dict.fromkeys(segments["target"]))
    overall = {"servqual": t("figures.score_servqual"), "servperf": t("figures.score_servperf")}
    names = [labels.get(target, overall.get(target, target)) for target in targets]
    most = max(segments.groupby("segment")["level_value"].nunique().max(), 1)
    fig, axes = subplots(
        1, len(columns), figsize=(4.5 * len(columns) + 2, 0.5 * len(targets) + 2 + 0.25 * -(-most // 3)),
        sharey=True, squeeze=False,
    )
    hollow = False
    for ax, column in zip(axes[0], columns):
        rows = segments[segments["segment"] == column]
        levels = list(dict.fromkeys(rows["level_value"].astype(str)))
        for j, level in enumerate(levels):
            part = rows[rows["level_value"].astype(str) == level].set_index("target").reindex(targets)
            y = np.arange(len(targets)) + (j - (len(levels) - 1) / 2) * 0.8 / max(len(levels), 1)
            err = [part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]]
            colour = OKABE_ITO[j % len(OKABE_ITO)]
            tested = bool(part["tested"].fillna(False).astype(bool).any())
            hollow |= not tested
            ax.errorbar(part["mean"], y, xerr=err, fmt="o", capsize=2, color=colour, label=wrap(level, 18),
                        mfc=colour if tested else "white")
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_title(segment_name(column, segment_labels), fontsize=10)
        ax.set_xlabel(t("figures.mean_ci", ci=ci_label(segments, language)))
        _legend_below(ax, min(len(levels), 3))
    axes[0][0].set_yticks(range(len(targets)), [wrap(n, 22) for n in names], fontsize=8)
    axes[0][0].invert_yaxis()
    if hollow:
        fig.text(0.01, 0.0, t("figures.segments_untested"), fontsize=7, color="#444444")
    _title(fig, title)
    return fig


def png_dpi(fig: Figure) -> float:
    """The resolution of a figure's PNG: :data:`PNG_DPI`, less for a figure that would be wider than
    :data:`PNG_MAX_WIDTH` pixels at it (its margins included).

    >>> png_dpi(Figure(figsize=(8, 4))), png_dpi(Figure(figsize=(15.8, 4)))
    (200, 120.0)
    """
    return min(PNG_DPI, PNG_MAX_WIDTH / float(fig.get_figwidth() + 2 * matplotlib.rcParams["savefig.pad_inches"]))


def save(fig: Figure, stem: str | Path) -> None:
    """Write a figure as ``<stem>.png`` at :func:`png_dpi`, the format the reports embed.

    One pass chooses the fonts (:func:`servqual.fonts.apply`: DejaVu Sans for Latin text, an
    installed CJK family where the texts need one), lays the figure out and renders it; the PNG is
    that picture cut to the figure's tight box with a white margin of ``savefig.pad_inches``, what
    ``savefig(bbox_inches="tight")`` writes after a second layout and render. Only a figure with
    something outside its frame (a text the layout could not fit) is drawn again, into the larger
    box. The PNG is RGB (the figures' background is opaque), written by :func:`png_bytes`, and
    carries no date, so the same data give the same file byte for byte. No SVG beside it: nothing
    read it.
    """
    png = Path(stem).with_suffix(".png")
    dpi = png_dpi(fig)
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    pad = matplotlib.rcParams["savefig.pad_inches"]
    box = fig.get_tightbbox(canvas.get_renderer())
    frame = fig.bbox_inches.padded(0.5 / dpi)  # half a pixel of rounding
    if (box.min < frame.min).any() or (box.max > frame.max).any():
        fig.set_layout_engine(None)  # None, not "none": a placeholder engine would lay it out again
        fig.savefig(png, dpi=dpi, bbox_inches=box.padded(pad))
        return
    width, height = canvas.get_width_height()
    left, right = max(0, math.floor(box.x0 * dpi)), min(width, math.ceil(box.x1 * dpi))
    top, bottom = max(0, math.floor(height - box.y1 * dpi)), min(height, math.ceil(height - box.y0 * dpi))
    shown = np.asarray(canvas.buffer_rgba())[top:bottom, left:right, :3]
    margin = round(pad * dpi)
    framed = np.full((shown.shape[0] + 2 * margin, shown.shape[1] + 2 * margin, 3), 255, dtype=np.uint8)
    framed[margin:margin + shown.shape[0], margin:margin + shown.shape[1]] = shown
    png.write_bytes(png_bytes(framed, dpi))


def png_bytes(rgb: np.ndarray, dpi: float) -> bytes:
    """An RGB picture (height x width x 3, uint8) as a PNG file at ``dpi``, its rows unfiltered.

    A chart is flat colour on white: deflate compresses its rows as they are (filter type 0) in
    half the time of the per-row adaptive filter a general encoder (Pillow, libpng) runs first, and
    smaller (the example study's figures by 12% together). Chunks: IHDR (8-bit RGB), pHYs (pixels per metre), one IDAT
    (zlib level 6), IEND (PNG specification, W3C 2003, sections 11.2 and 11.3.5.3).

    >>> from PIL import Image
    >>> import io
    >>> Image.open(io.BytesIO(png_bytes(np.zeros((2, 3, 3), np.uint8), 200))).size
    (3, 2)
    """
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row opens with its filter type, 0
    rows[:, 1:] = rgb.reshape(height, -1)
    per_metre = round(dpi / 0.0254)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
        chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)),
        chunk(b"IEND", b""),
    ])


def interview_code_chart(
    counts: pd.DataFrame, dimensions: pd.Series, title: str, *, language: str = "en"
) -> Figure:
    """Coded interview units per dimension and provider gap, problems and strengths side by side.

    ``counts`` has columns dimension, provider_gap (label), valence (problem, strength) and
    n_units, as from :func:`servqual.interviews.dimension_gap_units`; ``dimensions`` maps each
    dimension id to its display text, in report order. One bar per provider gap within each
    dimension (a unit coded with two gaps is in both bars, so bars are not stacked).
    """
    t = Messages(language)
    gaps = sorted(set(counts["provider_gap"]))  # "1 knowledge" .. "4 communication", then "none"

    def gap_name(gap: str) -> str:
        key = f"figures.provider_gap_{str(gap).split(' ')[0]}"
        return t(key) if key in t else str(gap)

    height = 0.8 / max(len(gaps), 1)
    fig, axes = subplots(1, 2, figsize=(10, 0.7 * len(dimensions) + 2.2), sharex=True, sharey=True)
    for ax, valence in zip(axes, ("problem", "strength")):
        rows = counts[counts["valence"] == valence]
        for j, gap in enumerate(gaps):
            n = rows[rows["provider_gap"] == gap].set_index("dimension")["n_units"]
            y = [i + (j - (len(gaps) - 1) / 2) * height for i in range(len(dimensions))]
            ax.barh(y, n.reindex(dimensions.index, fill_value=0), height=height,
                    color=OKABE_ITO[j % len(OKABE_ITO)], label=gap_name(gap))
        ax.set_title(t(f"figures.interview_{valence}"), fontsize=10)
        ax.set_xlabel(t("figures.interview_units"))
    axes[0].set_yticks(range(len(dimensions)), [wrap(text, 20) for text in dimensions], fontsize=8)
    axes[0].invert_yaxis()
    if gaps:
        fig.legend(*axes[0].get_legend_handles_labels(), title=t("figures.interview_provider_gap"),
                   loc="outside lower center", ncol=len(gaps), fontsize=8, frameon=False)
    _title(fig, title)
    return fig


def wave_trend(
    scores: pd.DataFrame, labels: pd.Series, title: str, *, language: str = "en", waves: Mapping[str, str] | None = None
) -> Figure:
    """Each score over the waves with its CI, one panel per measure (gap, perception);
    ``scores`` as in ``wave_gaps.csv`` (wave, measure, target, mean, ci_low, ci_high), ``labels``
    maps each target to its text (the overall score is named by the catalogue where
    ``labels`` has no text for it); ``waves`` maps wave ids to the text under each tick."""
    t = Messages(language)
    measures = list(dict.fromkeys(scores["measure"]))
    fig, axes = subplots(1, len(measures), figsize=(5 * len(measures) + 2.5, 4.8), squeeze=False)
    order = list(dict.fromkeys(scores["wave"]))
    targets = list(dict.fromkeys(scores["target"]))
    names = {"overall": t("figures.score_overall"), **dict(labels)}
    ci = ci_label(scores, language)
    for ax, measure in zip(axes[0], measures):
        rows = scores[scores["measure"] == measure]
        for target, part in rows.groupby("target", sort=False):
            j = targets.index(target)
            x = part["wave"].map({w: i for i, w in enumerate(order)}) + (j - (len(targets) - 1) / 2) * 0.03
            err = [part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]]
            ax.errorbar(x, part["mean"], yerr=err, fmt="o-", capsize=3, color=OKABE_ITO[j % len(OKABE_ITO)],
                        label=wrap(names.get(target, target), 28), lw=2.5 if target == "overall" else 1)
        if measure == "gap":
            ax.axhline(0, color="grey", lw=1, ls="--")
        ax.set_xticks(range(len(order)), [wrap((waves or {}).get(w, w), 16) for w in order])
        ax.set_ylabel(t("figures.trend_axis", measure=measure_name(measure, language), ci=ci))
        ax.set_title(measure_name(measure, language), fontsize=10)
    handles, texts = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside right center", fontsize=8, frameon=False)
    _title(fig, title)
    return fig


def complaint_pareto(pareto: pd.DataFrame, title: str, cut: float = 0.8, *, language: str = "en") -> Figure:
    """Pareto chart of complaint categories: bars by count (vital few darker), the cumulative
    share on a second axis and the ``cut`` line; ``pareto`` as from
    :func:`servqual.complaints.pareto` (category, n_complaints, cumulative_share, vital_few)."""
    t = Messages(language)
    fig, ax = subplots(figsize=(max(5.0, 0.8 * len(pareto) + 2), 4.2))
    x = np.arange(len(pareto))
    colours = [OKABE_ITO[0] if vital else OKABE_ITO[5] for vital in pareto["vital_few"]]
    ax.bar(x, pareto["n_complaints"], color=colours)
    ax.set_xticks(x, [wrap(c, 12) for c in pareto["category"]], fontsize=8)
    ax.set_ylabel(t("figures.complaints_axis"))
    share = ax.twinx()
    share.plot(x, 100 * pareto["cumulative_share"], "o-", color=OKABE_ITO[3])
    share.axhline(100 * cut, color="grey", lw=1, ls="--")
    share.set_ylim(0, 105)
    share.set_ylabel(t("figures.complaints_cumulative"))
    share.spines["right"].set_visible(True)
    _title(fig, title)
    return fig


def control_chart(monthly: pd.DataFrame, labels: pd.Series, title: str, *, language: str = "en") -> Figure:
    """Control charts of complaints per period: all complaints, then each dimension (``labels``
    maps dimension ids to their text, in report order). Centre line and limits as stepped lines,
    points beyond the limits in vermilion; ``monthly`` as ``complaints_monthly.csv``."""
    t = Messages(language)
    series = [("all", "all", t("figures.complaints_all")), *[("dimension", d, text) for d, text in labels.items()]]
    cols = 3
    rows = -(-len(series) // cols)
    fig, axes = subplots(rows, cols, figsize=(4 * cols, 2.9 * rows + 0.4), squeeze=False)
    for ax, (level, value, text) in zip(axes.ravel(), series):
        part = monthly[(monthly["level"] == level) & (monthly["value"] == value)]
        x = np.arange(len(part))
        ax.plot(x, part["statistic"], "o-", color=OKABE_ITO[0], ms=4)
        for column, dash in (("centre", "-"), ("ucl", "--"), ("lcl", "--")):
            ax.step(x, part[column], where="mid", color="grey", lw=1, ls=dash)
        flagged = part["signal"].fillna("") != ""
        ax.plot(x[flagged.to_numpy()], part.loc[flagged, "statistic"], "o", color=OKABE_ITO[3], ms=7)
        ax.set_xticks(x, part["period"], fontsize=7, rotation=45)
        chart = part["chart"].iloc[0] if len(part) else "c"
        ax.set_ylabel(t("figures.complaints_axis") if chart == "c" else t("figures.complaints_rate"), fontsize=8)
        ax.set_title(t("figures.complaints_chart", label=wrap(text, 30), chart=chart), fontsize=9)
    for ax in axes.ravel()[len(series):]:
        ax.set_visible(False)
    _title(fig, title)
    return fig


#: Marker of each scorecard verdict in :func:`kpi_trend`: shape, colour, filled.
VERDICT_MARKERS = {"met": ("o", OKABE_ITO[2], True), "not_met": ("X", OKABE_ITO[3], True),
                   "cannot_tell": ("s", OKABE_ITO[1], False)}


def kpi_trend(trend: pd.DataFrame, names: Mapping[str, str], title: str, *, language: str = "en") -> Figure:
    """Each target over the waves, one panel per target: the estimate with its CI, the target
    value as a dashed line, the marker's shape the verdict (:data:`VERDICT_MARKERS`); ``trend``
    as ``kpi_trend.csv`` (wave, target_id, target_value, estimate, ci_low, ci_high, verdict),
    ``names`` target id -> its name."""
    t = Messages(language)
    targets = list(dict.fromkeys(trend["target_id"]))
    order = list(dict.fromkeys(trend["wave"]))
    columns = min(3, max(1, len(targets)))
    rows = -(-len(targets) // columns) if targets else 1
    fig, axes = subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows + 0.8), squeeze=False)
    for ax in axes.flat[len(targets):]:
        ax.set_visible(False)
    for ax, target in zip(axes.flat, targets):
        part = trend[trend["target_id"] == target]
        x = part["wave"].map({w: i for i, w in enumerate(order)})
        ax.plot(x, part["estimate"], color="grey", lw=1)
        for verdict, (marker, colour, filled) in VERDICT_MARKERS.items():
            shown = part["verdict"] == verdict
            err = [part.loc[shown, "estimate"] - part.loc[shown, "ci_low"], part.loc[shown, "ci_high"] - part.loc[shown, "estimate"]]
            ax.errorbar(x[shown], part.loc[shown, "estimate"], yerr=err, fmt=marker, color=colour, capsize=3,
                        mfc=colour if filled else "white", label=t(f"report.kpi_verdict.{verdict}"))
        ax.axhline(part["target_value"].iloc[0], color="black", lw=1, ls="--", label=t("figures.kpi_target"))
        ax.set_xticks(range(len(order)), [wrap(w, 12) for w in order])
        ax.set_xlim(-0.5, len(order) - 0.5)
        ax.set_title(wrap(names.get(target, target), 40), fontsize=9)
    handles, texts = axes.flat[0].get_legend_handles_labels()
    if texts:  # a study without targets gets the titled empty figure
        fig.legend(handles, texts, loc="outside lower center", ncol=len(texts), fontsize=8, frameon=False)
    _title(fig, title)
    return fig
