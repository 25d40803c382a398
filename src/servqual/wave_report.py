"""The sections of a wave's report, written from the tables that wave's run produced.

Each function returns the HTML of one section: a heading numbered by :class:`~servqual.report_page.Outline`,
one or two sentences of interpretation built from the numbers, APA tables
(:mod:`servqual.apa`) and figures. Every word comes from the study language's message catalogue
(:mod:`servqual.i18n`), and every category a table records (a status, a verdict, a quadrant, a
signal) is translated through it, so that a table value without a message stops the report
rather than reaching the reader in English. Nothing here computes a statistic: the numbers are
those of the tables, so each can be checked against ``reports/<wave>/tables/``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from servqual.apa import Column, format_value, interval, p_statement
from servqual.cautions import named_items, released_constraints, released_suffix, tally
from servqual.loop_report import kpi_lead, scorecard_table
from servqual.report_context import (
    ReportContext,
    cautions_list,
    confidence,
    ladder_columns,
    provider_gap_names,
    fit_note,
    section,
    show_robust,
)
from servqual.tables import read_table

#: A path or effect is named in the text when its test reaches this level.
ALPHA = 0.05


@dataclass
class WaveContext(ReportContext):
    """What a wave's report is written from: the context of every report, the wave's cleaning
    flow and the overall scores of the wave before it (for the change since then)."""

    flow: pd.DataFrame = field(default_factory=pd.DataFrame)
    previous_wave: str | None = None
    previous_scores: pd.DataFrame | None = None


def wave_context(
    tables: str | Path,
    figures: str | Path,
    cleaning_summary: str | Path,
    *,
    previous_scores: str | Path | None = None,
    **study: Any,
) -> WaveContext:
    """The context of one wave's report, read from the files the analysis steps wrote: what every
    report reads (:meth:`~servqual.report_context.ReportContext.read`, with the ``study``'s
    language, instrument, segments, outcomes and codebook), the wave's cleaning flow and the
    overall scores of the wave before it."""
    return WaveContext.read(
        tables, figures, **study,
        flow=read_table(cleaning_summary, keep_default_na=False, na_values=[""]),
        previous_wave=Path(previous_scores).parts[-3] if previous_scores else None,
        previous_scores=read_table(previous_scores) if previous_scores else None,
    )


def _present(frame: pd.DataFrame, column: str) -> bool:
    return column in frame and frame[column].notna().any()


def _n(value: object) -> str:
    return format_value(value, "int")


def _m(value: object) -> str:
    return format_value(value, "mean")


def _c(value: object) -> str:
    return format_value(value, "coef")


# --- Summary -------------------------------------------------------------------------------


def overall_score_html(ctx: WaveContext) -> str:
    """The overall score with its interval and its change since the previous wave."""
    scores = ctx.table("servqual_scores")
    if scores.empty:
        return ""
    chosen = scores[scores["score"] == "servqual"]
    row = (chosen if len(chosen) and chosen["mean"].notna().any() else scores[scores["score"] == "servperf"]).iloc[0]
    parts = [ctx.t(f"report.summary.score_{row['score']}", mean=_m(row["mean"]),
                   ci=interval(row["ci_low"], row["ci_high"], "mean"), level=f"{confidence(scores):.0%}",
                   n=_n(row["n"]))]
    previous = ctx.previous_scores
    if previous is not None and not previous.empty and ctx.previous_wave:
        before = previous[previous["score"] == row["score"]]
        if len(before) and pd.notna(before["mean"].iloc[0]):
            change = float(row["mean"]) - float(before["mean"].iloc[0])
            direction = "up" if change > 0 else "down" if change < 0 else "same"
            parts.append(ctx.t(f"report.summary.change_{direction}", change=_m(abs(change)),
                               wave=ctx.previous_wave, before=_m(before["mean"].iloc[0])))
    else:
        parts.append(ctx.t("report.summary.first_wave"))
    return f'<p class="score">{html.escape(ctx.sentences(parts))}</p>'


def _certainty(ctx: WaveContext, row: pd.Series) -> str:
    if pd.notna(row.get("gap_ci_high")) and row["gap_ci_high"] < 0:
        return ctx.t("report.summary.sure", low=_m(-row["gap_ci_high"]), high=_m(-row["gap_ci_low"]))
    return ctx.t("report.summary.unsure", low=_m(row["gap_ci_low"]), high=_m(row["gap_ci_high"]))


def _voices(ctx: WaveContext, dimension: str) -> list[str]:
    """What customers and staff said about a dimension: interview units, a quote, complaints."""
    said = []
    sources = ctx.table("triangulation_sources")
    tri = sources if not sources.empty else ctx.table("triangulation")
    if not tri.empty and dimension in set(tri["dimension"]):
        row = tri[tri["dimension"] == dimension].iloc[0]
        if row["problem_units"] + row["strength_units"] > 0:
            said.append(ctx.t("report.summary.interviews", problems=_n(row["problem_units"]),
                              strengths=_n(row["strength_units"]), participants=_n(row["participants"])))
        if isinstance(row.get("quote"), str) and row["quote"]:
            said.append(ctx.t("report.summary.quote", quote=row["quote"]))
        if "complaints" in row and pd.notna(row["complaints"]):
            said.append(ctx.t("report.summary.complaints", n=_n(row["complaints"]),
                              share=format_value(row["complaint_share"], "percent")))
    return said


def fix_first_html(ctx: WaveContext) -> str:
    """The three things to fix first, in plain words, from the priorities table."""
    priorities = ctx.table("priorities")
    if priorities.empty:
        return ctx.p("summary.no_priorities")
    top = priorities[(priorities["level"] == "dimension") & (priorities["priority_index"] > 0)].head(3)
    if top.empty:
        return ctx.p("summary.nothing_short")
    blocks = [f"<h3>{html.escape(ctx.t('report.summary.fix_first'))}</h3>"]
    for _, row in top.iterrows():
        # Three short paragraphs: how far and how sure; what people said; why and what to do.
        cause = []
        gaps = provider_gap_names(ctx, row.get("provider_gaps"))
        if gaps:
            cause.append(ctx.t("report.summary.provider_gaps", gaps=gaps))
        if isinstance(row.get("actions"), str) and row["actions"]:
            cause.append(ctx.t("report.summary.actions", actions=row["actions"]))
        paragraphs = [
            [ctx.t("report.summary.shortfall", gap=_m(-row["gap"])), _certainty(ctx, row)],
            _voices(ctx, row["dimension"]),
            cause,
        ]
        text = "".join(f"<p>{html.escape(ctx.sentences(p))}</p>" for p in paragraphs if p)
        title = ctx.t("report.summary.fix_title", rank=int(row["rank"]), dimension=ctx.dimension(row["dimension"]))
        blocks.append(f'<div class="fix"><h4>{html.escape(title)}</h4>{text}</div>')
    return "".join(blocks)


def kpi_html(ctx: WaveContext) -> str:
    """The scorecard of the study's targets in this wave, with how many are met (none without targets)."""
    scorecard = ctx.table("kpi_scorecard")
    if scorecard.empty:
        return ""
    heading = f"<h3>{html.escape(ctx.t('report.summary.kpi_heading'))}</h3>"
    return heading + kpi_lead(ctx, scorecard, "summary.kpi_lead") + scorecard_table(ctx, scorecard)


