"""The instrument: scale, dimensions, items, and which measures a survey holds.

SERVQUAL (Parasuraman, Zeithaml & Berry 1988, J. Retailing 64(1); revised 1991, J. Retailing
67(4)) rates 22 items in 5 dimensions twice, for expectation (E) and perception (P). The same
structure serves SERVPERF (perception only; Cronin & Taylor 1992, J. Marketing 56(3)), the
three-column format (adequate, desired and perceived; Parasuraman, Zeithaml & Berry 1994,
J. Retailing 70(3)) and adapted instruments with any number of items and dimensions.

Inside the pipeline every measure has a canonical column name, whatever the raw export called it:
``E_<item>``, ``P_<item>``, ``A_<item>`` (adequate), ``D_<item>`` (desired), ``I_<dimension>``
(importance points) and ``overall`` (overall satisfaction).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Item-level measures and the letter of their canonical columns.
ITEM_MEASURES: dict[str, str] = {
    "expectation": "E",
    "perception": "P",
    "adequate": "A",
    "desired": "D",
}
IMPORTANCE_PREFIX = "I"
#: Prefix of item-level importance ratings (``importance_items``), on the items' own scale.
ITEM_IMPORTANCE_PREFIX = "W"
#: Prefix of outcome items: ``O_<outcome>_<k>`` for the k-th column of an outcome.
OUTCOME_PREFIX = "O"
OVERALL = "overall"


@dataclass(frozen=True)
class Scale:
    """A rating scale with theoretical bounds (used for range checks and reverse scoring); a bound
    of None leaves that side open, for continuous or standardized scores."""

    min: float | None
    max: float | None
    integer: bool = True

    @property
    def bounded(self) -> bool:
        """Both bounds known (a rating scale, not open scores)."""
        return self.min is not None and self.max is not None

    @property
    def points(self) -> bool:
        """Answers are the whole-number points of a bounded scale, so frequencies per point mean
        something."""
        return self.bounded and self.integer

    def reverse(self, values: Any) -> Any:
        """Reverse-score with the theoretical bounds: ``min + max - x`` (not the observed range)."""
        return self.min + self.max - values


@dataclass(frozen=True)
class Item:
    """One item: its id, dimension, wording by language code, and whether it is reverse-keyed."""

    id: str
    dimension: str
    text: Mapping[str, str] = field(default_factory=dict)
    reverse: bool = False

    def label(self, language: str = "en") -> str:
        """Wording in ``language``, falling back to the other language and then to the id."""
        return self.text.get(language) or next(iter(self.text.values()), None) or self.id


@dataclass(frozen=True)
class Dimension:
    """A dimension (factor) of the instrument with labels by language code."""

    id: str
    label: Mapping[str, str] = field(default_factory=dict)

    def name(self, language: str = "en") -> str:
        """Label in ``language``, falling back to the other language and then to the id."""
        return self.label.get(language) or next(iter(self.label.values()), None) or self.id


@dataclass(frozen=True)
class Outcome:
    """An outcome the service should lead to (overall satisfaction, intention to return,
    recommendation): its id, labels, raw columns (one item or several forming a scale) and scale."""

    id: str
    label: Mapping[str, str]
    columns: tuple[str, ...]
    scale: Scale

    @property
    def canonical_columns(self) -> list[str]:
        return [f"{OUTCOME_PREFIX}_{self.id}_{k}" for k in range(1, len(self.columns) + 1)]


@dataclass(frozen=True)
class Instrument:
    """Items, dimensions and measures of a study, with the raw column of every measure.

    Build it with :func:`instrument_from_config`; it only describes, it reads no data.
    """

    scale: Scale
    dimensions: tuple[Dimension, ...]
    items: tuple[Item, ...]
    measures: Mapping[str, Mapping[str, Any]]
    outcomes: tuple[Outcome, ...] = ()

    # -- structure -------------------------------------------------------------------------
    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    @property
    def dimension_ids(self) -> list[str]:
        return [dim.id for dim in self.dimensions]

    @property
    def item_dimension(self) -> dict[str, str]:
        """Ordered mapping item id -> dimension id."""
        return {item.id: item.dimension for item in self.items}

    def dimension_items(self, dimension: str) -> list[str]:
        return [item.id for item in self.items if item.dimension == dimension]

    @property
    def reverse_items(self) -> list[str]:
        return [item.id for item in self.items if item.reverse]

    # -- measures --------------------------------------------------------------------------
    @property
    def item_measures(self) -> list[str]:
        """Item-level measures the survey holds, in canonical order."""
        return [m for m in ITEM_MEASURES if self.measures.get(m)]

    @property
    def has_gap(self) -> bool:
        """True when expectation and perception are both measured (SERVQUAL, not SERVPERF)."""
        return {"expectation", "perception"} <= set(self.item_measures)

    @property
    def has_importance(self) -> bool:
        return bool(self.measures.get("importance"))

    @property
    def has_overall(self) -> bool:
        return bool(self.measures.get("overall"))

    @property
    def overall_scale(self) -> Scale:
        spec = self.measures.get("overall") or {}
        return Scale(
            spec.get("min", self.scale.min),
            spec.get("max", self.scale.max),
            spec.get("integer", self.scale.integer),
        )

    def columns(self, measure: str) -> list[str]:
        """Canonical columns of an item-level measure, in item order."""
        return [canonical(measure, item) for item in self.item_ids]

    @property
    def importance_columns(self) -> list[str]:
        return [f"{IMPORTANCE_PREFIX}_{dim}" for dim in self.dimension_ids]

    @property
    def has_item_importance(self) -> bool:
        """True when the survey rates the importance of each item (importance-performance pairs)."""
        return bool(self.measures.get("importance_items"))

    @property
    def item_importance_columns(self) -> list[str]:
        return [f"{ITEM_IMPORTANCE_PREFIX}_{item}" for item in self.item_ids]

    def raw_to_canonical(self) -> dict[str, str]:
        """Mapping from the raw export's column names to canonical names, for every measure."""
        mapping: dict[str, str] = {}
        for measure, index, key, canon in self._named_columns():
            raw = _raw_name(self.measures[measure], index=index, **{"dimension" if measure == "importance" else "item": key})
            if raw is not None:
                mapping[raw] = canon
        if self.has_overall:
            mapping[self.measures["overall"]["column"]] = OVERALL
        for outcome in self.outcomes:
            mapping.update(zip(outcome.columns, outcome.canonical_columns))
        return mapping

    def _named_columns(self) -> list[tuple[str, int, str, str]]:
        """(measure, 1-based index, item or dimension id, canonical column) of every measure
        column the study has, items then importance points."""
        out = [(m, i, item.id, canonical(m, item.id)) for m in self.item_measures
               for i, item in enumerate(self.items, start=1)]
        if self.has_item_importance:
            out += [("importance_items", i, item.id, f"{ITEM_IMPORTANCE_PREFIX}_{item.id}")
                    for i, item in enumerate(self.items, start=1)]
        if self.has_importance:
            out += [("importance", i, dim.id, f"{IMPORTANCE_PREFIX}_{dim.id}")
                    for i, dim in enumerate(self.dimensions, start=1)]
        return out

    def resolve_columns(self, headers: Iterable[str]) -> dict[str, str]:
        r"""Raw header -> canonical column, matched against an export's own headers.

        Headers are compared after :func:`normalise_header`, so double or missing spaces,
        line breaks and full-width characters in question-text headers need not be copied into
        the config. A measure's ``map`` entries win; then its ``pattern``; then its ``regex``,
        searched in each header, whose named group ``index`` (1-based position) or ``item`` /
        ``dimension`` (id) says which column a header is; or its ``positions`` (``first``
        1-based column and ``step``), in item order. Names that match no header are kept
        as configured, so the missing-column check names them.

        Raises
        ------
        ValueError
            A configured name that fits two headers that are the same after normalising, two
            headers a regex gives the same column, or a regex that matches none of a measure's
            columns.

        Examples
        --------
        >>> inst = instrument_from_config(
        ...     {"scale": {"min": 1, "max": 7}, "dimensions": [{"id": "d"}],
        ...      "items": [{"id": "a", "dimension": "d"}, {"id": "b", "dimension": "d"}]},
        ...     {"expectation": {"regex": r"^(?P<index>\d+)-1\."}, "perception": {"pattern": "P {index}"}})
        >>> inst.resolve_columns(["1-1. 키오스크는  쉬워야 한다", "2-1. 직원은 친절해야 한다", "Ｐ　1", "P 2"])
        {'Ｐ\u30001': 'P_a', 'P 2': 'P_b', '1-1. 키오스크는  쉬워야 한다': 'E_a', '2-1. 직원은 친절해야 한다': 'E_b'}
        """
        headers = list(headers)
        by_text: dict[str, list[str]] = {}
        for header in headers:
            by_text.setdefault(normalise_header(header), []).append(header)
        mapping = {}
        for raw, canon in self.raw_to_canonical().items():
            found = by_text.get(normalise_header(raw), [raw])
            if len(found) > 1:
                raise ValueError(f"{canon} is named {raw!r}, which fits several headers that differ only in spacing "
                                 f"or width: {found}; rename them in a copy of the export or give its columns by position")
            mapping[found[0]] = canon
        named = set(mapping.values())
        for measure in dict.fromkeys(m for m, *_ in self._named_columns()):
            spec = self.measures[measure]
            if "regex" in spec:
                mapping |= _regex_columns(measure, spec["regex"], headers, self._named_columns(), named)
            elif "positions" in spec:
                mapping |= _positioned_columns(measure, spec["positions"], headers, self._named_columns(), named)
        return mapping

    def rating_columns(self) -> list[str]:
        """Canonical columns rated on the instrument's scale (all item-level measures)."""
        return [col for measure in self.item_measures for col in self.columns(measure)]


