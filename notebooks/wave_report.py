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
figures = "reports/wave1/figures"
cleaning_summary = "data/processed/wave1/cleaning_summary.csv"
provenance = "reports/wave1/provenance.json"
methods = "reports/wave1/methods.md"
cautions = "reports/wave1/tables/cautions.csv"
title = "Service-quality study"
language = "en"
instrument: dict = {}

# %%
import html
import json
from pathlib import Path

import pandas as pd
from IPython.display import Image, Markdown, display

from servqual.labels import dimension_labels, item_labels, read_table
from servqual.methods import ADJUSTMENTS

pd.set_option("display.precision", 3)
pd.set_option("display.max_rows", 200)
tables, figures = Path(tables), Path(figures)


def table(name: str) -> pd.DataFrame:
    """A table written by the analysis steps; an empty one where the step had nothing to say."""
    return read_table(tables, name)


#: Section headings in Chinese; English reports use the keys themselves.
HEADINGS_ZH = {
    "Summary": "摘要",
    "Cautions": "注意事项",
    "Data and cleaning flow": "数据与清洗流程",
    "Descriptive statistics": "描述统计",
    "Reliability": "信度",
    "Factor structure": "因子结构",
    "Gaps": "服务质量差距",
    "Importance and importance-performance analysis": "重要性与重要性-绩效分析",
    "Segments": "细分群体",
    "Interviews and triangulation": "访谈与三角互证",
    "Complaints": "投诉",
    "Improvement priorities": "改进优先级",
    "Methods": "方法",
    "Provenance": "数据来源与可追溯性",
}


def heading(title: str) -> None:
    """A section heading in the report language."""
    display(Markdown(f"## {HEADINGS_ZH.get(title, title) if language == 'zh' else title}"))


def figure(name: str) -> None:
    """Show a figure the figures step drew (PNG; an SVG for print lies beside it)."""
    path = figures / f"{name}.png"
    if path.exists():
        display(Image(filename=str(path)))


DIMENSIONS = dimension_labels(instrument, language)
ITEMS = item_labels(instrument, language)
display(Markdown(f"# {title}\n\n**Wave:** `{wave}`"))

# %%
heading("Summary")

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
            f"({row['confidence']:.0%} CI {row['gap_ci_low']:.2f} to {row['gap_ci_high']:.2f}, "
            f"{ADJUSTMENTS[row['p_adjust']]}-adjusted p {row['p_adj']:.3g})."
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
outcomes = table("outcomes")
for outcome, part in outcomes.groupby("outcome", sort=False) if len(outcomes) else ():
    mean = part[part["kind"] == "mean"].iloc[0]
    validity = "; ".join(f"{r['predictor']} r = {r['value']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
                         for _, r in part[part["kind"] == "r"].iterrows())
    lines.append(f"- Outcome {outcome}: mean {mean['value']:.2f} ({mean['confidence']:.0%} CI {mean['ci_low']:.2f} to "
                 f"{mean['ci_high']:.2f}); predicted by {validity}.")
cfa_fit = table("cfa_fit")
for _, row in cfa_fit[cfa_fit["model"] == "instrument"].iterrows():
    if row["status"] == "ok":
        lines.append(
            f"- CFA of the instrument's dimensions ({row['measure']}): {row['verdict']} fit "
            f"(CFI {row['cfi']:.3f}, TLI {row['tli']:.3f}, RMSEA {row['rmsea']:.3f}, SRMR {row['srmr']:.3f})."
        )
    else:
        lines.append(f"- CFA of the instrument's dimensions ({row['measure']}): fit not assessed, "
                     f"{row['status'].replace('_', ' ')} (see Cautions).")
priorities = table("priorities")
top = priorities[(priorities["level"] == "dimension") & (priorities["priority_index"] > 0)].head(3)
if not top.empty:
    lines.append(
        "- What to fix first, by the shortfall of perceptions against expectations weighted by importance: "
        + "; ".join(
            f"{r['rank']}. {DIMENSIONS[r['dimension']]} (gap {r['gap']:.2f}"
            + (f", provider gaps {r['provider_gaps']}" if isinstance(r["provider_gaps"], str) and r["provider_gaps"] else "")
            + (f"; IPA quadrant “{r['quadrant']}”" if isinstance(r["quadrant"], str) else "")
            + (f": {r['quadrant_note']}" if isinstance(r["quadrant_note"], str) and r["quadrant_note"] else "")
            + ")"
            for _, r in top.iterrows()
        )
        + "."
    )
caution_table = pd.read_csv(cautions, keep_default_na=False)
if len(caution_table):
    lines.append(f"- {len(caution_table)} caution(s) below: read them before the numbers.")
