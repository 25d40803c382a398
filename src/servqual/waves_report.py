"""The sections of the cross-wave report, written from ``reports/waves/tables/``.

Same design as a wave's report (:mod:`servqual.wave_report`): numbered sections opening with an
interpretation built from the numbers, APA tables, every word from the study language's
catalogue. The order answers a manager's questions first (did service quality change, can the
waves be compared at all), then gives a reviewer the tests and the per-wave psychometrics.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from servqual.apa import Column, format_value, interval
from servqual.cautions import released_constraints, released_suffix
from servqual.loop_report import loop_html
from servqual.report_context import (
    ReportContext,
    cautions_list,
    confidence,
    fit_note,
    ladder_columns,
    section,
    show_robust,
)

#: Waves side by side up to this many; beyond it a table shows means only, to fit the page.
WAVES_WITH_INTERVALS = 4

_HOLDS = ("holds", "holds_by_fit_indices")


def _waves(ctx: ReportContext) -> list[str]:
    scores = ctx.table("wave_gaps")
    return list(dict.fromkeys(scores["wave"])) if "wave" in scores else []


def _comparable(ctx: ReportContext) -> dict[str, bool]:
    """Measure -> whether scalar invariance across waves holds (means comparable)."""
    invariance = ctx.table("invariance")
    if invariance.empty:
        return {}
    by_wave = invariance[invariance["grouping"] == "wave"]
    return {m: bool(rows["means_comparable"].astype(str).eq("True").any()) for m, rows in by_wave.groupby("measure", sort=False)}


def _overall_change_sentence(ctx: ReportContext) -> str:
    """The change of the overall score between the last two waves, in plain words."""
    changes = ctx.table("wave_changes")
    waves = _waves(ctx)
    if changes.empty or len(waves) < 2:
        return ctx.t("report.waves.one_wave")
    overall = changes[(changes["target"].isin(["servqual", "overall", "servperf"]))
                      & (changes["comparison"] == "consecutive") & (changes["wave_b"] == waves[-1])]
    if overall.empty:
        return ""
    row = overall.iloc[0]
    sure = row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0
    direction = "up" if row["diff"] > 0 else "down"
    return ctx.t(f"report.waves.change_{direction}_{'sure' if sure else 'unsure'}",
                 score=ctx.value("score", "servqual" if row["measure"] == "gap" else "servperf"), wave_a=row["wave_a"], wave_b=row["wave_b"],
                 before=format_value(row["mean_a"], "mean"), after=format_value(row["mean_b"], "mean"),
                 change=format_value(abs(row["diff"]), "mean"))


def summary_section(ctx: ReportContext) -> str:
    """For a manager: which waves, the targets and whether the actions worked, then did the overall
    score change, which scores moved, can the waves be compared."""
    heading = ctx.outline.section("summary", ctx.t("report.section.summary"))
    waves = ctx.p("waves.waves", n=len(_waves(ctx)), waves=ctx.t("report.list_separator").join(_waves(ctx)))
    lines = [_overall_change_sentence(ctx)]
    changes = ctx.table("wave_changes")
    if not changes.empty:
        moved = changes[changes["p_adj"] < 0.05]
        better = moved[moved["diff"] > 0]
        worse = moved[moved["diff"] < 0]
        names = lambda d: ctx.t("report.list_separator").join(  # noqa: E731
            dict.fromkeys(f"{ctx.target(r['target'])} ({ctx.value('measure', r['measure'])})" for _, r in d.iterrows()))
        lines.append(ctx.t("report.waves.better", names=names(better)) if len(better) else ctx.t("report.waves.none_better"))
        lines.append(ctx.t("report.waves.worse", names=names(worse)) if len(worse) else ctx.t("report.waves.none_worse"))
    for measure, ok in _comparable(ctx).items():
        lines.append(ctx.t(f"report.waves.comparable_{'yes' if ok else 'no'}", measure=ctx.value("measure", measure)))
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    cautions = ctx.table("cautions")
    caution_heading = f"<h3>{html.escape(ctx.t('report.section.cautions'))}</h3>"
    listed = cautions_list(ctx, cautions, none="cautions.none_waves")
    return f'<section class="summary">{heading}{waves}{loop_html(ctx)}{paragraphs}{caution_heading}{listed}</section>'


@section("invariance", "invariance", none="waves.no_invariance")
def invariance_section(ctx: ReportContext, invariance: pd.DataFrame) -> str:
    """Measurement invariance across waves and segments: can means be compared, which items
    work differently where, and the latent mean differences where they can."""
    wlsmv = bool(invariance["estimator"].eq("WLSMV").any()) if "estimator" in invariance else False
    invariance, mlr = show_robust(invariance)
    rows = invariance.assign(
        grouping_label=lambda d: d["grouping"].map(lambda g: _grouping(ctx, g)),
        measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
        level_label=lambda d: [ctx.value("invariance_level", "scalar_thresholds" if lv == "scalar" and e == "WLSMV" else lv)
                               + (ctx.t("report.ep.partial") if partial else "")
                               for lv, e, partial in zip(d["level"], d["estimator"], d["partial"].astype(str).eq("True"))],
        released_label=lambda d: [released_constraints(r, ctx.t, ctx.items) for r in d["released"]],
        decision_label=lambda d: d["decision"].map(lambda v: ctx.value("decision", v)),
    )
    columns = ladder_columns(ctx, [Column("grouping_label", ctx.t("report.col.grouping"), group=" "),
                                   Column("measure_label", ctx.t("report.col.measure_label"), group=" "),
                                   Column("level_label", ctx.t("report.col.invariance_level"), group=" "),
                                   Column("released_label", ctx.t("report.col.released_label"), group=" ")])
    estimator = ctx.value("estimator", invariance["estimator"].iloc[0])
    lead = ctx.p("waves.invariance_lead_wlsmv") if wlsmv else ctx.p("waves.invariance_lead", estimator=estimator)
    verdicts = "".join(_ladder_words(ctx, g, m, part)
                       for (g, m), part in invariance.groupby(["grouping", "measure"], sort=False))
    note = "invariance_wlsmv" if wlsmv else "invariance_mlr" if mlr else "invariance"
    table = ctx.apa(rows, columns, caption=ctx.caption("invariance"), note=ctx.note(note))
    return lead + verdicts + table + _latent_means_table(ctx, wlsmv)


def _grouping(ctx: ReportContext, grouping: str) -> str:
    return ctx.t("report.waves.by_wave") if grouping == "wave" else ctx.segments.get(grouping, grouping)


def _ladder_words(ctx: ReportContext, grouping: str, measure: str, levels: pd.DataFrame) -> str:
    """Whether the latent means of one grouping and measure can be compared, the items that work
    differently and where (``invariance_released``), and the latent means that differ."""
    names = dict(measure=ctx.value("measure", measure), grouping=_grouping(ctx, grouping))
    scalar = levels[levels["level"] == "scalar"]
    if scalar.empty or (levels["status"] != "ok").any():
        return ctx.p("waves.means_not_assessed", **names)
    if not levels["means_comparable"].astype(str).eq("True").any():
        fiml = levels["missing_policy"].eq("ml").any() if "missing_policy" in levels else False
        return ctx.p("waves.means_no_fiml" if fiml else "waves.means_no", **names)
    last = scalar.iloc[-1]
    if not str(last["partial"]) == "True":
        return ctx.p("waves.means_full", **names) + _latent_words(ctx, grouping, measure, names)
    released = ctx.table("invariance_released")
    released = released[(released["grouping"] == grouping) & (released["measure"] == measure)]
    where = ctx.t("report.list_separator").join(_released_where(ctx, r) for r in released.itertuples())
    key = f"waves.means_partial{released_suffix(last['released'])}"
    return ctx.p(key, where=where, **names) + _latent_words(ctx, grouping, measure, names)


def _released_where(ctx: ReportContext, released: object) -> str:
    """One released constraint in words: the item, the group whose difference from the first
    group was largest, and any other group whose score test was significant."""
    what = released_constraints(f"{released.constraint}:{released.item}", ctx.t, ctx.items)
    others = [g for g in str(released.groups or "").split(";") if g and g != str(released.group)]
    if not others:
        return ctx.t("report.waves.released_where", what=what, group=released.group)
    return ctx.t("report.waves.released_where_more", what=what, group=released.group,
                 others=ctx.t("report.list_separator").join(others))


def _latent_words(ctx: ReportContext, grouping: str, measure: str, names: dict) -> str:
    """The latent means whose interval excludes 0, or that none does."""
    means = ctx.table("latent_means")
    means = means[(means["grouping"] == grouping) & (means["measure"] == measure)]
    level = f"{confidence(means):.0%}"
    clear = means[(means["ci_low"] > 0) | (means["ci_high"] < 0)]
    if clear.empty:
        return ctx.p("waves.latent_none", level=level, reference=means["reference"].iloc[0], **names)
    listed = ctx.t("report.list_separator").join(
        ctx.t("report.waves.latent_one", dimension=ctx.dimension(r.factor), group=r.group,
              diff=format_value(r.diff, "mean"), ci=interval(r.ci_low, r.ci_high, "mean"))
        for r in clear.itertuples())
    return ctx.p("waves.latent_differ", level=level, reference=means["reference"].iloc[0], listed=listed, **names)


def _latent_means_table(ctx: ReportContext, wlsmv: bool) -> str:
    """Latent mean differences of every group from the first, where means can be compared (under
    WLSMV in the units of the latent responses, not of the ratings)."""
    means = ctx.table("latent_means")
    if means.empty or not means["comparable"].astype(str).eq("True").any():
        return ""
    means = means[means["comparable"].astype(str).eq("True")]
    level = f"{confidence(means):.0%}"
    rows = means.assign(
        grouping_label=lambda d: d["grouping"].map(lambda g: _grouping(ctx, g)),
        measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
        label=lambda d: d["factor"].map(ctx.dimension),
        ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["ci_low"], d["ci_high"])])
    columns = [Column("grouping_label", ctx.t("report.col.grouping")),
               Column("measure_label", ctx.t("report.col.measure_label")),
               Column("label", ctx.t("report.col.dimension")), Column("group", ctx.t("report.col.group_label")),
               Column("reference", ctx.t("report.col.reference_group")),
               Column("diff", ctx.t("report.col.estimate"), "mean"), Column("se", "SE", "mean"),
               Column("ci", ctx.t("report.col.ci", level=level)), Column("pvalue", "p", "p"),
               Column("std_diff", ctx.t("report.col.std_difference"), "mean")]
    note = ctx.note("latent_means_wlsmv" if wlsmv else "latent_means", level=level)
    return ctx.apa(rows, columns, caption=ctx.caption("latent_means"), note=note)


def scores_section(ctx: ReportContext) -> str:
    """Each score per wave, waves side by side."""
    heading = ctx.outline.section("scores", ctx.t("report.section.wave_scores"))
    scores = ctx.table("wave_gaps")
    if scores.empty:
        return heading
    waves = _waves(ctx)
    level = f"{confidence(scores):.0%}"
    keys = scores.drop_duplicates(["measure", "target"])[["measure", "target"]].reset_index(drop=True)
    wide = keys.assign(measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
                       target_label=lambda d: d["target"].map(ctx.target))
    columns = [Column("measure_label", ctx.t("report.col.measure_label"), group=" "),
               Column("target_label", ctx.t("report.col.target_label"), group=" ")]
    indexed = scores.set_index(["measure", "target", "wave"])
    for wave in waves:
        at = [indexed.loc[(m, t, wave)] if (m, t, wave) in indexed.index else None for m, t in zip(keys["measure"], keys["target"])]
        wide[f"{wave}_m"] = [r["mean"] if r is not None else None for r in at]
        columns.append(Column(f"{wave}_m", ctx.t("report.col.m"), "mean", group=wave))
        if len(waves) <= WAVES_WITH_INTERVALS:
            wide[f"{wave}_ci"] = [interval(r["ci_low"], r["ci_high"], "mean") if r is not None else None for r in at]
            columns.append(Column(f"{wave}_ci", ctx.t("report.col.ci", level=level), group=wave))
    table = ctx.apa(wide, columns, caption=ctx.caption("wave_scores"), note=ctx.note("wave_scores", level=level))
    return heading + ctx.figure("trend") + table


@section("changes", "wave_changes", none="waves.one_wave")
def changes_section(ctx: ReportContext, changes: pd.DataFrame) -> str:
    """Welch's tests of each score between waves, with the invariance caveat."""
    level = f"{confidence(changes):.0%}"
    comparable = _comparable(ctx)
    observed_only = [m for m, ok in comparable.items() if not ok]
    lead = ctx.p("waves.changes_lead", n=int((changes["p_adj"] < 0.05).sum()), total=len(changes),
                 adjust=ctx.value("adjust", changes["p_adjust"].iloc[0]))
    caveat = ctx.p("waves.observed_only", measures=ctx.t("report.list_separator").join(
        ctx.value("measure", m) for m in observed_only)) if observed_only else ""
    rows = changes.assign(
        measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
        target_label=lambda d: d["target"].map(ctx.target),
        pair=lambda d: [f"{a} → {b}" for a, b in zip(d["wave_a"], d["wave_b"])],
        diff_ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["diff_ci_low"], d["diff_ci_high"])],
    )
    columns = [ctx.col("measure_label"), ctx.col("target_label"), ctx.col("pair"), ctx.col("diff", "mean"),
               Column("diff_ci", ctx.t("report.col.ci", level=level)), Column("t", "t", "mean"),
               Column("df", "df", "mean"), Column("p_adj", "p", "p"), Column("hedges_g", "g", "mean")]
    table = ctx.apa(rows, columns, caption=ctx.caption("wave_changes"),
                       note=ctx.note("wave_changes", adjust=ctx.value("adjust", changes["p_adjust"].iloc[0])))
    return lead + caveat + table