def canonical(measure: str, item: str) -> str:
    """Canonical column name of an item-level measure, e.g. ``canonical("perception", "rel1")``
    is ``"P_rel1"``."""
    return f"{ITEM_MEASURES[measure]}_{item}"


def _raw_name(spec: Mapping[str, Any], **fields: Any) -> str | None:
    """Raw column for one item or dimension: the explicit map wins, else the format pattern;
    None where only a regex can find it (in the export's headers)."""
    key = fields.get("item", fields.get("dimension"))
    explicit = spec.get("map") or {}
    if key in explicit:
        return str(explicit[key])
    if "pattern" in spec:
        return spec["pattern"].format(**fields)
    if "regex" in spec or "positions" in spec:
        return None
    raise ValueError(f"measure has neither a pattern, a regex nor a map entry for {key!r}")


def normalise_header(text: object) -> str:
    """A header as compared with the config: Unicode NFKC (full-width letters, digits and spaces
    made half-width), every run of white space one space, no space at either end.

    Examples
    --------
    >>> normalise_header("  1-1.　키오스크는\\n  쉬워야 한다 ")
    '1-1. 키오스크는 쉬워야 한다'
    """
    return " ".join(unicodedata.normalize("NFKC", str(text)).split())


def _positioned_columns(measure: str, positions: Mapping[str, int], headers: list[str],
                        named: list[tuple[str, int, str, str]], taken: set[str]) -> dict[str, str]:
    """The columns of a measure by position: its first column (1-based) and the step to the next,
    e.g. first 2, step 2 for expectations alternating with perceptions from the second column."""
    wanted = [canon for m, _, _, canon in named if m == measure and canon not in taken]
    at = [positions["first"] - 1 + k * positions.get("step", 1) for k in range(len(wanted))]
    if at and at[-1] >= len(headers):
        raise ValueError(f"measure {measure}: positions {dict(positions)} need {at[-1] + 1} columns, the export "
                         f"has {len(headers)}")
    return {headers[j]: canon for j, canon in zip(at, wanted)}


