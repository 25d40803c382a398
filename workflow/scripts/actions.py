"""Adapter: every wave's scorecard, cleaned responses and coded complaints, and the action register
-> the KPI trend across waves (table and figure) and the check of every action."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

from pathlib import Path

import pandas as pd

from servqual import plots
from servqual.actions import check_actions, pair_invariance, wave_after
from servqual.i18n import Messages
from servqual.instrument import instrument_from_config
from servqual.kpi import WaveData
from servqual.labels import dimension_labels, kpi_target_name, outcome_labels, segment_labels
from servqual.tables import read_table, write_tables
from servqual.waves import stack_waves

p, i, out = snakemake.params, snakemake.input, snakemake.output
instrument = instrument_from_config(p.instrument, p.measures, p.outcomes)
logs = dict(zip(p.complaint_waves, i.complaints))
data = {w: WaveData(w, pd.read_parquet(r), pd.read_parquet(logs[w]) if w in logs else None)
        for w, r in zip(p.waves, i.responses)}
pairs = sorted({(a["after_wave"], wave_after(p.waves, a["after_wave"])) for a in p.register} - {(w, None) for w in p.waves})
invariance = {(a, b): pair_invariance(data[a].responses, data[b].responses, instrument, min_group_size=p.min_group_size)
              for a, b in pairs}
checks = check_actions(p.register, data, instrument, invariance=invariance, period=p.period, language=p.language,
                       confidence=p.confidence)
trend = stack_waves({w: read_table(path) for w, path in zip(p.waves, i.scorecards)})
write_tables({"action_checks": checks, "kpi_trend": trend}, out)
t = Messages(p.language)
labels = {"dimensions": dimension_labels({"dimensions": p.dimensions}, p.language),
          "segments": segment_labels(p.segments, p.language),
          "outcomes": {"overall": t("report.outcome_overall"), **outcome_labels(p.outcomes, p.language)}}
names = {r["target_id"]: kpi_target_name(t, r, **labels) for _, r in trend.drop_duplicates("target_id").iterrows()}
plots.save(plots.kpi_trend(trend, names, t("figures.title_kpi_trend"), language=p.language), Path(out.figure).with_suffix(""))
