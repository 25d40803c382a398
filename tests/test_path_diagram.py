"""The structural model's path diagram (servqual.path_diagram)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.text import Annotation

from servqual.path_diagram import FAINT, SIGNIFICANT, path_diagram

PATHS = pd.DataFrame({
    "outcome": ["sat", "sat", "ret", "ret"],
    "predictor": ["A", "B", "sat", "A"],
    "std_all": [0.42, 0.03, 0.55, -0.12],
    "pvalue": [0.001, 0.6, 0.0001, 0.04],
    "r2": [0.31, 0.31, 0.40, 0.40],
})


def drawn(fig) -> tuple[list[str], list[Annotation]]:
    ax = fig.axes[0]
    return [t.get_text() for t in ax.texts], [c for c in ax.get_children() if isinstance(c, Annotation)]


def test_every_path_is_an_arrow_with_its_beta_and_significance():
    fig = path_diagram(PATHS, "sat", {"A": "Tangibles", "B": "Empathy", "sat": "Satisfaction", "ret": "Return"}, "t")
    texts, arrows = drawn(fig)
    assert len(arrows) == len(PATHS)
    assert {".420", ".030", ".550", "−.120"} <= set(texts)  # as the report writes β (servqual.apa "coef")
    colours = sorted(a.arrow_patch.get_edgecolor() == plt.matplotlib.colors.to_rgba(SIGNIFICANT) for a in arrows)
    assert colours == [False, True, True, True]  # only B -> sat (p = .6) is faint
    assert any(t.startswith("Satisfaction") and "R² = .310" in t for t in texts)
    assert FAINT != SIGNIFICANT
    plt.close(fig)


def test_the_mediator_stands_between_predictors_and_outcomes():
    fig = path_diagram(PATHS, "sat", {}, "t")
    ax = fig.axes[0]
    x = {t.get_text().split("\n")[0]: t.get_position()[0] for t in ax.texts if "\n" in t.get_text() or t.get_text() in "AB"}
    assert x["A"] < x["sat"] < x["ret"]
    plt.close(fig)