def _regex_columns(measure: str, regex: str, headers: list[str], named: list[tuple[str, int, str, str]],
                   taken: set[str]) -> dict[str, str]:
    """Headers a measure's regex finds -> their canonical columns (those a map or pattern already
    gave are left alone)."""
    wanted = {(str(index), key): canon for m, index, key, canon in named if m == measure and canon not in taken}
    by_index = {index: canon for (index, _), canon in wanted.items()}
    by_key = {key: canon for (_, key), canon in wanted.items()}
    pattern = re.compile(regex)
    found: dict[str, str] = {}
    for header in headers:
        match = pattern.search(normalise_header(header))
        if not match:
            continue
        groups = match.groupdict()
        canon = by_index.get(groups["index"].lstrip("0")) if groups.get("index") else by_key.get(
            groups.get("item") or groups.get("dimension"))
        if canon is None:
            continue
        if canon in found.values():
            first = next(h for h, c in found.items() if c == canon)
            raise ValueError(f"measure {measure}: regex {regex!r} gives {canon} to two headers: {first!r} and {header!r}")
        found[header] = canon
    missing = sorted(set(wanted.values()) - set(found.values()))
    if missing:
        raise ValueError(f"measure {measure}: regex {regex!r} matches no header for {missing}")
    return found


def instrument_from_config(
    instrument: Mapping[str, Any], measures: Mapping[str, Any], outcomes: list[Mapping[str, Any]] = ()
) -> Instrument:
    """Build the :class:`Instrument` from the validated ``instrument``, ``measures`` and
    ``outcomes`` config (an outcome's scale defaults to the instrument's).

    Raises
    ------
    ValueError
        Duplicate ids, an item whose dimension is not declared, a dimension without items, or
        no item-level measure at all.
    """
    scale = Scale(**instrument["scale"])
    dimensions = tuple(Dimension(d["id"], d.get("label", {})) for d in instrument["dimensions"])
    items = tuple(
        Item(i["id"], i["dimension"], i.get("text", {}), i.get("reverse", False))
        for i in instrument["items"]
    )
    _check_structure(dimensions, items)
    _check_scale(scale, items)
    active = {name: spec for name, spec in measures.items() if spec}
    if not any(m in active for m in ITEM_MEASURES):
        raise ValueError("config measures: at least one item-level measure (e.g. perception) is needed")
    if "expectation" in active and "perception" not in active:
        raise ValueError("config measures: expectation without perception cannot give gap scores")
    ids = [o["id"] for o in outcomes]
    if len(set(ids)) < len(ids) or OVERALL in ids:
        raise ValueError(f"config outcomes: ids must be distinct and not {OVERALL!r}: {ids}")
    studied = tuple(Outcome(o["id"], o.get("label", {}), tuple(o["columns"]), Scale(**{**instrument["scale"], **o.get("scale", {})}))
                    for o in outcomes)
    return Instrument(scale, dimensions, items, active, studied)


