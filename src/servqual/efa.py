"""Exploratory factor analysis of an item battery, computed as psych::fa computes it.

Sampling adequacy (Kaiser-Meyer-Olkin and Bartlett's sphericity), Horn's parallel analysis,
factor extraction (minimum residual or maximum likelihood), rotation (oblimin, promax, varimax or
none), fit statistics, and the matching of factors to the instrument's dimensions. The numbers
follow psych 2.2.9 (Revelle) and GPArotation 2022.10 (Bernaards & Jennrich) and are tested
against their output on the Holzinger-Swineford (1939) and psych ``bfi`` data.

Why extraction and rotation are implemented here rather than taken from factor-analyzer: the
PyPI release of factor-analyzer (0.5.1) fails with a TypeError under scikit-learn >= 1.8 (it
passes the removed ``force_all_finite`` argument to ``check_array``), and its results differ from
psych::fa in ways a reader of the report would not notice: after an oblique rotation its
communalities are row sums of squared pattern loadings instead of diag(L Phi L'), the factor
correlation matrix is not reordered with the factors, SS loadings ignore Phi, Heywood cases are
clamped silently at a uniqueness of .005, missing values are median-imputed without notice, and
its "minres" is psych's "uls". It also has no parallel analysis and no fit indices. The
algorithms themselves are short (an eigendecomposition inside an L-BFGS-B search, and the
gradient projection rotation of Jennrich 2002), so this module implements them with numpy and
scipy, step for step as psych and GPArotation do, and needs no further dependency.

Missing data are handled by one policy for the whole analysis: ``"listwise"`` (default; only
respondents who answered every item) or ``"pairwise"`` (each correlation from the respondents
who answered both items; the sample size used for tests is then the smallest pairwise count).

Failures that make an analysis impossible (too few respondents, a constant item, a singular
correlation matrix, too many factors, no convergence) raise :class:`EFAError` with the reason, so
that a pipeline can record the status and go on. Problems that leave a solution usable but
suspect (Heywood cases, a just-identified model) are reported in ``warnings``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from servqual.checks import check_items
from servqual.sem.fit import rmsea_interval

Method = Literal["minres", "ml"]
Rotation = Literal["oblimin", "promax", "varimax", "none"]
MissingPolicy = Literal["listwise", "pairwise"]
ParallelRule = Literal["quantile", "mean"]

METHODS: tuple[str, ...] = ("minres", "ml")
ROTATIONS: tuple[str, ...] = ("oblimin", "promax", "varimax", "none")
MISSING_POLICIES: tuple[str, ...] = ("listwise", "pairwise")
PARALLEL_RULES: tuple[str, ...] = ("quantile", "mean")

#: psych bounds uniquenesses below by this value during extraction (optim lower = 0.005).
UNIQUENESS_LOWER_BOUND = 0.005
#: Factor-name prefixes psych uses for each extraction method.
_FACTOR_PREFIX = {"minres": "MR", "ml": "ML"}
_EPS = np.finfo(float).eps
#: Largest number of random numbers drawn at once by the parallel-analysis simulation.
_SIMULATION_CHUNK = 4_000_000
#: Above this many rows parallel analysis draws correlation matrices directly (Wishart) instead
#: of simulating data; below it, the simulated data match what psych::fa.parallel does.
_WISHART_ROWS = 20_000


class EFAError(ValueError):
    """An exploratory factor analysis could not be computed; the message says why."""


# --------------------------------------------------------------------------------------------
# Correlations under the missing-data policy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemCorrelations:
    """Pearson correlations of the items and the sample size behind them.

    Attributes
    ----------
    r : pandas.DataFrame
        Item x item correlation matrix (positive definite).
    n : int
        Respondents used: complete cases (listwise) or the smallest pairwise count (pairwise).
    missing_policy : str
        ``"listwise"`` or ``"pairwise"``.
    """

    r: pd.DataFrame
    n: int
    missing_policy: str


def item_correlations(items: pd.DataFrame, missing: MissingPolicy = "listwise") -> ItemCorrelations:
    """Correlation matrix of an item frame after applying the missing-data policy.

    ``r_ij = cov(x_i, x_j) / (sd_i sd_j)`` over complete cases (listwise) or over the respondents
    who answered both items (pairwise, as R's ``cor(use = "pairwise")``).

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item, NaN = missing.
    missing : {"listwise", "pairwise"}
        Missing-data policy.

    Returns
    -------
    ItemCorrelations

    Raises
    ------
    EFAError
        Fewer than 3 items, fewer respondents than items + 1, a constant item, or a singular or
        indefinite correlation matrix.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [5, 3, 4, 1, 2]})
    >>> float(round(item_correlations(x).r.loc["a", "b"], 2))
    0.8
    """
    _check_factorable(items)
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    values = items.to_numpy(dtype=float)
    if missing == "listwise":
        values = values[~np.isnan(values).any(axis=1)]
        n = len(values)
    else:
        answered = (~np.isnan(values)).astype(float)
        counts = answered.T @ answered
        n = int(counts[~np.eye(len(counts), dtype=bool)].min())
    p = values.shape[1]
    if n <= p:
        raise EFAError(
            f"too few respondents: {n} usable under {missing} deletion for {p} items "
            f"(need more respondents than items)"
        )
    observed = ~np.isnan(values)
    highest = np.where(observed, values, -np.inf).max(axis=0)
    spread = highest - np.where(observed, values, np.inf).min(axis=0)
    constant = items.columns[~(spread > 0)].tolist()  # one value, or none
    if constant:
        raise EFAError(
            f"items without variance cannot be correlated: {', '.join(map(str, constant))}"
        )
    if missing == "listwise":
        # Complete rows: one matrix product (BLAS), not pandas' pair-by-pair loop.
        matrix = np.corrcoef(values, rowvar=False)
        np.fill_diagonal(matrix, 1.0)
        r = pd.DataFrame(matrix, index=items.columns, columns=items.columns)
    else:
        r = pd.DataFrame(values, columns=items.columns).corr(method="pearson")
    if r.isna().to_numpy().any():
        raise EFAError("some item pairs have no respondents in common or no variance in common")
    smallest = np.linalg.eigvalsh(r.to_numpy())[0]
    if smallest <= 1e-10:
        cause = "some items are linear combinations of others"
        if missing == "pairwise":
            cause += ", or pairwise deletion made the correlations inconsistent"
        raise EFAError(
            "the correlation matrix is singular or not positive definite (smallest eigenvalue "
            f"{smallest:.2e}): {cause}"
        )
    return ItemCorrelations(r=r, n=n, missing_policy=missing)


def _check_factorable(items: pd.DataFrame) -> None:
    check_items(items)
    if items.shape[1] < 3:
        raise EFAError(f"factor analysis needs at least 3 items, got {items.shape[1]}")


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1 / diag(R^-1)`` of a stack of correlation matrices,
    clipped to [0, 1] as psych::smc."""
    inverse_diagonal = np.diagonal(np.linalg.inv(r), axis1=-2, axis2=-1)
    return np.clip(1.0 - 1.0 / inverse_diagonal, 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# Sampling adequacy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplingAdequacy:
    """Kaiser-Meyer-Olkin measures and Bartlett's test of sphericity.

    Attributes
    ----------
    kmo : float
        Overall measure of sampling adequacy.
    kmo_items : pandas.Series
        Measure of sampling adequacy per item (index = item ids).
    bartlett_chisq, bartlett_df, bartlett_pvalue : float, int, float
        Bartlett's test that the correlation matrix is an identity matrix.
    n : int
        Respondents used (see :class:`ItemCorrelations`).
    missing_policy : str
        Missing-data policy applied.
    """

    kmo: float
    kmo_items: pd.Series
    bartlett_chisq: float
    bartlett_df: int
    bartlett_pvalue: float
    n: int
    missing_policy: str


def sampling_adequacy(items: pd.DataFrame, missing: MissingPolicy = "listwise") -> SamplingAdequacy:
    """KMO measure of sampling adequacy (overall and per item) and Bartlett's sphericity test.

    ``KMO = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over i != j, with q the partial (anti-image)
    correlations from R^-1; per item the sums run over column i only. Bartlett:
    ``chisq = -(n - 1 - (2p + 5) / 6) ln det R`` with ``p(p - 1)/2`` degrees of freedom.
    As psych::KMO and psych::cortest.bartlett.

    References: Kaiser (1974), Psychometrika 39(1); Bartlett (1951), Biometrika 38(3/4).

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item, NaN = missing.
    missing : {"listwise", "pairwise"}
        Missing-data policy, applied before anything is computed.

    Returns
    -------
    SamplingAdequacy

    Examples
    --------
    >>> from pathlib import Path
    >>> import pandas as pd, semopy
    >>> csv = Path(semopy.__file__).parent / "examples" / "holzinger_swineford39_data.csv"
    >>> hs = pd.read_csv(csv, index_col=0)[[f"x{i}" for i in range(1, 10)]]
    >>> adequacy = sampling_adequacy(hs)
    >>> round(adequacy.kmo, 3), round(adequacy.bartlett_chisq, 2), adequacy.bartlett_df
    (0.752, 904.1, 36)
    """
    corr = item_correlations(items, missing)
    r = corr.r.to_numpy()
    partial = np.linalg.inv(r)
    scale = 1.0 / np.sqrt(np.diag(partial))
    partial = partial * np.outer(scale, scale)
    off = ~np.eye(len(r), dtype=bool)
    r2 = np.where(off, r**2, 0.0)
    q2 = np.where(off, partial**2, 0.0)
    kmo = r2.sum() / (r2.sum() + q2.sum())
    kmo_items = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    p = len(r)
    chisq = -np.linalg.slogdet(r)[1] * (corr.n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return SamplingAdequacy(
        kmo=float(kmo),
        kmo_items=pd.Series(kmo_items, index=corr.r.index, name="kmo"),
        bartlett_chisq=float(chisq),
        bartlett_df=df,
        bartlett_pvalue=float(stats.chi2.sf(chisq, df)),
        n=corr.n,
        missing_policy=corr.missing_policy,
    )


def adequacy_table(adequacy: SamplingAdequacy) -> pd.DataFrame:
    """Tidy table of sampling adequacy: one row per item and an ``overall`` row.

    Columns: ``item`` (item id or ``"overall"``), ``kmo``, ``bartlett_chisq``, ``bartlett_df``,
    ``bartlett_pvalue`` (filled on the overall row only), ``n``, ``missing_policy``.
    """
    items = pd.DataFrame(
        {"item": adequacy.kmo_items.index.astype(str), "kmo": adequacy.kmo_items.to_numpy()}
    )
    overall = pd.DataFrame(
        {
            "item": ["overall"],
            "kmo": [adequacy.kmo],
            "bartlett_chisq": [adequacy.bartlett_chisq],
            "bartlett_df": [adequacy.bartlett_df],
            "bartlett_pvalue": [adequacy.bartlett_pvalue],
        }
    )
    table = pd.concat([overall, items], ignore_index=True)
    table["bartlett_df"] = table["bartlett_df"].astype("Int64")
    table["n"] = adequacy.n
    table["missing_policy"] = adequacy.missing_policy
    return table


# --------------------------------------------------------------------------------------------
# Parallel analysis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParallelAnalysis:
    """Horn's parallel analysis for components and for factors.

    Attributes
    ----------
    items : tuple of str
        Item ids, in the order of the input columns.
    observed_pc, observed_fa : numpy.ndarray
        Eigenvalues of the correlation matrix, and of the reduced matrix with SMCs on the diagonal.
    simulated_pc, simulated_fa : numpy.ndarray
        The same eigenvalues from random normal data of the same n and number of items,
        summarised by the rule (mean, or the quantile, over ``n_iter`` simulations).
    rule : str
        ``"quantile"`` or ``"mean"``; ``quantile`` gives the level used by the quantile rule.
    n_components, n_factors : int
        Leading observed eigenvalues that exceed their simulated counterpart.
    kaiser : int
        Eigenvalues of the correlation matrix above 1, for reference only (Kaiser 1960,
        Educational and Psychological Measurement 20(1)).
    n, n_iter, seed, missing_policy
        Sample size, number of simulations, seed and missing-data policy used.
    """

    items: tuple[str, ...]
    observed_pc: np.ndarray
    simulated_pc: np.ndarray
    observed_fa: np.ndarray
    simulated_fa: np.ndarray
    rule: str
    quantile: float
    n_components: int
    n_factors: int
    kaiser: int
    n: int
    n_iter: int
    seed: int | None
    missing_policy: str

    @property
    def rule_label(self) -> str:
        """The retention rule in words, as written in the output table."""
        if self.rule == "mean":
            return f"mean of {self.n_iter} simulations"
        return f"{100 * self.quantile:g}th percentile of {self.n_iter} simulations"


def parallel_analysis(
    items: pd.DataFrame,
    *,
    n_iter: int = 100,
    rule: ParallelRule = "quantile",
    quantile: float = 0.95,
    seed: int | None = None,
    missing: MissingPolicy = "listwise",
) -> ParallelAnalysis:
    """Horn's parallel analysis: keep the leading eigenvalues that beat those of random data.

    Retain position j while ``lambda_j(observed) > q_j`` where q_j is the 95th percentile (or the
    mean) of the j-th eigenvalue over ``n_iter`` correlation matrices of standard normal data with
    the same n and number of items. Components use the correlation matrix; factors use the
    reduced matrix with squared multiple correlations on the diagonal, as psych::fa.parallel
    with ``SMC = TRUE``.

    References: Horn (1965), Psychometrika 30(2); Glorfeld (1995), Educational and Psychological
    Measurement 55(3) (the 95th percentile rule).

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item, NaN = missing.
    n_iter : int
        Number of simulated data sets.
    rule : {"quantile", "mean"}
        Cut on the simulated eigenvalues.
    quantile : float
        Quantile for ``rule="quantile"`` (R's default type 7 interpolation).
    seed : int or None
        Seed of ``numpy.random.default_rng``.
    missing : {"listwise", "pairwise"}
        Missing-data policy; the simulated data have the resulting n.

    Returns
    -------
    ParallelAnalysis

    Examples
    --------
    On Holzinger-Swineford x1..x9 (psych::fa.parallel also suggests 3 and 3):

    >>> from pathlib import Path
    >>> import pandas as pd, semopy
    >>> csv = Path(semopy.__file__).parent / "examples" / "holzinger_swineford39_data.csv"
    >>> hs = pd.read_csv(csv, index_col=0)[[f"x{i}" for i in range(1, 10)]]
    >>> analysis = parallel_analysis(hs, seed=1)
    >>> analysis.n_factors, analysis.n_components, analysis.kaiser
    (3, 3, 3)
    """
    if rule not in PARALLEL_RULES:
        raise ValueError(f"rule must be one of {PARALLEL_RULES}, got {rule!r}")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must lie between 0 and 1, got {quantile}")
    if int(n_iter) < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter}")
    corr = item_correlations(items, missing)
    r = corr.r.to_numpy()
    observed_pc, observed_fa = _pc_and_fa_eigenvalues(r[np.newaxis])
    simulated = np.stack(
        _simulated_eigenvalues(corr.n, len(r), int(n_iter), np.random.default_rng(seed))
    )
    if rule == "mean":
        cut_pc, cut_fa = simulated.mean(axis=1)
    else:
        cut_pc, cut_fa = np.quantile(simulated, quantile, axis=1)
    return ParallelAnalysis(
        items=tuple(map(str, corr.r.index)),
        observed_pc=observed_pc[0],
        simulated_pc=cut_pc,
        observed_fa=observed_fa[0],
        simulated_fa=cut_fa,
        rule=rule,
        quantile=quantile,
        n_components=_leading_exceedances(observed_pc[0], cut_pc),
        n_factors=_leading_exceedances(observed_fa[0], cut_fa),
        kaiser=int((observed_pc[0] > 1.0).sum()),
        n=corr.n,
        n_iter=int(n_iter),
        seed=seed,
        missing_policy=corr.missing_policy,
    )


def _pc_and_fa_eigenvalues(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Descending eigenvalues of a stack of correlation matrices and of their SMC-reduced forms."""
    pc = np.linalg.eigvalsh(r)[..., ::-1]
    reduced = r.copy()
    diagonal = np.arange(r.shape[-1])
    reduced[..., diagonal, diagonal] = _smc(r)
    fa = np.linalg.eigvalsh(reduced)[..., ::-1]
    return pc, fa


def _wishart_correlations(n: int, p: int, n_iter: int, rng: np.random.Generator) -> np.ndarray:
    """``n_iter`` correlation matrices of n x p standard normal data, drawn without the data.

    The centred cross-product matrix of such data is Wishart(n - 1, I); by Bartlett's (1933,
    Proc. Royal Society of Edinburgh 53) decomposition it is ``L L'`` with L lower triangular,
    ``L_ii = sqrt(chi2(n - 1 - i))`` and ``L_ij ~ N(0, 1)`` below the diagonal. Same
    distribution as simulating the data, at a cost that does not grow with n.
    """
    lower = np.tril(rng.standard_normal((n_iter, p, p)), -1)
    diagonal = np.arange(p)
    lower[:, diagonal, diagonal] = np.sqrt(rng.chisquare(n - 1 - diagonal, size=(n_iter, p)))
    cross = np.matmul(lower, lower.transpose(0, 2, 1))
    scale = 1 / np.sqrt(cross[:, diagonal, diagonal])
    return cross * scale[:, :, None] * scale[:, None, :]


def _simulated_eigenvalues(
    n: int, p: int, n_iter: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of ``n_iter`` correlation matrices of n x p standard normal data, in chunks;
    beyond ``_WISHART_ROWS`` rows the matrices are drawn from their Wishart distribution."""
    if n > _WISHART_ROWS:
        return _pc_and_fa_eigenvalues(_wishart_correlations(n, p, n_iter, rng))
    chunk = max(1, _SIMULATION_CHUNK // (n * p))
    pcs, fas = [], []
    for start in range(0, n_iter, chunk):
        z = rng.standard_normal((min(chunk, n_iter - start), n, p))
        z -= z.mean(axis=1, keepdims=True)
        z /= np.linalg.norm(z, axis=1, keepdims=True)
        pc, fa = _pc_and_fa_eigenvalues(np.matmul(z.transpose(0, 2, 1), z))
        pcs.append(pc)
        fas.append(fa)
    return np.concatenate(pcs), np.concatenate(fas)


def _leading_exceedances(observed: np.ndarray, cut: np.ndarray) -> int:
    """Number of leading positions where the observed eigenvalue exceeds the cut (psych's rule)."""
    below = np.flatnonzero(~(observed > cut))
    return int(below[0]) if below.size else len(observed)


def parallel_analysis_table(analysis: ParallelAnalysis) -> pd.DataFrame:
    """Tidy table of a parallel analysis: one row per eigenvalue position.

    Columns: ``position`` (1-based), ``observed_pc``, ``simulated_pc``, ``observed_fa``,
    ``simulated_fa`` (the simulated values are the rule's cut), ``rule`` (in words),
    ``retained_pc``, ``retained_fa`` (position within the suggested number), ``kaiser``
    (observed component eigenvalue > 1; reference only), ``n``, ``n_iter``, ``seed``,
    ``missing_policy``. The suggested numbers are the sums of ``retained_pc`` and ``retained_fa``.
    """
    positions = np.arange(1, len(analysis.observed_pc) + 1)
    return pd.DataFrame(
        {
            "position": positions,
            "observed_pc": analysis.observed_pc,
            "simulated_pc": analysis.simulated_pc,
            "observed_fa": analysis.observed_fa,
            "simulated_fa": analysis.simulated_fa,
            "rule": analysis.rule_label,
            "retained_pc": positions <= analysis.n_components,
            "retained_fa": positions <= analysis.n_factors,
            "kaiser": analysis.observed_pc > 1.0,
            "n": analysis.n,
            "n_iter": analysis.n_iter,
            "seed": pd.array([analysis.seed] * len(positions), dtype="Int64"),
            "missing_policy": analysis.missing_policy,
        }
    )


# --------------------------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------------------------


def _top_eigen(s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenvalues (descending) and their eigenvectors of a symmetric matrix."""
    values, vectors = np.linalg.eigh(s)
    return values[::-1][:k], vectors[:, ::-1][:, :k]


def _minres_loadings(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """Principal-axis loadings of ``R - diag(psi)`` (psych's FAout.wls)."""
    values, vectors = _top_eigen(r - np.diag(psi), k)
    return vectors * np.sqrt(np.maximum(values, 0.0))


def _minres_objective(psi: np.ndarray, r: np.ndarray, k: int) -> float:
    """Sum of squared off-diagonal residuals (psych's fit.residuals with fm = "minres")."""
    reduced = r - np.diag(psi)
    values, vectors = _top_eigen(reduced, k)
    values = np.where(values < _EPS, 100 * _EPS, values)
    loadings = vectors * np.sqrt(values)
    residual = (reduced - loadings @ loadings.T)[np.tril_indices(len(r), -1)]
    return float(residual @ residual)


def _minres_gradient(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """psych's FAgr.minres: implied communality minus the communality ``1 - psi``."""
    loadings = _minres_loadings(psi, r, k)
    return np.einsum("ij,ij->i", loadings, loadings) + psi - np.diag(r)


def _ml_loadings(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """ML loadings given uniquenesses (psych's FAout; Joreskog 1967)."""
    scale = 1.0 / np.sqrt(psi)
    values, vectors = _top_eigen(r * np.outer(scale, scale), k)
    return np.sqrt(psi)[:, None] * vectors * np.sqrt(np.maximum(values - 1.0, 0.0))


def _ml_objective(psi: np.ndarray, r: np.ndarray, k: int) -> float:
    """ML discrepancy concentrated on psi (psych's FAfn).

    ``-sum(ln e - e) + k - p`` over the p - k smallest eigenvalues e of Psi^-1/2 R Psi^-1/2.
    """
    scale = 1.0 / np.sqrt(psi)
    e = np.linalg.eigvalsh(r * np.outer(scale, scale))[::-1][k:]
    return float(-(np.sum(np.log(e) - e) - k + len(r)))


def _ml_gradient(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """psych's FAgr: ``diag(L L' + Psi - R) / psi^2``."""
    loadings = _ml_loadings(psi, r, k)
    return (np.einsum("ij,ij->i", loadings, loadings) + psi - np.diag(r)) / psi**2


_EXTRACTORS = {
    "minres": (_minres_objective, _minres_gradient, _minres_loadings),
    "ml": (_ml_objective, _ml_gradient, _ml_loadings),
}


def _extract(r: np.ndarray, k: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Unrotated loadings and uniquenesses, searched as psych's ``fac`` does.

    psych calls R's optim L-BFGS-B from psi = 1 - SMC with bounds [.005, 1], parscale .01,
    memory 5, factr 1e7 and at most 100 iterations; the same settings are used here (the
    parameters are divided by the parscale so that the search takes the same steps).
    """
    objective, gradient, loadings_of = _EXTRACTORS[method]
    scale = 0.01
    start = 1.0 - _smc(r)
    result = optimize.minimize(
        lambda x: objective(x * scale, r, k),
        start / scale,
        jac=lambda x: gradient(x * scale, r, k) * scale,
        method="L-BFGS-B",
        bounds=[(UNIQUENESS_LOWER_BOUND / scale, 1.0 / scale)] * len(r),
        options={"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 100},
    )
    psi = result.x * scale
    if result.status != 0:
        _check_estimating_equations(psi, r, k, method, gradient, result.message)
    return loadings_of(psi, r, k), psi


def _check_estimating_equations(
    psi: np.ndarray,
    r: np.ndarray,
    k: int,
    method: str,
    gradient: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
    message: str,
) -> None:
    """Raise unless the uniquenesses solve the estimating equations where they are not at a bound.

    Called when the search stopped without reporting convergence (iteration limit or a failed
    line search, which psych's approximate minres gradient can cause). At a solution the implied
    communalities equal ``1 - psi``; a discrepancy above 1e-3 means the search stopped short.
    """
    g = gradient(psi, r, k) * (psi**2 if method == "ml" else 1.0)
    at_lower = psi <= UNIQUENESS_LOWER_BOUND * (1 + 1e-6)
    at_upper = psi >= 1.0 - 1e-9
    free = ~((at_lower & (g > 0)) | (at_upper & (g < 0)))
    worst = float(np.abs(g[free]).max(initial=0.0))
    if worst > 1e-3:
        raise EFAError(
            f"{method} extraction of {k} factors did not converge ({message}; largest "
            f"communality discrepancy {worst:.2g})"
        )


# --------------------------------------------------------------------------------------------
# Rotation
# --------------------------------------------------------------------------------------------


def _varimax(loadings: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Varimax with Kaiser normalisation, as R's stats::varimax (used by psych).

    Maximises ``sum_j [sum_i l_ij^4 / p - (sum_i l_ij^2 / p)^2]`` of the row-normalised loadings
    by Kaiser's (1958, Psychometrika 23(3)) SVD iteration. Returns the rotated loadings and
    the orthogonal rotation matrix T (rotated = loadings @ T).
    """
    row_norm = np.sqrt(np.einsum("ij,ij->i", loadings, loadings))
    x = loadings / row_norm[:, None]
    p, k = x.shape
    rotation = np.eye(k)
    criterion = 0.0
    for _ in range(1000):
        z = x @ rotation
        u, d, vt = np.linalg.svd(x.T @ (z**3 - z * (z**2).sum(axis=0) / p))
        rotation = u @ vt
        previous, criterion = criterion, d.sum()
        if criterion < previous * (1 + eps):
            break
    return (x @ rotation) * row_norm[:, None], rotation


def _promax(loadings: np.ndarray, power: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Promax after Kaiser row normalisation, as psych's ``rotate = "promax"``.

    Rows are divided by sqrt(h2), varimax-rotated, then an oblique transform U is fitted by least
    squares to the target ``x |x|^(power - 1)`` and rescaled so the factors have unit variance;
    ``Phi = U^-1 U^-T`` (Hendrickson & White 1964, British J. Statistical Psychology 17(1)).
    Returns the pattern loadings and Phi.
    """
    row_norm = np.sqrt(np.einsum("ij,ij->i", loadings, loadings))
    x, varimax_rotation = _varimax(loadings / row_norm[:, None])
    target = x * np.abs(x) ** (power - 1)
    u = np.linalg.lstsq(x, target, rcond=None)[0]
    u = u * np.sqrt(np.diag(np.linalg.inv(u.T @ u)))
    inverse = np.linalg.inv(varimax_rotation @ u)
    return (x @ u) * row_norm[:, None], inverse @ inverse.T


def _quartimin_criterion(loadings: np.ndarray) -> tuple[float, np.ndarray]:
    """Oblimin criterion with gamma 0, ``sum_i sum_(j != m) l_ij^2 l_im^2 / 4``, and its gradient
    in the loadings (GPArotation's vgQ.oblimin)."""
    squares = loadings**2
    x = squares @ (1.0 - np.eye(loadings.shape[1]))
    return float(np.sum(squares * x) / 4), loadings * x


def _oblimin(
    loadings: np.ndarray,
    start: np.ndarray,
    eps: float = 1e-5,
    max_iter: int = 1000,
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Oblique gradient projection rotation (GPArotation's GPFoblq), oblimin with gamma 0.

    Minimises the criterion over T with unit-length columns; pattern = A T^-T, Phi = T'T
    (Jennrich 2002, Psychometrika 67(1); Bernaards & Jennrich 2005, Educational and
    Psychological Measurement 65(5)). Returns pattern, Phi, criterion value and convergence.
    """
    rotation = start
    pattern = loadings @ np.linalg.inv(rotation).T
    criterion, gq = _quartimin_criterion(pattern)
    gradient = -(pattern.T @ gq @ np.linalg.inv(rotation)).T
    step = 1.0
    converged = False
    for _ in range(max_iter + 1):
        projected = gradient - rotation * np.sum(rotation * gradient, axis=0)
        size = np.sqrt(np.sum(projected**2))
        if size < eps:
            converged = True
            break
        step *= 2
        for _ in range(11):
            candidate = rotation - step * projected
            candidate = candidate / np.sqrt(np.sum(candidate**2, axis=0))
            pattern = loadings @ np.linalg.inv(candidate).T
            new_criterion, gq = _quartimin_criterion(pattern)
            if criterion - new_criterion > 0.5 * size**2 * step:
                break
            step /= 2
        rotation, criterion = candidate, new_criterion
        gradient = -(pattern.T @ gq @ np.linalg.inv(rotation)).T
    return pattern, rotation.T @ rotation, criterion, converged


def _random_rotation(k: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal start (GPArotation's Random.Start: Q of the QR of a normal matrix)."""
    q, _ = np.linalg.qr(rng.standard_normal((k, k)))
    return q


def _rotate(
    loadings: np.ndarray, rotation: str, random_starts: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rotated pattern loadings and factor correlations Phi."""
    k = loadings.shape[1]
    if rotation == "none" or k == 1:
        return loadings, np.eye(k)
    if rotation == "varimax":
        return _varimax(loadings)[0], np.eye(k)
    if rotation == "promax":
        return _promax(loadings)
    starts = [np.eye(k)] + [_random_rotation(k, rng) for _ in range(random_starts)]
    solutions = [_oblimin(loadings, start) for start in starts]
    converged = [s for s in solutions if s[3]]
    if not converged:
        raise EFAError(f"oblimin rotation of {k} factors did not converge in 1000 iterations")
    pattern, phi, _, _ = min(converged, key=lambda s: s[2])
    return pattern, phi


def _positive_sum_signs(loadings: np.ndarray) -> np.ndarray:
    """+1 or -1 per factor so that its loadings sum to a non-negative number (psych's sign rule)."""
    return np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)


def _align(loadings: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip factors so loadings sum positive, then sort by SS loadings diag(Phi L'L), as psych."""
    signs = _positive_sum_signs(loadings)
    loadings = loadings * signs
    phi = phi * np.outer(signs, signs)
    order = np.argsort(-np.diag(phi @ loadings.T @ loadings), kind="stable")
    return loadings[:, order], phi[np.ix_(order, order)]


# --------------------------------------------------------------------------------------------
# Fit
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EFAFit:
    """Fit of the factor model (psych::fa.stats).

    Attributes
    ----------
    objective : float
        ``F = tr(M^-1 R) - ln det(M^-1 R) - p`` with M = L Phi L' + diag(u2).
    chisq, df, pvalue : float, int, float
        ``chisq = (n - 1 - (2p + 5)/6 - 2f/3) F`` and ``df = ((p - f)^2 - (p + f)) / 2``
        (Bartlett 1950, British J. Psychology, Statistical Section 3(2)).
    rmsea, rmsea_ci_low, rmsea_ci_high : float
        ``sqrt(max(chisq / (df n) - 1 / (n - 1), 0))`` and its 90% interval from the noncentral
        chi-square, as psych.
    tli : float
        ``(M0 - Mm) / (M0 - 1 / nm)`` with M0 = F0 / df0, Mm = F / df and nm the chisq
        multiplier (Tucker & Lewis 1973, Psychometrika 38(1)).
    bic : float
        ``chisq - df ln n``.
    """

    objective: float
    chisq: float
    df: int
    pvalue: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    tli: float
    bic: float


def _fit_statistics(r: np.ndarray, loadings: np.ndarray, phi: np.ndarray, n: int) -> EFAFit:
    p, k = loadings.shape
    df = ((p - k) ** 2 - (p + k)) // 2
    model = loadings @ phi @ loadings.T
    np.fill_diagonal(model, 1.0)
    ratio = np.linalg.solve(_smooth(model), r)
    objective = float(np.trace(ratio) - np.linalg.slogdet(ratio)[1] - p)
    multiplier = n - 1 - (2 * p + 5) / 6 - 2 * k / 3
    chisq = max(objective * multiplier, 0.0)
    if df == 0:
        nan = float("nan")
        return EFAFit(objective, chisq, 0, nan, nan, nan, nan, nan, nan)
    null_objective = -np.linalg.slogdet(r)[1]
    m0 = null_objective * 2 / (p * (p - 1))
    tli = (m0 - objective / df) / (m0 - 1 / multiplier)
    rmsea = np.sqrt(max(chisq / (df * n) - 1 / (n - 1), 0.0))
    # psych's RMSEA divides by n - 1 where lavaan's divides by n: the same interval at n - 1.
    low, high = rmsea_interval(chisq, df, n - 1)
    return EFAFit(
        objective=objective,
        chisq=chisq,
        df=df,
        pvalue=float(stats.chi2.sf(chisq, df)),
        rmsea=float(rmsea),
        rmsea_ci_low=low,
        rmsea_ci_high=high,
        tli=float(tli),
        bic=float(chisq - df * np.log(n)),
    )


def _smooth(model: np.ndarray) -> np.ndarray:
    """psych::cor.smooth: lift non-positive eigenvalues, rescale to trace p, rescale to unit
    diagonal."""
    values, vectors = np.linalg.eigh(model)
    if values[0] >= _EPS:
        return model
    values = np.where(values < 1e-12, 100 * 1e-12, values)
    values = values * len(values) / values.sum()
    smoothed = (vectors * values) @ vectors.T
    scale = 1.0 / np.sqrt(np.diag(smoothed))
    return smoothed * np.outer(scale, scale)


# --------------------------------------------------------------------------------------------
# The factor analysis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorSolution:
    """A rotated exploratory factor solution.

    Attributes
    ----------
    loadings : pandas.DataFrame
        Pattern loadings, items x factors; factors sorted by SS loadings and signed so that each
        factor's loadings sum positive, as psych. They are numbered in that order (``MR1``,
        ``MR2``... for minres, ``ML1``... for ML), whereas psych keeps the numbers of the
        unrotated factors (columns may read ``MR1 MR3 MR2`` there).
    structure : pandas.DataFrame
        Structure loadings ``L Phi`` (item-factor correlations).
    phi : pandas.DataFrame
        Factor correlations, ordered and signed with the factors (identity if orthogonal).
    communalities, uniquenesses : pandas.Series
        ``h2 = diag(L Phi L')`` and ``u2 = 1 - h2``.
    complexity : pandas.Series
        Item complexity ``(sum_j l_ij^2)^2 / sum_j l_ij^4`` (Hoffman 1978, Multivariate
        Behavioral Research 13(2)).
    variance : pandas.DataFrame
        Per factor: ``ss_loadings`` (diag(Phi L'L), as psych), ``proportion_var``,
        ``cumulative_var``, ``proportion_explained``, ``cumulative_explained``.
    fit : EFAFit
    heywood_items : tuple of str
        Items with h2 >= 1, u2 <= 0, or a uniqueness estimate at the extraction's lower bound.
    warnings : tuple of str
        Problems that leave the solution usable but suspect.
    n, n_factors, method, rotation, missing_policy
        What was fitted, on how many respondents.
    """

    loadings: pd.DataFrame
    structure: pd.DataFrame
    phi: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    complexity: pd.Series
    variance: pd.DataFrame
    fit: EFAFit
    heywood_items: tuple[str, ...]
    warnings: tuple[str, ...]
    n: int
    n_factors: int
    method: str
    rotation: str
    missing_policy: str

    @property
    def status(self) -> str:
        """``"ok"``, or the warnings joined by ``"; "``."""
        return "; ".join(self.warnings) if self.warnings else "ok"


def factor_analysis(
    items: pd.DataFrame,
    n_factors: int,
    *,
    method: Method = "minres",
    rotation: Rotation = "oblimin",
    missing: MissingPolicy = "listwise",
    random_starts: int = 0,
    seed: int | None = None,
) -> FactorSolution:
    """Exploratory factor analysis of the item correlations, as psych::fa.

    Model ``R = L Phi L' + Psi``. ``method="minres"`` minimises the off-diagonal residual sum of
    squares (Harman & Jones 1966, Psychometrika 31(3)); ``"ml"`` maximises the normal likelihood
    (Joreskog 1967, Psychometrika 32(4)). Rotations: oblimin with gamma 0 (quartimin) by
    gradient projection (Jennrich 2002, Psychometrika 67(1)), psych's promax (Hendrickson & White
    1964), varimax with Kaiser normalisation (Kaiser 1958, Psychometrika 23(3)), or none.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item, NaN = missing.
    n_factors : int
        Number of factors to extract.
    method : {"minres", "ml"}
    rotation : {"oblimin", "promax", "varimax", "none"}
    missing : {"listwise", "pairwise"}
    random_starts : int
        Extra random starting rotations for oblimin, besides psych's identity start; the
        solution with the smallest criterion is kept.
    seed : int or None
        Seed for the random starts.

    Returns
    -------
    FactorSolution

    Raises
    ------
    EFAError
        See :func:`item_correlations`; also too many factors for the number of items (negative
        degrees of freedom), or an extraction or rotation that does not converge.

    Examples
    --------
    Holzinger-Swineford x1..x9, 3 factors (psych::fa gives the same numbers):

    >>> from pathlib import Path
    >>> import pandas as pd, semopy
    >>> csv = Path(semopy.__file__).parent / "examples" / "holzinger_swineford39_data.csv"
    >>> hs = pd.read_csv(csv, index_col=0)[[f"x{i}" for i in range(1, 10)]]
    >>> solution = factor_analysis(hs, 3)
    >>> round(solution.fit.chisq, 2), solution.fit.df, round(solution.fit.rmsea, 3)
    (22.56, 12, 0.054)
    >>> round(float(solution.communalities["x1"]), 3), round(float(solution.phi.iloc[0, 1]), 3)
    (0.477, 0.323)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {ROTATIONS}, got {rotation!r}")
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ValueError(f"n_factors must be a positive integer, got {n_factors!r}")
    if random_starts < 0:
        raise ValueError(f"random_starts must be 0 or more, got {random_starts}")
    corr = item_correlations(items, missing)
    r = corr.r.to_numpy()
    p, k = len(r), int(n_factors)
    if (p - k) ** 2 < p + k:
        raise EFAError(
            f"too many factors: {k} factors are not identified with {p} items (negative df)"
        )
    unrotated, psi = _extract(r, k, method)
    unrotated = unrotated * _positive_sum_signs(unrotated)
    pattern, phi = _rotate(unrotated, rotation, random_starts, np.random.default_rng(seed))
    pattern, phi = _align(pattern, phi)
    names = [f"{_FACTOR_PREFIX[method]}{i + 1}" for i in range(k)]
    item_ids = [str(c) for c in corr.r.index]
    h2 = np.einsum("ij,jk,ik->i", pattern, phi, pattern)
    heywood = (h2 >= 1.0) | (psi <= UNIQUENESS_LOWER_BOUND * (1 + 1e-6))
    fit = _fit_statistics(r, pattern, phi, corr.n)
    messages = []
    if heywood.any():
        listed = ", ".join(
            f"{item} (h2 = {value:.3f})"
            for item, value in zip(np.array(item_ids)[heywood], h2[heywood])
        )
        messages.append(f"Heywood case: {listed}; the solution is improper, interpret with care")
    if fit.df == 0:
        messages.append("the model is just identified (df = 0): no fit test")
    complexity = (pattern**2).sum(axis=1) ** 2 / (pattern**4).sum(axis=1)
    return FactorSolution(
        loadings=pd.DataFrame(pattern, index=item_ids, columns=names),
        structure=pd.DataFrame(pattern @ phi, index=item_ids, columns=names),
        phi=pd.DataFrame(phi, index=names, columns=names),
        communalities=pd.Series(h2, index=item_ids, name="h2"),
        uniquenesses=pd.Series(1.0 - h2, index=item_ids, name="u2"),
        complexity=pd.Series(complexity, index=item_ids, name="complexity"),
        variance=_variance_accounted(pattern, phi, names),
        fit=fit,
        heywood_items=tuple(np.array(item_ids)[heywood].tolist()),
        warnings=tuple(messages),
        n=corr.n,
        n_factors=k,
        method=method,
        rotation=rotation if k > 1 else "none",
        missing_policy=corr.missing_policy,
    )


def _variance_accounted(pattern: np.ndarray, phi: np.ndarray, names: list[str]) -> pd.DataFrame:
    """psych's Vaccounted: SS loadings diag(Phi L'L) over p items and over their sum."""
    ss = np.diag(phi @ pattern.T @ pattern)
    proportion = ss / pattern.shape[0]
    explained = ss / ss.sum()
    return pd.DataFrame(
        {
            "ss_loadings": ss,
            "proportion_var": proportion,
            "cumulative_var": np.cumsum(proportion),
            "proportion_explained": explained,
            "cumulative_explained": np.cumsum(explained),
        },
        index=pd.Index(names, name="factor"),
    )


# --------------------------------------------------------------------------------------------
# Factors and the instrument's dimensions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionMatch:
    """Which dimension each factor represents, and the loadings that do not fit the design.

    Attributes
    ----------
    factor_labels : dict
        Factor name -> dimension id (None for a factor left without a dimension).
    item_dimensions : dict
        Item id -> dimension id, for the analysed items found in the mapping.
    flags : pandas.DataFrame
        Items x factors of ``""``, ``"low_primary"`` (loading on the own dimension's factor
        below ``primary_min``) or ``"cross_loading"`` (absolute loading on another factor
        above ``cross_max``).
    primary_min, cross_max : float
        Thresholds used.
    """

    factor_labels: dict[str, str | None]
    item_dimensions: dict[str, str]
    flags: pd.DataFrame
    primary_min: float
    cross_max: float


def match_dimensions(
    solution: FactorSolution,
    dimensions: Mapping[str, str],
    *,
    primary_min: float = 0.40,
    cross_max: float = 0.30,
) -> DimensionMatch:
    """Label factors with the instrument's dimensions and flag items that do not load as designed.

    Each factor gets the dimension that maximises the total ``sum_{i in d} |l_if|`` over a
    one-to-one assignment (Hungarian algorithm: Kuhn 1955, Naval Research Logistics Quarterly
    2(1)); with unequal numbers some factors or dimensions stay unmatched. An item is flagged
    where its (signed) loading on its own dimension's factor is below ``primary_min`` (a
    negative loading is flagged too: the item runs against its dimension) and where its absolute
    loading on any other factor exceeds ``cross_max``.

    Parameters
    ----------
    solution : FactorSolution
    dimensions : Mapping[str, str]
        Item id -> dimension id, in instrument order (items not analysed are ignored).
    primary_min, cross_max : float
        Flag thresholds (.40 and .30 by the usual convention).

    Returns
    -------
    DimensionMatch
    """
    item_dimensions = {
        item: dimensions[item] for item in solution.loadings.index if item in dimensions
    }
    if not item_dimensions:
        raise ValueError("none of the analysed items appears in the item -> dimension mapping")
    dimension_ids = list(
        dict.fromkeys(dimensions[item] for item in dimensions if item in item_dimensions)
    )
    loadings = solution.loadings
    membership = np.array(
        [[item_dimensions.get(item) == d for item in loadings.index] for d in dimension_ids],
        dtype=float,
    )
    weight = membership @ np.abs(loadings.to_numpy())
    rows, cols = optimize.linear_sum_assignment(weight, maximize=True)
    factor_labels: dict[str, str | None] = {factor: None for factor in loadings.columns}
    factor_labels.update({loadings.columns[c]: dimension_ids[d] for d, c in zip(rows, cols)})
    own = _own_factor_mask(loadings, item_dimensions, factor_labels)
    values = loadings.to_numpy()
    flags = np.where(own & (values < primary_min), "low_primary", "")
    flags = np.where(~own & (np.abs(values) > cross_max), "cross_loading", flags)
    return DimensionMatch(
        factor_labels=factor_labels,
        item_dimensions=item_dimensions,
        flags=pd.DataFrame(flags, index=loadings.index, columns=loadings.columns),
        primary_min=primary_min,
        cross_max=cross_max,
    )


def _own_factor_mask(
    loadings: pd.DataFrame,
    item_dimensions: Mapping[str, str],
    factor_labels: Mapping[str, str | None],
) -> np.ndarray:
    """Items x factors: True where the factor carries the item's own dimension."""
    return np.array(
        [
            [
                item in item_dimensions and item_dimensions[item] == factor_labels[factor]
                for factor in loadings.columns
            ]
            for item in loadings.index
        ],
        dtype=bool,
    )


# --------------------------------------------------------------------------------------------
# Tables for the pipeline
# --------------------------------------------------------------------------------------------


def loadings_table(solution: FactorSolution, match: DimensionMatch | None = None) -> pd.DataFrame:
    """Tidy loadings: one row per item and factor.

    Columns: ``item``, ``factor``, ``loading`` (pattern), ``structure``, ``h2``, ``u2``,
    ``complexity``, ``heywood`` (item-level), ``factor_ss_loadings``,
    ``factor_proportion_var``, ``factor_cumulative_var`` (factor-level, psych's Vaccounted),
    ``dimension`` (the item's dimension), ``factor_label`` (the factor's dimension),
    ``own_factor`` (factor_label == dimension) and ``flag`` (``""``, ``"low_primary"``,
    ``"cross_loading"``); the last four are empty without a ``match``.
    """
    loadings = solution.loadings
    table = (
        loadings.rename_axis(index="item", columns="factor").stack().rename("loading").reset_index()
    )
    table["structure"] = solution.structure.to_numpy().ravel()
    per_item = pd.DataFrame(
        {
            "h2": solution.communalities,
            "u2": solution.uniquenesses,
            "complexity": solution.complexity,
            "heywood": loadings.index.isin(solution.heywood_items),
        }
    )
    table = table.join(per_item, on="item")
    per_factor = solution.variance[["ss_loadings", "proportion_var", "cumulative_var"]].add_prefix(
        "factor_"
    )
    table = table.join(per_factor, on="factor")
    if match is None:
        table["dimension"] = pd.Series([None] * len(table), dtype=object)
        table["factor_label"] = pd.Series([None] * len(table), dtype=object)
        table["own_factor"] = False
        table["flag"] = ""
        return table
    table["dimension"] = table["item"].map(match.item_dimensions).astype(object)
    table["factor_label"] = table["factor"].map(match.factor_labels).astype(object)
    table["own_factor"] = _own_factor_mask(
        loadings, match.item_dimensions, match.factor_labels
    ).ravel()
    table["flag"] = match.flags.to_numpy().ravel()
    return table


def factor_correlations_table(
    solution: FactorSolution, match: DimensionMatch | None = None
) -> pd.DataFrame:
    """Tidy factor correlations: one row per pair of factors (a before b in the factor order).

    Columns: ``factor_a``, ``factor_b``, ``r`` (0 for orthogonal or unrotated solutions),
    ``label_a``, ``label_b`` (dimension labels from ``match``, else empty).
    """
    names = list(solution.phi.columns)
    a, b = np.triu_indices(len(names), 1)
    labels = match.factor_labels if match is not None else dict.fromkeys(names)
    return pd.DataFrame(
        {
            "factor_a": [names[i] for i in a],
            "factor_b": [names[j] for j in b],
            "r": solution.phi.to_numpy()[a, b],
            "label_a": pd.Series([labels[names[i]] for i in a], dtype=object),
            "label_b": pd.Series([labels[names[j]] for j in b], dtype=object),
        }
    )


def fit_table(solution: FactorSolution) -> pd.DataFrame:
    """One-row fit table.

    Columns: ``n``, ``n_factors``, ``method``, ``rotation``, ``missing_policy``, ``objective``,
    ``chisq``, ``df``, ``pvalue``, ``rmsea``, ``rmsea_ci_low``, ``rmsea_ci_high`` (90%),
    ``tli``, ``bic``, ``heywood`` (any Heywood item), ``status`` (``"ok"`` or the warnings).
    """
    fit = solution.fit
    return pd.DataFrame(
        {
            "n": [solution.n],
            "n_factors": [solution.n_factors],
            "method": [solution.method],
            "rotation": [solution.rotation],
            "missing_policy": [solution.missing_policy],
            "objective": [fit.objective],
            "chisq": [fit.chisq],
            "df": [fit.df],
            "pvalue": [fit.pvalue],
            "rmsea": [fit.rmsea],
            "rmsea_ci_low": [fit.rmsea_ci_low],
            "rmsea_ci_high": [fit.rmsea_ci_high],
            "tli": [fit.tli],
            "bic": [fit.bic],
            "heywood": [bool(solution.heywood_items)],
            "status": [solution.status],
        }
    )


@dataclass(frozen=True)
class EFATables:
    """The five EFA tables of one item frame, named as the pipeline writes them."""

    #: The tables' names, in order (also their files' stems).
    NAMES = ("efa_adequacy", "parallel_analysis", "efa_loadings", "efa_factor_correlations", "efa_fit")

    efa_adequacy: pd.DataFrame
    parallel_analysis: pd.DataFrame
    efa_loadings: pd.DataFrame
    efa_factor_correlations: pd.DataFrame
    efa_fit: pd.DataFrame

    def as_dict(self) -> dict[str, pd.DataFrame]:
        """Table name -> table."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def efa_tables(
    items: pd.DataFrame,
    n_factors: int | Literal["parallel", "dimensions"] = "parallel",
    *,
    dimensions: Mapping[str, str] | None = None,
    method: Method = "minres",
    rotation: Rotation = "oblimin",
    missing: MissingPolicy = "listwise",
    n_iter: int = 100,
    rule: ParallelRule = "quantile",
    quantile: float = 0.95,
    random_starts: int = 0,
    seed: int | None = None,
) -> EFATables:
    """Sampling adequacy, parallel analysis and EFA of one item frame, as five tidy tables.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item, NaN = missing.
    n_factors : int, "parallel" or "dimensions"
        A number; the number of factors parallel analysis suggests; or the number of the
        mapping's dimensions among the items.
    dimensions : Mapping[str, str], optional
        Item id -> dimension id; when given, factors are labelled and loadings flagged
        (:func:`match_dimensions`).
    method, rotation, missing, random_starts
        See :func:`factor_analysis`.
    n_iter, rule, quantile
        See :func:`parallel_analysis`.
    seed : int or None
        Seeds the parallel analysis and the random starts.

    Returns
    -------
    EFATables
        See :func:`adequacy_table`, :func:`parallel_analysis_table`, :func:`loadings_table`,
        :func:`factor_correlations_table` and :func:`fit_table` for the columns.

    Raises
    ------
    EFAError
        As :func:`factor_analysis`; also when parallel analysis suggests no factor.
    """
    adequacy = sampling_adequacy(items, missing)
    parallel = parallel_analysis(
        items, n_iter=n_iter, rule=rule, quantile=quantile, seed=seed, missing=missing
    )
    k = _resolve_n_factors(n_factors, parallel, items, dimensions)
    solution = factor_analysis(
        items,
        k,
        method=method,
        rotation=rotation,
        missing=missing,
        random_starts=random_starts,
        seed=seed,
    )
    match = match_dimensions(solution, dimensions) if dimensions is not None else None
    return EFATables(
        efa_adequacy=adequacy_table(adequacy),
        parallel_analysis=parallel_analysis_table(parallel),
        efa_loadings=loadings_table(solution, match),
        efa_factor_correlations=factor_correlations_table(solution, match),
        efa_fit=fit_table(solution),
    )


def efa_by_measure(
    frames: Mapping[str, pd.DataFrame],
    dimensions: Mapping[str, str],
    options: Mapping[str, object],
    *,
    seed: int | None = None,
) -> tuple[dict[str, dict[str, pd.DataFrame]], dict[str, str]]:
    """:func:`efa_tables` of each measure the configuration's ``efa`` section names (``options``:
    ``measures``, ``n_factors``, ``method``, ``rotation``, ``missing_policy``, ``n_iter``, ``rule``)
    that ``frames`` has.

    A measure whose analysis fails (:class:`EFAError`) gets an ``efa_fit`` row with its status
    instead of its five tables, so one unfactorable measure does not stop the others.

    Returns
    -------
    (tables, failures)
        ``{measure: {table name: table}}`` and ``{measure: why its analysis failed}``.
    """
    tables, failures = {}, {}
    for measure in [m for m in options["measures"] if m in frames]:
        try:
            tables[measure] = efa_tables(
                frames[measure], options["n_factors"], dimensions=dimensions, method=options["method"],
                rotation=options["rotation"], missing=options["missing_policy"], n_iter=options["n_iter"],
                rule=options["rule"], seed=seed,
            ).as_dict()
        except EFAError as err:
            failures[measure] = str(err)
            tables[measure] = {"efa_fit": pd.DataFrame({"status": [f"failed: {err}"]})}
    return tables, failures


def _resolve_n_factors(
    n_factors: int | str,
    parallel: ParallelAnalysis,
    items: pd.DataFrame,
    dimensions: Mapping[str, str] | None,
) -> int:
    if n_factors == "parallel":
        if parallel.n_factors < 1:
            raise EFAError(f"parallel analysis ({parallel.rule_label}) suggests no common factor")
        return parallel.n_factors
    if n_factors == "dimensions":
        if dimensions is None:
            raise ValueError('n_factors="dimensions" needs the item -> dimension mapping')
        found = {dimensions[item] for item in items.columns if item in dimensions}
        if not found:
            raise ValueError("none of the items appears in the item -> dimension mapping")
        return len(found)
    if isinstance(n_factors, str):
        raise ValueError(
            f'n_factors must be an integer, "parallel" or "dimensions", got {n_factors!r}'
        )
    return n_factors
