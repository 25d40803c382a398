"""Figures in one consistent style: colour-blind-safe palette (Okabe & Ito 2008), CIs drawn
wherever an estimate is shown, wrapped item labels."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei"]


def style() -> None:
    """Apply the project's matplotlib style."""
    plt.rcParams.update(
        {
            "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
            # Listing the families themselves (not the generic "sans-serif") is what makes
            # matplotlib fall back glyph by glyph to the CJK font for Chinese labels.
            "font.family": FONTS,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100,
            "savefig.dpi": 200,
        }
    )


def wrap(label: str, width: int = 40) -> str:
    """Wrap a long label onto several lines."""
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def ci_label(table: pd.DataFrame) -> str:
    """'95% CI' at the level the table's ``confidence`` column records (never a typed-in level)."""
    levels = table["confidence"].dropna() if "confidence" in table else pd.Series(dtype=float)
    return f"{levels.iloc[0]:.0%} CI" if len(levels) else "CI"


def gap_forest(table: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Mean gaps sorted from most negative, with their confidence intervals.

    ``table`` has columns gap, gap_ci_low, gap_ci_high; ``labels`` the text of each row.
    """
    style()
    order = table.sort_values("gap", ascending=False)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(order) + 1.2))
    y = range(len(order))
    err = [order["gap"] - order["gap_ci_low"], order["gap_ci_high"] - order["gap"]]
    ax.errorbar(order["gap"], y, xerr=err, fmt="o", color=OKABE_ITO[0], capsize=3)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(list(y), [wrap(labels[i], 45) for i in order.index], fontsize=8)
    ax.set_xlabel(f"gap P − E ({ci_label(table)})")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def flow_bars(summary: pd.DataFrame) -> plt.Figure:
    """Cleaning flow: rows read, excluded per rule, kept."""
    style()
    rows = summary[summary["step"].isin(["read", "excluded", "kept"])]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(rows) + 1))
    colours = [OKABE_ITO[{"read": 0, "excluded": 3, "kept": 2}[s]] for s in rows["step"]]
    ax.barh(range(len(rows)), rows["n"], color=colours)
    ax.set_yticks(range(len(rows)), rows["rule"], fontsize=8)
    ax.invert_yaxis()
    for i, n in enumerate(rows["n"]):
        ax.text(n, i, f" {n}", va="center", fontsize=8)
    ax.set_xlabel("respondents")
    fig.tight_layout()
    return fig


MEASURE_COLOURS = {"expectation": OKABE_ITO[1], "perception": OKABE_ITO[0], "adequate": OKABE_ITO[5], "desired": OKABE_ITO[4]}


def measure_profile(
    descriptives: pd.DataFrame, labels: pd.Series, title: str, *, snake: bool = False
) -> plt.Figure:
    """Mean of each rated measure per row (dimension or item) with its confidence interval.

    ``descriptives`` has columns measure, key (the row's id), mean, ci_low, ci_high, as written
    to ``descriptives.csv``; ``labels`` maps each key to its display text. Rows keep the order
    of ``labels``. ``snake=True`` joins each measure's means with a line, the "snake plot" of
    SERVQUAL reports (Parasuraman, Zeithaml & Berry 1988) in which the E and P profiles cross
    where a gap changes sign.
    """
    style()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.4))
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
            color=MEASURE_COLOURS[measure], label=measure,
        )
    ax.set_yticks(range(len(labels)), [wrap(text, 45) for text in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"mean ({ci_label(descriptives)})")
    # Above the axes, so the legend never hides a mean.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(rated), fontsize=8, frameon=False)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def ipa_grid(ipa: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Importance-Performance grid (Martilla & James 1977) cut at the means, quadrants named.

    ``ipa`` has columns importance, performance, importance_cut, performance_cut, quadrant;
    ``labels`` the text of each row, in the same order.
    """
    style()
    fig, ax = plt.subplots(figsize=(7, 5.5))
    quadrants = list(dict.fromkeys(ipa["quadrant"]))
    for j, quadrant in enumerate(quadrants):
        rows = ipa[ipa["quadrant"] == quadrant]
        ax.scatter(rows["performance"], rows["importance"], color=OKABE_ITO[j], label=quadrant, zorder=3)
    # Points of one dimension share its stated importance and sit in a row: stagger their
    # labels over three heights (left to right) so neighbours do not print over each other.
    placed = pd.DataFrame({"x": ipa["performance"].to_numpy(), "y": ipa["importance"].to_numpy(),
                           "text": [wrap(t, 18) for t in labels]})
    placed["level"] = placed.sort_values("x").groupby("y").cumcount() % 3
    for row in placed.itertuples():
        ax.annotate(row.text, (row.x, row.y), fontsize=7, xytext=(4, 3 - 9 * row.level), textcoords="offset points")
    ax.axvline(ipa["performance_cut"].iloc[0], color="grey", lw=1, ls="--")
    ax.axhline(ipa["importance_cut"].iloc[0], color="grey", lw=1, ls="--")
    ax.set_xlabel("performance (mean perception)")
    ax.set_ylabel(f"importance ({ipa['importance_kind'].iloc[0]})")
    ax.legend(fontsize=8, frameon=False, loc="best")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def radar(descriptives: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Dimension means of each rated measure on a radar (spider) chart, the shaded band the
    CI of each mean; ``descriptives`` as for :func:`measure_profile`, one row per dimension."""
    style()
    angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False)
    closed = np.append(angles, angles[0])
    fig, ax = plt.subplots(figsize=(6.5, 6), subplot_kw={"polar": True})
    for measure in [m for m in MEASURE_COLOURS if m in set(descriptives["measure"])]:
        rows = descriptives[descriptives["measure"] == measure].set_index("key").reindex(labels.index)
        colour = MEASURE_COLOURS[measure]
        ax.plot(closed, np.append(rows["mean"], rows["mean"].iloc[0]), "o-", color=colour, label=measure)
        ax.fill_between(
            closed, np.append(rows["ci_low"], rows["ci_low"].iloc[0]),
            np.append(rows["ci_high"], rows["ci_high"].iloc[0]), color=colour, alpha=0.2,
        )
    ax.set_xticks(angles, [wrap(text, 16) for text in labels], fontsize=9)
    ax.legend(loc="lower right", bbox_to_anchor=(1.15, -0.1), fontsize=8, frameon=False)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def item_rest_chart(items: pd.DataFrame, labels: pd.Series, title: str, threshold: float = 0.30) -> plt.Figure:
    """Item-rest correlations per measure (one panel each), items grouped by dimension; the
    dashed line marks ``threshold`` (.30, Nunnally & Bernstein 1994), red bars are negative
    (likely an unreversed item)."""
    style()
    measures = list(dict.fromkeys(items["measure"]))
    fig, axes = plt.subplots(
        1, len(measures), figsize=(3.2 * len(measures) + 2.5, 0.28 * len(labels) + 1.5), sharey=True, squeeze=False
    )
    for ax, measure in zip(axes[0], measures):
        rows = items[items["measure"] == measure].set_index("item").reindex(labels.index)
        r = rows["item_rest_r"]
        ax.barh(range(len(r)), r, color=[OKABE_ITO[3] if v < 0 else OKABE_ITO[0] for v in r.fillna(0)])
        ax.axvline(threshold, color="grey", lw=1, ls="--")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(measure, fontsize=9)
        ax.set_xlabel("item-rest r")
    axes[0][0].set_yticks(range(len(labels)), [wrap(text, 40) for text in labels], fontsize=7)
    axes[0][0].invert_yaxis()
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def scree(parallel: pd.DataFrame, title: str) -> plt.Figure:
    """Scree plot per measure: observed eigenvalues of components and factors beside the
    simulated ones of Horn's (1965) parallel analysis (the rule is named in the legend)."""
    style()
    measures = list(dict.fromkeys(parallel["measure"]))
    fig, axes = plt.subplots(1, len(measures), figsize=(5 * len(measures), 4), squeeze=False)
    for ax, measure in zip(axes[0], measures):
        rows = parallel[parallel["measure"] == measure]
        rule = rows["rule"].iloc[0]
        ax.plot(rows["position"], rows["observed_pc"], "o-", color=OKABE_ITO[0], label="components, observed")
        ax.plot(rows["position"], rows["simulated_pc"], "--", color=OKABE_ITO[0], label=f"components, {rule}")
        ax.plot(rows["position"], rows["observed_fa"], "s-", color=OKABE_ITO[1], label="factors, observed")
        ax.plot(rows["position"], rows["simulated_fa"], ":", color=OKABE_ITO[1], label=f"factors, {rule}")
        ax.axhline(1, color="grey", lw=0.8)
        ax.set_xlabel("position")
        ax.set_ylabel("eigenvalue")
        retained = int(rows["retained_fa"].sum())
        ax.set_title(f"{measure}: {retained} factor(s) retained", fontsize=9)
    axes[0][0].legend(fontsize=7, frameon=False)
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def loading_heatmap(loadings: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Pattern loadings (items x factors) per measure as a diverging heatmap, factors named by
    the dimension they were matched to; loadings of .30 or more are printed."""
    style()
    measures = list(dict.fromkeys(loadings["measure"]))
    fig, axes = plt.subplots(
        1, len(measures), figsize=(3.4 * len(measures) + 3, 0.3 * len(labels) + 1.8), sharey=True, squeeze=False
    )
    for ax, measure in zip(axes[0], measures):
        rows = loadings[loadings["measure"] == measure]
        grid = rows.pivot(index="item", columns="factor", values="loading").reindex(labels.index)
        names = rows.drop_duplicates("factor").set_index("factor")["factor_label"].reindex(grid.columns)
        image = ax.imshow(grid.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
            if abs(value) >= 0.30:
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6)
        ax.set_xticks(range(len(names)), [wrap(str(n), 12) for n in names.fillna("")], fontsize=7, rotation=45, ha="right")
        ax.set_title(measure, fontsize=9)
    axes[0][0].set_yticks(range(len(labels)), [wrap(text, 40) for text in labels], fontsize=7)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.6, label="pattern loading")
    fig.suptitle(title, x=0.01, ha="left")
    return fig


def zone_chart(zone: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Zone of tolerance per row (Parasuraman, Zeithaml & Berry 1994): a bar from the mean
    adequate to the mean desired level, the mean perception as a dot; ``zone`` is the
    zone-of-tolerance table restricted to one level, ``labels`` its row texts in order."""
    style()
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(labels) + 1.4))
    y = np.arange(len(zone))
    ax.barh(y, zone["mean_desired"] - zone["mean_adequate"], left=zone["mean_adequate"], color=OKABE_ITO[5],
            alpha=0.5, label="zone of tolerance (adequate to desired)")
    ax.plot(zone["mean_p"], y, "o", color=OKABE_ITO[0], label="perception")
    ax.set_yticks(y, [wrap(text, 45) for text in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean rating")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def segment_chart(segments: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Mean score per segment level with its CI, one panel per segment column, one row per
    dimension (``labels``: dimension id -> text) and the overall score; untested levels (too
    few respondents) are drawn hollow."""
    style()
    columns = list(dict.fromkeys(segments["segment"]))
    targets = [t for t in dict.fromkeys(segments["target"])]
    names = [labels.get(t, t) for t in targets]
    fig, axes = plt.subplots(
        1, len(columns), figsize=(4.5 * len(columns) + 2, 0.5 * len(targets) + 1.6), sharey=True, squeeze=False
    )
    for ax, column in zip(axes[0], columns):
        rows = segments[segments["segment"] == column]
        levels = list(dict.fromkeys(rows["level_value"].astype(str)))
        for j, level in enumerate(levels):
            part = rows[rows["level_value"].astype(str) == level].set_index("target").reindex(targets)
            y = np.arange(len(targets)) + (j - (len(levels) - 1) / 2) * 0.8 / max(len(levels), 1)
            err = [part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]]
            colour = OKABE_ITO[j % len(OKABE_ITO)]
            tested = bool(part["tested"].fillna(False).astype(bool).any())
            ax.errorbar(part["mean"], y, xerr=err, fmt="o", capsize=2, color=colour, label=level,
                        mfc=colour if tested else "white")
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_title(column, fontsize=9)
        ax.set_xlabel(f"mean ({ci_label(segments)})")
        ax.legend(fontsize=7, frameon=False)
    axes[0][0].set_yticks(range(len(targets)), [wrap(n, 20) for n in names], fontsize=8)
    axes[0][0].invert_yaxis()
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def save(fig: plt.Figure, stem: str | Path) -> None:
    """Write a figure as PNG (200 dpi) and SVG beside each other, then free it.

    The SVG carries no date and salted rather than random element ids, so the same data give
    the same file byte for byte (reruns and diffs stay quiet).
    """
    stem = Path(stem)
    fig.savefig(stem.with_suffix(".png"), dpi=200, bbox_inches="tight")
    with plt.rc_context({"svg.hashsalt": "servqual"}):
        fig.savefig(stem.with_suffix(".svg"), bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)


def interview_code_chart(counts: pd.DataFrame, dimensions: pd.Series, title: str) -> plt.Figure:
    """Coded interview units per dimension and provider gap, problems and strengths side by side.

    ``counts`` has columns dimension, provider_gap (label), valence (problem, strength) and
    n_units, as from :func:`servqual.interviews.dimension_gap_units`; ``dimensions`` maps each
    dimension id to its display text, in report order. One bar per provider gap within each
    dimension (a unit coded with two gaps is in both bars, so bars are not stacked).
    """
    style()
    gaps = sorted(set(counts["provider_gap"]))  # "1 knowledge" .. "4 communication", then "none"
    height = 0.8 / max(len(gaps), 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.7 * len(dimensions) + 1.8), sharex=True, sharey=True)
    for ax, valence in zip(axes, ("problem", "strength")):
        rows = counts[counts["valence"] == valence]
        for j, gap in enumerate(gaps):
            n = rows[rows["provider_gap"] == gap].set_index("dimension")["n_units"]
            y = [i + (j - (len(gaps) - 1) / 2) * height for i in range(len(dimensions))]
            ax.barh(y, n.reindex(dimensions.index, fill_value=0), height=height,
                    color=OKABE_ITO[j % len(OKABE_ITO)], label=gap)
        ax.set_title(f"{valence}s", fontsize=10)
        ax.set_xlabel("coded participant units")
    axes[0].set_yticks(range(len(dimensions)), [wrap(text, 20) for text in dimensions], fontsize=8)
    axes[0].invert_yaxis()
    if gaps:
        fig.legend(*axes[0].get_legend_handles_labels(), title="provider gap", loc="lower center",
                   ncol=len(gaps), fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def wave_trend(scores: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Each score over the waves with its CI, one panel per measure (gap, perception);
    ``scores`` as in ``wave_gaps.csv`` (wave, measure, target, mean, ci_low, ci_high), ``labels``
    maps each target to its text."""
    style()
    measures = list(dict.fromkeys(scores["measure"]))
    fig, axes = plt.subplots(1, len(measures), figsize=(6 * len(measures), 4.5), squeeze=False)
    waves = list(dict.fromkeys(scores["wave"]))
    for ax, measure in zip(axes[0], measures):
        rows = scores[scores["measure"] == measure]
        for j, (target, part) in enumerate(rows.groupby("target", sort=False)):
            x = part["wave"].map({w: i for i, w in enumerate(waves)}) + (j - 2.5) * 0.03
            err = [part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]]
            ax.errorbar(x, part["mean"], yerr=err, fmt="o-", capsize=3, color=OKABE_ITO[j % len(OKABE_ITO)],
                        label=labels.get(target, target), lw=2.5 if target == "overall" else 1)
        if measure == "gap":
            ax.axhline(0, color="grey", lw=1, ls="--")
        ax.set_xticks(range(len(waves)), waves)
        ax.set_ylabel(f"{measure} (mean, {ci_label(scores)})")
        ax.set_title(measure, fontsize=9)
    axes[0][-1].legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def complaint_pareto(pareto: pd.DataFrame, title: str, cut: float = 0.8) -> plt.Figure:
    """Pareto chart of complaint categories: bars by count (vital few darker), the cumulative
    share on a second axis and the ``cut`` line; ``pareto`` as from
    :func:`servqual.complaints.pareto` (category, n_complaints, cumulative_share, vital_few)."""
    style()
    fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * len(pareto) + 2), 4))
    x = np.arange(len(pareto))
    colours = [OKABE_ITO[0] if vital else OKABE_ITO[5] for vital in pareto["vital_few"]]
    ax.bar(x, pareto["n_complaints"], color=colours)
    ax.set_xticks(x, [wrap(c, 12) for c in pareto["category"]], fontsize=8)
    ax.set_ylabel("complaints")
    share = ax.twinx()
    share.plot(x, 100 * pareto["cumulative_share"], "o-", color=OKABE_ITO[3])
    share.axhline(100 * cut, color="grey", lw=1, ls="--")
    share.set_ylim(0, 105)
    share.set_ylabel("cumulative %")
    share.spines["right"].set_visible(True)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def control_chart(monthly: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Control charts of complaints per period: all complaints, then each dimension (``labels``
    maps dimension ids to their text, in report order). Centre line and limits as stepped lines,
    points beyond the limits in vermilion; ``monthly`` as ``complaints_monthly.csv``."""
    style()
    series = [("all", "all", "All complaints"), *[("dimension", d, text) for d, text in labels.items()]]
    cols = 3
    rows = -(-len(series) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
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
        ax.set_ylabel("complaints" if chart == "c" else "rate", fontsize=8)
        ax.set_title(f"{wrap(text, 30)} ({chart}-chart)", fontsize=9)
    for ax in axes.ravel()[len(series):]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