display(Markdown("\n".join(lines)))

# %%
heading("Cautions")

# %% [markdown]
# Every condition in this wave's tables that a careful reviewer would flag: improper or
# unconverged models, fit indices out of their usual range, samples small for the model, failed
# validity and reliability criteria, rules that could not apply, answers set missing, segments
# too small to test, weak coder agreement and faults in the complaint log.

# %%
if caution_table.empty:
    display(Markdown("None of the conditions above was found in this wave's tables."))
else:
    listed = []
    for topic, part in caution_table.groupby("topic", sort=False):
        listed.append(f"- **{html.escape(topic.capitalize())}**")
        listed += [f"  - {html.escape(text)}" for text in part["text"]]
    display(Markdown("\n".join(listed)))

# %%
heading("Data and cleaning flow")

# %% [markdown]
# Rows read, respondents excluded under each rule (a respondent matched by several rules is
# counted under the first, in the order shown), and respondents kept.

# %%
display(flow)
figure("cleaning_flow")

# %%
heading("Descriptive statistics")

# %% [markdown]
# Mean of each measure per dimension (a respondent's dimension score is the mean of the
# dimension's answered items) with its confidence interval.

# %%
descriptives = table("descriptives")
by_dimension = descriptives[descriptives["level"] == "dimension"].assign(key=lambda d: d["dimension"])
figure("dimension_means")
figure("radar")
display(
    by_dimension.pivot(index="dimension", columns="measure", values="mean")
    .reindex(list(DIMENSIONS))
    .rename(index=DIMENSIONS)
)

# %%
by_item = descriptives[descriptives["level"] == "item"]
figure("snake_plot")

# %%
display(
    by_item.pivot(index="item", columns="measure", values=["mean", "sd"]).reindex(list(ITEMS))
)

# %%
heading("Reliability")

# %% [markdown]
# Cronbach's alpha with Feldt, Duhachek–Iacobucci and percentile-bootstrap intervals, and
# McDonald's omega total (one factor, minres) with a bootstrap interval, per measure and
# dimension (`all` = the whole scale); `boot_method` says how each bootstrap was drawn (above
# 50,000 respondents by the bag of little bootstraps). For the gap P − E, the reliability of the
# difference score (Peter, Churchill & Brown 1993) stands beside alpha.

# %%
if reliability.empty:
    display(Markdown("No reliability table for this wave."))
else:
    display(
        reliability[
            ["measure", "dimension", "n", "k", "missing_policy", "alpha", "alpha_feldt_low", "alpha_feldt_high",
             "alpha_duhachek_low", "alpha_duhachek_high", "alpha_boot_low", "alpha_boot_high", "omega_total",
             "omega_boot_low", "omega_boot_high", "boot_method", "difference_score_reliability", "flags"]
        ]
    )
    flagged = reliability[reliability["flags"].notna() & (reliability["flags"] != "")]
    advice = [
        f"- **{row['measure']}, {DIMENSIONS.get(row['dimension'], 'whole scale')}**: {row['flags']}. "
        "Look at the item table below for the items behind it (negative or low item-rest r, "
        "alpha rising when an item is dropped)."
        for _, row in flagged.iterrows()
    ]
    display(Markdown("\n".join(advice) if advice else "No scale is flagged."))
    items = table("item_reliability")
    item_flags = items[items["flags"].notna() & (items["flags"] != "")]
    if not item_flags.empty:
        display(item_flags[["measure", "dimension", "item", "item_rest_r", "alpha_if_dropped", "flags"]])
figure("item_rest")

# %%
heading("Factor structure")

# %% [markdown]
# Adequacy (KMO, Bartlett), the number of factors from Horn's parallel analysis, the exploratory
# pattern loadings, and the confirmatory factor analysis of the instrument's dimensions beside
# a one-factor and a second-order model, judged against Hu & Bentler's (1999) cutoffs
# (CFI/TLI ≥ .95 good, ≥ .90 acceptable; RMSEA ≤ .06 good, ≤ .08 acceptable; SRMR ≤ .08).

# %%
adequacy, efa_fit, cfa_fit = table("efa_adequacy"), table("efa_fit"), table("cfa_fit")
if not adequacy.empty:
    display(adequacy[adequacy["item"] == "overall"].drop(columns=["wave", "item"]))
figure("parallel_analysis")
if not efa_fit.empty:
    display(efa_fit.drop(columns=["wave"]))
