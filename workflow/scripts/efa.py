"""Adapter: cleaned responses -> EFA tables for expectation and perception."""

import logging
import sys

import pandas as pd

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

from servqual.efa import EFAError, efa_tables  # noqa: E402
from servqual.instrument import instrument_from_config, measure_frames  # noqa: E402
from servqual.tables import stack_by_measure, write_table  # noqa: E402

p = snakemake.params
instrument = instrument_from_config(p.instrument, p.measures)
# Only the ratings are read: the pseudonym column alone costs seconds at a million respondents.
responses = pd.read_parquet(snakemake.input.responses, columns=instrument.rating_columns())
frames = measure_frames(responses, instrument)
per_measure = {}
for measure in p.options["measures"]:
    if measure not in frames:
        continue
    try:
        per_measure[measure] = efa_tables(
            frames[measure],
            p.options["n_factors"],
            dimensions=instrument.item_dimension,
            method=p.options["method"],
            rotation=p.options["rotation"],
            missing=p.options["missing_policy"],
            n_iter=p.options["n_iter"],
            rule=p.options["rule"],
            seed=p.seed,
        ).as_dict()
    except EFAError as err:
        logging.warning("EFA of %s failed: %s", measure, err)
        per_measure[measure] = {"efa_fit": pd.DataFrame({"status": [f"failed: {err}"]})}
tables = stack_by_measure(per_measure, snakemake.wildcards.wave)
for name, path in zip(
    ("efa_adequacy", "parallel_analysis", "efa_loadings", "efa_factor_correlations", "efa_fit"),
    snakemake.output,
):
    write_table(tables.get(name, pd.DataFrame(columns=["wave", "measure"])), path)
