"""Qualitative evidence from interviews and focus groups, and its triangulation with the survey.

The codebook (``config/codebook.yaml``) ties every code to SERVQUAL dimensions (Parasuraman,
Zeithaml & Berry 1988, J. Retailing 64(1)), to the provider gaps of the Gaps Model (1
knowledge, 2 standards, 3 delivery, 4 communication; Zeithaml, Berry & Parasuraman 1988,
J. Marketing 52(2)) and to a valence (problem or strength). Coded segments are assigned to
analysis units (speaker turns by default; a segment belongs to every unit it overlaps by at
least one character), counted, quoted and set beside the survey's dimension gaps in a joint
display with the convergence codes of Farmer, Robinson, Elliott & Eyles (2006, Qualitative
Health Research 16(3)): agreement, partial agreement, silence, dissonance.

Privacy: every table this module returns carries pseudonyms instead of participants' names and
has phone numbers, e-mail addresses and ID numbers masked (:mod:`servqual.privacy`). Quotes are
plain text; HTML escaping is the report's job, and :func:`neutralise_spreadsheet_cells`
protects CSV exports from formula injection.

Codebook YAML::

    dimensions: [tangibles, reliability, responsiveness, assurance, empathy]   # optional
    codes:
      queue_wait:
        label: Long queues               # optional
        meaning: Customer waits long before being served.
        dimensions: [responsiveness]
        provider_gaps: [2, 3]
        valence: problem                 # problem | strength
    keywords:                            # optional, for suggestion coding
      dimensions:
        responsiveness: {en: [queue, waiting], zh: [排队, 等待]}
      provider_gaps:
        3: {en: [training, understaffed], zh: [培训, 人手]}
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from servqual.agreement import coder_agreement, coder_disagreements, unit_code_presence
from servqual.privacy import mask_names, mask_text
from servqual.qda import QdaFormatWarning, anchor_segments, read_qdpx, read_segments_csv
from servqual.study_files import StudyFileError, folder_entries, load_study_yaml
from servqual.tables import neutralise_spreadsheet_cells  # noqa: F401  (part of this module's API)
from servqual.transcripts import (
    DOCUMENT_TABLE_NAMES,
    INTERVIEWER_ROLES,
    InterviewCorpus,
    analysis_units,
    read_interview_folder,
    units_of_segments,
)

SERVQUAL_DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
PROVIDER_GAPS = {1: "knowledge", 2: "standards", 3: "delivery", 4: "communication"}
VALENCES = ("problem", "strength")
SUGGESTED = "suggested"
HUMAN = "human"
SUGGESTION_CODER = "keyword dictionary"

SEGMENT_TABLE_COLUMNS = [
    "document", "doc_type", "doc_group", "coder", "code", "source", "start", "end", "units", "speakers",
    "roles", "dimensions", "provider_gaps", "valence", "in_codebook", "text", "origin",
]
COUNT_COLUMNS = ["level", "value", "doc_group", "source", "n_segments", "n_units", "n_participants", "n_documents"]
QUOTE_COLUMNS = [
    "level", "value", "valence", "rank", "document", "doc_type", "start", "end", "units", "speaker", "role",
    "code", "coders", "source", "text",
]
TRIANGULATION_COLUMNS = [
    "dimension", "survey_gap", "gap_ci_low", "gap_ci_high", "gap_rank", "survey_signal", "problem_units",
    "strength_units", "participants", "interview_signal", "top_provider_gaps", "quote", "quote_document",
    "quote_start", "quote_end", "convergence", "rule",
]


# --------------------------------------------------------------------------- codebook


@dataclass(frozen=True)
class Codebook:
    """A validated codebook.

    Attributes
    ----------
    codes
        ``code``, ``label``, ``meaning``, ``dimensions`` (tuple), ``provider_gaps`` (tuple of
        int), ``valence``.
    keywords
        ``kind`` (``dimension`` or ``provider_gap``), ``key`` (dimension id or gap number as
        text), ``language`` (``en``/``zh``/...), ``keyword``.
    dimensions
        The dimension ids in report order.
    """

    codes: pd.DataFrame
    keywords: pd.DataFrame
    dimensions: tuple[str, ...] = SERVQUAL_DIMENSIONS


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else list(value) if isinstance(value, list | tuple) else [value]


def _code_row(code: str, spec: Any, dimensions: tuple[str, ...]) -> dict[str, Any]:
    where = f"codebook: code {code!r}"
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a mapping with meaning, dimensions, provider_gaps, valence.")
    unknown = set(spec) - {"label", "meaning", "dimensions", "provider_gaps", "valence"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    dims = tuple(str(d) for d in _as_list(spec.get("dimensions")))
    bad = [d for d in dims if d not in dimensions]
    if bad:
        raise ValueError(f"{where} key 'dimensions': {', '.join(bad)} not among {', '.join(dimensions)}.")
    try:
        gaps = tuple(int(g) for g in _as_list(spec.get("provider_gaps")))
    except (TypeError, ValueError):
        raise ValueError(f"{where} key 'provider_gaps': use numbers 1 to 4.") from None
    if any(g not in PROVIDER_GAPS for g in gaps):
        raise ValueError(f"{where} key 'provider_gaps': {list(gaps)} outside 1 (knowledge) .. 4 (communication).")
    if not dims and not gaps:
        raise ValueError(f"{where}: give at least one of 'dimensions' or 'provider_gaps'.")
    valence = spec.get("valence")
    if valence not in VALENCES:
        raise ValueError(f"{where} key 'valence': {valence!r} is not one of {', '.join(VALENCES)}.")
    if not str(spec.get("meaning") or "").strip():
        raise ValueError(f"{where} key 'meaning': say what the code means (one sentence).")
    label = spec.get("label") or code
    # A label by language (for reports in each language) keeps its English text in the codebook table.
    if isinstance(label, Mapping):
        label = label.get("en") or next(iter(label.values()), code)
    return {"code": str(code), "label": str(label), "meaning": str(spec["meaning"]).strip(),
            "dimensions": dims, "provider_gaps": gaps, "valence": valence}


def _keyword_rows(spec: Any, dimensions: tuple[str, ...]) -> list[dict[str, str]]:
    if spec is None:
        return []
    if not isinstance(spec, Mapping) or set(spec) - {"dimensions", "provider_gaps"}:
        raise ValueError("codebook key 'keywords': expected a mapping with 'dimensions' and/or 'provider_gaps'.")
    rows = []
    for kind, allowed in (("dimensions", dimensions), ("provider_gaps", tuple(PROVIDER_GAPS))):
        for key, languages in (spec.get(kind) or {}).items():
            if key not in allowed and str(key) not in map(str, allowed):
                raise ValueError(f"codebook keywords.{kind}: {key!r} is not one of {', '.join(map(str, allowed))}.")
            if not isinstance(languages, Mapping):
                raise ValueError(f"codebook keywords.{kind}.{key}: expected language -> list of words.")
            rows += [{"kind": kind[:-1], "key": str(key), "language": str(lang), "keyword": str(word).strip()}
                     for lang, words in languages.items() for word in _as_list(words) if str(word).strip()]
    return rows


def load_codebook(source: str | Path | Mapping[str, Any]) -> Codebook:
    """Load and validate a codebook (YAML file or an already parsed mapping).

    Errors name the code and the key (``codebook: code 'queue_wait' key 'valence': 'bad' is
    not one of problem, strength``).
    """
    if isinstance(source, str | Path):
        try:
            return load_codebook(load_study_yaml(source))
        except StudyFileError:
            raise
        except ValueError as err:  # name the file, not "codebook"
            raise ValueError(f"{source}: {str(err).removeprefix('codebook: ')}") from None
    spec = source
    if not isinstance(spec, Mapping) or not isinstance(spec.get("codes"), Mapping) or not spec["codes"]:
        raise ValueError("codebook: expected a mapping with a non-empty 'codes' mapping (code -> definition).")
    unknown = set(spec) - {"codes", "keywords", "dimensions", "version", "description"}
    if unknown:
        raise ValueError(f"codebook: unknown top-level key(s) {', '.join(sorted(unknown))}.")
    dimensions = tuple(str(d) for d in spec.get("dimensions") or SERVQUAL_DIMENSIONS)
    codes = pd.DataFrame([_code_row(c, s, dimensions) for c, s in spec["codes"].items()])
    keywords = pd.DataFrame(_keyword_rows(spec.get("keywords"), dimensions),
                            columns=["kind", "key", "language", "keyword"])
    return Codebook(codes, keywords, dimensions)


def unknown_codes(segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Codes used in the coding but missing from the codebook (reported, never dropped).

    Returns
    -------
    pandas.DataFrame
        ``code``, ``n_segments``, ``coders``, ``documents`` (``;``-joined).
    """
    human = segments[segments.get("source", HUMAN) != SUGGESTED]
    missing = human[~human["code"].isin(codebook.codes["code"])]
    return (
        missing.groupby("code")
        .agg(n_segments=("code", "size"), coders=("coder", lambda c: ";".join(sorted(set(c)))),
             documents=("document", lambda d: ";".join(sorted(set(d)))))
        .reset_index()
    )


