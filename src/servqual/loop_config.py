"""The improvement loop's study definition checked before any job: the targets of the config and
the rows of the action register, each fault one line naming where it is and what is allowed.

The schemas (``workflow/schemas/config.schema.json``, ``workflow/schemas/actions.schema.json``)
check each value's form; these functions check what a schema cannot: that a target or an action
names a dimension, item, segment, wave or complaint category the study has, and that action ids
are unique. Plain Python without pandas, as the workflow runs them at every start, a dry run
included.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence

#: Measures read from the survey; the others are read from the complaint log.
SURVEY_MEASURES = ("perception", "gap", "outcome")
#: Complaint-log fields a complaint target's segment can name.
COMPLAINT_SEGMENTS = ("branch", "department", "channel")


def split_list(cell: str) -> list[str]:
    """A register cell listing values separated by ``;`` (empty entries dropped).

    >>> split_list("res1; res2;")
    ['res1', 'res2']
    """
    return [part.strip() for part in cell.split(";") if part.strip()]


def rollout_segments(cell: str) -> list[tuple[str, str]]:
    """A ``segments`` cell as (segment, level) pairs; an entry without ``=`` has segment ``""``.

    >>> rollout_segments("branch=North; branch = East")
    [('branch', 'North'), ('branch', 'East')]
    """
    pairs = []
    for entry in split_list(cell):
        segment, found, level = entry.partition("=")
        pairs.append((segment.strip(), level.strip()) if found else ("", entry))
    return pairs


def _known(kind: str, names: Iterable[str]) -> str:
    """What the study has of one kind, for a message: ``waves: w1, w2``."""
    return f"{kind}: {', '.join(names) or 'none'}"


def named_categories(targets: Sequence[Mapping], rows: Sequence[tuple[int, Mapping[str, str]]]) -> list[str]:
    """Every complaint category the targets (``of`` of a complaint measure) and the register's
    rows (column ``complaint_categories``) name, each once, in order of appearance.

    >>> named_categories([{"measure": "complaint_rate", "of": "billing"}, {"measure": "gap", "of": "res"}],
    ...                  [(2, {"complaint_categories": "res; billing"})])
    ['billing', 'res']
    """
    names = [t.get("of") or "" for t in targets if t["measure"] not in SURVEY_MEASURES]
    names += [name for _, row in rows for name in split_list(row.get("complaint_categories", ""))]
    return list(dict.fromkeys(name for name in names if name))


def category_fault(name: str, *, dimensions: Sequence[str], categories: Sequence[str]) -> str | None:
    """Why ``name`` cannot pick complaints, or None: complaints are picked by the dimension ids
    they are coded to, or by a category as the complaint logs record it (``all``: every one).

    >>> category_fault("servce", dimensions=["res"], categories=["billing", "service"])
    "'servce' is neither a dimension id nor a category of the complaint logs (dimensions: res; categories: billing, service); did you mean 'service'?"
    >>> category_fault("res", dimensions=["res"], categories=[]) is None
    True
    """
    if name == "all" or name in dimensions or name in categories:
        return None
    close = difflib.get_close_matches(name, [*dimensions, *categories], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return (f"{name!r} is neither a dimension id nor a category of the complaint logs "
            f"({_known('dimensions', dimensions)}; {_known('categories', categories)}){hint}")


def action_faults(
    rows: Sequence[tuple[int, Mapping[str, str]]],
    *,
    where: str,
    dimensions: Sequence[str],
    items: Sequence[str],
    waves: Sequence[str],
    segments: Sequence[str],
    categories: Sequence[str] = (),
) -> list[str]:
    """The faults of an action register's rows that its schema cannot see.

    Parameters
    ----------
    rows
        (line number in the sheet, row) for each row that passed the schema.
    where
        How messages name the sheet, e.g. ``actions sheet config/actions.tsv``.
    dimensions, items, waves, segments
        The ids the study has: the instrument's dimensions and items, the waves sheet's waves
        and the segment columns (config ``columns.segments``).
    categories
        The categories the waves' complaint logs record (:func:`category_fault`); a register's
        ``complaint_categories`` may name these or dimension ids.

    Returns
    -------
    list of str
        One line per fault: ``<where>, line <n>, column <column>: <what is wrong and allowed>``.

    Examples
    --------
    >>> rows = [(2, {"id": "a", "targets": "speed", "after_wave": "w1", "segments": ""}),
    ...         (3, {"id": "a", "targets": "res", "after_wave": "w9", "segments": "zone=N"})]
    >>> for fault in action_faults(rows, where="actions", dimensions=["res"], items=["res1"],
    ...                            waves=["w1", "w2"], segments=["branch"]):
    ...     print(fault)
    actions, line 2, column targets: 'speed' is not a dimension or item of the instrument (dimensions: res; items: res1).
    actions, line 3, column id: action a appears twice (first on line 2).
    actions, line 3, column after_wave: 'w9' is not a wave of the waves sheet (waves: w1, w2).
    actions, line 3, column segments: 'zone=N' does not name a segment column as segment=level (segments: branch).
    """
    faults, first = [], {}
    for line, row in rows:
        at = f"{where}, line {line}, column"
        if row["id"] in first:
            faults.append(f"{at} id: action {row['id']} appears twice (first on line {first[row['id']]}).")
        first.setdefault(row["id"], line)
        for target in split_list(row["targets"]):
            if target not in dimensions and target not in items:
                faults.append(f"{at} targets: {target!r} is not a dimension or item of the instrument "
                              f"({_known('dimensions', dimensions)}; {_known('items', items)}).")
        if row["after_wave"] not in waves:
            faults.append(f"{at} after_wave: {row['after_wave']!r} is not a wave of the waves sheet "
                          f"({_known('waves', waves)}).")
        for segment, level in rollout_segments(row.get("segments", "")):
            if segment not in segments or not level:
                shown = f"{segment}={level}" if segment else level
                faults.append(f"{at} segments: {shown!r} does not name a segment column as segment=level "
                              f"({_known('segments', segments)}).")
        for name in split_list(row.get("complaint_categories", "")):
            fault = category_fault(name, dimensions=dimensions, categories=categories)
            if fault:
                faults.append(f"{at} complaint_categories: {fault}")
    return faults


def target_faults(
    targets: Sequence[Mapping], *, where: str, dimensions: Sequence[str], segments: Sequence[str],
    outcomes: Sequence[str] = ("overall",), categories: Sequence[str] = (),
) -> list[str]:
    """The faults of the config's ``targets`` that the schema cannot see: what a target is ``of``
    (a dimension, an outcome, or for a complaint measure a dimension id or a category the waves'
    complaint logs record, ``categories``; :func:`category_fault`) and the segment it names must
    exist in the study.

    >>> target_faults([{"id": "t", "measure": "gap", "of": "speed", "direction": "at_least", "value": 0}],
    ...               where="config.yaml", dimensions=["res"], segments=[])
    ["config.yaml: targets[0].of: 'speed' is not a dimension id or overall (allowed: res, overall)."]
    """
    faults, seen = [], {}
    for index, target in enumerate(targets):
        at = f"{where}: targets[{index}]"
        if target["id"] in seen:
            faults.append(f"{at}.id: target {target['id']} appears twice (first at targets[{seen[target['id']]}]).")
        seen.setdefault(target["id"], index)
        measure, of = target["measure"], target.get("of") or ""
        if measure in ("perception", "gap") and of and of not in [*dimensions, "overall"]:
            faults.append(f"{at}.of: {of!r} is not a dimension id or overall (allowed: {', '.join([*dimensions, 'overall'])}).")
        if measure == "outcome" and of and of not in outcomes:
            faults.append(f"{at}.of: {of!r} is not an outcome of the study (allowed: {', '.join(outcomes)}).")
        if measure not in SURVEY_MEASURES and of:
            fault = category_fault(of, dimensions=dimensions, categories=categories)
            if fault:
                faults.append(f"{at}.of: {fault}")
        segment = (target.get("segment") or {}).get("column")
        allowed = segments if measure in SURVEY_MEASURES else COMPLAINT_SEGMENTS
        if segment and segment not in allowed:
            faults.append(f"{at}.segment.column: {segment!r} is not a segment of this measure "
                          f"(allowed: {', '.join(allowed) or 'none'}).")
    return faults
