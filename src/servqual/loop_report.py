"""The improvement loop in a report's words: the KPI scorecard and the checks of the actions.

Shared by a wave's report (the scorecard opens its summary) and the cross-wave report (the
scorecard of the last wave, the targets over the waves and the action checks open it). Every
sentence is written from ``kpi_scorecard.csv``, ``kpi_trend.csv`` and ``action_checks.csv``
(:mod:`servqual.kpi`, :mod:`servqual.actions`); nothing is computed here.
"""

from __future__ import annotations

import html

import pandas as pd

from servqual.apa import Column, format_value, interval
from servqual.labels import kpi_target_name
from servqual.loop_config import rollout_segments, split_list
from servqual.report_context import ReportContext, confidence


def _kind(unit: object) -> str:
    """How a scorecard value prints: shares as percentages, the rest with two decimals."""
    return "percent" if unit == "share" else "mean"


def _goal(ctx: ReportContext, row: pd.Series) -> str:
    goal = ctx.t(f"report.kpi_direction.{row['direction']}", value=format_value(row["target_value"], _kind(row["unit"])))
    return goal if row["unit"] in ("points", "share") else f"{goal} {ctx.value('kpi_unit', row['unit'])}"


def target_name(ctx: ReportContext, row: pd.Series) -> str:
    """A scorecard row's target in the report's words (:func:`servqual.labels.kpi_target_name`)."""
    return kpi_target_name(ctx.t, row, dimensions=ctx.dimensions, segments=ctx.segments,
                           outcomes={"overall": ctx.t("report.outcome_overall"), **ctx.outcomes})


def kpi_lead(ctx: ReportContext, scorecard: pd.DataFrame, key: str, **values: object) -> str:
    """How many targets are met, not met and cannot be told (message ``report.<key>``), and how
    many have no data."""
    counts = scorecard["verdict"].value_counts()
    measured = scorecard[scorecard["verdict"] != "no_data"]
    lead = ctx.p(key, met=int(counts.get("met", 0)), total=len(measured), not_met=int(counts.get("not_met", 0)),
                 unsure=int(counts.get("cannot_tell", 0)), **values)
    missing = int(counts.get("no_data", 0))
    return lead + (ctx.p("summary.kpi_no_data", n=missing) if missing else "")


def scorecard_table(ctx: ReportContext, scorecard: pd.DataFrame) -> str:
    """The scorecard as an APA table: target, goal, value with its interval, verdict, change."""
    level = f"{confidence(scorecard):.0%}"
    kinds = scorecard["unit"].map(_kind)
    rows = pd.DataFrame({
        "target": [target_name(ctx, r) for _, r in scorecard.iterrows()],
        "goal": [_goal(ctx, r) for _, r in scorecard.iterrows()],
        "value": [format_value(v, k) for v, k in zip(scorecard["estimate"], kinds)],
        "ci": [interval(lo, hi, k) for lo, hi, k in zip(scorecard["ci_low"], scorecard["ci_high"], kinds)],
        "verdict": scorecard["verdict"].map(lambda v: ctx.value("kpi_verdict", v)),
        "change": [format_value(v, k) for v, k in zip(scorecard["change"], kinds)],
        "change_ci": [interval(lo, hi, k) for lo, hi, k in zip(scorecard["change_ci_low"], scorecard["change_ci_high"], kinds)],
    })
    # Two intervals, each under the head of what it bounds (APA spanning heads).
    blank, value, change = " ", ctx.t("report.col.kpi_value"), ctx.t("report.col.kpi_change")
    columns = [Column("target", ctx.t("report.col.kpi_target"), group=blank),
               Column("goal", ctx.t("report.col.kpi_goal"), group=blank),
               Column("verdict", ctx.t("report.col.kpi_verdict"), group=blank),
               Column("value", ctx.t("report.col.kpi_estimate"), group=value),
               Column("ci", ctx.t("report.col.ci", level=level), group=value)]
    if scorecard["change"].notna().any():
        columns += [Column("change", ctx.t("report.col.kpi_delta"), group=change),
                    Column("change_ci", ctx.t("report.col.ci", level=level), group=change)]
    return ctx.apa(rows, columns, caption=ctx.caption("kpi_scorecard"), note=ctx.note("kpi_scorecard", level=level))


