"""The EFA step's tables: adequacy, parallel analysis, loadings, factor correlations and fit of
one item frame, and of each measure of a wave."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from servqual.efa.adequacy import adequacy_table, sampling_adequacy
from servqual.efa.correlations import EFAError, Method, MissingPolicy, ParallelRule, Rotation
from servqual.efa.parallel import ParallelAnalysis, parallel_analysis, parallel_analysis_table
from servqual.efa.solution import DimensionMatch, FactorSolution, factor_analysis, match_dimensions, own_factor_mask


#: The columns of each EFA table, in file order (the step puts ``wave`` and ``measure`` first).
EFA_COLUMNS: dict[str, tuple[str, ...]] = {
    "efa_adequacy": ("item", "kmo", "bartlett_chisq", "bartlett_df", "bartlett_pvalue", "n", "missing_policy"),
    "parallel_analysis": ("position", "observed_pc", "simulated_pc", "observed_fa", "simulated_fa", "rule",
                          "retained_pc", "retained_fa", "kaiser", "n", "n_iter", "seed", "missing_policy"),
    "efa_loadings": ("item", "factor", "loading", "structure", "h2", "u2", "complexity", "heywood",
                     "factor_ss_loadings", "factor_proportion_var", "factor_cumulative_var", "dimension",
                     "factor_label", "own_factor", "flag"),
    "efa_factor_correlations": ("factor_a", "factor_b", "r", "label_a", "label_b"),
    "efa_fit": ("n", "n_factors", "method", "rotation", "missing_policy", "objective", "chisq", "df", "pvalue",
                "rmsea", "rmsea_ci_low", "rmsea_ci_high", "tli", "bic", "heywood", "status"),
}


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
    table["own_factor"] = own_factor_mask(
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
        """Table name -> table, its columns in the order of :data:`EFA_COLUMNS`."""
        return {name: getattr(self, name)[list(EFA_COLUMNS[name])] for name in self.__dataclass_fields__}


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