def psychometrics_section(ctx: ReportContext) -> str:
    """Reliability, model fit and exclusions of each wave side by side."""
    heading = ctx.outline.section("per_wave", ctx.t("report.section.per_wave"))
    parts = [heading]
    reliability = ctx.table("wave_reliability")
    if not reliability.empty:
        whole = reliability[reliability["dimension"] == "all"]
        wide = whole.pivot_table(index="measure", columns="wave", values=["alpha", "omega_total"], sort=False)
        frame = pd.DataFrame({"measure_label": [ctx.value("measure", m) for m in wide.index]})
        columns = [Column("measure_label", ctx.t("report.col.measure_label"), group=" ")]
        for wave in _waves(ctx):
            for stat, head in (("alpha", "α"), ("omega_total", "ω")):
                if (stat, wave) in wide.columns:
                    frame[f"{wave}_{stat}"] = wide[(stat, wave)].to_numpy()
                    columns.append(Column(f"{wave}_{stat}", head, "coef", group=wave))
        parts.append(ctx.apa(frame, columns, caption=ctx.caption("wave_reliability"), note=ctx.note("wave_reliability")))
    fit = ctx.table("wave_fit")
    if not fit.empty:
        note = ctx.note(fit_note(fit))
        fit, _ = show_robust(fit[fit["model"] == "instrument"])
        own = fit.assign(
            measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
            verdict_label=lambda d: [ctx.value("verdict", v) if s == "ok" else ctx.value("status", s)
                                     for v, s in zip(d["verdict"], d["status"])])
        parts.append(ctx.apa(own, [ctx.col("wave"), ctx.col("measure_label"), Column("chisq", "χ²", "mean"),
                                      Column("df", "df", "int"), Column("cfi", "CFI", "coef"), Column("tli", "TLI", "coef"),
                                      Column("rmsea", "RMSEA", "coef"), Column("srmr", "SRMR", "coef"), ctx.col("verdict_label")],
                                caption=ctx.caption("wave_fit"), note=note))
    flows = ctx.table("wave_exclusions")
    if not flows.empty:
        steps = flows[flows["step"].isin(["read", "excluded", "kept"])].assign(
            label=lambda d: [ctx.value("cleaning", r if s == "excluded" else s) for s, r in zip(d["step"], d["rule"])])
        wide = steps.pivot_table(index="label", columns="wave", values="n", sort=False).reset_index()
        columns = [ctx.col("label")] + [Column(w, w, "int") for w in _waves(ctx) if w in wide.columns]
        parts.append(ctx.apa(wide, columns, caption=ctx.caption("wave_exclusions"), note=ctx.note("flow")))
    return "".join(parts)


