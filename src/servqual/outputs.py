"""The registry of the tables the workflow writes: for each CSV table its path, what one row
stands for, and its columns, taken from the column constants of the library module that builds
it (``("wave", *reliability.RELIABILITY_COLUMNS)``: :func:`servqual.tables.write_tables` puts the
``wave`` first, an adapter may put the ``measure`` before the library's columns).

The outputs reference ``docs/outputs.md`` is written from it, column by column with the meaning
the data dictionary gives each column (:func:`servqual.columns.description`):
``python -m servqual.outputs`` rewrites its generated part, and ``tests/test_outputs.py`` checks
that the committed page agrees with the registry and that every registered table of the example
study has exactly these columns. A new table, or a new column, is a line here (and an entry in the
``columns`` and ``dictionary`` catalogues); a column named ``freq_<point>`` stands for one column
per scale point.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from servqual import (
    actions,
    agreement,
    cautions,
    cfa,
    cleaning,
    complaints,
    descriptives,
    ep_invariance,
    gaps,
    interviews,
    invariance,
    kpi,
    outcomes,
    priorities,
    reliability,
    segments,
    structural,
    triangulation,
    waves,
)
from servqual.columns import description
from servqual.efa.tables import EFA_COLUMNS
from servqual.sem import validity

__all__ = ["BEGIN", "END", "TABLES", "Table", "column_pattern", "reference", "update_reference"]


@dataclass(frozen=True)
class Table:
    """A CSV table the workflow writes: its path (``{wave}`` for each wave), what one row stands
    for, and its columns in file order."""

    path: str
    row: str
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        """The table's name: its file's stem, its rule's output key."""
        return Path(self.path).stem


