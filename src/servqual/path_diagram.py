"""The structural model as a path diagram: boxes for the dimensions and outcomes, arrows with the
standardized paths (β), each outcome's R².

Dimensions stand in a column on the left, the mediator (where there is one) in the middle above
them and the other outcomes on the right, so every arrow points rightwards and no direct path
runs behind the mediator's box; a path that reaches
significance is drawn solid and dark, the others dashed and light (the same rule the report's
text uses to name them).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from servqual.apa import format_value
from servqual.i18n import Messages
from servqual.plots import subplots, wrap

__all__ = ["path_diagram"]

SIGNIFICANT, FAINT = "#0072B2", "#9A9A9A"
BOX = dict(boxstyle="round,pad=0.4", facecolor="white", edgecolor="#333333", linewidth=0.8)


def _columns(paths: pd.DataFrame, mediator: str) -> list[list[str]]:
    """The model's variables in columns from left to right: predictors, mediator, outcomes."""
    outcomes = list(dict.fromkeys(paths["outcome"]))
    first = [p for p in dict.fromkeys(paths["predictor"]) if p not in outcomes]
    if mediator:
        return [first, [mediator], [o for o in outcomes if o != mediator]]
    return [first, outcomes]


#: Height (0..1) under the mediator's box, over which the other columns spread where there is one.
UNDER_MEDIATOR = 0.8


def _places(columns: list[list[str]], mediator: str) -> dict[str, tuple[float, float]]:
    """(x, y) of each box: columns 0..1 wide, boxes spread evenly over the height (under the
    mediator, which stands alone at the top of the middle column)."""
    places = {}
    top = UNDER_MEDIATOR if mediator else 1.0
    for c, names in enumerate(columns):
        x = c / max(len(columns) - 1, 1)
        for r, name in enumerate(names):
            places[name] = (x, top * (1 - (r + 0.5) / len(names)))
    if mediator:
        places[mediator] = (0.5, 0.97)
    return places


def path_diagram(paths: pd.DataFrame, mediator: str, labels: Mapping[str, str], title: str, *,
                 alpha: float = 0.05, language: str = "en") -> Figure:
    """Draw the paths of ``sem_paths`` (outcome, predictor, std_all, pvalue, r2).

    Parameters
    ----------
    paths : pd.DataFrame
        The ``sem_paths`` table of one wave.
    mediator : str
        The mediating outcome ('' for none).
    labels : mapping
        Dimension and outcome id -> the name the reader sees.
    title : str
        Title of the figure.
    alpha : float
        Paths with p below it are drawn as significant.
    language : str
        Language of the legend (the ``figures`` catalogue).
    """
    t = Messages(language)
    columns = _columns(paths, mediator)
    places = _places(columns, mediator)
    height = max(3.0, 0.75 * max(len(c) for c in columns) + 1.2) + (0.9 if mediator else 0.0)
    fig, ax = subplots(figsize=(9, height))
    ax.set_xlim(-0.18, 1.18)
    ax.set_ylim(-0.08, 1.04)
    ax.axis("off")
    r2 = paths.groupby("outcome", sort=False)["r2"].first()
    boxes = {}
    for name, (x, y) in places.items():
        text = wrap(labels.get(name, name), 18)
        if name in r2.index:
            text += "\n" + t("figures.paths_r2", r2=format_value(r2[name], "coef"))
        boxes[name] = ax.text(x, y, text, ha="center", va="center", fontsize=9, bbox=BOX, zorder=3)
    for row in paths.itertuples():
        _arrow(ax, boxes[row.predictor], boxes[row.outcome], row.std_all, row.pvalue < alpha)
    ax.plot([], [], color=SIGNIFICANT, label=t("figures.paths_significant", alpha=f"{alpha:g}".lstrip("0")))
    ax.plot([], [], color=FAINT, linestyle="--", label=t("figures.paths_not_significant"))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.06), ncol=2, fontsize=8, frameon=False)
    fig.suptitle(title, x=0.01, ha="left")
    return fig


def _arrow(ax, source: Text, target: Text, beta: float, significant: bool) -> None:
    """An arrow from box to box, clipped at their edges, with its standardized coefficient 62% of
    the way along. Drawn after the boxes (a higher zorder), whose frames are then in place."""
    colour = SIGNIFICANT if significant else FAINT
    start, end = source.get_position(), target.get_position()
    ax.annotate("", xy=end, xytext=start, zorder=4,
                arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.6 if significant else 0.9,
                                linestyle="-" if significant else "--", shrinkA=3, shrinkB=3,
                                patchA=source.get_bbox_patch(), patchB=target.get_bbox_patch()))
    x, y = np.add(start, np.subtract(end, start) * 0.62)
    ax.text(x, y, format_value(beta, "coef"), ha="center", va="center", fontsize=8, color=colour, zorder=5,
            bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"))