figure("efa_loadings")
if not cfa_fit.empty:
    display(cfa_fit[["measure", "model", "status", "n", "chisq", "df", "pvalue", "cfi", "tli", "rmsea",
                     "rmsea_ci_low", "rmsea_ci_high", "srmr", "aic", "bic", "verdict", "delta_chisq",
                     "delta_df", "p_difference"]])
    verdicts = [
        f"- {row['measure']}, {row['model']} model: **{row['verdict']}** fit"
        + (f" (status: {row['status']}; {row['reason']})" if row["status"] != "ok" else "")
        for _, row in cfa_fit.iterrows()
    ]
    display(Markdown("\n".join(verdicts)))

# %% [markdown]
# Standardized loadings of the instrument's model (path-style: factor → item, with SE and R²),
# validity (composite reliability, AVE, Fornell–Larcker, HTMT) and the residual correlations
# that contribute most misfit.

# %%
cfa_loadings, validity, hints = table("cfa_loadings"), table("cfa_validity"), table("cfa_hints")
if not cfa_loadings.empty:
    paths = cfa_loadings[cfa_loadings["model"] == "instrument"].assign(
        path=lambda d: d["factor"].map(lambda f: DIMENSIONS.get(f, f)) + " → " + d["item"]
    )
    display(paths.pivot(index="path", columns="measure", values="std_loading").reindex(paths["path"].unique()))
if not validity.empty:
    display(validity.drop(columns=["wave"]))
if not hints.empty:
    display(hints[hints["rank"] <= 3].drop(columns=["wave"]))

# %%
heading("Gaps")

# %%
item_gaps = table("gaps_items")
if "gap" in item_gaps and item_gaps["gap"].notna().any():
    first = item_gaps.iloc[0]
    display(Markdown(
        f"Mean gap P − E per item with its {first['confidence']:.0%} confidence interval, most negative first; "
        f"paired t and Wilcoxon signed-rank tests (zero differences by the {first['zero_method']} method) with "
        f"{ADJUSTMENTS[first['p_adjust']]}-adjusted p-values (of the {first['adjusted_test']} test), and the "
        "effect sizes d_z, d_av and the rank-biserial correlation."
    ))
    figure("item_gaps")
    display(dimension_gaps.drop(columns=["wave", "level", "item"]))
    display(item_gaps.drop(columns=["wave", "level"]))
else:
    display(Markdown("Perceptions only (SERVPERF): gap analysis does not apply."))
display(table("servqual_scores").drop(columns=["wave"]))
zone = table("zone_of_tolerance")
if not zone.empty:
    display(Markdown("### Zone of tolerance (adequate and desired levels)"))
    figure("zone_of_tolerance")
    display(zone[zone["level"] == "dimension"].drop(columns=["wave", "level", "item"]))

# %%
heading("Importance and importance-performance analysis")

# %%
importance, ipa = table("importance"), table("ipa")
if not importance.empty:
    display(importance.drop(columns=["wave"]))
if not outcomes.empty:
    display(Markdown("Outcomes: their means, the overall scores' correlation with each (predictive validity) and "
                     "the importance of each dimension derived from each."))
    display(outcomes.drop(columns=["wave"]))
if not ipa.empty:
    figure("ipa")
    figure("ipa_items")
    display(ipa[ipa["level"] == "dimension"][["dimension", "importance", "importance_kind", "performance", "quadrant"]])
else:
    display(Markdown("No importance measure for an importance-performance grid."))

# %%
heading("Segments")

# %%
segments = table("segments")
if segments.empty:
    display(Markdown("No segment columns are declared for this study."))
else:
    first = segments.iloc[0]
    display(Markdown(
        f"Scores per segment level with {first['confidence']:.0%} confidence intervals; Welch's ANOVA (omega²) "
        f"and Kruskal–Wallis (epsilon²) among the levels with at least {first['min_cell']:.0f} respondents (where "
        f"two or more have), with Games–Howell and Dunn ({ADJUSTMENTS[first['p_adjust']]}-adjusted) post-hoc "
        "comparisons."
    ))
    figure("segments")
    tests = segments.drop_duplicates(["segment", "target"])[
        ["segment", "target", "welch_f", "welch_df1", "welch_df2", "welch_p", "omega2", "kw_h", "kw_p", "epsilon2"]
    ]
    display(tests)
    posthoc = table("segments_posthoc")
    if not posthoc.empty:
        display(posthoc[posthoc["games_howell_p"] < 0.05].drop(columns=["wave"]))

# %%
heading("Interviews and triangulation")

# %% [markdown]
# Coded interview and focus-group units (speaker turns) per dimension and provider gap, the
# agreement between coders (Krippendorff's alpha: ≥ .800 good, ≥ .667 tentative; Cohen's kappa
# with Landis & Koch bands), and the joint display that sets each dimension's survey gap beside
# the interview evidence, with the convergence label of Farmer et al. (2006).

