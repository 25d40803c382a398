"""Score (Lagrange multiplier) tests of releasing equality constraints.

A constraint makes two model-matrix entries share one free parameter. Releasing it gives the
second entry a parameter of its own; at the constrained estimates theta^ (where the second
parameter equals the first), the score test of the release is

    LM = s' I^-1 s,   s = d logL / d theta* = -(N / 2) d F_ML / d theta*,

with theta* the parameters of the released model, I its expected information (total over
groups) and df = 1 (Rao 1948; Sörbom 1989, Psychometrika 54(3)). Only the two parameters the
constraint bound have a non-zero score at theta^. These are lavaan's univariate score tests of
the constraints (``lavTestScore(fit)$uni``), the search tool of partial invariance (Byrne,
Shavelson & Muthén 1989, Psychol. Bull. 105(3)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from servqual.distributions import chi2_sf
from servqual.sem.gradient import gradient
from servqual.sem.information import expected_information
from servqual.sem.model import Spec
from servqual.sem.samplestats import GroupStats

__all__ = ["equality_slots", "release_slot", "release_score_tests"]


def equality_slots(spec: Spec) -> np.ndarray:
    """Slots that repeat an earlier slot's free parameter: one per equality constraint.

    >>> from servqual.sem.model import two_occasion_spec
    >>> len(equality_slots(two_occasion_spec([0, 0, 0], 1, equal=("loadings",))))
    2
    """
    first = {}
    repeats = []
    for s, f in enumerate(spec.free):
        if f < 0:
            continue
        if f in first:
            repeats.append(s)
        else:
            first[f] = s
    return np.array(repeats, dtype=int)


def release_slot(spec: Spec, params: np.ndarray, slot: int) -> tuple[Spec, np.ndarray]:
    """The spec with ``slot`` given a free parameter of its own (appended), and the parameters
    extended so that the new one starts at the value it shared."""
    free = spec.free.copy()
    shared = free[slot]
    free[slot] = spec.n_free
    return replace(spec, free=free), np.append(params, params[shared])


def release_score_tests(spec: Spec, stats_list: Sequence[GroupStats], params: np.ndarray,
                        slots: Sequence[int] | None = None) -> pd.DataFrame:
    """Score test of releasing each equality constraint (formula in the module docstring).

    Parameters
    ----------
    spec, stats_list, params
        A fitted model with equality constraints: its spec, sample statistics and ML estimates.
    slots : sequence of int, optional
        The slots whose constraint is tested; default all of :func:`equality_slots`.

    Returns
    -------
    pd.DataFrame
        Columns slot, chisq (LM), df (1), pvalue, epc (expected change of the released
        parameter away from the shared value, I^-1 s of it).
    """
    slots = equality_slots(spec) if slots is None else np.asarray(slots, dtype=int)
    n = sum(st.n for st in stats_list)
    rows = []
    for slot in slots:
        released, extended = release_slot(spec, params, slot)
        score = -n / 2 * gradient(released, stats_list, extended)
        step = np.linalg.solve(expected_information(released, stats_list, extended), score)
        lm = float(score @ step)
        rows.append(dict(slot=int(slot), chisq=lm, df=1, pvalue=float(chi2_sf(lm, 1)), epc=float(step[-1])))
    return pd.DataFrame(rows, columns=["slot", "chisq", "df", "pvalue", "epc"])