#: Every CSV table of a run, in the order of the outputs reference.
TABLES: tuple[Table, ...] = (
    Table("data/processed/{wave}/exclusions.csv", "excluded respondent", (*cleaning.EXCLUSION_COLUMNS,)),
    Table("data/processed/{wave}/cleaning_summary.csv", "flow step", (*cleaning.SUMMARY_COLUMNS,)),
    Table("reports/{wave}/tables/descriptives.csv", "measure × item or dimension", ("wave", *descriptives.DESCRIPTIVE_COLUMNS)),
    Table("reports/{wave}/tables/item_distribution.csv", "measure × item (item-level measures on a scale of whole-number points; no rows otherwise)", ("wave", *descriptives.DISTRIBUTION_COLUMNS)),
    Table("reports/{wave}/tables/reliability.csv", "measure × dimension (`all` = whole scale)", ("wave", *reliability.RELIABILITY_COLUMNS)),
    Table("reports/{wave}/tables/item_reliability.csv", "measure × item", ("wave", "measure", "dimension", *reliability.ITEM_COLUMNS, "freq_<point>")),
    Table("reports/{wave}/tables/efa_adequacy.csv", "measure × (overall, item)", ("wave", "measure", *EFA_COLUMNS["efa_adequacy"])),
    Table("reports/{wave}/tables/parallel_analysis.csv", "measure × eigenvalue position", ("wave", "measure", *EFA_COLUMNS["parallel_analysis"])),
    Table("reports/{wave}/tables/efa_loadings.csv", "measure × item × factor", ("wave", "measure", *EFA_COLUMNS["efa_loadings"])),
    Table("reports/{wave}/tables/efa_factor_correlations.csv", "measure × factor pair", ("wave", "measure", *EFA_COLUMNS["efa_factor_correlations"])),
    Table("reports/{wave}/tables/efa_fit.csv", "measure", ("wave", "measure", *EFA_COLUMNS["efa_fit"])),
    Table("reports/{wave}/tables/cfa_fit.csv", "measure × model", ("wave", "measure", *cfa.FIT_COLUMNS)),
    Table("reports/{wave}/tables/cfa_loadings.csv", "measure × model × item (in the second-order model also dimension on the second-order factor)", ("wave", "measure", *cfa.LOADING_COLUMNS)),
    Table(
        "reports/{wave}/tables/cfa_parameters.csv",
        "measure × model × parameter (every loading, second-order loading, residual variance, factor variance, disturbance variance and factor covariance, as lavaan's parameterEstimates and standardizedSolution)",
        ("wave", "measure", *cfa.PARAMETERS_COLUMNS),
    ),
    Table("reports/{wave}/tables/cfa_factor_correlations.csv", "measure × pair of dimensions (the instrument's model, the only one with free factor covariances)", ("wave", "measure", *cfa.CORRELATION_COLUMNS)),
    Table("reports/{wave}/tables/cfa_validity.csv", "measure × criterion", ("wave", "measure", *validity.VALIDITY_COLUMNS)),
    Table("reports/{wave}/tables/cfa_hints.csv", "measure × suggested residual covariance", ("wave", "measure", *cfa.HINT_COLUMNS)),
    Table("reports/{wave}/tables/ep_invariance.csv", "level of equality between expectations and perceptions (configural, metric, scalar, strict; a second row where a partial model was fitted)", ("wave", *ep_invariance.EP_COLUMNS)),
    Table("reports/{wave}/tables/ep_latent_means.csv", "dimension (where scalar equality holds, fully or partially)", ("wave", *ep_invariance.LATENT_MEAN_COLUMNS)),
    Table("reports/{wave}/tables/sem_fit.csv", "the structural model from the dimensions to the outcomes (one row; none without outcomes)", ("wave", *structural.FIT_COLUMNS)),
    Table("reports/{wave}/tables/sem_paths.csv", "path (outcome × predictor)", ("wave", *structural.PATH_COLUMNS)),
    Table("reports/{wave}/tables/sem_effects.csv", "outcome × predictor × effect (direct, indirect, total; structural zeros left out)", ("wave", *structural.STRUCTURAL_EFFECT_COLUMNS)),
    Table("reports/{wave}/tables/gaps_items.csv", "item", ("wave", *gaps.GAP_COLUMNS)),
    Table("reports/{wave}/tables/gaps_dimensions.csv", "dimension", ("wave", *gaps.GAP_COLUMNS)),
    Table("reports/{wave}/tables/servqual_scores.csv", "score (SERVQUAL, weighted, SERVPERF)", ("wave", *gaps.SCORE_COLUMNS)),
    Table("reports/{wave}/tables/importance.csv", "dimension × kind (stated, derived)", ("wave", *priorities.IMPORTANCE_COLUMNS)),
    Table("reports/{wave}/tables/outcomes.csv", "outcome × (mean, r of each overall score, derived importance of each dimension)", ("wave", *outcomes.OUTCOME_COLUMNS)),
    Table("reports/{wave}/tables/ipa.csv", "dimension or item", ("wave", *priorities.IPA_COLUMNS)),
    Table("reports/{wave}/tables/segments.csv", "segment × level × dimension", ("wave", *segments.SEGMENT_COLUMNS)),
    Table("reports/{wave}/tables/segments_posthoc.csv", "segment × dimension × pair of levels", ("wave", *segments.POSTHOC_COLUMNS)),
    Table("reports/{wave}/tables/zone_of_tolerance.csv", "item or dimension (three-column studies)", ("wave", *gaps.ZONE_COLUMNS)),
    Table("reports/{wave}/tables/priorities.csv", "dimension, then item, in rank order", ("wave", *priorities.PRIORITY_COLUMNS)),
    Table("reports/{wave}/tables/interview_codes.csv", "level (code, dimension, provider gap, valence) × value × document group (customers, staff, all) × source (human, suggested)", ("wave", *interviews.COUNT_COLUMNS)),
    Table("reports/{wave}/tables/coder_agreement.csv", "code, plus one overall row `(all codes)`", ("wave", *agreement.AGREEMENT_COLUMNS)),
    Table("reports/{wave}/tables/coder_disagreements.csv", "unit × code that one coder applied and another did not", ("wave", "document", "unit", "speaker", "code", "coded_by", "not_coded_by")),
    Table("reports/{wave}/tables/segments_left_out.csv", "coded segment left out of every analysis, with the reason (no text)", ("wave", *interviews.LEFT_OUT_COLUMNS)),
    Table("reports/{wave}/tables/quotes.csv", "level (dimension, provider gap) × value × valence × rank", ("wave", *interviews.QUOTE_COLUMNS)),
    Table("reports/{wave}/tables/triangulation.csv", "dimension", ("wave", *triangulation.TRIANGULATION_COLUMNS, "provider_gaps")),
    Table("reports/{wave}/tables/complaints_by_dimension.csv", "dimension, then `(unmapped)`", ("wave", *complaints.DIMENSION_COLUMNS)),
    Table("reports/{wave}/tables/complaints_monthly.csv", "level (all, dimension, provider gap, category, channel, branch, department) × value × period", ("wave", *complaints.MONTHLY_COLUMNS)),
    Table("reports/{wave}/tables/complaint_response_times.csv", "channel, plus `all`", ("wave", *complaints.RESPONSE_COLUMNS)),
    Table("reports/{wave}/tables/complaints_pareto.csv", "recorded category, most frequent first", ("wave", *complaints.PARETO_COLUMNS)),
    Table("reports/{wave}/tables/complaint_problems.csv", "fault in the complaint log", ("wave", *complaints.PROBLEM_COLUMNS)),
    Table(
        "reports/{wave}/tables/triangulation_sources.csv",
        "dimension (waves with interviews and a complaint log)",
        ("wave", *triangulation.TRIANGULATION_COLUMNS, "provider_gaps", "complaints", "complaint_share", "complaint_trend", "complaint_example", "complaint_signal", "readings", "convergence_all"),
    ),
    Table("reports/{wave}/tables/cautions.csv", "condition a reviewer would flag", ("wave", *cautions.CAUTION_COLUMNS)),
    Table("reports/{wave}/tables/kpi_scorecard.csv", "target of the config", (*kpi.SCORECARD_COLUMNS,)),
    Table("reports/waves/tables/wave_gaps.csv", "wave × measure (gap, perception) × dimension or `overall`", (*waves.SCORE_COLUMNS,)),
    Table("reports/waves/tables/wave_changes.csv", "measure × target × pair of waves (consecutive, and from the first wave)", (*waves.CHANGE_COLUMNS,)),
    Table("reports/waves/tables/invariance.csv", "grouping (wave, each segment) × measure × level (configural, metric, scalar, strict; a second row where a partial model was fitted; under WLSMV scalar with equal thresholds and strict with equal residual variances of the latent responses, and six more columns: cfi_scaled, tli_scaled, rmsea_scaled, rmsea_scaled_ci_low, rmsea_scaled_ci_high, shift_parameter)", ("grouping", "measure", *invariance.INVARIANCE_COLUMNS)),
    Table("reports/waves/tables/invariance_released.csv", "grouping × measure × constraint released by the partial-invariance search, in order", ("grouping", "measure", *invariance.RELEASED_COLUMNS)),
    Table("reports/waves/tables/latent_means.csv", "grouping × measure × factor × group (all but the first group)", ("grouping", "measure", *invariance.LATENT_DIFFERENCE_COLUMNS)),
    Table("reports/waves/tables/wave_reliability.csv", "wave × the rows of `reliability.csv`", ("wave", *reliability.RELIABILITY_COLUMNS)),
    Table("reports/waves/tables/wave_fit.csv", "wave × the rows of `cfa_fit.csv`", ("wave", "measure", *cfa.FIT_COLUMNS)),
    Table("reports/waves/tables/wave_segments.csv", "wave × the rows of `segments.csv`", ("wave", *segments.SEGMENT_COLUMNS)),
    Table("reports/waves/tables/wave_complaints.csv", "wave with a complaint log × the rows of `complaints_by_dimension.csv`", ("wave", *complaints.DIMENSION_COLUMNS)),
    Table("reports/waves/tables/wave_exclusions.csv", "wave × flow step", ("wave", *cleaning.SUMMARY_COLUMNS, "share_of_read")),
    Table("reports/waves/tables/cautions.csv", "invariance condition a reviewer would flag", (*cautions.CAUTION_COLUMNS,)),
    Table("reports/waves/tables/kpi_trend.csv", "wave × the rows of `kpi_scorecard.csv`", (*kpi.SCORECARD_COLUMNS,)),
    Table("reports/waves/tables/action_checks.csv", "action × evidence (survey, complaints) × comparison (untargeted; without_rollout where rolled out in some segments)", (*actions.ACTION_COLUMNS,)),
)

