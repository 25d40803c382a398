# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Service-quality report of one wave
#
# Every number below is read from the tables the analysis steps wrote to
# `reports/<wave>/tables/` and `data/processed/<wave>/`; this notebook computes nothing new, so
# each figure can be checked against those files.

# %% tags=["parameters"]
wave = "wave1"
tables = "reports/wave1/tables"
cleaning_summary = "data/processed/wave1/cleaning_summary.csv"
title = "Service-quality study"
language = "en"
instrument: dict = {}

# %%
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from servqual import plots

pd.set_option("display.precision", 3)
pd.set_option("display.max_rows", 200)
tables = Path(tables)


def table(name: str) -> pd.DataFrame:
    """A table written by the analysis steps; an empty one where the step had nothing to say."""
    path = tables / f"{name}.csv"
    return pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.stat().st_size > 1 else pd.DataFrame()


def text(labels: dict, fallback: str) -> str:
    """A label in the report language, falling back to the other language and then the id."""
    return labels.get(language) or next(iter(labels.values()), None) or fallback


DIMENSIONS = {d["id"]: text(d.get("label", {}), d["id"]) for d in instrument["dimensions"]}
ITEMS = {i["id"]: text(i.get("text", {}), i["id"]) for i in instrument["items"]}
ITEM_LABELS = {i: f"{i}: {wording}" for i, wording in ITEMS.items()}
display(Markdown(f"# {title}\n\n**Wave:** `{wave}`"))

# %% [markdown]
# ## Summary

# %%
flow = pd.read_csv(cleaning_summary)
read = int(flow.loc[flow["step"] == "read", "n"].iloc[0])
kept = int(flow.loc[flow["step"] == "kept", "n"].iloc[0])
dimension_gaps = table("gaps_dimensions")
reliability = table("reliability")
lines = [f"- {kept} of {read} respondents kept after cleaning ({read - kept} excluded, each with a reason)."]
if "gap" in dimension_gaps and dimension_gaps["gap"].notna().any():
    worst = dimension_gaps.nsmallest(3, "gap")
    for _, row in worst.iterrows():
        lines.append(
            f"- {DIMENSIONS[row['dimension']]}: gap P − E {row['gap']:.2f} "
            f"(95% CI {row['gap_ci_low']:.2f} to {row['gap_ci_high']:.2f}, Holm-adjusted p {row['p_adj']:.3g})."
        )
else:
    lines.append("- Perceptions only (SERVPERF): gap scores do not apply.")
if not reliability.empty:
    whole = reliability[reliability["dimension"] == "all"]
    for _, row in whole.iterrows():
        lines.append(
            f"- Reliability of the whole {row['measure']} scale: alpha {row['alpha']:.2f} "
            f"[{row['alpha_feldt_low']:.2f}, {row['alpha_feldt_high']:.2f}], omega {row['omega_total']:.2f}."
        )
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Data and cleaning flow
#
# Rows read, respondents excluded under each rule (a respondent matched by several rules is
# counted under the first, in the order shown), and respondents kept.

# %%
display(flow)
plots.flow_bars(flow);

# %% [markdown]
# ## Descriptive statistics
#
# Mean of each measure per dimension (a respondent's dimension score is the mean of the
# dimension's answered items) with its 95% confidence interval.

# %%
descriptives = table("descriptives")
by_dimension = descriptives[descriptives["level"] == "dimension"].assign(key=lambda d: d["dimension"])
plots.measure_profile(by_dimension, pd.Series(DIMENSIONS), f"Dimension means, {wave}");
display(
    by_dimension.pivot(index="dimension", columns="measure", values="mean")
    .reindex(list(DIMENSIONS))
    .rename(index=DIMENSIONS)
)

# %%
by_item = descriptives[descriptives["level"] == "item"].assign(key=lambda d: d["item"])
plots.measure_profile(by_item, pd.Series(ITEM_LABELS), f"Item means, {wave}");

# %%
display(
    by_item.pivot(index="item", columns="measure", values=["mean", "sd"]).reindex(list(ITEMS))
)

# %% [markdown]
# ## Reliability
#
# Cronbach's alpha with Feldt, Duhachek–Iacobucci and bootstrap intervals, and McDonald's omega
# total, per measure and dimension (`all` = the whole scale); flags name the reason.

# %%
if reliability.empty:
    display(Markdown("No reliability table for this wave."))
else:
    display(
        reliability[
            ["measure", "dimension", "n", "k", "alpha", "alpha_feldt_low", "alpha_feldt_high",
             "omega_total", "omega_boot_low", "omega_boot_high", "difference_score_reliability", "flags"]
        ]
    )

# %% [markdown]
# ## Factor structure
#
# Exploratory factor analysis fit and confirmatory factor analysis of the instrument's
# dimensions (and of a one-factor model for comparison).

# %%
efa_fit, cfa_fit = table("efa_fit"), table("cfa_fit")
if not efa_fit.empty:
    display(efa_fit.drop(columns=["wave"]))
if not cfa_fit.empty:
    display(cfa_fit[["measure", "model", "n", "chisq", "df", "cfi", "tli", "rmsea", "rmsea_ci_low",
                     "rmsea_ci_high", "srmr", "verdict"]])

# %% [markdown]
# ## Gaps
#
# Mean gap P − E per item with its 95% confidence interval, most negative first; paired t and
# Wilcoxon signed-rank tests with Holm-adjusted p-values in the table.

# %%
item_gaps = table("gaps_items")
if "gap" in item_gaps and item_gaps["gap"].notna().any():
    labelled = item_gaps.set_index("item")
    plots.gap_forest(labelled, pd.Series(ITEM_LABELS), f"Item gaps P − E, {wave}");
    display(dimension_gaps.drop(columns=["wave", "level", "item"]))
else:
    display(Markdown("Perceptions only (SERVPERF): gap analysis does not apply."))
display(table("servqual_scores").drop(columns=["wave"]))

# %% [markdown]
# ## Importance and importance-performance analysis

# %%
importance, ipa = table("importance"), table("ipa")
if not importance.empty:
    display(importance.drop(columns=["wave"]))
if not ipa.empty:
    dims = ipa[ipa["level"] == "dimension"]
    plots.ipa_grid(dims, dims["dimension"].map(DIMENSIONS), f"Importance-performance grid, {wave}");
    display(dims[["dimension", "importance", "performance", "quadrant"]])

# %% [markdown]
# ## Segments
#
# Gap per segment level; Welch's ANOVA and Kruskal–Wallis where every level has enough
# respondents.

# %%
segments = table("segments")
if segments.empty:
    display(Markdown("No segment comparisons for this wave."))
else:
    display(segments.drop(columns=["wave"]))