@section("segments", "wave_segments", none="segments.none")
def segments_section(ctx: ReportContext, segments: pd.DataFrame) -> str:
    """The overall score of each segment level per wave."""
    overall = segments[~segments["target"].isin(list(ctx.dimensions))]
    shown = overall if len(overall) else segments
    wide = shown.pivot_table(index=["segment", "level_value", "target"], columns="wave", values="mean", sort=False).reset_index()
    wide = wide.assign(segment_label=lambda d: d["segment"].map(lambda s: ctx.segments.get(s, s)),
                       target_label=lambda d: d["target"].map(ctx.target))
    columns = [ctx.col("segment_label"), ctx.col("level_value"), ctx.col("target_label")]
    columns += [Column(w, w, "mean") for w in _waves(ctx) if w in wide.columns]
    return ctx.p("waves.segments_lead") + ctx.apa(
        wide, columns, caption=ctx.caption("wave_segments"), note=ctx.note("wave_segments"))


@section("complaints", "wave_complaints", none="waves.no_complaints")
def complaints_section(ctx: ReportContext, complaints: pd.DataFrame) -> str:
    """Complaints per dimension in each wave with a complaint log."""
    waves = list(dict.fromkeys(complaints["wave"]))
    frame = pd.DataFrame({"dimension": list(dict.fromkeys(complaints["dimension"]))})
    frame["label"] = frame["dimension"].map(ctx.dimension)
    columns = [Column("label", ctx.t("report.col.dimension"), group=" ")]
    indexed = complaints.set_index(["dimension", "wave"])
    for wave in waves:
        frame[f"{wave}_n"] = [indexed["n_complaints"].get((d, wave)) for d in frame["dimension"]]
        frame[f"{wave}_trend"] = [ctx.value("trend", indexed["trend"].get((d, wave))) if isinstance(indexed["trend"].get((d, wave)), str)
                                  else None for d in frame["dimension"]]
        columns += [Column(f"{wave}_n", ctx.t("report.col.n_complaints"), "int", group=wave),
                    Column(f"{wave}_trend", ctx.t("report.col.trend_label"), group=wave)]
    return ctx.apa(frame, columns, caption=ctx.caption("wave_complaints"), note=ctx.note("wave_complaints"))


def waves_context(tables: str | Path, figures: str | Path, **study: Any) -> ReportContext:
    """The context of the cross-wave report: what every report reads
    (:meth:`~servqual.report_context.ReportContext.read`, with the ``study``'s language,
    instrument, segments and outcomes) from the cross-wave step's tables and figures."""
    return ReportContext.read(tables, figures, **study)


#: The sections after the summary, in the report's order; each takes the context.
BODY = (
    invariance_section,
    scores_section,
    changes_section,
    psychometrics_section,
    segments_section,
    complaints_section,
)