# --------------------------------------------------------------------------- suggestions


@functools.lru_cache(maxsize=1)
def _tokenizer() -> Any:
    """A private jieba tokenizer (the global one is left alone); keywords are added to it."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def keyword_hits(text: str, keywords: Iterable[str]) -> list[str]:
    """Keywords that occur in ``text`` as whole tokens.

    English (and other space-separated) keywords match whole words, case-insensitively;
    keywords in Chinese script match only where jieba's segmentation puts a token boundary at
    both ends (so 服务 does not fire inside 服务员). The keywords are added to jieba's
    dictionary first, so a keyword is never split.

    Examples
    --------
    >>> keyword_hits("服务员很耐心", ["服务"]), keyword_hits("Queues!", ["queue", "queues"])
    ([], ['queues'])
    """
    keywords = sorted(set(keywords))
    cjk = tuple(k for k in keywords if re.search(r"[\u3400-\u9fff]", k))
    hits = [k for k in keywords if k not in cjk and re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text, re.IGNORECASE)]
    if cjk and re.search(r"[\u3400-\u9fff]", text):
        tokenizer = _tokenizer()
        for word in cjk:
            tokenizer.add_word(word)
        tokens = list(tokenizer.tokenize(text))
        starts, ends = {t[1] for t in tokens}, {t[2] for t in tokens}
        hits += [k for k in cjk if any(m.start() in starts and m.end() in ends for m in re.finditer(re.escape(k), text))]
    return sorted(hits)


def suggest_codes(units: pd.DataFrame, codebook: Codebook, coded: pd.DataFrame) -> pd.DataFrame:
    """Propose codes for participants' units no human coded, from the keyword dictionary.

    A unit whose text holds a dimension keyword gets a suggested segment with code
    ``suggested:<dimension>`` spanning the unit; provider gaps whose keywords occur in the same
    unit are attached; valence is left empty (a keyword does not tell problem from strength).
    Suggestions carry ``source = "suggested"`` and coder ``keyword dictionary``; they are
    never counted in agreement.

    Parameters
    ----------
    units
        Analysis units with ``document``, ``unit``, ``start``, ``end``, ``text``, ``role``.
    coded
        Human segments assigned to units (``document``, ``unit``), to know which are coded.

    Returns
    -------
    pandas.DataFrame
        ``document``, ``coder``, ``code``, ``start``, ``end``, ``text``, ``origin``, ``source``,
        ``dimensions``, ``provider_gaps``, ``keywords`` (``;``-joined matches).
    """
    columns = ["document", "coder", "code", "start", "end", "text", "origin", "source", "dimensions",
               "provider_gaps", "keywords"]
    done = set(zip(coded["document"], coded["unit"], strict=True))
    todo = units[~units["role"].isin(INTERVIEWER_ROLES)]
    todo = todo[[(d, u) not in done for d, u in zip(todo["document"], todo["unit"], strict=True)]]
    words = codebook.keywords.groupby(["kind", "key"])["keyword"].apply(list)
    rows = []
    for unit in todo.itertuples(index=False):
        gap_words = {key: keyword_hits(unit.text, w) for (kind, key), w in words.items() if kind == "provider_gap"}
        gaps = tuple(int(k) for k, hit in gap_words.items() if hit)
        for (kind, key), w in words.items():
            found = keyword_hits(unit.text, w) if kind == "dimension" else []
            if found:
                matched = found + [h for k in map(str, gaps) for h in gap_words[k]]
                rows.append({"document": unit.document, "coder": SUGGESTION_CODER, "code": f"suggested:{key}",
                             "start": unit.start, "end": unit.end, "text": unit.text, "origin": "keywords",
                             "source": SUGGESTED, "dimensions": (key,), "provider_gaps": gaps,
                             "keywords": ";".join(matched)})
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"start": "Int64", "end": "Int64"})


# --------------------------------------------------------------------------- privacy helpers


def mask_participants(texts: pd.Series, participants: pd.DataFrame, extra_names: Iterable[str] = ()) -> pd.Series:
    """Replace participants' names by their pseudonyms and mask phones, e-mails and ID numbers."""
    replacements = dict(zip(participants["speaker"], participants["pseudonym"], strict=True))
    names = [*replacements, *extra_names]
    return texts.fillna("").map(lambda t: mask_text(mask_names(t, names, replacements)))