#: The lines around the part of ``docs/outputs.md`` that :func:`update_reference` writes.
BEGIN = "<!-- BEGIN tables: written by `python -m servqual.outputs` from servqual.outputs.TABLES; do not edit -->"
END = "<!-- END tables -->"


def column_pattern(columns: tuple[str, ...]) -> str:
    """A regular expression for a CSV header with these columns, ``freq_<point>`` standing for
    one column per scale point.

    >>> bool(re.fullmatch(column_pattern(("item", "freq_<point>")), "item,freq_1,freq_2"))
    True
    """
    family = r"{0}-?\d+(?:\.\d+)?(?:,{0}-?\d+(?:\.\d+)?)*"
    return ",".join(family.format(re.escape(c.split("<")[0])) if "<" in c else re.escape(c) for c in columns)


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def reference(language: str = "en") -> str:
    """The generated part of the outputs reference: each table, what a row is, and each column
    with its meaning and unit from the data dictionary in ``language``."""
    parts = []
    for table in TABLES:
        rows = []
        for column in table.columns:
            entry = description(language, column, table.name)
            rows.append(f"| `{column}` | {_cell(entry['meaning'])} | {_cell(entry['unit'])} |")
        head = f"### `{table.path}`\n\nOne row per {table.row}.\n\n| column | meaning | unit |\n|---|---|---|\n"
        parts.append(head + "\n".join(rows) + "\n")
    return "\n".join(parts)


def update_reference(page: str) -> str:
    """``page`` (the text of ``docs/outputs.md``) with its generated part rewritten from the registry."""
    start, end = page.index(BEGIN) + len(BEGIN), page.index(END)
    return f"{page[:start]}\n\n{reference()}\n{page[end:]}"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/outputs.md")
    path.write_text(update_reference(path.read_text(encoding="utf-8")), encoding="utf-8")