def summary_section(ctx: WaveContext, cautions: pd.DataFrame) -> str:
    """The one-screen summary for a manager, opening with the scorecard: no test statistic."""
    heading = ctx.outline.section("summary", ctx.t("report.section.summary"))
    kept = _flow_count(ctx.flow, "kept")
    read = _flow_count(ctx.flow, "read")
    sample = ctx.p("summary.sample", kept=_n(kept), read=_n(read))
    caution_heading = f"<h3>{html.escape(ctx.t('report.section.cautions'))}</h3>"
    lead = ctx.p("cautions.count", n=len(cautions)) if len(cautions) else ""
    return (
        f'<section class="summary">{heading}{kpi_html(ctx)}{overall_score_html(ctx)}{sample}{fix_first_html(ctx)}'
        f"{caution_heading}{lead}{cautions_list(ctx, cautions)}</section>"
    )


# --- Data and cleaning ---------------------------------------------------------------------


def _flow_count(flow: pd.DataFrame, step: str) -> int:
    rows = flow.loc[flow["step"] == step, "n"]
    return int(rows.iloc[0]) if len(rows) else 0


def data_section(ctx: WaveContext) -> str:
    """Rows read, excluded under each rule, kept; answers set missing."""
    flow = ctx.flow
    read, kept = _flow_count(flow, "read"), _flow_count(flow, "kept")
    heading = ctx.outline.section("data", ctx.t("report.section.data"))
    lead = ctx.p("data.lead", read=_n(read), kept=_n(kept), excluded=_n(read - kept),
                 share=format_value(kept / read if read else math.nan, "percent"))
    steps = flow[flow["step"].isin(["read", "excluded", "kept"])].assign(
        label=lambda d: [ctx.value("cleaning", r if s == "excluded" else s) for s, r in zip(d["step"], d["rule"])]
    )
    table = ctx.apa(steps, [ctx.col("label"), ctx.col("n", "int")], caption=ctx.caption("flow"),
                       note=ctx.note("flow"))
    cells = flow[(flow["step"] == "cells") & (flow["n"] > 0)]
    changed = "".join(
        f"<li>{html.escape(ctx.t('report.data.cells', n=_n(r['n']), what=ctx.value('cells', r['rule'])))}</li>"
        for _, r in cells.iterrows()
    )
    cells_html = f"<ul>{changed}</ul>" if changed else ""
    return heading + lead + table + cells_html + ctx.figure("cleaning_flow")


# --- Descriptives --------------------------------------------------------------------------


def _measures(frame: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame["measure"])) if "measure" in frame else []


def _wide_means(ctx: WaveContext, rows: pd.DataFrame, key: str, labels: Mapping[str, str]) -> tuple[pd.DataFrame, list[Column]]:
    """Mean and SD of each measure side by side, one row per dimension or item."""
    wide = pd.DataFrame({"label": [labels.get(k, k) for k in labels]}, index=list(labels))
    columns = [Column("label", ctx.t(f"report.col.{key}"), group=" ")]
    for measure in _measures(rows):
        part = rows[rows["measure"] == measure].set_index(key)
        name = ctx.value("measure", measure)
        wide[f"{measure}_mean"] = part["mean"].reindex(wide.index)
        wide[f"{measure}_sd"] = part["sd"].reindex(wide.index)
        columns += [Column(f"{measure}_mean", ctx.t("report.col.m"), "mean", group=name),
                    Column(f"{measure}_sd", ctx.t("report.col.sd"), "mean", group=name)]
    return wide.dropna(how="all", subset=[c.name for c in columns[1:]]), columns


@section("descriptives", "descriptives", none="descriptives.none")
def descriptives_section(ctx: WaveContext, descriptives: pd.DataFrame) -> str:
    dims = descriptives[descriptives["level"] == "dimension"]
    items = descriptives[descriptives["level"] == "item"]
    perception = dims[dims["measure"] == "perception"].sort_values("mean")
    lead = ctx.p("descriptives.lead", lowest=ctx.dimension(perception["dimension"].iloc[0]),
                 low=_m(perception["mean"].iloc[0]), highest=ctx.dimension(perception["dimension"].iloc[-1]),
                 high=_m(perception["mean"].iloc[-1])) if len(perception) else ""
    wide, columns = _wide_means(ctx, dims, "dimension", ctx.dimensions)
    by_dimension = ctx.apa(wide, columns, caption=ctx.caption("dimension_means"), note=ctx.note("means"))
    wide, columns = _wide_means(ctx, items, "item", ctx.items)
    by_item = ctx.apa(wide, columns, caption=ctx.caption("item_means"), note=ctx.note("means"))
    return (lead + ctx.figure("dimension_means") + by_dimension + ctx.figure("radar")
            + ctx.figure("snake_plot") + by_item)


# --- Reliability ---------------------------------------------------------------------------