# --------------------------------------------------------------------------- segments


def _join(values: Iterable[object]) -> str:
    return ";".join(str(v) for v in values)


def segments_table(
    segments: pd.DataFrame, corpus: InterviewCorpus, codebook: Codebook, units: pd.DataFrame,
    *, extra_names: Iterable[str] = (),
) -> pd.DataFrame:
    """The coded segments with their units, speakers, codebook attributes and masked text.

    Parameters
    ----------
    segments
        Anchored segments (:func:`servqual.qda.anchor_segments`) with a ``source`` column;
        suggested segments may carry their own ``dimensions``/``provider_gaps``.
    units
        The analysis units (with ``role`` and ``pseudonym``).

    Returns
    -------
    pandas.DataFrame
        :data:`SEGMENT_TABLE_COLUMNS`: ``document``, ``doc_type``, ``doc_group``, ``coder``,
        ``code``, ``source`` (``human``/``suggested``), ``start``, ``end``, ``units``,
        ``speakers`` (pseudonyms) and ``roles`` (``;``-joined), ``dimensions`` and
        ``provider_gaps`` (``;``-joined), ``valence``, ``in_codebook``, ``text`` (masked),
        ``origin`` (file).
    """
    assigned = units_of_segments(segments, units.drop(columns="speaker").rename(columns={"pseudonym": "speaker"}))
    roles = units.set_index(["document", "unit"])["role"]
    assigned["role"] = [roles.get((d, u), pd.NA) for d, u in zip(assigned["document"], assigned["unit"], strict=True)]
    per_segment = assigned.groupby("segment_id").agg(
        units=("unit", lambda u: _join(u.dropna())),
        speakers=("speaker", lambda s: _join(dict.fromkeys(s.dropna()))),
        roles=("role", lambda r: _join(dict.fromkeys(r.dropna()))),
    )
    book = codebook.codes.set_index("code")
    out = segments.reset_index(drop=True).join(per_segment)
    out = out.merge(corpus.documents[["document", "doc_type", "doc_group"]], on="document", how="left")
    in_book = out["code"].isin(book.index)
    own_dims = out["dimensions"] if "dimensions" in out else pd.Series([()] * len(out))
    own_gaps = out["provider_gaps"] if "provider_gaps" in out else pd.Series([()] * len(out))
    out["dimensions"] = [_join(book.at[c, "dimensions"]) if ok else _join(d if isinstance(d, tuple) else ())
                         for c, ok, d in zip(out["code"], in_book, own_dims, strict=True)]
    out["provider_gaps"] = [_join(book.at[c, "provider_gaps"]) if ok else _join(g if isinstance(g, tuple) else ())
                            for c, ok, g in zip(out["code"], in_book, own_gaps, strict=True)]
    out["valence"] = out["code"].map(book["valence"]).fillna("")
    out["in_codebook"] = in_book
    out["text"] = mask_participants(out["text"], corpus.participants, extra_names)
    return out[SEGMENT_TABLE_COLUMNS].sort_values(["document", "start", "coder", "code"]).reset_index(drop=True)