def _moved(ctx: ReportContext, change: float) -> str:
    shown = format_value(abs(change), "mean")
    if shown == format_value(0.0, "mean"):
        return ctx.t("report.actions.moved_none")
    return ctx.t(f"report.actions.moved_{'up' if change > 0 else 'down'}", amount=shown)


def _names(cell: object) -> list[str]:
    """The ``;``-separated names of a table cell (none where it is empty, read as NaN)."""
    return [] if pd.isna(cell) else split_list(str(cell))


def _targets(ctx: ReportContext, cell: object) -> str:
    names = [ctx.dimension(t) if t in ctx.dimensions else ctx.item(t) for t in _names(cell)]
    return ctx.t("report.list_separator").join(names)


def _categories(ctx: ReportContext, cell: object) -> str:
    """The complaint categories a check counts: a dimension by its label, ``all`` as all topics,
    any other as the complaint logs record it."""
    names = [ctx.t("report.kpi_of_all.complaint_rate") if name == "all" else ctx.dimension(name)
             for name in _names(cell)]
    return ctx.t("report.list_separator").join(names)


def _rollout(ctx: ReportContext, cell: object) -> str:
    """Where an action was rolled out, each segment by its name in the report: ``Branch: North``."""
    return ctx.t("report.list_separator").join(
        ctx.t("report.kpi_segment", segment=ctx.segments.get(segment, segment), level=level) if segment else level
        for segment, level in rollout_segments("" if pd.isna(cell) else str(cell)))


def _check_sentences(ctx: ReportContext, row: pd.Series) -> list[str]:
    """The sentences of one check row (see :data:`servqual.actions.ACTION_COLUMNS`)."""
    level = f"{float(row['confidence']):.0%}"
    common = {"title": row["title"], "wave_a": row["wave_before"], "wave_b": row["wave_after"], "level": level,
                  "targets": _targets(ctx, row["targets"])}
    left_out = {"items": _targets(ctx, row["items_left_out"])}
    if row["verdict"] == "not_comparable" and row["invariance"] == "partial":
        return [ctx.t("report.actions.not_comparable_partial", **common, **left_out)]
    if row["verdict"] in ("not_comparable", "not_yet", "no_data"):
        return [ctx.t(f"report.actions.{row['verdict']}", **common)]
    verdict = ctx.value("action_verdict", row["verdict"])
    difference = {"difference_ci": interval(row["difference_ci_low"], row["difference_ci_high"], "mean"), "verdict": verdict}
    if row["effect"] == "rate_ratio":
        ratio = dict(level=level, difference=format_value(row["difference"], "mean"), **difference)
        if row["comparison"] == "without_rollout":
            return [ctx.t("report.actions.complaints_rollout", **ratio)]
        change = {"targets": _categories(ctx, row["complaint_categories"]), "level": level,
                  "before": format_value(row["before"], "mean"), "after": format_value(row["after"], "mean"),
                  "unit": ctx.value("kpi_unit", row["unit"]), "change": format_value(row["change"], "mean"),
                  "ci": interval(row["change_ci_low"], row["change_ci_high"], "mean")}
        if row["verdict"] == "no_comparison":
            return [ctx.t("report.actions.complaints_no_comparison", **change)]
        return [ctx.t("report.actions.complaints", **change, compared=_categories(ctx, row["compared_with"]),
                      other=format_value(row["other_change"], "mean"),
                      other_ci=interval(row["other_ci_low"], row["other_ci_high"], "mean")),
                ctx.t("report.actions.ratio", **ratio)]
    moved = {"moved": _moved(ctx, row["change"]), "ci": interval(row["change_ci_low"], row["change_ci_high"], "mean")}
    if row["verdict"] == "no_comparison":
        said = [ctx.t("report.actions.no_comparison", **common, **moved)]
    else:
        key = "survey" if row["comparison"] == "untargeted" else "rollout"
        said = [ctx.t(f"report.actions.{key}", segments=_rollout(ctx, row["segments"]),
                      compared=_categories(ctx, row["compared_with"]), **common, **moved,
                      other_moved=_moved(ctx, row["other_change"]),
                      other_ci=interval(row["other_ci_low"], row["other_ci_high"], "mean")),
                ctx.t("report.actions.difference", level=level, difference=format_value(row["difference"], "mean"),
                      **difference)]
    if row["invariance"] == "not_assessed":
        said.append(ctx.t("report.actions.invariance_not_assessed", **common))
    if row["comparison"] == "untargeted" and left_out["items"]:
        said.append(ctx.t("report.actions.items_left_out", **common, **left_out))
    return said


