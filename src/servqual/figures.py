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
    import matplotlib.pyplot as plt
    import pandas as pd

ALWAYS = ["cleaning_flow", "dimension_means", "snake_plot", "radar", "item_rest", "parallel_analysis", "efa_loadings"]


def figure_names(instrument: Instrument, *, segments: bool, ipa: bool) -> list[str]:
    """Names of the figures of one wave (files ``<name>.png`` and ``<name>.svg``).

    Parameters
    ----------
    instrument
        The study's instrument (which measures it holds).
    segments
        Segment columns are declared.
    ipa
        The importance that the IPA is configured to use is available (stated points, or an
        overall satisfaction item to derive it from).
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
    return names


def wave_figures(
    tables: Mapping[str, pd.DataFrame],
    names: list[str],
    dimension_labels: Mapping[str, str],
    item_labels: Mapping[str, str],
    wave: str,
) -> dict[str, plt.Figure]:
    """Draw the named figures of one wave from its tables (``tables[name]`` as written to
    ``reports/<wave>/tables/<name>.csv``, plus ``cleaning_summary``)."""
    # Imported here, not at the top: the workflow imports figure_names at every start-up, and
    # matplotlib's pyplot and pandas would add more than a second to each `snakemake` call.
    import pandas as pd

    from servqual import plots

    dims, items = pd.Series(dimension_labels), pd.Series({i: f"{i}: {t}" for i, t in item_labels.items()})
    descriptives = tables["descriptives"]
    per_dimension = descriptives[descriptives["level"] == "dimension"].assign(key=lambda d: d["dimension"])
    per_item = descriptives[descriptives["level"] == "item"].assign(key=lambda d: d["item"])
    rated = per_dimension[per_dimension["measure"] != "gap"]
    ipa_rows, zone_rows = (
        tables[name][tables[name]["level"] == "dimension"] if name in tables else None for name in ("ipa", "zone_of_tolerance")
    )
    ipa_items = tables["ipa"][tables["ipa"]["level"] == "item"] if "ipa" in tables else None
    draw: dict[str, Callable[[], plt.Figure]] = {
        "cleaning_flow": lambda: plots.flow_bars(tables["cleaning_summary"]),
        "dimension_means": lambda: plots.measure_profile(rated, dims, f"Dimension means, {wave}"),
        "snake_plot": lambda: plots.measure_profile(
            per_item[per_item["measure"] != "gap"], items, f"Item means (snake plot), {wave}", snake=True
        ),
        "radar": lambda: plots.radar(rated, dims, f"Dimension means, {wave}"),
        # Item-rest r within the item's own dimension, where a misfitting item shows most.
        "item_rest": lambda: plots.item_rest_chart(
            tables["item_reliability"].query("dimension != 'all'"), items, f"Item-rest correlations, {wave}"
        ),
        "parallel_analysis": lambda: plots.scree(tables["parallel_analysis"], f"Parallel analysis, {wave}"),
        "efa_loadings": lambda: plots.loading_heatmap(tables["efa_loadings"], items, f"EFA pattern loadings, {wave}"),
        "item_gaps": lambda: plots.gap_forest(
            tables["gaps_items"].set_index("item"), items, f"Item gaps P − E, {wave}"
        ),
        "ipa": lambda: plots.ipa_grid(
            ipa_rows, ipa_rows["dimension"].map(dims), f"Importance-performance grid, {wave}"
        ),
        # Items are labelled by id: 22 wordings on one grid would overlap; the table names them.
        "ipa_items": lambda: plots.ipa_grid(
            ipa_items, ipa_items["item"], f"Importance-performance grid of the items, {wave}"
        ),
        "zone_of_tolerance": lambda: plots.zone_chart(
            zone_rows, zone_rows["dimension"].map(dims), f"Zone of tolerance, {wave}"
        ),
        "segments": lambda: plots.segment_chart(
            tables["segments"], pd.Series({**dims, "servqual": "SERVQUAL", "servperf": "SERVPERF"}),
            f"Scores by segment, {wave}",
        ),
    }
    return {name: draw[name]() for name in names}

