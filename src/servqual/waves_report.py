"""The sections of the cross-wave report, written from ``reports/waves/tables/``.

Same design as a wave's report (:mod:`servqual.wave_report`): numbered sections opening with an
interpretation built from the numbers, APA tables, every word from the study language's
catalogue. The order answers a manager's questions first (did service quality change, can the
waves be compared at all), then gives a reviewer the tests and the per-wave psychometrics.
"""

from __future__ import annotations

import html

import pandas as pd

from servqual.apa import Column, format_value, interval
from servqual.loop_report import loop_html
from servqual.report_context import ReportContext, cautions_list, confidence, fit_note, ladder_columns, show_robust

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


def invariance_section(ctx: ReportContext) -> str:
    """Measurement invariance across waves and segments: can means be compared?"""
    heading = ctx.outline.section("invariance", ctx.t("report.section.invariance"))
    invariance = ctx.table("invariance")
    if invariance.empty:
        return heading + ctx.p("waves.no_invariance")
    wlsmv = bool(invariance["estimator"].eq("WLSMV").any()) if "estimator" in invariance else False
    invariance, mlr = show_robust(invariance)
    rows = invariance.assign(
        grouping_label=lambda d: d["grouping"].map(lambda g: ctx.t("report.waves.by_wave") if g == "wave" else ctx.segments.get(g, g)),
        measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
        level_label=lambda d: d["level"].map(lambda v: ctx.value("invariance_level", v)),
        decision_label=lambda d: d["decision"].map(lambda v: ctx.value("decision", v)),
    )
    columns = ladder_columns(ctx, [Column("grouping_label", ctx.t("report.col.grouping"), group=" "),
                                   Column("measure_label", ctx.t("report.col.measure_label"), group=" "),
                                   Column("level_label", ctx.t("report.col.invariance_level"), group=" ")])
    lead = ctx.p("waves.invariance_lead_wlsmv" if wlsmv else "waves.invariance_lead")
    note = "invariance_wlsmv" if wlsmv else "invariance_mlr" if mlr else "invariance"
    return heading + lead + ctx.apa(rows, columns, caption=ctx.caption("invariance"), note=ctx.note(note))


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


def changes_section(ctx: ReportContext) -> str:
    """Welch's tests of each score between waves, with the invariance caveat."""
    heading = ctx.outline.section("changes", ctx.t("report.section.changes"))
    changes = ctx.table("wave_changes")
    if changes.empty:
        return heading + ctx.p("waves.one_wave")
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
    return heading + lead + caveat + table


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


def segments_section(ctx: ReportContext) -> str:
    """The overall score of each segment level per wave."""
    heading = ctx.outline.section("segments", ctx.t("report.section.segments"))
    segments = ctx.table("wave_segments")
    if segments.empty:
        return heading + ctx.p("segments.none")
    overall = segments[~segments["target"].isin(list(ctx.dimensions))]
    shown = overall if len(overall) else segments
    wide = shown.pivot_table(index=["segment", "level_value", "target"], columns="wave", values="mean", sort=False).reset_index()
    wide = wide.assign(segment_label=lambda d: d["segment"].map(lambda s: ctx.segments.get(s, s)),
                       target_label=lambda d: d["target"].map(ctx.target))
    columns = [ctx.col("segment_label"), ctx.col("level_value"), ctx.col("target_label")]
    columns += [Column(w, w, "mean") for w in _waves(ctx) if w in wide.columns]
    return heading + ctx.p("waves.segments_lead") + ctx.apa(
        wide, columns, caption=ctx.caption("wave_segments"), note=ctx.note("wave_segments"))


def complaints_section(ctx: ReportContext) -> str:
    """Complaints per dimension in each wave with a complaint log."""
    heading = ctx.outline.section("complaints", ctx.t("report.section.complaints"))
    complaints = ctx.table("wave_complaints")
    if complaints.empty:
        return heading + ctx.p("waves.no_complaints")
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
    return heading + ctx.apa(frame, columns, caption=ctx.caption("wave_complaints"), note=ctx.note("wave_complaints"))
