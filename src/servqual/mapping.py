"""Propose the ``measures`` and ``columns`` blocks of a study's config from a raw export.

A real export names its columns after the questions, in the survey tool's language and layout;
writing the config by hand meant copying every header. :func:`propose_mapping` reads the export
as the pipeline will (encoding, header layout) and sorts its columns:

- rating items: numeric columns of whole numbers within the scale, at least three distinct
  answers; each is given to a measure by words in its header (expectation, perception,
  importance, adequate, desired, in English, Chinese, Korean and Japanese, or a leading ``E``/
  ``P`` code), or, where no header says, by alternation (E, P, E, P, ...) when the unmarked
  columns come in pairs;
- outcomes: rating columns that belong to no measure and whose header speaks of satisfaction,
  recommendation or return (each proposed as an outcome of its own);
- the respondent id (nearly all values distinct, a header that says id), the completion time (a header that
  says duration or seconds), personal data (names, phones, e-mails by header or by value) and
  segments (few distinct values);
- everything else is listed as not placed.

The proposal is written as YAML (:func:`proposal_yaml`) with each measure as an explicit
``map`` of item ids to the export's own headers, ready to paste into ``config.yaml``, and the
command ``servqual-map export.csv`` prints it.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from servqual.instrument import normalise_header
from servqual.io import RawSurvey, read_survey

#: Words in a header that give its column to a measure (matched case-insensitively).
MEASURE_WORDS = {
    "expectation": ("expect", "should", "期望", "期待", "应该", "應該", "기대"),
    "perception": ("percep", "actual", "experienc", "感知", "实际", "實際", "感受", "인식", "실제", "実際"),
    # Importance rated per item, on the items' scale (points per dimension are no ratings).
    "importance_items": ("importan", "重要", "중요"),
    "adequate": ("adequate", "minimum", "最低", "최소"),
    "desired": ("desired", "ideal", "理想", "이상적"),
}
#: Leading codes that name a measure (E1, P_12, imp3).
MEASURE_CODES = {"expectation": r"^E[_ -]?\d", "perception": r"^P[_ -]?\d", "importance_items": r"^(I|imp)[_ -]?\d"}
#: Words in the header of an unmarked rating column that make it an outcome.
OUTCOME_WORDS = ("overall", "satisf", "recommend", "return", "loyal", "revisit", "满意", "推荐", "再次", "忠诚", "만족", "추천",
                 "재방문", "재이용", "満足", "推薦")
ID_WORDS = ("id", "编号", "序号", "응답자", "respondent", "response")
DURATION_WORDS = ("duration", "seconds", "time taken", "用时", "时长", "所用时间", "소요", "秒")
PERSONAL_WORDS = ("name", "phone", "mobile", "email", "e-mail", "姓名", "电话", "手机", "邮箱", "이름", "전화", "메일")
PERSONAL_VALUES = re.compile(r"@|^\+?\d[\d -]{8,}$")
#: Answers that are no answer while the columns are sorted.
NO_ANSWER = {"", ".", "NA", "N/A", "99", "-1"}


@dataclass
class Proposal:
    """Columns of an export sorted by what they hold; ``measures`` maps each measure to its
    headers in item order."""

    measures: dict[str, list[str]] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)
    respondent_id: str = ""
    duration: str = ""
    personal_data: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)


def propose_mapping(raw: RawSurvey, scale: tuple[float, float] = (1, 10), continuous: bool = False) -> Proposal:
    """Sort the export's columns into measures, id, duration, personal data and segments.

    Parameters
    ----------
    raw
        The export as :func:`servqual.io.read_survey` reads it.
    scale
        Lowest and highest possible rating; columns of whole numbers within it are items.
    continuous
        Items are continuous or standardized scores: any numeric column with three or more
        distinct values is an item, whatever its range.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": list("abcdef"), "E1": list("765765"), "P1": list("546354"),
    ...                       "E2": list("677567"), "P2": list("435243"), "branch": list("NSNNSN")})
    >>> p = propose_mapping(RawSurvey("x.csv", frame, pd.Series(range(2, 8)), "utf-8"))
    >>> p.measures, p.respondent_id, p.segments
    ({'expectation': ['E1', 'E2'], 'perception': ['P1', 'P2']}, 'id', ['branch'])
    """
    proposal = Proposal()
    ratings = [c for c in raw.frame.columns if _is_rating(raw.frame[c], None if continuous else scale)]
    unmarked = []
    for column in ratings:
        measure = _marked_measure(normalise_header(column))
        if measure:
            proposal.measures.setdefault(measure, []).append(column)
        elif any(w in normalise_header(column).lower() for w in OUTCOME_WORDS):
            proposal.outcomes.append(column)
        else:
            unmarked.append(column)
    if unmarked and not proposal.measures and len(unmarked) % 2 == 0:
        # Alternating pairs without words: E then P for each item, as SERVQUAL is usually laid out.
        proposal.measures = {"expectation": unmarked[::2], "perception": unmarked[1::2]}
        unmarked = []
    for column in [c for c in raw.frame.columns if c not in ratings] + unmarked:
        _place(proposal, column, raw.frame[column], column in unmarked)
    return proposal


def _is_rating(values: pd.Series, scale: tuple[float, float] | None) -> bool:
    """Nine in ten answers are numbers (whole and within the scale, unless ``scale`` is None for
    continuous scores, which are not all whole), with three or more distinct answers. The rest
    may be missing codes in the survey tool's language or values off the scale, which cleaning
    reports."""
    answers = values.str.strip()
    answers = answers[~answers.isin(NO_ANSWER)]
    numbers = pd.to_numeric(answers, errors="coerce")
    if not len(numbers) or numbers.nunique() < 3:
        return False
    if scale is None:
        return numbers.notna().mean() >= 0.9 and not (numbers.dropna() % 1 == 0).all()
    return bool(((numbers % 1 == 0) & numbers.between(*scale)).mean() >= 0.9)


def _marked_measure(header: str) -> str | None:
    """The measure a header's words or leading code name (the last word found wins, since
    question texts come first and the measure's tag last), or None."""
    lowered = header.lower()
    found = [(max(lowered.rfind(w.lower()) for w in words), m) for m, words in MEASURE_WORDS.items()]
    found = [(at, m) for at, m in found if at >= 0]
    if found:
        return max(found)[1]
    return next((m for m, code in MEASURE_CODES.items() if re.match(code, header, re.IGNORECASE)), None)


