"""Display texts of an instrument's dimensions and items in the report language, and reading
the tables the analysis steps wrote, for report notebooks and figure steps alike."""

from __future__ import annotations

import math

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


from servqual.instrument import Dimension, Item
from servqual.study_files import load_study_yaml


def dimension_labels(instrument: Mapping[str, Any], language: str) -> dict[str, str]:
    """Dimension id -> label in ``language`` (falling back to the other language, then the id).

    >>> dimension_labels({"dimensions": [{"id": "tan", "label": {"zh": "有形性"}}]}, "en")
    {'tan': '有形性'}
    """
    return {d["id"]: Dimension(d["id"], d.get("label", {})).name(language) for d in instrument["dimensions"]}


def item_labels(instrument: Mapping[str, Any], language: str) -> dict[str, str]:
    """Item id -> wording in ``language`` (falling back to the other language, then the id)."""
    return {
        i["id"]: Item(i["id"], i["dimension"], i.get("text", {})).label(language) for i in instrument["items"]
    }


def segment_labels(segments: Sequence[str | Mapping[str, Any]], language: str) -> dict[str, str]:
    """Segment name (as in the tables) -> its name for readers in ``language``.

    ``segments`` is the config's ``columns.segments``: a header, or an entry with a short
    ``label`` and optionally a ``title`` by language. Without a title in ``language`` or English,
    the short name is shown with spaces for underscores and a capital first letter.

    >>> segment_labels(["branch", {"column": "Q3", "label": "customer_type"},
    ...                 {"column": "Q4", "label": "visits", "title": {"zh": "到访频率"}}], "zh")
    {'branch': 'Branch', 'customer_type': 'Customer type', 'visits': '到访频率'}
    >>> segment_labels([{"column": "Q4", "label": "visits", "title": {"zh": "到访频率"}}], "ko")
    {'visits': 'Visits'}
    """
    out = {}
    for entry in segments:
        entry = {"column": entry} if isinstance(entry, str) else entry
        name = entry.get("label") or entry["column"]
        titles = entry.get("title") or {}
        shown = titles.get(language) or titles.get("en")
        if not shown:
            spaced = " ".join(str(name).replace("_", " ").split())
            shown = spaced[:1].upper() + spaced[1:]
        out[name] = shown
    return out


def _in_language(labels: object, language: str, fallback: str) -> str:
    """A label given as text or as language -> text, in ``language`` (else English, else any)."""
    if isinstance(labels, Mapping):
        return str(labels.get(language) or labels.get("en") or next(iter(labels.values()), None) or fallback)
    return str(labels) if labels else fallback


def outcome_labels(outcomes: list[Mapping[str, Any]], language: str) -> dict[str, str]:
    """Outcome id -> its label in ``language``."""
    return {o["id"]: _in_language(o.get("label"), language, o["id"]) for o in outcomes or []}


def code_labels(codebook: str | Path | None, language: str) -> dict[str, str]:
    """Interview code id -> its label in ``language`` from the codebook (the id where it has none)."""
    if not codebook or not Path(codebook).exists():
        return {}
    spec = load_study_yaml(codebook) or {}
    return {code: _in_language((entry or {}).get("label"), language, code) for code, entry in (spec.get("codes") or {}).items()}


def kpi_target_name(
    t: Callable[..., str],
    row: Mapping[str, Any],
    *,
    dimensions: Mapping[str, str],
    segments: Mapping[str, str],
    outcomes: Mapping[str, str],
) -> str:
    """A target of the scorecard in plain words, from its row (``measure``, ``of``, ``segment``,
    ``level``, ``unit``): what is measured, of what, and in which segment level.

    >>> from servqual.i18n import Messages
    >>> kpi_target_name(Messages("en"), {"measure": "gap", "of": "res", "segment": "branch", "level": "North"},
    ...                 dimensions={"res": "Responsiveness"}, segments={"branch": "Branch"}, outcomes={})
    'Gap (P − E): Responsiveness — Branch: North'
    """
    of = _cell(row.get("of"))
    if row["measure"] == "outcome":
        shown = outcomes.get(of or "overall", of)
    elif of in ("", "overall"):
        shown = t(f"report.kpi_of_all.{row['measure']}")
    else:
        shown = dimensions.get(of, of)
    name = t(f"report.kpi_name.{row['measure']}", of=shown)
    segment = _cell(row.get("segment"))
    if segment:
        where = t("report.kpi_segment", segment=segments.get(segment, segment), level=_cell(row.get("level")))
        name = t("report.kpi_within", name=name, where=where)
    return name


def _cell(value: object) -> str:
    """A table cell as text; a missing cell (NaN as read from CSV) is empty."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
