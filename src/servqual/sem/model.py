"""Model specification: the parameter table of a (multi-group) factor model and its matrices.

A model is a list of "slots", one per entry of a model matrix that is free or fixed to a
non-zero value (lavaan's parameter table, ``lav_partable.R``); slots sharing a key share one
free parameter, which is how equality constraints across groups are written. The matrices are
those of the LISREL all-y notation (Jöreskog 1973; lavaan's ``lav_model_implied.R``):

    Sigma = Lambda A Psi A' Lambda' + Theta,   mu = nu + Lambda A alpha,   A = (I - B)^-1,

Lambda the loadings (items x latents), B the regressions among latents (second-order paths),
Psi the latent (co)variances, Theta the residual (co)variances, nu the intercepts and alpha the
latent means. A single-group model is the same code with G = 1.

References: Jöreskog, K. G. (1973). A general method for estimating a linear structural equation
system. In Goldberger & Duncan (eds.), Structural Equation Models in the Social Sciences;
Rosseel, Y. (2012). lavaan: an R package for structural equation modeling. J. Stat. Softw. 48(2).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Literal

import numpy as np

__all__ = [
    "ALPHA", "BETA", "KIND_NAMES", "LAMBDA", "MODELS", "NU", "OCCASION_EQUALITIES", "ONE_FACTOR_NAME", "PSI",
    "SECOND_ORDER_NAME", "THETA", "VARIANCE_KINDS", "GroupLayout", "Matrices", "Model", "Spec", "build_spec",
    "cfa_slots", "entry_directions", "group_matrices", "identification_problem", "measurement_layout",
    "measurement_spec", "model_indicators", "multigroup_spec", "slot_values", "split_matrices", "structural_spec",
    "two_occasion_spec",
]

Model = Literal["one_factor", "instrument", "second_order"]
MODELS: tuple[Model, ...] = ("one_factor", "instrument", "second_order")
ONE_FACTOR_NAME = "general"
SECOND_ORDER_NAME = "service_quality"

#: Slot kinds: the model matrix a slot belongs to.
LAMBDA, BETA, PSI, THETA, NU, ALPHA = range(6)
KIND_NAMES = ("lambda", "beta", "psi", "theta", "nu", "alpha")
VARIANCE_KINDS = (PSI, THETA)

Slot = tuple[int, int, int, int, Hashable | None, float]


@dataclass(frozen=True)
class Spec:
    """Parameter table of a factor model over one or more groups.

    One row ("slot") per model-matrix entry that is free or fixed to a non-zero value; slots
    sharing a free index are constrained equal. ``free == -1`` marks a fixed slot.
    """

    n_items: int
    n_factors: int
    n_groups: int
    meanstructure: bool
    kind: np.ndarray
    group: np.ndarray
    row: np.ndarray
    col: np.ndarray
    free: np.ndarray
    value: np.ndarray

    @property
    def n_free(self) -> int:
        """Number of free parameters (equal slots count once)."""
        return int(self.free.max()) + 1

    @property
    def df(self) -> int:
        """Degrees of freedom: G (p (p + 1) / 2 [+ p]) moments minus the free parameters."""
        p = self.n_items
        moments = p * (p + 1) // 2 + (p if self.meanstructure else 0)
        return self.n_groups * moments - self.n_free

    def variance_parameters(self) -> np.ndarray:
        """Free indices of the variances (diagonal of Psi and Theta)."""
        diagonal = np.isin(self.kind, VARIANCE_KINDS) & (self.row == self.col) & (self.free >= 0)
        return np.unique(self.free[diagonal])

    @cached_property
    def layouts(self) -> tuple[GroupLayout, ...]:
        """:class:`GroupLayout` of every group, built once per spec (every fit evaluates the
        model matrices and their derivatives many times)."""
        return tuple(_group_layout(self, g) for g in range(self.n_groups))


def build_spec(slots: Iterable[Slot], n_items: int, n_factors: int, n_groups: int,
               meanstructure: bool) -> Spec:
    """Turn (kind, group, row, col, key, value) slots into a :class:`Spec`.

    A slot with key None is fixed to its value; slots with equal keys share one free parameter
    (an equality constraint), numbered in order of first appearance.

    Examples
    --------
    >>> spec = build_spec([(LAMBDA, 0, 0, 0, None, 1.0), (LAMBDA, 0, 1, 0, "l1", 0.0),
    ...                    (PSI, 0, 0, 0, "psi", 0.0), (THETA, 0, 0, 0, "t0", 0.0),
    ...                    (THETA, 0, 1, 1, "t1", 0.0)], 2, 1, 1, False)
    >>> spec.n_free, spec.df
    (4, -1)
    """
    rows = list(slots)
    keys: dict[Hashable, int] = {}
    free = [-1 if key is None else keys.setdefault(key, len(keys)) for *_, key, _ in rows]
    kind, group, row, col, _, value = zip(*rows)
    return Spec(n_items, n_factors, n_groups, meanstructure, np.array(kind), np.array(group),
                np.array(row), np.array(col), np.array(free), np.array(value, dtype=float))


def cfa_slots(factor_of_item: Sequence[int], n_factors: int, group: int, *, key_prefix: Hashable,
              shared_loadings: bool = False,
              residual_covariances: Sequence[tuple[int, int]] = ()) -> list[Slot]:
    """Slots of a simple-structure CFA in one group: loadings, factor (co)variances, residuals.

    The first item of each factor is its marker (loading fixed to 1; lavaan's default
    ``std.lv = FALSE``). With ``shared_loadings`` the free loadings carry group-free keys so
    that all groups share them (metric invariance). ``residual_covariances`` are pairs of item
    indices whose residuals covary freely.
    """
    slots: list[Slot] = []
    seen: set[int] = set()
    for i, j in enumerate(factor_of_item):
        if j in seen:
            key = ("lambda", i) if shared_loadings else (key_prefix, "lambda", i)
            slots.append((LAMBDA, group, i, j, key, 0.0))
        else:
            seen.add(j)
            slots.append((LAMBDA, group, i, j, None, 1.0))
    slots += [(PSI, group, k, l, (key_prefix, "psi", k, l), 0.0) for k in range(n_factors) for l in range(k + 1)]
    slots += [(THETA, group, i, i, (key_prefix, "theta", i), 0.0) for i in range(len(factor_of_item))]
    slots += [(THETA, group, max(i, j), min(i, j), (key_prefix, "theta", max(i, j), min(i, j)), 0.0)
              for i, j in residual_covariances]
    return slots


def measurement_spec(factor_of_item: Sequence[int], n_factors: int, *, second_order: bool = False,
                     residual_covariances: Sequence[tuple[int, int]] = ()) -> Spec:
    """Single-group spec without mean structure: correlated factors, or one second-order factor.

    The one-factor model is the case ``n_factors = 1``. With ``second_order`` the second-order
    factor is the last latent variable, the first dimension its marker, and the first-order
    factors have disturbance variances only (no covariances).

    Examples
    --------
    >>> spec = measurement_spec([0, 0, 0, 1, 1, 1, 2, 2, 2], 3)  # Holzinger-Swineford
    >>> spec.n_free, spec.df
    (21, 24)
    """
    p = len(factor_of_item)
    slots = cfa_slots(factor_of_item, n_factors, 0, key_prefix=0, residual_covariances=residual_covariances)
    if not second_order:
        return build_spec(slots, p, n_factors, 1, False)
    q = n_factors
    slots = [s for s in slots if s[0] != PSI]
    slots += [(BETA, 0, k, q, None if k == 0 else ("beta", k), 1.0 if k == 0 else 0.0) for k in range(n_factors)]
    slots += [(PSI, 0, k, k, ("psi", k), 0.0) for k in range(n_factors + 1)]
    return build_spec(slots, p, n_factors + 1, 1, False)


def multigroup_spec(factor_of_item: Sequence[int], n_factors: int, n_groups: int, *,
                    equal: Sequence[str] = (), released: Iterable[tuple[str, int]] = ()) -> Spec:
    """Multi-group spec with mean structure and lavaan's ``group.equal`` constraints.

    ``equal`` may hold ``"loadings"``, ``"intercepts"`` and ``"residuals"`` (residual variances).
    Latent means are 0 in every group, except that with equal intercepts they are free in groups
    2..G (lavaan's identification of ``cfa(model, group = , group.equal = )``). ``released``
    lists (constraint, item) pairs left out of those equalities, the parameter then free in every
    group (lavaan's ``group.partial``).

    Examples
    --------
    >>> multigroup_spec([0, 0, 0, 1, 1, 1, 2, 2, 2], 3, 2, equal=("loadings",)).df
    54
    >>> multigroup_spec([0, 0, 0, 1, 1, 1, 2, 2, 2], 3, 2, equal=OCCASION_EQUALITIES, released=[("intercepts", 2)]).df
    68
    """
    p, released = len(factor_of_item), set(released)

    def shared(constraint: str, i: int) -> bool:
        return constraint in equal and (constraint, i) not in released

    slots: list[Slot] = []
    for g in range(n_groups):
        for kind, group, row, col, key, value in cfa_slots(factor_of_item, n_factors, g, key_prefix=g):
            if key is not None and kind == LAMBDA and shared("loadings", row):
                key = ("lambda", row)
            elif kind == THETA and row == col and shared("residuals", row):
                key = ("theta", row)
            slots.append((kind, group, row, col, key, value))
        slots += [(NU, g, i, 0, ("nu", i) if shared("intercepts", i) else (g, "nu", i), 0.0) for i in range(p)]
        if "intercepts" in equal and g > 0:
            slots += [(ALPHA, g, k, 0, (g, "alpha", k), 0.0) for k in range(n_factors)]
    return build_spec(slots, p, n_factors, n_groups, True)


#: Equality constraints between two occasions and the slots they bind.
OCCASION_EQUALITIES = ("loadings", "intercepts", "residuals")


def two_occasion_spec(factor_of_item: Sequence[int], n_factors: int, *, equal: Sequence[str] = (),
                      released: Iterable[tuple[str, int]] = ()) -> Spec:
    """Single-group spec of the same items measured twice (e.g. expectations, then perceptions).

    Items 0..p-1 are the first occasion and p..2p-1 the second, item i + p being item i again;
    factors 0..k-1 and k..2k-1 likewise. All 2k factors covary, the residuals of item i on the
    two occasions covary, and the mean structure is free (intercepts per item, latent means 0),
    as a longitudinal CFA (Widaman, Ferrer & Conger 2010, Child Dev. Perspect. 4(1)).
    ``equal`` may hold ``"loadings"`` (each second-occasion loading equal to the first's),
    ``"intercepts"`` (equal intercepts; the second occasion's latent means are then free) and
    ``"residuals"`` (equal residual variances); ``released`` lists (constraint, item) pairs left
    out of those equalities (partial invariance).

    Examples
    --------
    >>> two_occasion_spec([0, 0, 0, 1, 1, 1], 2).df  # 12 observed: 90 moments, 48 parameters
    42
    >>> two_occasion_spec([0, 0, 0, 1, 1, 1], 2, equal=("loadings", "intercepts")).df
    50
    """
    p, k = len(factor_of_item), n_factors
    released = set(released)

    def key(constraint: str, occasion: int, i: int) -> tuple:
        shared = constraint in equal and (constraint, i) not in released
        return (constraint, i) if shared else (constraint, occasion, i)

    slots: list[Slot] = []
    for occasion in (0, 1):
        seen: set[int] = set()
        for i, j in enumerate(factor_of_item):
            marker = j not in seen
            seen.add(j)
            slots.append((LAMBDA, 0, occasion * p + i, occasion * k + j,
                          None if marker else key("loadings", occasion, i), 1.0 if marker else 0.0))
        slots += [(NU, 0, occasion * p + i, 0, key("intercepts", occasion, i), 0.0) for i in range(p)]
        slots += [(THETA, 0, occasion * p + i, occasion * p + i, key("residuals", occasion, i), 0.0)
                  for i in range(p)]
    slots += [(THETA, 0, p + i, i, ("paired", i), 0.0) for i in range(p)]
    slots += [(PSI, 0, a, b, ("psi", a, b), 0.0) for a in range(2 * k) for b in range(a + 1)]
    if "intercepts" in equal:
        slots += [(ALPHA, 0, k + j, 0, ("alpha", j), 0.0) for j in range(k)]
    return build_spec(slots, 2 * p, 2 * k, 1, True)


def structural_spec(factor_of_item: Sequence[int], n_factors: int,
                    regressions: Mapping[int, Sequence[int]]) -> Spec:
    """Single-group spec of a structural model: a measurement model plus regressions among the
    latent variables (lavaan's ``sem()`` defaults).

    Each observed variable loads on one factor (the first of each factor is its marker); a factor
    with one indicator is that variable itself (loading 1, residual variance 0), as lavaan treats
    an observed outcome in a regression. ``regressions`` maps a dependent factor to its
    predictors: eta = B eta + zeta. Exogenous factors covary freely; each dependent factor has a
    disturbance variance, and the disturbances of the final outcomes (dependents that predict
    nothing) covary, as lavaan's ``auto.cov.y``. No mean structure.

    Examples
    --------
    >>> spec = structural_spec([0, 0, 0, 1, 1, 1, 2, 3], 4, {2: [0, 1], 3: [2]})  # two factors -> y1 -> y2
    >>> spec.n_free, spec.df
    (18, 18)
    """
    p = len(factor_of_item)
    sizes = np.bincount(factor_of_item, minlength=n_factors)
    dependent = set(regressions)
    predictors = {k for ks in regressions.values() for k in ks}
    slots: list[Slot] = []
    seen: set[int] = set()
    for i, j in enumerate(factor_of_item):
        marker = j not in seen
        seen.add(j)
        slots.append((LAMBDA, 0, i, j, None if marker else ("lambda", i), 1.0 if marker else 0.0))
        if sizes[j] > 1:
            slots.append((THETA, 0, i, i, ("theta", i), 0.0))
    slots += [(BETA, 0, k, l, ("beta", k, l), 0.0) for k, ks in regressions.items() for l in ks]
    exogenous = [k for k in range(n_factors) if k not in dependent]
    slots += [(PSI, 0, max(a, b), min(a, b), ("psi", a, b), 0.0) for i, a in enumerate(exogenous)
              for b in exogenous[:i + 1]]
    slots += [(PSI, 0, k, k, ("zeta", k), 0.0) for k in sorted(dependent)]
    final = sorted(dependent - predictors)
    slots += [(PSI, 0, b, a, ("zeta", b, a), 0.0) for i, a in enumerate(final) for b in final[i + 1:]]
    return build_spec(slots, p, n_factors, 1, False)


@dataclass(frozen=True)
class Matrices:
    """Model matrices and implied moments of one group."""

    lam: np.ndarray
    beta: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    nu: np.ndarray
    alpha: np.ndarray
    a_inv: np.ndarray  # A = (I - B)^-1
    eta_cov: np.ndarray  # M = A Psi A'
    sigma: np.ndarray
    mu: np.ndarray


@cache
def _matrix_shapes(p: int, m: int) -> tuple[tuple[tuple[int, ...], int, int], ...]:
    """Shape, start and end of Lambda, B, Psi, Theta, nu and alpha laid end to end (kind order)."""
    shapes = ((p, m), (m, m), (m, m), (p, p), (p,), (m,))
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes]).tolist()
    return tuple(zip(shapes, bounds[:-1], bounds[1:]))


def _flat_positions(kind: np.ndarray, row: np.ndarray, col: np.ndarray, p: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of model-matrix entries in the six matrices laid end to end (kind order), and
    for each position the entry it comes from: a symmetric (Psi, Theta) off-diagonal entry
    fills both (row, col) and (col, row)."""
    layout = _matrix_shapes(p, m)
    offset = np.array([start for _, start, _ in layout])[kind]
    width = np.array([shape[-1] if len(shape) == 2 else 1 for shape, _, _ in layout])[kind]
    vector = np.array([len(shape) == 1 for shape, _, _ in layout])[kind]
    position = offset + np.where(vector, row, row * width + col)
    mirror = np.flatnonzero(np.isin(kind, VARIANCE_KINDS) & (row != col))
    source = np.concatenate([np.arange(len(kind)), mirror])
    return np.concatenate([position, offset[mirror] + col[mirror] * width[mirror] + row[mirror]]), source


def split_matrices(flat: np.ndarray, p: int, m: int) -> list[np.ndarray]:
    """Views of Lambda, B, Psi, Theta, nu and alpha in an array whose last axis holds them end to
    end (leading axes, e.g. one per direction of a derivative, are kept)."""
    lead = flat.shape[:-1]
    return [flat[..., a:b].reshape(*lead, *shape) for shape, a, b in _matrix_shapes(p, m)]


def entry_directions(kind: np.ndarray, row: np.ndarray, col: np.ndarray, weights: np.ndarray,
                     p: int, m: int) -> np.ndarray:
    """Derivatives of the model matrices (laid end to end) with respect to parameters that are
    sums of entries: ``weights`` (parameters x entries) says which entries each parameter sets.

    The model matrices are linear in their entries, so these are constant 0/1 arrays.
    """
    position, source = _flat_positions(kind, row, col, p, m)
    out = np.zeros((weights.shape[0], _matrix_shapes(p, m)[-1][2]))
    np.add.at(out.T, position, weights.T[source])
    return out


@dataclass(frozen=True)
class GroupLayout:
    """Where the slots of one group go in its model matrices, and the free parameters they carry.

    ``positions`` and ``sources``: the slot values ``value[sources]`` go to ``positions`` of the
    six model matrices laid end to end (:func:`split_matrices`). ``free``: the free parameters
    of the group (sorted); ``directions``: the derivative of the matrices laid end to end with
    respect to each of them (free x entries).
    """

    slots: np.ndarray
    positions: np.ndarray
    sources: np.ndarray
    free: np.ndarray
    directions: np.ndarray


def _group_layout(spec: Spec, g: int) -> GroupLayout:
    p, m = spec.n_items, spec.n_factors
    slots = np.flatnonzero(spec.group == g)
    kind, row, col, key = spec.kind[slots], spec.row[slots], spec.col[slots], spec.free[slots]
    positions, sources = _flat_positions(kind, row, col, p, m)
    free, local = np.unique(key[key >= 0], return_inverse=True)
    onehot = np.zeros((len(free), len(slots)))
    onehot[local, np.flatnonzero(key >= 0)] = 1.0
    return GroupLayout(slots, positions, sources, free, entry_directions(kind, row, col, onehot, p, m))


def slot_values(spec: Spec, params: np.ndarray) -> np.ndarray:
    """Value of every slot: its free parameter, or its fixed value."""
    return np.where(spec.free >= 0, params[np.maximum(spec.free, 0)], spec.value)


def group_matrices(spec: Spec, params: np.ndarray, g: int) -> Matrices:
    """Fill the model matrices of group g and compute the implied moments.

    Sigma = Lambda A Psi A' Lambda' + Theta and mu = nu + Lambda A alpha, A = (I - B)^-1
    (lavaan's ``computeSigmaHat`` and ``computeMuHat``).
    """
    p, m = spec.n_items, spec.n_factors
    layout = spec.layouts[g]
    flat = np.zeros(layout.directions.shape[1])
    flat[layout.positions] = slot_values(spec, params)[layout.slots][layout.sources]
    lam, beta, psi, theta, nu, alpha = split_matrices(flat, p, m)
    # B is zero in first-order models: A = I without an inversion
    a_inv = np.linalg.inv(np.eye(m) - beta) if beta.any() else np.eye(m)
    eta_cov = a_inv @ psi @ a_inv.T
    sigma = lam @ eta_cov @ lam.T + theta
    mu = nu + lam @ (a_inv @ alpha)
    return Matrices(lam, beta, psi, theta, nu, alpha, a_inv, eta_cov, sigma, mu)


# --------------------------------------------------------------------------------------------
# The instrument's models: item -> dimension
# --------------------------------------------------------------------------------------------


def measurement_layout(item_dimension: Mapping[str, str], model: Model) -> tuple[list[int], list[str]]:
    """Factor index of each item and the factor names (in the instrument's order).

    ``one_factor`` puts every item on :data:`ONE_FACTOR_NAME`; ``second_order`` appends
    :data:`SECOND_ORDER_NAME` after the dimensions.

    >>> measurement_layout({"a1": "a", "b1": "b", "a2": "a"}, "second_order")
    ([0, 1, 0], ['a', 'b', 'service_quality'])
    """
    if model == "one_factor":
        return [0] * len(item_dimension), [ONE_FACTOR_NAME]
    dims = list(dict.fromkeys(item_dimension.values()))
    factors = dims + [SECOND_ORDER_NAME] if model == "second_order" else dims
    return [dims.index(d) for d in item_dimension.values()], factors


def model_indicators(item_dimension: Mapping[str, str], model: Model) -> dict[str, list[str]]:
    """The model as factor -> indicators in order (the first is the marker whose loading is fixed
    to 1): items on their dimensions (``instrument``), all items on ``general`` (``one_factor``),
    and for ``second_order`` also the dimensions on ``service_quality``. First-order factors
    correlate freely only in ``instrument``.

    >>> model_indicators({"a1": "a", "a2": "a", "b1": "b", "b2": "b"}, "one_factor")
    {'general': ['a1', 'a2', 'b1', 'b2']}
    """
    factor_of_item, factors = measurement_layout(item_dimension, model)
    indicators = {factors[k]: [i for i, f in zip(item_dimension, factor_of_item) if f == k]
                  for k in sorted(set(factor_of_item))}
    if model == "second_order":
        indicators[factors[-1]] = factors[:-1]
    return indicators


def identification_problem(factor_of_item: Sequence[int], factors: Sequence[str], df: int, *,
                           second_order: bool = False) -> str:
    """Why a simple-structure model is not identified ('' when it is): a factor with fewer than
    two indicators, a second-order factor over fewer than three, a single factor with fewer than
    three items, or more free parameters than moments (df < 0)."""
    sizes = np.bincount(factor_of_item, minlength=len(set(factor_of_item)))
    single = [factors[k] for k in np.flatnonzero(sizes < 2)]
    if single:
        return f"dimensions with fewer than 2 items cannot be identified: {single}"
    if second_order and len(sizes) < 3:
        return "a second-order factor needs at least 3 dimensions"
    if len(sizes) == 1 and sizes[0] < 3:
        return "a single factor needs at least 3 items"
    if df < 0:
        return f"more free parameters than moments (df = {df})"
    return ""
