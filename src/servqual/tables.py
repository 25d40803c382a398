"""Assembling per-measure result tables into the pipeline's tidy output tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def stack_by_measure(per_measure: Mapping[str, Mapping[str, pd.DataFrame]], wave: str) -> dict[str, pd.DataFrame]:
    """Stack ``{measure: {table: frame}}`` into ``{table: frame}`` with leading wave and measure
    columns, keeping the measures' order."""
    names = dict.fromkeys(name for tables in per_measure.values() for name in tables)
    out = {}
    for name in names:
        parts = [
            tables[name].assign(measure=measure)
            for measure, tables in per_measure.items()
            if name in tables
        ]
        frame = pd.concat(parts, ignore_index=True)
        front = ["measure"] + [c for c in frame.columns if c != "measure"]
        out[name] = frame[front].assign(wave=wave)[["wave", *front]]
    return out


def neutralise_spreadsheet_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Prefix a single quote to text cells starting with ``= + - @`` (CSV formula injection).

    Spreadsheet programs execute such cells as formulas (OWASP, "CSV Injection"); use on a
    copy meant for CSV export, not on data still to be analysed.
    """
    def neutral(value: object) -> object:
        return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value

    text_columns = [c for c in table.columns if table[c].dtype == object or pd.api.types.is_string_dtype(table[c])]
    return table.assign(**{c: table[c].map(neutral) for c in text_columns})


def write_free_text_tables(tables: Mapping[str, pd.DataFrame], paths: Mapping[str, str], wave: str) -> None:
    """Write each table as CSV to ``paths[name]`` with a leading ``wave`` column, its free-text
    cells (quotes, complaint texts, codes) neutralised so no spreadsheet runs them as formulas."""
    for name, table in tables.items():
        neutralise_spreadsheet_cells(table.assign(wave=wave)[["wave", *table.columns]]).to_csv(paths[name], index=False)