@section("reliability", "reliability", none="reliability.none")
def reliability_section(ctx: WaveContext, reliability: pd.DataFrame) -> str:
    dims = reliability[reliability["dimension"] != "all"]
    weakest = dims.loc[dims["alpha"].idxmin()] if dims["alpha"].notna().any() else None
    lead = ""
    if weakest is not None:
        below = int((dims["alpha"] < 0.70).sum())
        lead = ctx.p("reliability.lead", lowest=ctx.dimension(weakest["dimension"]),
                     measure=ctx.value("measure", weakest["measure"]), alpha=_c(weakest["alpha"]),
                     below=below, scales=len(dims))
    level = f"{confidence(reliability):.0%}"
    rows = reliability.assign(
        measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
        dimension_label=lambda d: d["dimension"].map(lambda v: ctx.t("report.whole_scale") if v == "all" else ctx.dimension(v)),
        alpha_ci=lambda d: [interval(a, b, "coef") for a, b in zip(d["alpha_feldt_low"], d["alpha_feldt_high"])],
        omega_ci=lambda d: [interval(a, b, "coef") for a, b in zip(d["omega_boot_low"], d["omega_boot_high"])],
    )
    alpha, omega = ctx.t("report.col.alpha"), ctx.t("report.col.omega_total")
    columns = [
        Column("measure_label", ctx.t("report.col.measure_label"), group=" "),
        Column("dimension_label", ctx.t("report.col.dimension_label"), group=" "),
        Column("n", ctx.t("report.col.n"), "int", group=" "), Column("k", ctx.t("report.col.k"), "int", group=" "),
        Column("alpha", ctx.t("report.col.estimate"), "coef", group=alpha),
        Column("alpha_ci", ctx.t("report.col.ci", level=level), group=alpha),
        Column("omega_total", ctx.t("report.col.estimate"), "coef", group=omega),
        Column("omega_ci", ctx.t("report.col.ci", level=level), group=omega),
    ]
    if _present(rows, "difference_score_reliability"):
        columns.append(Column("difference_score_reliability", ctx.t("report.col.difference_score_reliability"),
                              "coef", group=" "))
    table = ctx.apa(rows, columns, caption=ctx.caption("reliability"),
                       note=ctx.note("reliability", level=level))
    items = ctx.table("item_reliability")
    flagged = items[items["flags"].notna()] if "flags" in items else pd.DataFrame()
    item_table = ""
    if not flagged.empty:
        flagged = flagged.assign(
            measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
            item_label=lambda d: d["item"].map(ctx.item),
        )
        item_table = ctx.apa(
            flagged, [ctx.col("measure_label"), ctx.col("item_label"), ctx.col("item_rest_r", "coef"),
                      ctx.col("alpha_if_dropped", "coef")],
            caption=ctx.caption("item_flags"), note=ctx.note("item_flags"))
    return lead + table + item_table + ctx.figure("item_rest")


# --- Factor structure ----------------------------------------------------------------------


def _validity_matrix(ctx: WaveContext, validity: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """HTMT or Fornell–Larcker of one measure as a dimension-by-dimension matrix with its failing cells."""
    dims = [d for d in ctx.dimensions if d in set(validity["dimension_a"]) | set(validity["dimension_b"].dropna())]
    labels = [ctx.dimension(d) for d in dims]
    matrix = pd.DataFrame(math.nan, index=labels, columns=labels)
    failed = pd.DataFrame(False, index=range(len(labels)), columns=labels)
    for _, row in validity[validity["kind"] == kind].iterrows():
        a, b = dims.index(row["dimension_a"]), dims.index(row["dimension_b"])
        low, high = max(a, b), min(a, b)
        matrix.iloc[low, high] = row["value"]
        failed.iloc[low, high] = not bool(row["ok"])
    if kind == "fornell_larcker":
        for _, row in validity[validity["kind"] == "ave"].iterrows():
            if row["dimension_a"] in dims:
                i = dims.index(row["dimension_a"])
                matrix.iloc[i, i] = math.sqrt(row["value"])
    return matrix, failed


def _fit_table(ctx: WaveContext, fit: pd.DataFrame) -> str:
    """The models' fit; rows estimated by MLR show the scaled chi-square and the robust indices,
    by WLSMV the scaled-and-shifted chi-square and its indices."""
    note = ctx.note(fit_note(fit))
    fit, _ = show_robust(fit)
    rows = fit.assign(
        measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
        model_label=lambda d: d["model"].map(lambda m: ctx.value("model", m)),
        rmsea_ci=lambda d: [interval(a, b, "coef") for a, b in zip(d["rmsea_ci_low"], d["rmsea_ci_high"])],
        verdict_label=lambda d: [ctx.value("verdict", v) if s == "ok" else ctx.value("status", s)
                                 for v, s in zip(d["verdict"], d["status"])],
    )
    columns = [ctx.col("measure_label"), ctx.col("model_label"), ctx.col("chisq", "mean"),
               ctx.col("df", "int"), ctx.col("pvalue", "p"), ctx.col("cfi", "coef"), ctx.col("tli", "coef"),
               ctx.col("rmsea", "coef"), ctx.col("rmsea_ci"), ctx.col("srmr", "coef"), ctx.col("verdict_label")]
    return ctx.apa(rows, columns, caption=ctx.caption("cfa_fit"), note=note)


def _loadings_tables(ctx: WaveContext, loadings: pd.DataFrame) -> str:
    """The instrument model's loadings of each measure as lavaan prints them: the estimate with
    its SE, z, p and CI, then the standardized loading with its CI and the item's R² (robust SEs
    where the measure's CFA was estimated by MLR or WLSMV)."""
    own = loadings[loadings["model"] == "instrument"]
    fit = ctx.table("cfa_fit")
    estimators = fit.drop_duplicates("measure").set_index("measure")["estimator"] if "estimator" in fit else {}
    level = f"{confidence(own):.0%}"
    raw, std = ctx.t("report.col.unstandardized"), ctx.t("report.col.standardized")
    columns = [Column("dimension_label", ctx.t("report.col.dimension"), group=" "),
               Column("item", ctx.t("report.col.item"), group=" "),
               Column("estimate", ctx.t("report.col.estimate"), "mean", group=raw),
               Column("estimate_se", "SE", "mean", group=raw), Column("z", "z", "mean", group=raw),
               Column("pvalue", "p", "p", group=raw), Column("ci", ctx.t("report.col.ci", level=level), group=raw),
               Column("std_loading", "λ", "mean", group=std),
               Column("std_ci", ctx.t("report.col.ci", level=level), group=std), Column("r2", "R²", "coef", group=std)]
    tables = []
    for measure in _measures(own):
        rows = own[own["measure"] == measure].assign(
            dimension_label=lambda d: d["factor"].map(ctx.dimension),
            ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["ci_low"], d["ci_high"])],
            std_ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["std_ci_low"], d["std_ci_high"])],
        )
        tables.append(ctx.apa(rows, columns, caption=ctx.caption("loadings", measure=ctx.value("measure", measure)),
                              note=ctx.note({"MLR": "loadings_mlr", "WLSMV": "loadings_wlsmv"}.get(
                                  estimators.get(measure, "ML"), "loadings"), level=level)))
    return "".join(tables)


def _factor_correlations_table(ctx: WaveContext, correlations: pd.DataFrame) -> str:
    """The latent correlations of the instrument's dimensions with their SE, CI and p."""
    level = f"{confidence(correlations):.0%}"
    rows = correlations.assign(
        measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
        pair=lambda d: [f"{ctx.dimension(a)} – {ctx.dimension(b)}" for a, b in zip(d["factor_a"], d["factor_b"])],
        ci=lambda d: [interval(a, b, "coef") for a, b in zip(d["ci_low"], d["ci_high"])],
    )
    columns = [ctx.col("measure_label"), Column("pair", ctx.t("report.col.pair_of_dimensions")), Column("r", "r", "coef"),
               Column("se", "SE", "coef"), Column("ci", ctx.t("report.col.ci", level=level)), Column("pvalue", "p", "p")]
    return ctx.apa(rows, columns, caption=ctx.caption("factor_correlations"), note=ctx.note("factor_correlations", level=level))


