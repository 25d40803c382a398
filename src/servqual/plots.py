"""Figures in one consistent style: colour-blind-safe palette (Okabe & Ito 2008), CIs drawn
wherever an estimate is shown, wrapped item labels."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

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