def _check_scale(scale: Scale, items: tuple[Item, ...]) -> None:
    """An open scale holds continuous scores: no whole-number points, and no reverse keying,
    which needs both bounds (min + max - x)."""
    if scale.bounded:
        if scale.min >= scale.max:
            raise ValueError(f"config instrument.scale: min {scale.min:g} is not below max {scale.max:g}")
        return
    if scale.integer:
        raise ValueError("config instrument.scale: an open scale (min or max null) holds continuous scores; "
                         "set integer: false")
    reverse = [i.id for i in items if i.reverse]
    if reverse:
        raise ValueError(f"config instrument.scale: reverse-keyed items {reverse} need both scale bounds "
                         "(min + max - x); give min and max, or reverse them before the export")


def _check_structure(dimensions: tuple[Dimension, ...], items: tuple[Item, ...]) -> None:
    for kind, ids in (("dimension", [d.id for d in dimensions]), ("item", [i.id for i in items])):
        duplicated = sorted({x for x in ids if ids.count(x) > 1})
        if duplicated:
            raise ValueError(f"config instrument: duplicated {kind} ids {duplicated}")
    declared = {d.id for d in dimensions}
    unknown = [f"{i.id} -> {i.dimension}" for i in items if i.dimension not in declared]
    if unknown:
        raise ValueError(f"config instrument: items with undeclared dimensions: {unknown}")
    empty = [d.id for d in dimensions if not any(i.dimension == d.id for i in items)]
    if empty:
        raise ValueError(f"config instrument: dimensions without items: {empty}")


def measure_frames(responses: Any, instrument: Instrument, *, with_gap: bool = True) -> dict[str, Any]:
    """Item frames (columns = item ids) per item-level measure of cleaned responses, plus the gap
    P - E per item when both are measured."""
    frames = {
        m: responses[instrument.columns(m)].set_axis(instrument.item_ids, axis=1).astype(float)
        for m in instrument.item_measures
    }
    if with_gap and instrument.has_gap:
        frames["gap"] = frames["perception"] - frames["expectation"]
    return frames