def _misfit_table(ctx: WaveContext, hints: pd.DataFrame) -> str:
    """The largest residual-covariance modification indices of each measure, with their EPCs
    (under WLSMV those of the DWLS fit on the polychoric correlations)."""
    rows = hints.assign(
        measure_label=lambda d: d["measure"].map(lambda m: ctx.value("measure", m)),
        pair=lambda d: [f"{a} – {b}" for a, b in zip(d["item_a"], d["item_b"])],
    )
    columns = [ctx.col("measure_label"), Column("pair", ctx.t("report.col.pair_of_items")), Column("mi", "MI", "mean"),
               Column("epc", "EPC", "mean"), ctx.col("sepc_all", "coef"), ctx.col("residual_r", "coef")]
    estimators = set(ctx.table("cfa_fit").get("estimator", pd.Series(dtype=str)))
    return ctx.apa(rows, columns, caption=ctx.caption("misfit"),
                   note=ctx.note("misfit_wlsmv" if "WLSMV" in estimators else "misfit"))


def factor_section(ctx: WaveContext) -> str:
    heading = ctx.outline.section("factors", ctx.t("report.section.factors"))
    adequacy, efa_fit, fit = ctx.table("efa_adequacy"), ctx.table("efa_fit"), ctx.table("cfa_fit")
    parts = [heading]
    if not fit.empty:
        own = fit[fit["model"] == "instrument"]
        verdicts = ctx.t("report.list_separator").join(
            ctx.t("report.factors.verdict", measure=ctx.value("measure", r["measure"]),
                  verdict=ctx.value("verdict", r["verdict"]) if r["status"] == "ok" else ctx.value("status", r["status"]))
            for _, r in own.iterrows())
        parts.append(ctx.p("factors.lead", dimensions=len(ctx.dimensions), verdicts=verdicts))
    if not adequacy.empty:
        overall = adequacy[adequacy["item"] == "overall"]
        sentences = [ctx.t("report.factors.adequacy", measure=ctx.value("measure", r["measure"]), kmo=_c(r["kmo"]),
                           chisq=_m(r["bartlett_chisq"]), df=_n(r["bartlett_df"]), p=p_statement(r["bartlett_pvalue"]))
                     for _, r in overall.iterrows()]
        if not efa_fit.empty:
            sentences += [ctx.t("report.factors.retained", measure=ctx.value("measure", r["measure"]),
                                factors=_n(r["n_factors"]), dimensions=len(ctx.dimensions))
                          for _, r in efa_fit.iterrows()]
        parts.append(ctx.outline.subsection("efa", ctx.t("report.section.efa")))
        parts.append("<p>" + html.escape(ctx.sentences(sentences)) + "</p>")
        parts += [ctx.figure("parallel_analysis"), ctx.figure("efa_loadings")]
    if not fit.empty:
        parts.append(ctx.outline.subsection("cfa", ctx.t("report.section.cfa")))
        parts.append(_fit_table(ctx, fit))
        loadings, correlations = ctx.table("cfa_loadings"), ctx.table("cfa_factor_correlations")
        if not loadings.empty:
            parts.append(_loadings_tables(ctx, loadings))
        if not correlations.empty:
            parts.append(_factor_correlations_table(ctx, correlations))
        hints = ctx.table("cfa_hints")
        if not hints.empty:
            parts.append(_misfit_table(ctx, hints))
    validity = ctx.table("cfa_validity")
    if not validity.empty:
        parts.append(ctx.outline.subsection("validity", ctx.t("report.section.validity")))
        for measure in _measures(validity):
            part = validity[validity["measure"] == measure]
            name = ctx.value("measure", measure)
            for kind, number in (("fornell_larcker", "coef"), ("htmt", "coef")):
                if (part["kind"] == kind).any():
                    matrix, failed = _validity_matrix(ctx, part, kind)
                    criterion = part.loc[part["kind"] == "htmt", "criterion"]
                    parts.append(ctx.apa_matrix(matrix, number, caption=ctx.caption(kind, measure=name), marked=failed,
                                             note=ctx.note(kind, criterion=_c(criterion.iloc[0]) if len(criterion) else "")))
    return "".join(parts)


# --- Gaps ----------------------------------------------------------------------------------


def _gap_columns(ctx: WaveContext, frame: pd.DataFrame, first: Column) -> list[Column]:
    level = f"{confidence(frame):.0%}"
    return [first, ctx.col("mean_e", "mean"), ctx.col("mean_p", "mean"), ctx.col("gap", "mean"),
            Column("gap_ci", ctx.t("report.col.ci", level=level)), ctx.col("t", "mean"), ctx.col("p_adj", "p"),
            ctx.col("d_z", "mean")]


def _ep_words(ctx: WaveContext, levels: pd.DataFrame) -> tuple[str, bool]:
    """What the E-versus-P invariance table says about reading the gaps, and whether the gaps are
    differences of the dimensions themselves (scalar equality holds, fully or partially)."""
    if levels.empty:
        return "", True
    if (levels["status"] != "ok").any():
        return ctx.p("gaps.ep_not_assessed"), False
    scalar = levels[levels["level"] == "scalar"]
    if bool(levels["means_comparable"].iloc[0]) and len(scalar):
        last = scalar.iloc[-1]
        if last["partial"]:
            released = released_constraints(last["released"], ctx.t, named_items(ctx.items, ctx.t))
            return ctx.p(f"gaps.ep_partial{released_suffix(last['released'])}", released=released), True
        return ctx.p("gaps.ep_same"), True
    rejected = levels[levels["decision"] == "rejected"]
    level = rejected["level"].iloc[-1] if len(rejected) else "scalar"
    return ctx.p("gaps.ep_rejected", level=ctx.value("invariance_level", level)), False


