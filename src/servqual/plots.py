"""Figures in one consistent style: colour-blind-safe palette (Okabe & Ito 2008), CIs drawn
wherever an estimate is shown, wrapped item labels."""

from __future__ import annotations

import textwrap

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei"]


def style() -> None:
    """Apply the project's matplotlib style."""
    plt.rcParams.update(
        {
            "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
            "font.family": "sans-serif",
            "font.sans-serif": FONTS,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100,
            "savefig.dpi": 200,
        }
    )


def wrap(label: str, width: int = 40) -> str:
    """Wrap a long label onto several lines."""
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


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
    ax.set_xlabel("gap P − E (95% CI)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def flow_bars(summary: pd.DataFrame) -> plt.Figure:
    """Cleaning flow: rows read, excluded per rule, kept."""
    style()
    rows = summary[summary["step"] != "cells"]
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


def measure_profile(descriptives: pd.DataFrame, labels: pd.Series, title: str) -> plt.Figure:
    """Mean of each rated measure per row (dimension or item) with its confidence interval.

    ``descriptives`` has columns measure, key (the row's id), mean, ci_low, ci_high, as written
    to ``descriptives.csv``; ``labels`` maps each key to its display text. Rows keep the order
    of ``labels``.
    """
    style()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.4))
    rated = [m for m in MEASURE_COLOURS if m in set(descriptives["measure"])]
    offsets = {m: (j - (len(rated) - 1) / 2) * 0.18 for j, m in enumerate(rated)}
    position = {key: i for i, key in enumerate(labels.index)}
    for measure in rated:
        rows = descriptives[descriptives["measure"] == measure]
        y = rows["key"].map(position) + offsets[measure]
        err = [rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]]
        ax.errorbar(rows["mean"], y, xerr=err, fmt="o", capsize=3, color=MEASURE_COLOURS[measure], label=measure)
    ax.set_yticks(range(len(labels)), [wrap(text, 45) for text in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean (95% CI)")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.set_title(title)
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
    for (_, row), text in zip(ipa.iterrows(), labels):
        ax.annotate(wrap(text, 18), (row["performance"], row["importance"]), fontsize=7,
                    xytext=(4, 3), textcoords="offset points")
    ax.axvline(ipa["performance_cut"].iloc[0], color="grey", lw=1, ls="--")
    ax.axhline(ipa["importance_cut"].iloc[0], color="grey", lw=1, ls="--")
    ax.set_xlabel("performance (mean perception)")
    ax.set_ylabel(f"importance ({ipa['importance_kind'].iloc[0]})")
    ax.legend(fontsize=8, frameon=False, loc="best")
    ax.set_title(title)
    fig.tight_layout()
    return fig


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