def _place(proposal: Proposal, column: str, values: pd.Series, rating_like: bool) -> None:
    header = normalise_header(column).lower()
    answers = values.str.strip()
    answers = answers[answers != ""]
    if any(w in header for w in PERSONAL_WORDS) or answers.str.contains(PERSONAL_VALUES).mean() > 0.5:
        proposal.personal_data.append(column)
    elif not proposal.respondent_id and answers.nunique() >= 0.95 * len(answers) and any(w in header for w in ID_WORDS):
        # Nearly unique: exports hold the odd reused id, which the duplicate-id rule then catches.
        proposal.respondent_id = column
    elif not proposal.duration and any(w in header for w in DURATION_WORDS):
        proposal.duration = column
    elif not rating_like and 2 <= answers.nunique() <= 12 and answers.nunique() < len(answers) / 2:
        proposal.segments.append(column)
    else:
        proposal.unplaced.append(column)


def proposal_yaml(proposal: Proposal) -> str:
    """The proposal as config YAML: an ``instrument.items`` skeleton (ids q1..qk, headers as
    wording), each measure as a ``map`` of item ids to headers, the
    ``columns`` block, and the columns not placed as a comment."""
    items = max((len(headers) for headers in proposal.measures.values()), default=0)
    # Each item's wording from the first measure that has a k-th column (measures can differ in
    # length when a column was not recognised; the config then needs that column added).
    wording = [next(normalise_header(hs[k]) for hs in proposal.measures.values() if len(hs) > k) for k in range(items)]
    config = {
        "instrument": {"items": [{"id": f"q{k}", "dimension": "TODO", "text": {"en": text}}
                                 for k, text in enumerate(wording, 1)]},
        "measures": {measure: {"map": {f"q{k}": header for k, header in enumerate(headers, 1)}}
                     for measure, headers in proposal.measures.items()},
        "outcomes": [{"id": f"outcome{k}", "label": {"en": normalise_header(header)}, "columns": [header]}
                     for k, header in enumerate(proposal.outcomes, 1)],
        "columns": {"respondent_id": proposal.respondent_id, "duration": proposal.duration,
                    "segments": proposal.segments, "personal_data": proposal.personal_data},
    }
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=120)
    unplaced = "".join(f"#   {column}\n" for column in proposal.unplaced)
    return text + (f"# Columns not placed (add them above where they belong):\n{unplaced}" if unplaced else "")


def main(argv: list[str] | None = None) -> None:
    """Command line: ``servqual-map export.csv [--encoding cp949] [--export-format qualtrics]``."""
    parser = argparse.ArgumentParser(description="Propose the measures and columns of a study's config from an export.")
    parser.add_argument("export", type=Path)
    parser.add_argument("--reader", choices=["csv", "tsv", "xlsx", "sav"])
    parser.add_argument("--encoding")
    parser.add_argument("--sheet")
    parser.add_argument("--export-format", default="plain", choices=["plain", "qualtrics", "surveymonkey"])
    parser.add_argument("--scale", nargs=2, type=float, default=(1, 10), metavar=("MIN", "MAX"))
    parser.add_argument("--continuous", action="store_true", help="items are continuous or standardized scores")
    args = parser.parse_args(argv)
    raw = read_survey(args.export, reader=args.reader, encoding=args.encoding, sheet=args.sheet,
                      export_format=args.export_format)
    print(proposal_yaml(propose_mapping(raw, tuple(args.scale), args.continuous)), end="")


if __name__ == "__main__":
    main()