def _ep_table(ctx: WaveContext, levels: pd.DataFrame) -> str:
    """The E-versus-P invariance ladder, as the cross-wave invariance table prints its levels
    (under MLR the scaled and robust statistics the decisions rest on)."""
    levels, mlr = show_robust(levels)
    rows = levels.assign(
        level_label=lambda d: [ctx.value("invariance_level", lv) + (ctx.t("report.ep.partial") if partial else "")
                               for lv, partial in zip(d["level"], d["partial"])],
        released_label=lambda d: [released_constraints(r, ctx.t, named_items(ctx.items, ctx.t)) for r in d["released"]],
        decision_label=lambda d: d["decision"].map(lambda v: ctx.value("decision", v)),
    )
    columns = ladder_columns(ctx, [Column("level_label", ctx.t("report.col.invariance_level"), group=" "),
                                   Column("released_label", ctx.t("report.col.released_label"), group=" ")])
    return ctx.apa(rows, columns, caption=ctx.caption("ep_invariance"),
                   note=ctx.note("ep_invariance", "ep_invariance_mlr") if mlr else ctx.note("ep_invariance"))


def _ep_means_table(ctx: WaveContext, means: pd.DataFrame) -> str:
    """Change of each dimension from expectations to perceptions in the latent means."""
    level = f"{confidence(means):.0%}"
    rows = means.assign(label=lambda d: d["dimension"].map(ctx.dimension),
                        ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["ci_low"], d["ci_high"])])
    columns = [Column("label", ctx.t("report.col.dimension")), Column("estimate", ctx.t("report.col.estimate"), "mean"),
               Column("se", "SE", "mean"), Column("ci", ctx.t("report.col.ci", level=level)),
               Column("pvalue", "p", "p"), Column("std_all", ctx.t("report.col.std_difference"), "mean")]
    return ctx.apa(rows, columns, caption=ctx.caption("ep_latent_means"), note=ctx.note("ep_latent_means", level=level))


def gaps_section(ctx: WaveContext) -> str:
    heading = ctx.outline.section("gaps", ctx.t("report.section.gaps"))
    dims, items = ctx.table("gaps_dimensions"), ctx.table("gaps_items")
    if not _present(dims, "gap"):
        return heading + ctx.p("gaps.servperf") + _scores_table(ctx)
    ep_levels, ep_means = ctx.table("ep_invariance"), ctx.table("ep_latent_means")
    ep_text, constructs = _ep_words(ctx, ep_levels)
    short = dims[dims["gap_ci_high"] < 0]
    worst = dims.loc[dims["gap"].idxmin()]
    lead = ctx.p("gaps.lead" if constructs else "gaps.lead_ratings", short=len(short), total=len(dims),
                 worst=ctx.dimension(worst["dimension"]), gap=_m(worst["gap"]))
    ep_part = ep_text + (_ep_table(ctx, ep_levels) if not ep_levels.empty else "")
    ep_part += _ep_means_table(ctx, ep_means) if not ep_means.empty else ""
    first = dims.iloc[0]
    note = ctx.note("gaps", level=f"{confidence(dims):.0%}", adjust=ctx.value("adjust", first["p_adjust"]),
                 test=ctx.value("test", first["adjusted_test"]))
    with_ci = lambda d: d.assign(gap_ci=[interval(a, b, "mean") for a, b in zip(d["gap_ci_low"], d["gap_ci_high"])])  # noqa: E731
    dim_rows = with_ci(dims).assign(label=lambda d: d["dimension"].map(ctx.dimension))
    item_rows = with_ci(items).assign(label=lambda d: d["item"].map(ctx.item))
    dim_table = ctx.apa(dim_rows, _gap_columns(ctx, dims, Column("label", ctx.t("report.col.dimension"))),
                           caption=ctx.caption("gaps_dimensions"), note=note)
    item_table = ctx.apa(item_rows, _gap_columns(ctx, items, Column("label", ctx.t("report.col.item"))),
                            caption=ctx.caption("gaps_items"), note=note)
    return (heading + lead + ep_part + dim_table + ctx.figure("item_gaps") + item_table + _scores_table(ctx)
            + _zone(ctx))


def _scores_table(ctx: WaveContext) -> str:
    scores = ctx.table("servqual_scores")
    if scores.empty:
        return ""
    level = f"{confidence(scores):.0%}"
    rows = scores.assign(
        label=lambda d: d["score"].map(lambda s: ctx.value("score", s)),
        ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["ci_low"], d["ci_high"])],
        r_ci=lambda d: [interval(a, b, "coef") for a, b in zip(d["r_ci_low"], d["r_ci_high"])],
    )
    blank, score, validity = " ", ctx.t("report.col.score_group"), ctx.t("report.col.validity_group")
    columns = [Column("score", ctx.t("report.col.score"), group=blank), Column("n", ctx.t("report.col.n"), "int", group=blank),
               Column("mean", ctx.t("report.col.m"), "mean", group=score), Column("sd", ctx.t("report.col.sd"), "mean", group=score),
               Column("ci", ctx.t("report.col.ci", level=level), group=score)]
    if _present(rows, "r_overall"):
        columns += [Column("r_overall", ctx.t("report.col.r_overall"), "coef", group=validity),
                    Column("r_ci", ctx.t("report.col.ci", level=level), group=validity)]
    return ctx.apa(rows.rename(columns={"label": "score_label"}).assign(score=lambda d: d["score_label"]), columns,
                      caption=ctx.caption("scores"), note=ctx.note("scores"))


def _zone(ctx: WaveContext) -> str:
    zone = ctx.table("zone_of_tolerance")
    if zone.empty:
        return ""
    rows = zone[zone["level"] == "dimension"].assign(label=lambda d: d["dimension"].map(ctx.dimension))
    columns = [Column("label", ctx.t("report.col.dimension")), ctx.col("mean_adequate", "mean"),
               ctx.col("mean_desired", "mean"), ctx.col("mean_p", "mean"), ctx.col("msa", "mean"),
               ctx.col("mss", "mean"), ctx.col("share_inside", "percent")]
    return (ctx.outline.subsection("zone", ctx.t("report.section.zone")) + ctx.figure("zone_of_tolerance")
            + ctx.apa(rows, columns, caption=ctx.caption("zone"), note=ctx.note("zone")))


# --- Importance, IPA and outcomes ------------------------------------------------------------


