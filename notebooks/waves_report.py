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
# # Service quality across sampling waves
#
# Every number below is read from `reports/waves/tables/`, which the cross-wave step wrote from
# each wave's cleaned data and tables; this notebook computes nothing new.

# %% tags=["parameters"]
tables = "reports/waves/tables"
figures = "reports/waves/figures"
title = "Service-quality study"
language = "en"
instrument: dict = {}

# %%
import html
from pathlib import Path

import pandas as pd
from IPython.display import Image, Markdown, display

from servqual.labels import dimension_labels, read_table
from servqual.methods import ADJUSTMENTS

pd.set_option("display.precision", 3)
pd.set_option("display.max_rows", 200)
tables, figures = Path(tables), Path(figures)


def table(name: str) -> pd.DataFrame:
    return read_table(tables, name)


DIMENSIONS = {**dimension_labels(instrument, language), "overall": "Overall"}
scores, changes, invariance = table("wave_gaps"), table("wave_changes"), table("invariance")
waves = list(dict.fromkeys(scores["wave"]))
display(Markdown(f"# {title}\n\n**Waves** (in the order of the waves sheet): {', '.join(f'`{w}`' for w in waves)}"))

# %% [markdown]
# ## Cautions
#
# Invariance models that could not be fitted or assessed, improper solutions, and levels of
# invariance that were rejected (each wave's own cautions are in its report).

# %%
caution_table = table("cautions")
if caution_table.empty:
    display(Markdown("None of these conditions was found."))
else:
    display(Markdown("\n".join(f"- {html.escape(text)}" for text in caution_table["text"])))

# %% [markdown]
# ## Can the waves' means be compared?
#
# Measurement invariance across waves: configural, metric (equal loadings) and scalar (equal
# loadings and intercepts) multi-group CFA, decided by the chi-square difference test,
# ΔCFI ≥ −.01 (Cheung & Rensvold 2002) and ΔRMSEA ≤ .015 (Chen 2007). Differences in means are
# only interpretable as changes in service quality where scalar invariance holds.

# %%
by_wave = invariance[invariance["grouping"] == "wave"]
comparable = {}
for measure, rows in by_wave.groupby("measure", sort=False):
    comparable[measure] = bool(rows["means_comparable"].astype(str).eq("True").any())
    scalar = rows[rows["level"] == "scalar"].iloc[0]
    if comparable[measure]:
        verdict = "scalar invariance holds, so mean changes between waves can be read as changes in the construct"
    elif scalar["decision"] == "not_assessed":
        verdict = (f"invariance could not be assessed ({html.escape(str(scalar['reason']))}), so whether mean changes "
                   "between waves reflect service quality or how items work is not known")
    else:
        verdict = ("scalar invariance is rejected, so mean changes between waves may reflect a change in how items "
                   "work rather than in service quality; read them as changes in observed scores only")
    display(Markdown(f"- **{measure}**: {verdict}."))
display(invariance.drop(columns=["reason", "groups"]))

# %% [markdown]
# ## Scores by wave

# %%
display(Image(filename=str(figures / "trend.png")))
display(
    scores.assign(target=scores["target"].map(DIMENSIONS))
    .pivot_table(index=["measure", "target"], columns="wave", values="mean", sort=False)
)

# %% [markdown]
# ## Change between waves
#
# Welch's t-test of each score between consecutive waves (and from the first wave), the
# difference with its confidence interval, Hedges' g, and adjusted p-values per measure and pair
# of waves; changes with an adjusted p below .05 are listed.

# %%
if changes.empty:
    display(Markdown("Only one wave so far: no change to test."))
else:
    first = changes.iloc[0]
    display(Markdown(f"Intervals at {first['confidence']:.0%}; p-values {ADJUSTMENTS[first['p_adjust']]}-adjusted."))
    for _, row in changes[(changes["p_adj"] < 0.05)].iterrows():
        caveat = "" if comparable.get("perception" if row["measure"] == "perception" else "expectation", False) else (
            " (observed scores; scalar invariance not established)"
        )
        display(Markdown(
            f"- {row['measure']}, {DIMENSIONS.get(row['target'], row['target'])}: {row['wave_a']} → {row['wave_b']} "
            f"changed by {row['diff']:+.2f} ({row['confidence']:.0%} CI {row['diff_ci_low']:+.2f} to "
            f"{row['diff_ci_high']:+.2f}, g = {row['hedges_g']:.2f}, adjusted p = {row['p_adj']:.3g}){caveat}."
        ))
    display(changes)

# %% [markdown]
# ## Reliability, fit and exclusions per wave

# %%
reliability = table("wave_reliability")
whole = reliability[reliability["dimension"] == "all"]
display(whole.pivot_table(index="measure", columns="wave", values=["alpha", "omega_total"], sort=False))
fit = table("wave_fit")
display(fit[fit["model"] == "instrument"][["wave", "measure", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "verdict"]])
flows = table("wave_exclusions")
display(flows.pivot_table(index=["step", "rule"], columns="wave", values="n", sort=False))

# %% [markdown]
# ## Segment trends

# %%
segments = table("wave_segments")
if segments.empty:
    display(Markdown("No segment columns are declared for this study."))
else:
    display(
        segments.assign(target=segments["target"].map(lambda t: DIMENSIONS.get(t, t)))
        .pivot_table(index=["segment", "level_value", "target"], columns="wave", values="mean", sort=False)
    )

# %% [markdown]
# ## Complaints across waves
#
# Complaints per dimension in each wave that has a complaint log, and the trend within each wave
# (first against second half of its period).

# %%
complaints = table("wave_complaints")
if complaints.empty:
    display(Markdown("No wave has a complaint log."))
else:
    named = complaints.assign(dimension=complaints["dimension"].map(lambda d: DIMENSIONS.get(d, d)))
    display(named.pivot_table(index="dimension", columns="wave", values="n_complaints", sort=False))
    display(named.pivot_table(index="dimension", columns="wave", values="trend", aggfunc="first", sort=False))
