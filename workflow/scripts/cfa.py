"""Adapter: cleaned responses -> CFA fit, loadings, parameters, factor correlations, validity and hints per measure."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

import pandas as pd

from servqual.cfa import cfa_tables, choose_wave_estimator
from servqual.instrument import instrument_from_config, measure_frames
from servqual.tables import stack_by_measure, write_tables

#: Output table -> field of :class:`servqual.cfa.CFATables`.
FIELDS = {"cfa_fit": "fit", "cfa_loadings": "loadings", "cfa_parameters": "parameters",
          "cfa_factor_correlations": "factor_correlations", "cfa_validity": "validity", "cfa_hints": "hints"}

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures)
# Only the ratings are read: the pseudonym column alone costs seconds at a million respondents.
responses = pd.read_parquet(snakemake.input.responses, columns=instrument.rating_columns())
frames = measure_frames(responses, instrument, with_gap=False)
measures = [m for m in ("expectation", "perception") if m in frames]
# One estimator for the wave (auto: MLR when any measure's items depart from normality).
estimator = choose_wave_estimator([frames[m] for m in measures], instrument.item_dimension, p.options["estimator"])
per_measure = {}
for measure in measures:
    result = cfa_tables(frames[measure], instrument.item_dimension, confidence=p.confidence,
                        estimator=estimator, estimator_rule=p.options["estimator"], missing=p.options["missing"])
    per_measure[measure] = {name: getattr(result, field) for name, field in FIELDS.items()}
write_tables(stack_by_measure(per_measure, snakemake.wildcards.wave), snakemake.output)