def importance_section(ctx: WaveContext) -> str:
    heading = ctx.outline.section("importance", ctx.t("report.section.importance"))
    ipa, outcomes = ctx.table("ipa"), ctx.table("outcomes")
    parts = [heading]
    if ipa.empty:
        parts.append(ctx.p("importance.none"))
    else:
        dims = ipa[ipa["level"] == "dimension"]
        concentrate = [ctx.dimension(d) for d in dims.loc[dims["quadrant"] == "concentrate here", "dimension"]]
        parts.append(ctx.p("importance.lead_concentrate", dimensions=ctx.t("report.list_separator").join(concentrate))
                     if concentrate else ctx.p("importance.lead_none"))
        parts += [ctx.figure("ipa"), ctx.figure("ipa_items")]
        rows = dims.assign(label=lambda d: d["dimension"].map(ctx.dimension),
                           kind_label=lambda d: d["importance_kind"].map(lambda k: ctx.value("importance_kind", k)),
                           quadrant_label=lambda d: d["quadrant"].map(lambda q: ctx.value("quadrant", q)))
        parts.append(ctx.apa(rows, [Column("label", ctx.t("report.col.dimension")), ctx.col("importance", "mean"),
                                       ctx.col("kind_label"), ctx.col("performance", "mean"),
                                       ctx.col("quadrant_label")],
                                caption=ctx.caption("ipa"), note=ctx.note("ipa")))
    if not outcomes.empty:
        parts.append(ctx.outline.subsection("outcomes", ctx.t("report.section.outcomes")))
        parts.append(_outcomes_table(ctx, outcomes))
    parts.append(_structural_part(ctx))
    return "".join(parts)


def _factor_name(ctx: WaveContext, key: str) -> str:
    """A factor of the structural model: a dimension or an outcome."""
    return ctx.dimension(key) if key in ctx.dimensions else ctx.outcomes.get(key, key)


def _structural_sentences(ctx: WaveContext, fit: pd.Series, paths: pd.DataFrame, effects: pd.DataFrame) -> list[str]:
    """Per outcome its R² and the paths that reach significance, then the indirect effects whose
    interval excludes 0, then the fit."""
    sep, out = ctx.t("report.list_separator"), []
    for outcome, part in paths.groupby("outcome", sort=False):
        strong = part[part["pvalue"] < ALPHA].sort_values("std_all", key=abs, ascending=False)
        named = sep.join(ctx.t("report.structural.path", predictor=_factor_name(ctx, r["predictor"]), beta=_c(r["std_all"]))
                         for _, r in strong.iterrows())
        key = "report.structural.outcome" if len(strong) else "report.structural.outcome_none"
        out.append(ctx.t(key, outcome=_factor_name(ctx, outcome), r2=format_value(part["r2"].iloc[0], "percent"),
                         paths=named))
    indirect = effects[(effects["effect"] == "indirect") & ((effects["ci_low"] > 0) | (effects["ci_high"] < 0))]
    for outcome, part in indirect.groupby("outcome", sort=False):
        named = sep.join(ctx.t("report.structural.path", predictor=_factor_name(ctx, r["predictor"]), beta=_c(r["std_all"]))
                         for _, r in part.iterrows())
        out.append(ctx.t("report.structural.indirect", mediator=_factor_name(ctx, fit["mediator"]),
                         outcome=_factor_name(ctx, outcome), paths=named))
    out.append(ctx.t("report.structural.fit", verdict=ctx.value("verdict", fit["verdict"]), df=_n(fit["df"]),
                     chisq=_m(fit["chisq"]), p=p_statement(fit["pvalue"]), cfi=_c(fit["cfi"]), rmsea=_c(fit["rmsea"]),
                     srmr=_c(fit["srmr"])))
    return out


def _structural_part(ctx: WaveContext) -> str:
    """The structural model from the dimensions to the outcomes: what it says, its paths and,
    with a mediator, the indirect and total effects."""
    fit, paths, effects = ctx.table("sem_fit"), ctx.table("sem_paths"), ctx.table("sem_effects")
    if fit.empty:
        return ""
    row = fit.iloc[0]
    parts = [ctx.outline.subsection("structural", ctx.t("report.section.structural"))]
    if row["status"] != "ok" or paths.empty:
        return "".join(parts) + ctx.p("structural.not_estimated")
    level = f"{confidence(paths):.0%}"
    parts.append("<p>" + html.escape(ctx.sentences(_structural_sentences(ctx, row, paths, effects))) + "</p>")
    parts.append(ctx.figure("path_diagram"))
    rows = paths.assign(outcome_label=lambda d: d["outcome"].map(lambda k: _factor_name(ctx, k)),
                        predictor_label=lambda d: d["predictor"].map(lambda k: _factor_name(ctx, k)),
                        ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["ci_low"], d["ci_high"])])
    columns = [Column("outcome_label", ctx.t("report.col.outcome_label")),
               Column("predictor_label", ctx.t("report.col.predictor_label")),
               Column("estimate", "b", "mean"), Column("se", "SE", "mean"), Column("ci", ctx.t("report.col.ci", level=level)),
               Column("pvalue", "p", "p"), Column("std_all", "β", "coef"), Column("r2", "R²", "coef")]
    parts.append(ctx.apa(rows, columns, caption=ctx.caption("sem_paths"), note=ctx.note("sem_paths", level=level)))
    mediated = effects[effects["effect"] != "direct"]
    # an empty mediator cell reads back as NaN, which is truthy
    if isinstance(row["mediator"], str) and row["mediator"] and not mediated.empty:
        rows = mediated.assign(outcome_label=lambda d: d["outcome"].map(lambda k: _factor_name(ctx, k)),
                               predictor_label=lambda d: d["predictor"].map(lambda k: _factor_name(ctx, k)),
                               effect_label=lambda d: d["effect"].map(lambda v: ctx.value("effect", v)),
                               ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["ci_low"], d["ci_high"])])
        columns = [Column("outcome_label", ctx.t("report.col.outcome_label")),
                   Column("predictor_label", ctx.t("report.col.predictor_label")),
                   Column("effect_label", ctx.t("report.col.effect")), Column("estimate", "b", "mean"),
                   Column("ci", ctx.t("report.col.ci", level=level)), Column("std_all", "β", "coef")]
        note = ctx.note("sem_effects", level=level, interval=ctx.value("interval", row["interval"]),
                        draws=_n(row["n_draws"] - (row.get("draws_failed") or 0)))
        parts.append(ctx.apa(rows, columns, caption=ctx.caption("sem_effects", mediator=_factor_name(ctx, row["mediator"])),
                             note=note))
    return "".join(parts)


