"""Horn's parallel analysis: how many factors the data hold beyond chance, as psych::fa.parallel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from servqual.efa.correlations import PARALLEL_RULES, MissingPolicy, ParallelRule, item_correlations, smc

#: Largest number of random numbers drawn at once by the parallel-analysis simulation.
_SIMULATION_CHUNK = 4_000_000
#: Above this many rows parallel analysis draws correlation matrices directly (Wishart) instead
#: of simulating data; below it, the simulated data match what psych::fa.parallel does.
_WISHART_ROWS = 20_000


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
        The item battery, as :func:`~servqual.efa.correlations.item_correlations` takes it.
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
    >>> import pandas as pd
    >>> csv = Path("tests/data/holzinger_swineford.csv")  # lavaan::HolzingerSwineford1939
    >>> hs = pd.read_csv(csv)[[f"x{i}" for i in range(1, 10)]]
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
    reduced[..., diagonal, diagonal] = smc(r)
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

