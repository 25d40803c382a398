"""Which figures a wave gets, and drawing them from the tables the analysis steps wrote.

The figure set depends only on the study definition (a perception-only study has no gap chart, a
three-column study has a zone-of-tolerance chart, ...), so the workflow can declare every figure
as an output before any data is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from typing import TYPE_CHECKING

from servqual.instrument import Instrument

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

ALWAYS = ["cleaning_flow", "dimension_means", "snake_plot", "radar", "item_rest", "parallel_analysis", "efa_loadings"]


def figure_names(instrument: Instrument, *, segments: bool, ipa: bool, structural: bool = False) -> list[str]:
    """Names of the figures of one wave (files ``<name>.png``).

    Parameters
    ----------
    instrument
        The study's instrument (which measures it holds).
    segments
        Segment columns are declared.
    ipa
        The importance that the IPA is configured to use is available (stated points, or an
        overall satisfaction item to derive it from).
    structural
        The study has outcomes (``measures.overall`` or ``outcomes``), so the structural model
        is fitted and drawn as a path diagram.
    """
    names = list(ALWAYS)
    if instrument.has_gap:
        names.append("item_gaps")
    if ipa:
        names += ["ipa", "ipa_items"]
    if {"adequate", "desired"} <= set(instrument.item_measures):
        names.append("zone_of_tolerance")
    if segments:
        names.append("segments")
    if structural:
        names.append("path_diagram")
    return names


def quadrant_name(quadrant: str, language: str = "en") -> str:
    """The reader's name of an IPA quadrant, from the stable key the IPA and priority tables hold
    (``concentrate here``, ``keep up the good work``, ``low priority``, ``possible overkill``).

    >>> quadrant_name("keep up the good work", "ko")
    '현상 유지'
    """
    from servqual.i18n import Messages

    t = Messages(language)
    key = "figures.quadrant_" + str(quadrant).replace(" ", "_")
    return t(key) if key in t else str(quadrant)


def wave_figures(
    tables: Mapping[str, pd.DataFrame],
    names: list[str],
    dimension_labels: Mapping[str, str],
    item_labels: Mapping[str, str],
    wave: str,
    *,
    language: str = "en",
    segment_labels: Mapping[str, str] | None = None,
    outcome_labels: Mapping[str, str] | None = None,
) -> dict[str, Figure]:
    """Draw the named figures of one wave from its tables (``tables[name]`` as written to
    ``reports/<wave>/tables/<name>.csv``, plus ``cleaning_summary``), every text in ``language``
    (the ``figures`` catalogue) and the study's labels: dimensions, item wordings, segment
    names (``segment_labels``: segment -> text; by default its short name, spaced) and outcome
    names (``outcome_labels``: outcome id -> text; overall satisfaction is named by the catalogue).
    The path diagram draws the paths of a proper solution only (an empty, titled figure
    otherwise, as the report then shows none)."""
    # Imported here, not at the top: the workflow imports figure_names at every start-up, and
    # matplotlib and pandas would add more than a second to each `snakemake` call.
    import pandas as pd

    from servqual import plots
    from servqual.i18n import Messages
    from servqual.path_diagram import path_diagram

    t = Messages(language)

    def title(name: str) -> str:
        return t(f"figures.title_{name}", wave=wave)

    dims = pd.Series(dimension_labels)
    items = pd.Series({i: f"{i}: {text}" for i, text in item_labels.items()})
    descriptives = tables["descriptives"]
    per_dimension = descriptives[descriptives["level"] == "dimension"].assign(key=lambda d: d["dimension"])
    per_item = descriptives[descriptives["level"] == "item"].assign(key=lambda d: d["item"])
    rated = per_dimension[per_dimension["measure"] != "gap"]
    ipa_rows, zone_rows = (
        tables[name][tables[name]["level"] == "dimension"] if name in tables else None for name in ("ipa", "zone_of_tolerance")
    )
    ipa_items = tables["ipa"][tables["ipa"]["level"] == "item"] if "ipa" in tables else None
    language_only = {"language": language}
    # Outcome names are written to stand inside a sentence ("overall satisfaction"); a box opens with a capital.
    outcomes = {"overall": t("report.outcome_overall"), **(outcome_labels or {})}
    factors = {**dimension_labels, **{k: name[:1].upper() + name[1:] for k, name in outcomes.items()}}
    draw: dict[str, Callable[[], Figure]] = {
        "cleaning_flow": lambda: plots.flow_bars(tables["cleaning_summary"], title("cleaning_flow"), **language_only),
        "dimension_means": lambda: plots.measure_profile(rated, dims, title("dimension_means"), **language_only),
        "snake_plot": lambda: plots.measure_profile(
            per_item[per_item["measure"] != "gap"], items, title("snake_plot"), snake=True, **language_only
        ),
        "radar": lambda: plots.radar(rated, dims, title("radar"), **language_only),
        # Item-rest r within the item's own dimension, where a misfitting item shows most.
        "item_rest": lambda: plots.item_rest_chart(
            tables["item_reliability"].query("dimension != 'all'"), items, title("item_rest"), **language_only
        ),
        "parallel_analysis": lambda: plots.scree(tables["parallel_analysis"], title("parallel_analysis"), **language_only),
        "efa_loadings": lambda: plots.loading_heatmap(
            tables["efa_loadings"], items, title("efa_loadings"), factor_labels=dimension_labels, **language_only
        ),
        "item_gaps": lambda: plots.gap_forest(
            tables["gaps_items"].set_index("item"), items, title("item_gaps"), **language_only
        ),
        "ipa": lambda: plots.ipa_grid(ipa_rows, ipa_rows["dimension"].map(dims), title("ipa"), **language_only),
        # Items are labelled by id on the grid (22 wordings would print over each other) and
        # listed with their wording quadrant by quadrant beside it.
        "ipa_items": lambda: plots.ipa_grid(
            ipa_items, ipa_items["item"], title("ipa_items"), key=pd.Series(dict(item_labels)), **language_only
        ),
        "zone_of_tolerance": lambda: plots.zone_chart(
            zone_rows, zone_rows["dimension"].map(dims), title("zone_of_tolerance"), **language_only
        ),
        "segments": lambda: plots.segment_chart(
            tables["segments"], dims, title("segments"), segment_labels=segment_labels, **language_only
        ),
        "path_diagram": lambda: path_diagram(*_proper_paths(tables["sem_fit"], tables["sem_paths"]), factors,
                                             title("path_diagram"), **language_only),
    }
    return {name: draw[name]() for name in names}


def _proper_paths(fit: pd.DataFrame, paths: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The paths of the structural model and its mediator ('' for none), no paths unless the
    model was estimated with a proper solution."""
    if fit.empty or fit["status"].iloc[0] != "ok":
        return paths.iloc[:0], ""
    mediator = fit["mediator"].iloc[0]
    # an empty mediator cell reads back as NaN
    return paths, mediator if isinstance(mediator, str) else ""


def complaint_figures(
    pareto: pd.DataFrame, monthly: pd.DataFrame, dimension_labels: Mapping[str, str], wave: str, period: str, *,
    language: str = "en",
) -> dict[str, Figure]:
    """The complaint step's two figures, named by their outputs: ``pareto_png`` (the Pareto chart of
    complaint categories) and ``control_png`` (complaints per ``period`` with control limits)."""
    # Imported here for the reason wave_figures gives.
    import pandas as pd

    from servqual import plots
    from servqual.i18n import Messages

    t = Messages(language)
    control_title = t("figures.title_complaints_control", wave=wave, period=t(f"figures.period_{period}"))
    pareto_title = t("figures.title_complaints_pareto", wave=wave)
    return {
        "pareto_png": plots.complaint_pareto(pareto, pareto_title, language=language),
        "control_png": plots.control_chart(monthly, pd.Series(dimension_labels), control_title, language=language),
    }