def _outcomes_table(ctx: WaveContext, outcomes: pd.DataFrame) -> str:
    """Per outcome: its mean in a sentence, then one row per score or dimension with the
    correlation (predictive validity) or the importance derived from it, side by side."""
    level = f"{confidence(outcomes):.0%}"
    parts = []
    for outcome, part in outcomes.groupby("outcome", sort=False):
        name = ctx.outcomes.get(outcome, outcome)
        mean = part[part["kind"] == "mean"]
        if len(mean):
            row = mean.iloc[0]
            parts.append(ctx.p("importance.outcome_mean", outcome=name, mean=_m(row["value"]),
                               ci=interval(row["ci_low"], row["ci_high"], "mean"), level=level, n=_n(row["n"])))
        rows = part[part["kind"] != "mean"]
        predictors = list(dict.fromkeys(rows["predictor"]))
        wide = pd.DataFrame({"predictor": predictors})
        wide["label"] = [ctx.dimension(p) if p in ctx.dimensions else ctx.value("score", p) for p in predictors]
        columns = [Column("label", ctx.t("report.col.predictor_label"), group=" ")]
        for kind in dict.fromkeys(rows["kind"]):
            values = rows[rows["kind"] == kind].set_index("predictor")
            group = ctx.value("outcome_kind", kind)
            wide[kind] = wide["predictor"].map(values["value"])
            wide[f"{kind}_ci"] = [interval(values["ci_low"].get(p), values["ci_high"].get(p), "coef") if p in values.index
                                  else None for p in predictors]
            columns += [Column(kind, ctx.t("report.col.estimate"), "coef", group=group),
                        Column(f"{kind}_ci", ctx.t("report.col.ci", level=level), group=group)]
        parts.append(ctx.apa(wide, columns, caption=ctx.caption("outcomes", outcome=name), note=ctx.note("outcomes")))
    return "".join(parts)


# --- Segments --------------------------------------------------------------------------------


@section("segments", "segments", none="segments.none")
def segments_section(ctx: WaveContext, segments: pd.DataFrame) -> str:
    tests = segments.drop_duplicates(["segment", "target"])
    differing = tests[tests["welch_p"] < 0.05]
    lead = ctx.p("segments.lead", tested=len(tests), differing=len(differing))
    rows = tests.assign(
        segment_label=lambda d: d["segment"].map(lambda s: ctx.segments.get(s, s)),
        target_label=lambda d: d["target"].map(ctx.target),
        welch=lambda d: [f"F({format_value(a, 'int')}, {format_value(b, 'mean')}) = {format_value(f, 'mean')}"
                         if pd.notna(f) else "—" for f, a, b in zip(d["welch_f"], d["welch_df1"], d["welch_df2"])],
    )
    welch, kruskal = ctx.t("report.col.welch_group"), ctx.t("report.col.kruskal_group")
    columns = [Column("segment_label", ctx.t("report.col.segment_label"), group=" "),
               Column("target_label", ctx.t("report.col.target_label"), group=" "),
               Column("welch", ctx.t("report.col.welch"), group=welch), Column("welch_p", "p", "p", group=welch),
               Column("omega2", "ω²", "coef", group=welch), Column("kw_h", "H", "mean", group=kruskal),
               Column("kw_p", "p", "p", group=kruskal), Column("epsilon2", "ε²", "coef", group=kruskal)]
    first = segments.iloc[0]
    table = ctx.apa(rows, columns, caption=ctx.caption("segments"),
                       note=ctx.note("segments", min_cell=_n(first["min_cell"])))
    levels = segments.assign(
        segment_label=lambda d: d["segment"].map(lambda s: ctx.segments.get(s, s)),
        target_label=lambda d: d["target"].map(ctx.target),
    )
    wide = levels.pivot_table(index=["segment_label", "level_value"], columns="target_label", values="mean", sort=False).reset_index()
    targets = [c for c in wide.columns if c not in ("segment_label", "level_value")]
    level_table = ctx.apa(wide, [ctx.col("segment_label"), ctx.col("level_value")]
                             + [Column(c, c, "mean") for c in targets],
                             caption=ctx.caption("segment_means"), note=ctx.note("segment_means"))
    return lead + ctx.figure("segments") + table + level_table


# --- Interviews ------------------------------------------------------------------------------


@section("interviews", "triangulation", none="interviews.none")
def interviews_section(ctx: WaveContext, triangulation: pd.DataFrame) -> str:
    agreement = ctx.table("coder_agreement")
    overall = agreement[agreement["scope"] == "overall"] if not agreement.empty else agreement
    parts = []
    if not overall.empty:
        row = overall.iloc[0]
        parts.append(ctx.p("interviews.lead", alpha=_c(row["krippendorff_alpha"]),
                           verdict=ctx.value("alpha_verdict", row["alpha_verdict"]), units=_n(row["n_units"])))
    parts.append(ctx.figure("interview_codes"))
    if not agreement.empty:
        level = f"{confidence(agreement):.0%}"
        rows = agreement.assign(
            code_label=lambda d: [ctx.t("report.all_codes") if s == "overall" else ctx.codes.get(c, c)
                                  for s, c in zip(d["scope"], d["code"])],
            alpha_ci=lambda d: [interval(a, b, "coef") for a, b in zip(d["alpha_ci_low"], d["alpha_ci_high"])],
            verdict_label=lambda d: d["alpha_verdict"].map(lambda v: ctx.value("alpha_verdict", v)),
            band_label=lambda d: d["kappa_band"].map(lambda v: ctx.value("kappa_band", v) if isinstance(v, str) else None),
        )
        parts.append(ctx.apa(rows, [ctx.col("code_label"), ctx.col("n_units", "int"),
                                       ctx.col("percent_agreement", "percent"), ctx.col("cohen_kappa", "coef"),
                                       ctx.col("band_label"), ctx.col("krippendorff_alpha", "coef"),
                                       Column("alpha_ci", ctx.t("report.col.ci", level=level)),
                                       Column("verdict_label", ctx.t("report.col.alpha_verdict_label"))],
                                caption=ctx.caption("agreement"), note=ctx.note("agreement")))
    left_out = ctx.table("segments_left_out")
    if not left_out.empty:
        parts.append(ctx.p("interviews.left_out", n=len(left_out), reasons=tally(left_out["reason"], ctx.t.language)))
    level = f"{confidence(ctx.table('gaps_dimensions')):.0%}"
    rows = triangulation.assign(
        label=lambda d: d["dimension"].map(ctx.dimension),
        gap_ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["gap_ci_low"], d["gap_ci_high"])],
        gaps_label=lambda d: d["top_provider_gaps"].map(lambda g: provider_gap_names(ctx, g, short=True)),
        convergence_label=lambda d: d["convergence"].map(lambda v: ctx.value("convergence", v)),
        interview_label=lambda d: d["interview_signal"].map(lambda v: ctx.value("interview_signal", v)),
    )
    parts.append(ctx.apa(rows, [Column("label", ctx.t("report.col.dimension")), ctx.col("survey_gap", "mean"),
                                   Column("gap_ci", ctx.t("report.col.ci", level=level)), ctx.col("problem_units", "int"),
                                   ctx.col("strength_units", "int"), ctx.col("interview_label"),
                                   ctx.col("gaps_label"), ctx.col("convergence_label")],
                            caption=ctx.caption("triangulation"), note=ctx.note("triangulation")))
    quotes = triangulation.dropna(subset=["quote"])
    if len(quotes):
        parts.append("".join(
            f"<blockquote>“{html.escape(str(r['quote']))}”<br><small>{html.escape(ctx.dimension(r['dimension']))} · "
            f"{html.escape(str(r['quote_document']))}</small></blockquote>" for _, r in quotes.iterrows()))
    return "".join(parts)