def _is_participant(segments: pd.DataFrame) -> pd.Series:
    """Segments spoken (at least partly) by a participant rather than the interviewer."""
    # Boolean even when empty: an empty object mask would select columns, not rows.
    spoken = segments["roles"].str.split(";").map(lambda r: any(x and x not in INTERVIEWER_ROLES for x in r))
    return spoken.astype(bool)


def _exploded(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per segment x unit x speaker, for counting (``unit_key`` = document|unit).

    A segment over two turns yields both units and both speakers (their cross product), which
    distinct counts of units and participants are not affected by.
    """
    rows = segments.assign(unit=segments["units"].str.split(";"), speaker=segments["speakers"].str.split(";"))
    rows = rows.explode("unit").explode("speaker")
    rows = rows[rows["unit"].fillna("") != ""]
    return rows.assign(segment_id=rows.index, unit_key=rows["document"] + "|" + rows["unit"])


def _evidence_rows(segments: pd.DataFrame) -> pd.DataFrame:
    """Rows of evidence: participants' units only (moderators' and interviewers' turns left out)."""
    return _exploded(segments[_is_participant(segments)])


def interview_code_counts(segments: pd.DataFrame, participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts of coded units and distinct participants per code, dimension, provider gap and valence.

    Units are counted once however many coders or segments coded them (union over coders);
    participants are distinct pseudonyms among the speakers of those units, interviewers and
    moderators excluded. Split by document group (``customers``/``staff``/``all``) and source
    (``human``/``suggested``; never mixed).

    Returns
    -------
    pandas.DataFrame
        :data:`COUNT_COLUMNS`: ``level`` (``code``, ``dimension``, ``provider_gap``,
        ``valence``), ``value``, ``doc_group``, ``source``, ``n_segments``, ``n_units``,
        ``n_participants``, ``n_documents``.
    """
    rows = _evidence_rows(segments)
    if participants is not None:
        interviewer = set(participants.loc[participants["role"].isin(INTERVIEWER_ROLES), "pseudonym"])
        rows = rows.assign(speaker=rows["speaker"].where(~rows["speaker"].isin(interviewer)))
    levels = {
        "code": rows.assign(value=rows["code"]),
        "dimension": rows.assign(value=rows["dimensions"].str.split(";")).explode("value"),
        "provider_gap": rows.assign(value=rows["provider_gaps"].str.split(";")).explode("value"),
        "valence": rows.assign(value=rows["valence"]),
    }
    tables = []
    for level, table in levels.items():
        table = table[table["value"].fillna("") != ""]
        both = pd.concat([table, table.assign(doc_group="all")])
        counted = both.groupby(["value", "doc_group", "source"]).agg(
            n_segments=("segment_id", "nunique"),
            n_units=("unit_key", "nunique"),
            n_participants=("speaker", "nunique"),
            n_documents=("document", "nunique"),
        )
        tables.append(counted.reset_index().assign(level=level))
    out = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=COUNT_COLUMNS)
    return out[COUNT_COLUMNS].sort_values(["level", "value", "doc_group", "source"]).reset_index(drop=True)


def dimension_gap_units(segments: pd.DataFrame) -> pd.DataFrame:
    """Coded participant units per dimension x provider gap x valence (data of the code chart).

    Human coding with codebook codes only, as in :func:`triangulate`. The level tables of
    :func:`interview_code_counts` count dimensions and provider gaps separately; this crosses
    them, to show which gap lies behind each dimension's problems. A unit coded with two gaps
    counts under each; codes without a provider gap count under ``none``.

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``provider_gap`` (``1 knowledge`` ... ``4 communication``, ``none``),
        ``valence``, ``n_units`` (distinct units).
    """
    rows = _evidence_rows(segments[(segments["source"] == HUMAN) & segments["in_codebook"]])
    rows = rows.assign(dimension=rows["dimensions"].str.split(";"), gap=rows["provider_gaps"].str.split(";"))
    rows = rows.explode("dimension").explode("gap")
    rows = rows[rows["dimension"].fillna("") != ""]
    labels = {"": "none"} | {str(g): f"{g} {name}" for g, name in PROVIDER_GAPS.items()}
    counts = (
        rows.assign(provider_gap=rows["gap"].fillna("").map(labels))
        .groupby(["dimension", "provider_gap", "valence"])["unit_key"].nunique()
        .rename("n_units")
    )
    return counts.reset_index()


# --------------------------------------------------------------------------- quotes


def _agreeing_coders(segments: pd.DataFrame) -> pd.Series:
    """Per segment, the coders (``;``-joined) who applied the same code to an overlapping span."""
    pairs = segments.rename_axis("segment").reset_index().merge(
        segments[["document", "code", "coder", "start", "end"]], on=["document", "code"], suffixes=("", "_other"))
    pairs = pairs[(pairs["start"] < pairs["end_other"]) & (pairs["end"] > pairs["start_other"])]
    return pairs.groupby("segment")["coder_other"].agg(lambda c: _join(sorted(set(c))))


def exemplar_quotes(
    segments: pd.DataFrame, *, per_group: int = 2, min_chars: int = 12, max_chars: int = 300
) -> pd.DataFrame:
    """Exemplar quotes per dimension and provider gap, for problems and strengths.

    Candidates are human-coded segments with a codebook code, spoken by participants (not the
    interviewer). Ranking: the number of coders who applied the same code to an overlapping
    span (agreed coding first), then a length between ``min_chars`` and ``max_chars``, then
    document order. A span quoted once is not repeated within a group.

    Returns
    -------
    pandas.DataFrame
        :data:`QUOTE_COLUMNS`: ``level`` (``dimension``/``provider_gap``), ``value``,
        ``valence``, ``rank``, ``document``, ``doc_type``, ``start``, ``end`` (position in the
        transcript), ``units``, ``speaker`` (pseudonym), ``role``, ``code``, ``coders`` (who
        coded it), ``source``, ``text`` (masked, plain text).
    """
    pool = segments[(segments["source"] == HUMAN) & segments["in_codebook"]]
    pool = pool[_is_participant(pool) & (pool["text"].str.strip() != "")]
    if pool.empty:
        return pd.DataFrame(columns=QUOTE_COLUMNS)
    coders = _agreeing_coders(pool)
    pool = pool.assign(
        coders=coders, support=coders.str.count(";") + 1,
        fits=pool["text"].str.len().between(min_chars, max_chars),
        speaker=pool["speakers"].str.split(";").str[-1], role=pool["roles"].str.split(";").str[-1],
    )
    ranked = pd.concat([
        pool.assign(level="dimension", value=pool["dimensions"].str.split(";")).explode("value"),
        pool.assign(level="provider_gap", value=pool["provider_gaps"].str.split(";")).explode("value"),
    ], ignore_index=True)
    ranked = ranked[ranked["value"].fillna("") != ""]
    group = ["level", "value", "valence"]
    ranked = ranked.sort_values([*group, "support", "fits", "document", "start"],
                                ascending=[True, True, True, False, False, True, True])
    ranked = ranked.drop_duplicates([*group, "document", "start", "end"]).groupby(group).head(per_group)
    ranked["rank"] = ranked.groupby(group).cumcount() + 1
    return ranked[QUOTE_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- triangulation


def survey_signal(gap: float, low: float, high: float) -> str:
    """``negative`` when the CI lies below 0, ``positive`` above 0, else ``not significant``."""
    if np.isnan(gap):
        return "missing"
    return "negative" if high < 0 else "positive" if low > 0 else "not significant"


def interview_signal(problems: int, strengths: int, dominance: float = 2 / 3) -> str:
    """``problems dominate`` / ``strengths dominate`` when one valence holds at least
    ``dominance`` of the coded units, ``mixed`` otherwise, ``none`` without evidence."""
    total = problems + strengths
    if total == 0:
        return "none"
    return ("problems dominate" if problems / total >= dominance
            else "strengths dominate" if strengths / total >= dominance else "mixed")


def convergence_rule(dominance: float = 2 / 3) -> str:
    """The convergence rule in words, written beside every code of the joint display.

    It states both thresholds, so that a reader of ``triangulation.csv`` can check each label:
    the survey signal of :func:`survey_signal` and the ``dominance`` share of
    :func:`interview_signal`.

    Examples
    --------
    >>> convergence_rule(0.75).split("; ")[1]
    'problems (strengths) dominate = at least 75% of the coded participant units are problems (strengths)'
    """
    return (
        "survey gap negative = its confidence interval lies below 0; "
        f"problems (strengths) dominate = at least {dominance:.0%} of the coded participant units are problems "
        "(strengths); "
        "silence: no interview evidence on the dimension (or no survey gap); "
        "agreement: survey gap negative and problems dominate, or survey gap not negative and strengths dominate; "
        "dissonance: survey gap negative but strengths dominate, or survey gap not negative but problems dominate; "
        "partial agreement: otherwise (mixed interview evidence)."
    )


def convergence(survey: str, interview: str) -> str:
    """Convergence code of one dimension from the survey and interview signals (see
    :func:`convergence_rule`; Farmer, Robinson, Elliott & Eyles 2006, Qualitative Health
    Research 16(3))."""
    if interview == "none" or survey == "missing":
        return "silence"
    negative = survey == "negative"
    if interview == "problems dominate":
        return "agreement" if negative else "dissonance"
    if interview == "strengths dominate":
        return "dissonance" if negative else "agreement"
    return "partial agreement"


def _gap_summary(rows: pd.DataFrame, top: int) -> tuple[str, str]:
    """Provider gaps of problem units, most units first: ('3;1', '3 delivery (8); 1 knowledge (3)')."""
    gaps = rows.assign(gap=rows["provider_gaps"].str.split(";")).explode("gap")
    gaps = gaps[gaps["gap"].fillna("") != ""]
    counts = gaps.groupby("gap")["unit_key"].nunique().sort_values(ascending=False, kind="stable").head(top)
    text = "; ".join(f"{g} {PROVIDER_GAPS[int(g)]} ({n})" for g, n in counts.items())
    return ";".join(counts.index), text


def triangulate(
    survey_gaps: pd.DataFrame, segments: pd.DataFrame, quotes: pd.DataFrame | None = None,
    *, dominance: float = 2 / 3, top_gaps: int = 3,
) -> pd.DataFrame:
    """Joint display per dimension: survey gap beside interview evidence, with a convergence code.

    Parameters
    ----------
    survey_gaps
        ``dimension``, ``gap``, ``gap_ci_low``, ``gap_ci_high`` (mean P - E per dimension).
    segments
        :func:`segments_table`; only human coding with codebook codes counts, in
        participants' units.
    quotes
        :func:`exemplar_quotes`; the first quote of the dominant valence is shown.
    dominance
        Share of coded units one valence needs to "dominate".

    Returns
    -------
    pandas.DataFrame
        :data:`TRIANGULATION_COLUMNS` plus ``provider_gaps`` (``;``-joined numbers, most
        problem units first): ``dimension``, ``survey_gap``, ``gap_ci_low``, ``gap_ci_high``,
        ``gap_rank`` (1 = most negative), ``survey_signal``, ``problem_units``,
        ``strength_units``, ``participants``, ``interview_signal``, ``top_provider_gaps``,
        ``quote``, ``quote_document``, ``quote_start``, ``quote_end``, ``convergence``,
        ``rule``.
    """
    missing = {"dimension", "gap", "gap_ci_low", "gap_ci_high"} - set(survey_gaps.columns)
    if missing:
        raise ValueError(f"survey_gaps needs columns dimension, gap, gap_ci_low, gap_ci_high; missing {sorted(missing)}.")
    rows = _evidence_rows(segments[(segments["source"] == HUMAN) & segments["in_codebook"]])
    rows = rows.assign(dimension=rows["dimensions"].str.split(";")).explode("dimension")
    quotes = quotes if quotes is not None else pd.DataFrame(columns=QUOTE_COLUMNS)
    rule = convergence_rule(dominance)
    survey = survey_gaps.assign(gap_rank=survey_gaps["gap"].rank(method="min").astype("Int64"))
    out = []
    for s in survey.itertuples(index=False):
        mine = rows[rows["dimension"] == s.dimension]
        problems = mine[mine["valence"] == "problem"]
        n_problem, n_strength = problems["unit_key"].nunique(), mine.loc[mine["valence"] == "strength", "unit_key"].nunique()
        signal = interview_signal(n_problem, n_strength, dominance)
        survey_sig = survey_signal(float(s.gap), float(s.gap_ci_low), float(s.gap_ci_high))
        gap_ids, gap_text = _gap_summary(problems if n_problem else mine, top_gaps)
        valence = "strength" if signal == "strengths dominate" else "problem"
        pick = quotes[(quotes["level"] == "dimension") & (quotes["value"] == s.dimension)]
        pick = pick.assign(other=pick["valence"] != valence).sort_values(["other", "rank"])
        first = pick.iloc[0] if len(pick) else None
        out.append({
            "dimension": s.dimension, "survey_gap": s.gap, "gap_ci_low": s.gap_ci_low, "gap_ci_high": s.gap_ci_high,
            "gap_rank": s.gap_rank, "survey_signal": survey_sig, "problem_units": n_problem,
            "strength_units": n_strength, "participants": mine["speaker"].nunique(), "interview_signal": signal,
            "top_provider_gaps": gap_text, "quote": "" if first is None else first["text"],
            "quote_document": "" if first is None else first["document"],
            "quote_start": pd.NA if first is None else first["start"],
            "quote_end": pd.NA if first is None else first["end"],
            "convergence": convergence(survey_sig, signal), "rule": rule, "provider_gaps": gap_ids,
        })
    table = pd.DataFrame(out, columns=[*TRIANGULATION_COLUMNS, "provider_gaps"])
    return table.astype({"quote_start": "Int64", "quote_end": "Int64"})


def improvement_evidence(triangulation: pd.DataFrame) -> pd.DataFrame:
    """Per dimension, the provider gaps the interviews point to (input of the priorities table).

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``provider_gaps`` (``;``-joined gap numbers, most problem units first;
        empty without problem evidence), ``evidence`` (one sentence: units, participants,
        gaps, convergence).
    """
    evidence = [
        f"{t.problem_units} problem and {t.strength_units} strength unit(s) from {t.participants} participant(s); "
        f"provider gaps: {t.top_provider_gaps or 'none coded'}; convergence with the survey: {t.convergence}."
        for t in triangulation.itertuples(index=False)
    ]
    gaps = triangulation["provider_gaps"].where(triangulation["problem_units"] > 0, "")
    return pd.DataFrame({"dimension": triangulation["dimension"], "provider_gaps": gaps, "evidence": evidence})


# --------------------------------------------------------------------------- the whole folder


def read_coded_segments(folder: str | Path, texts: Mapping[str, str], *,
                        root: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every coded-segment file of an interview folder and place it on the transcripts.

    Files: ``*.csv``/``*.tsv`` other than the documents table, and ``*.qdpx``. Each CSV
    without a coder column is one coder's (named after the file). Every entry of the folder, and
    every source a project names, stays inside ``root`` (default: the folder itself; see
    :func:`servqual.study_files.study_path`).

    Returns
    -------
    (segments, repairs)
        See :func:`servqual.qda.anchor_segments`; ``segments`` gets ``source = "human"``.
    """
    folder = Path(folder)
    frames, repairs = [], []
    for path in folder_entries(folder, root=root):
        suffix = path.suffix.lower()
        if suffix in {".csv", ".tsv"} and path.name.lower() not in DOCUMENT_TABLE_NAMES:
            frames.append(read_segments_csv(path))
        elif suffix == ".qdpx":
            project = read_qdpx(path, root=root if root is not None else folder)
            frames.append(project.segments[["document", "coder", "code", "start", "end", "text", "origin"]])
            repairs.append(project.repairs)
    if not frames:
        raise FileNotFoundError(f"{folder}: no coded segments (*.csv, *.tsv or *.qdpx besides the documents table).")
    segments, placed = anchor_segments(pd.concat(frames, ignore_index=True), texts)
    return segments.assign(source=HUMAN), pd.concat([*repairs, placed], ignore_index=True)


@dataclass(frozen=True)
class InterviewResults:
    """Every interview table of one wave (all masked and pseudonymised).

    ``segments`` (:func:`segments_table`), ``interview_codes`` (:func:`interview_code_counts`),
    ``coder_agreement`` (:func:`servqual.agreement.coder_agreement`), ``disagreements``
    (:func:`servqual.agreement.coder_disagreements`), ``quotes`` (:func:`exemplar_quotes`),
    ``triangulation`` (:func:`triangulate`), ``improvement_evidence``
    (:func:`improvement_evidence`), ``unknown_codes`` (:func:`unknown_codes`), ``repairs``
    (positions changed while anchoring), ``documents`` (document, file, doc_type, doc_group,
    date, encoding, n_chars).
    """

    segments: pd.DataFrame
    interview_codes: pd.DataFrame
    coder_agreement: pd.DataFrame
    disagreements: pd.DataFrame
    quotes: pd.DataFrame
    triangulation: pd.DataFrame
    improvement_evidence: pd.DataFrame
    unknown_codes: pd.DataFrame
    repairs: pd.DataFrame
    documents: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order of the dataclass fields."""
        return {name: value for name, value in vars(self).items() if isinstance(value, pd.DataFrame)}


def analyse_interviews(
    folder: str | Path,
    codebook: Codebook | str | Path,
    survey_gaps: pd.DataFrame,
    *,
    unit: str = "turn",
    salt: bytes | None = None,
    suggest: bool = False,
    extra_names: Iterable[str] = (),
    speaker_pattern: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
    quotes_per_group: int = 2,
    dominance: float = 2 / 3,
    root: str | Path | None = None,
) -> InterviewResults:
    """All interview tables of one wave's folder.

    Parameters
    ----------
    folder
        The wave's interview folder: ``documents.tsv``, transcripts, coded-segment files.
    codebook
        :class:`Codebook` or the path of ``codebook.yaml``.
    survey_gaps
        ``dimension``, ``gap``, ``gap_ci_low``, ``gap_ci_high`` from the survey.
    unit
        Analysis unit: ``turn`` (default) or ``sentence``.
    salt
        Pseudonymisation salt for participants without a pseudonym in the sidecar.
    suggest
        Add keyword suggestions for uncoded participant units (``source = "suggested"``).
    extra_names
        Further names to mask in quotes (e.g. staff named by customers), replaced by ``[name]``.
    n_boot, confidence, seed
        Bootstrap of Krippendorff's alpha.
    root
        The folder no file the interview folder names may leave (default: the interview folder;
        the workflow passes the study folder), see :func:`servqual.study_files.study_path`.
    """
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    corpus = read_interview_folder(folder, salt=salt, speaker_pattern=speaker_pattern, root=root)
    units = analysis_units(corpus.turns, unit)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QdaFormatWarning)
        human, repairs = read_coded_segments(folder, corpus.texts, root=root)
    notes = [str(w.message) for w in caught]
    for note in notes:
        warnings.warn(note, QdaFormatWarning, stacklevel=2)
    participant_units = units[~units["role"].isin(INTERVIEWER_ROLES)]
    presence = unit_code_presence(human, participant_units)
    agreement = coder_agreement(presence, n_boot=n_boot, confidence=confidence, seed=seed)
    all_segments = human
    if suggest:
        assigned = units_of_segments(human, units).dropna(subset=["unit"])
        all_segments = pd.concat([human, suggest_codes(units, book, assigned)], ignore_index=True)
    table = segments_table(all_segments, corpus, book, units, extra_names=extra_names)
    missing = unknown_codes(table, book)
    if len(missing):
        notes.append(f"Codes not in the codebook (kept, without dimension): {', '.join(missing['code'])}.")
    quotes = exemplar_quotes(table, per_group=quotes_per_group)
    tri = triangulate(survey_gaps, table, quotes, dominance=dominance)
    disagreements = coder_disagreements(presence)
    pseudo = units.set_index(["document", "unit"])["pseudonym"]
    disagreements.insert(2, "speaker", [pseudo.get((d, u), "") for d, u in
                                        zip(disagreements["document"], disagreements["unit"], strict=True)])
    return InterviewResults(
        segments=table,
        interview_codes=interview_code_counts(table, corpus.participants),
        coder_agreement=agreement,
        disagreements=disagreements,
        quotes=quotes,
        triangulation=tri,
        improvement_evidence=improvement_evidence(tri),
        unknown_codes=missing,
        repairs=repairs,
        documents=corpus.documents,
        notes=notes,
    )
