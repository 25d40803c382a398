"""Adapter: every wave's cleaned responses and tables -> the cross-wave tables and trend chart."""

import logging
import sys
from pathlib import Path

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

import pandas as pd  # noqa: E402

from servqual import plots  # noqa: E402
from servqual.cautions import caution_labels, invariance_cautions  # noqa: E402
from servqual.instrument import instrument_from_config, measure_frames  # noqa: E402
from servqual.invariance import measurement_invariance  # noqa: E402
from servqual.i18n import text  # noqa: E402
from servqual.labels import dimension_labels  # noqa: E402
from servqual.tables import read_table, write_table  # noqa: E402
from servqual.waves import respondent_targets, stack_waves, wave_changes, wave_scores  # noqa: E402

p, inputs, out = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
instrument = instrument_from_config(p.instrument, p.measures)
responses = {w: pd.read_parquet(path) for w, path in zip(p.waves, inputs.responses)}
targets = {w: respondent_targets(frame, instrument) for w, frame in responses.items()}
scores = wave_scores(targets, p.confidence)
write_table(scores, out.scores)
write_table(wave_changes(targets, p.confidence, p.p_adjust), out.changes)

# Invariance across waves, and across each segment with all waves pooled.
pooled = pd.concat(responses.values(), keys=responses.keys(), names=["wave", "row"]).reset_index("wave")
groupings = {"wave": pooled["wave"], **{s: pooled[s].astype("string") for s in p.segments}}
invariance = []
for measure in [m for m in ("expectation", "perception") if m in instrument.item_measures]:
    items = measure_frames(pooled, instrument, with_gap=False)[measure]
    for grouping, labels in groupings.items():
        table = measurement_invariance(items, instrument.item_dimension, labels, min_group_size=p.min_group_size,
                                       missing=p.missing)
        invariance.append(table.assign(grouping=grouping, measure=measure))
invariance = pd.concat(invariance, ignore_index=True)
write_table(invariance[["grouping", "measure", *invariance.columns[:-2]]], out.invariance)
write_table(invariance_cautions(invariance, p.language, caution_labels(p.instrument, p.language)), out.cautions)

for name, paths in (("reliability", inputs.reliability), ("fit", inputs.cfa_fit), ("segments", inputs.segments)):
    write_table(stack_waves({w: read_table(path) for w, path in zip(p.waves, paths)}), out[name])
complaint_tables = {w: read_table(path) for w, path in zip(p.complaint_waves, inputs.complaints)}
write_table(stack_waves(complaint_tables) if complaint_tables else pd.DataFrame(columns=["wave"]), out.complaints)
flows = stack_waves({w: read_table(path) for w, path in zip(p.waves, inputs.summaries)})
# Each flow step as a share of the rows its wave read (the first row of each flow).
flows["share_of_read"] = flows["n"] / flows.groupby("wave")["n"].transform("first")
write_table(flows, out.exclusions)

labels = pd.Series(dimension_labels(p.instrument, p.language))
trend = plots.wave_trend(scores, labels, text(p.language, "figures.title_trend"), language=p.language)
plots.save(trend, Path(out.trend).with_suffix(""))