# --- Complaints ------------------------------------------------------------------------------


@section("complaints", "complaints_by_dimension", none="complaints.none")
def complaints_section(ctx: WaveContext, complaints: pd.DataFrame) -> str:
    top = complaints.sort_values("n_complaints", ascending=False).iloc[0]
    parts = [ctx.p("complaints.lead", n=_n(complaints["n_complaints"].sum()),
                            top=ctx.dimension(top["dimension"]), share=format_value(top["share"], "percent"))]
    rows = complaints.assign(label=lambda d: d["dimension"].map(ctx.dimension),
                             gaps_label=lambda d: d["top_provider_gaps"].map(lambda g: provider_gap_names(ctx, g, short=True)),
                             trend_label=lambda d: d["trend"].map(lambda v: ctx.value("trend", v) if isinstance(v, str) else None))
    parts.append(ctx.apa(rows, [Column("label", ctx.t("report.col.dimension")), ctx.col("n_complaints", "int"),
                                   ctx.col("share", "percent"), ctx.col("gaps_label"), ctx.col("trend_label"),
                                   ctx.col("trend_p", "p")],
                            caption=ctx.caption("complaints"), note=ctx.note("complaints")))
    parts += [ctx.figure("complaints_pareto"), ctx.figure("complaints_control")]
    monthly = ctx.table("complaints_monthly")
    signals = monthly[monthly["signal"].notna()] if "signal" in monthly else monthly
    parts.append(ctx.p("complaints.signals", n=len(signals)))
    times = ctx.table("complaint_response_times")
    if not times.empty:
        times = times.assign(channel=lambda d: d["channel"].map(lambda c: ctx.t("report.all_channels") if c == "all" else c))
        parts.append(ctx.apa(times, [ctx.col("channel"), ctx.col("n", "int"),
                                        ctx.col("response_share_on_time", "percent"),
                                        ctx.col("response_median_hours", "mean"),
                                        ctx.col("resolution_share_on_time", "percent"),
                                        ctx.col("resolution_median_hours", "mean"), ctx.col("overdue_open", "int")],
                                caption=ctx.caption("response_times"), note=ctx.note("response_times")))
    problems = ctx.table("complaint_problems")
    if not problems.empty:
        parts.append(ctx.p("complaints.problems", n=len(problems)))
    return "".join(parts)


# --- Priorities ------------------------------------------------------------------------------


@section("priorities", "priorities", none="priorities.none")
def priorities_section(ctx: WaveContext, priorities: pd.DataFrame) -> str:
    dims = priorities[priorities["level"] == "dimension"]
    level = f"{confidence(ctx.table('gaps_dimensions')):.0%}"
    rows = dims.assign(
        label=lambda d: d["dimension"].map(ctx.dimension),
        gap_ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["gap_ci_low"], d["gap_ci_high"])],
        quadrant_label=lambda d: d["quadrant"].map(lambda q: ctx.value("quadrant", q) if isinstance(q, str) else None),
        gaps_label=lambda d: d["provider_gaps"].map(lambda g: provider_gap_names(ctx, g, short=True)),
    )
    columns = [ctx.col("rank", "int"), Column("label", ctx.t("report.col.dimension")), ctx.col("gap", "mean"),
               Column("gap_ci", ctx.t("report.col.ci", level=level)), ctx.col("importance", "mean"),
               ctx.col("priority_index", "mean"), ctx.col("quadrant_label"), ctx.col("gaps_label")]
    items = priorities[(priorities["level"] == "item") & (priorities["priority_index"] > 0)].head(5)
    item_rows = items.assign(
        label=lambda d: d["item"].map(ctx.item),
        gap_ci=lambda d: [interval(a, b, "mean") for a, b in zip(d["gap_ci_low"], d["gap_ci_high"])],
    )
    item_columns = [ctx.col("rank", "int"), Column("label", ctx.t("report.col.item")), ctx.col("gap", "mean"),
                    Column("gap_ci", ctx.t("report.col.ci", level=level)), ctx.col("priority_index", "mean")]
    short = dims[dims["priority_index"] > 0]
    lead = (ctx.p("priorities.lead", first=ctx.dimension(short["dimension"].iloc[0]), gap=_m(short["gap"].iloc[0]),
                  importance=_m(short["importance"].iloc[0]), short=len(short), total=len(dims))
            if len(short) else ctx.p("summary.nothing_short"))
    return (lead
            + ctx.apa(rows, columns, caption=ctx.caption("priorities"), note=ctx.note("priorities"))
            + (ctx.apa(item_rows, item_columns, caption=ctx.caption("priority_items"), note=ctx.note("priorities"))
               if len(items) else ""))


# --- Methods and provenance ------------------------------------------------------------------


def methods_section(ctx: WaveContext, methods_html: str) -> str:
    """The methods paragraph the narrative step wrote (already in the report's language)."""
    return ctx.outline.section("methods", ctx.t("report.section.methods")) + f'<div class="references">{methods_html}</div>'


def provenance_section(ctx: WaveContext, record: Mapping) -> str:
    heading = ctx.outline.section("provenance", ctx.t("report.section.provenance"))
    inputs = pd.DataFrame(record["raw_inputs"]).assign(digest=lambda d: d["sha256"].str[:16])
    table = ctx.apa(inputs, [ctx.col("path"), ctx.col("bytes", "int"), ctx.col("digest")],
                       caption=ctx.caption("inputs"), note=ctx.note("inputs"))
    software = pd.DataFrame({"package": list(record["software"]), "version": list(record["software"].values())})
    versions = ctx.apa(software, [ctx.col("package"), ctx.col("version")], caption=ctx.t("report.software"))
    facts = [ctx.t("report.provenance.commit", commit=record["workflow_commit"]),
             ctx.t("report.provenance.command", command=record["command"]),
             ctx.t("report.provenance.seed", seed=record["seed"])]
    listed = "".join(f"<li>{html.escape(f)}</li>" for f in facts)
    return heading + ctx.p("provenance.lead") + table + versions + f"<ul>{listed}</ul>"


#: The sections between the summary and the methods, in the report's order; each takes the context.
BODY = (
    data_section,
    descriptives_section,
    reliability_section,
    factor_section,
    gaps_section,
    importance_section,
    segments_section,
    interviews_section,
    complaints_section,
    priorities_section,
)