# %%
triangulation = table("triangulation")
if triangulation.empty:
    display(Markdown("No interview material for this wave."))
else:
    figure("interview_codes")
    agreement = table("coder_agreement")
    display(agreement.drop(columns=["wave"]))
    disagreements = table("coder_disagreements")
    display(Markdown(f"{len(disagreements)} unit × code disagreement(s) between coders (first 20 listed):"))
    display(disagreements.drop(columns=["wave"]).head(20))
    display(
        triangulation[["dimension", "survey_gap", "gap_ci_low", "gap_ci_high", "gap_rank", "problem_units",
                       "strength_units", "participants", "top_provider_gaps", "convergence"]]
        .assign(dimension=lambda d: d["dimension"].map(DIMENSIONS))
    )
    display(Markdown(f"Convergence rule: {html.escape(str(triangulation['rule'].iloc[0]))}"))
    quotes = triangulation.dropna(subset=["quote"])
    display(Markdown("\n".join(
        f"- **{DIMENSIONS.get(row['dimension'], row['dimension'])}** ({row['convergence']}): "
        f"“{html.escape(str(row['quote']))}” ({html.escape(str(row['quote_document']))}, "
        f"characters {int(row['quote_start'])}–{int(row['quote_end'])})"
        for _, row in quotes.iterrows()
    )))

# %%
heading("Complaints")

# %% [markdown]
# Complaints from the register, coded to SERVQUAL dimensions from the manual codes, else from the
# codebook's keywords (`coded_by`); unmapped complaints are counted, not dropped. Control limits
# (c-chart, 3 sigma; Montgomery 2009) tell a real change from Poisson noise; response times are
# checked against the promises per channel.

# %%
complaints = table("complaints_by_dimension")
if complaints.empty:
    display(Markdown("This wave has no complaint log."))
else:
    display(complaints.drop(columns=["wave", "example"]).assign(dimension=lambda d: d["dimension"].map(lambda v: DIMENSIONS.get(v, v))))
    figure("complaints_pareto")
    figure("complaints_control")
    monthly = table("complaints_monthly")
    signals = monthly[monthly["signal"].fillna("") != ""]
    if signals.empty:
        display(Markdown("No month lies beyond the control limits."))
    else:
        display(Markdown("Months beyond the control limits:"))
        display(signals[["period", "level", "value", "count", "centre", "lcl", "ucl", "signal"]])
    display(table("complaint_response_times").drop(columns="wave"))
    problems = table("complaint_problems")
    if not problems.empty:
        display(Markdown(f"**{len(problems)} problem(s) in the complaint log**, kept as recorded:"))
        display(problems.drop(columns="wave"))
sources = table("triangulation_sources")
if not sources.empty:
    display(Markdown("### Survey, interviews and complaints"))
    display(
        sources[["dimension", "survey_gap", "survey_signal", "interview_signal", "complaints", "complaint_share",
                 "complaint_trend", "complaint_signal", "convergence_all"]]
        .assign(dimension=lambda d: d["dimension"].map(DIMENSIONS))
    )

# %%
heading("Improvement priorities")

# %% [markdown]
# Dimensions and items ranked by the priority index: the shortfall (negative gap) weighted by
# the row's share of importance; zero where the gap is not negative. Provider gaps and actions
# come from the interview evidence and the study's playbook.

# %%
priorities = table("priorities")
if priorities.empty:
    display(Markdown("Improvement priorities need gap scores and an importance measure."))
else:
    display(priorities[priorities["level"] == "dimension"].drop(columns=["wave", "level", "item"]))
    top = priorities[(priorities["level"] == "item") & (priorities["rank"] <= 5)]
    display(top.drop(columns=["wave", "level"]))

# %%
heading("Methods")

# %% [markdown]
# Written from the tables this wave's analyses produced (one sentence per analysis that ran, its
# options read from the tables); it can be pasted into a paper.

# %%
display(Markdown(Path(methods).read_text(encoding="utf-8")))

# %%
heading("Provenance")

# %% [markdown]
# The raw inputs (SHA-256), software versions, seed, the workflow's commit and the command that
# produced this report. The full configuration as used is in `provenance.json` beside it.

# %%
record = json.loads(Path(provenance).read_text(encoding="utf-8"))
display(pd.DataFrame(record["raw_inputs"]))
display(Markdown(
    f"- Workflow commit: `{record['workflow_commit']}`\n"
    f"- Command: `{record['command']}`\n"
    f"- Seed: {record['seed']}\n"
    "- Software: " + ", ".join(f"{k} {v}" for k, v in record["software"].items())
))
