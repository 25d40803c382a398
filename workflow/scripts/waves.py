"""Adapter: every wave's cleaned responses and tables -> the cross-wave tables and trend chart."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

from pathlib import Path

import pandas as pd

from servqual import plots
from servqual.cautions import caution_labels, invariance_cautions
from servqual.i18n import text
from servqual.instrument import instrument_from_config
from servqual.labels import dimension_labels
from servqual.tables import read_table, write_tables
from servqual.waves import cross_wave_tables

p, i, out = snakemake.params, snakemake.input, snakemake.output
instrument = instrument_from_config(p.instrument, p.measures)
responses = {w: pd.read_parquet(path) for w, path in zip(p.waves, i.responses, strict=True)}
per_wave = {name: {w: read_table(path) for w, path in zip(p.waves, i[name], strict=True)}
            for name in ("cleaning_summary", "reliability", "fit", "segments")}
per_wave["complaints"] = {w: read_table(path) for w, path in zip(p.complaint_waves, i.complaints, strict=True)}
tables = cross_wave_tables(responses, per_wave, instrument, segments=p.segments, confidence=p.confidence,
                           p_adjust=p.p_adjust, min_group_size=p.min_group_size, estimator=p.estimator,
                           missing=p.missing)
tables["cautions"] = invariance_cautions(tables["invariance"], p.language, caution_labels(p.instrument, p.language))
write_tables(tables, out)
labels = pd.Series(dimension_labels(p.instrument, p.language))
trend = plots.wave_trend(tables["wave_gaps"], labels, text(p.language, "figures.title_trend"), language=p.language)
plots.save(trend, Path(out.trend).with_suffix(""))