def action_paragraphs(ctx: ReportContext, checks: pd.DataFrame) -> str:
    """One paragraph per action: its survey checks, then its complaint checks, in plain words."""
    paragraphs = []
    for _, rows in checks.groupby("action", sort=False):
        sentences = [s for _, row in rows.iterrows() for s in _check_sentences(ctx, row)]
        paragraphs.append(f"<p>{html.escape(ctx.sentences(sentences))}</p>")
    return "".join(paragraphs)


def action_table(ctx: ReportContext, checks: pd.DataFrame) -> str:
    """The checks as an APA table: action, evidence, comparison, change, difference, verdict."""
    shown = checks[checks["verdict"] != "not_yet"]
    if shown.empty:
        return ""
    level = f"{confidence(shown):.0%}"
    rows = shown.assign(
        evidence_label=shown["evidence"].map(lambda v: ctx.value("action_evidence", v)),
        comparison_label=shown["comparison"].map(lambda v: ctx.value("action_comparison", v)),
        change_ci=[interval(lo, hi, "mean") for lo, hi in zip(shown["change_ci_low"], shown["change_ci_high"])],
        difference_ci=[interval(lo, hi, "mean") for lo, hi in zip(shown["difference_ci_low"], shown["difference_ci_high"])],
        verdict_label=shown["verdict"].map(lambda v: ctx.value("action_verdict", v)),
    )
    blank, change, difference = " ", ctx.t("report.col.action_change"), ctx.t("report.col.action_difference")
    estimate, ci = ctx.t("report.col.kpi_estimate"), ctx.t("report.col.ci", level=level)
    columns = [Column("title", ctx.t("report.col.action_title"), group=blank),
               Column("evidence_label", ctx.t("report.col.action_evidence"), group=blank),
               Column("comparison_label", ctx.t("report.col.action_comparison"), group=blank),
               Column("verdict_label", ctx.t("report.col.action_verdict"), group=blank),
               Column("change", estimate, "mean", group=change), Column("change_ci", ci, group=change),
               Column("difference", estimate, "mean", group=difference), Column("difference_ci", ci, group=difference)]
    return ctx.apa(rows, columns, caption=ctx.caption("action_checks"), note=ctx.note("action_checks", level=level))


def loop_html(ctx: ReportContext) -> str:
    """The cross-wave report's opening: the last wave's scorecard, the targets over the waves and
    the action checks."""
    trend = ctx.table("kpi_trend")
    checks = ctx.table("action_checks")
    parts = [f"<h3>{html.escape(ctx.t('report.section.loop'))}</h3>"]
    if trend.empty:
        parts.append(ctx.p("waves.kpi_none"))
    else:
        last = trend["wave"].iloc[-1]
        scorecard = trend[trend["wave"] == last]
        parts += [kpi_lead(ctx, scorecard, "waves.kpi_lead", wave=last), scorecard_table(ctx, scorecard),
                  ctx.figure("kpi_trend")]
    parts.append(f"<h3>{html.escape(ctx.t('report.waves.actions_heading'))}</h3>")
    parts.append(action_paragraphs(ctx, checks) + action_table(ctx, checks) if len(checks) else ctx.p("waves.actions_none"))
    return "".join(parts)
