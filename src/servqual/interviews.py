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
plain text; HTML escaping is the report's job, and :func:`servqual.tables.neutralise_spreadsheet_cells`
protects CSV exports from formula injection.

The codebook and its YAML format: :mod:`servqual.codebook`; the joint display with the survey:
:mod:`servqual.triangulation`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from servqual.agreement import coder_agreement, coder_disagreements, unit_code_presence
from servqual.codebook import PROVIDER_GAPS, Codebook, keyword_hits, load_codebook
from servqual.privacy import mask_names, mask_text
from servqual.qda import NOT_PLACED, NOT_READ, QdaFormatWarning, anchor_segments, read_qdpx, read_segments_csv
from servqual.study_files import StudyFileError, folder_entries
from servqual.triangulation import improvement_evidence, triangulate
from servqual.transcripts import (
    DOCUMENT_TABLE_NAMES,
    INTERVIEWER_ROLES,
    InterviewCorpus,
    analysis_units,
    read_interview_folder,
    units_of_segments,
)

SUGGESTED = "suggested"
HUMAN = "human"
SUGGESTION_CODER = "keyword dictionary"

SEGMENT_TABLE_COLUMNS = [
    "document", "doc_type", "doc_group", "coder", "code", "source", "start", "end", "units", "speakers",
    "roles", "dimensions", "provider_gaps", "valence", "in_codebook", "text", "origin",
]
#: A coded segment that could not be placed: the file it came from, where it said it lay, and why
#: (one of :data:`servqual.qda.NOT_PLACED` or :data:`servqual.qda.NOT_READ`); never its text.
LEFT_OUT_COLUMNS = ["file", "document", "coder", "code", "start", "end", "reason"]
#: Suffixes of the coded-segment files an interview folder may hold (REFI-QDA project, zipped or not).
SEGMENT_SUFFIXES = (".csv", ".tsv", ".qdpx", ".qde")
COUNT_COLUMNS = ["level", "value", "doc_group", "source", "n_segments", "n_units", "n_participants", "n_documents"]
QUOTE_COLUMNS = [
    "level", "value", "valence", "rank", "document", "doc_type", "start", "end", "units", "speaker", "role",
    "code", "coders", "source", "text",
]


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


def coded_evidence(segments: pd.DataFrame) -> pd.DataFrame:
    """The evidence the joint display and the code chart count: human coding with codebook codes,
    in participants' units, one row per segment x unit x speaker (``unit_key`` = document|unit)."""
    return _evidence_rows(segments[(segments["source"] == HUMAN) & segments["in_codebook"]])


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

    Human coding with codebook codes only (:func:`coded_evidence`), as in the joint display. The level tables of
    :func:`interview_code_counts` count dimensions and provider gaps separately; this crosses
    them, to show which gap lies behind each dimension's problems. A unit coded with two gaps
    counts under each; codes without a provider gap count under ``none``.

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``provider_gap`` (``1 knowledge`` ... ``4 communication``, ``none``),
        ``valence``, ``n_units`` (distinct units).
    """
    rows = coded_evidence(segments)
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


# --------------------------------------------------------------------------- the whole folder


def _documentation(path: Path) -> bool:
    """A README or a hidden file: documentation or a tool's own, which the workflow does not take as input."""
    return path.name.startswith(".") or path.stem.lower() == "readme"


def read_coded_segments(folder: str | Path, texts: Mapping[str, str], *,
                        root: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every coded-segment file of an interview folder and place it on the transcripts.

    Files: ``*.csv``/``*.tsv`` other than the documents table, ``*.qdpx`` and bare ``*.qde``
    (sources by ``plainTextPath`` relative to it). Each CSV without a coder column is one coder's
    (named after the file). Every entry of the folder, and every source a project names, stays
    inside ``root`` (default: the folder itself; see :func:`servqual.study_files.study_path`). Any
    other file, except the transcripts (the keys of ``texts``), a README and hidden files, is
    refused naming it: nothing in the folder is passed over in silence.

    Returns
    -------
    (segments, repairs)
        See :func:`servqual.qda.anchor_segments`; ``segments`` gets ``source = "human"``.
    """
    folder = Path(folder)
    frames, repairs, unread = [], [], []
    transcripts = {Path(name) for name in texts}
    for path in folder_entries(folder, root=root):
        suffix = path.suffix.lower()
        if path.is_dir() or _documentation(path) or Path(path.name) in transcripts \
                or path.name.lower() in DOCUMENT_TABLE_NAMES:
            continue
        if suffix in {".csv", ".tsv"}:
            frames.append(read_segments_csv(path))
        elif suffix in {".qdpx", ".qde"}:
            project = read_qdpx(path, root=root if root is not None else folder)
            frames.append(project.segments[["document", "coder", "code", "start", "end", "text", "origin"]])
            repairs.append(project.repairs)
        else:
            unread.append(path.name)
    if unread:
        raise StudyFileError(
            f"{folder}: {', '.join(unread)}: not a file the interview step reads (coded segments are "
            f"{', '.join('*' + s for s in SEGMENT_SUFFIXES)}; transcripts are the files the documents table lists). "
            "For a project of a QDA program, export a .qdpx (REFI-QDA) from it; list a transcript in the documents "
            "table; move any other file out of the folder (a README may stay).")
    if not frames:
        raise FileNotFoundError(f"{folder}: no coded segments (*.csv, *.tsv, *.qdpx or *.qde besides the documents table).")
    segments, placed = anchor_segments(pd.concat(frames, ignore_index=True), texts)
    return segments.assign(source=HUMAN), pd.concat([*repairs, placed], ignore_index=True)


def segments_left_out(repairs: pd.DataFrame) -> pd.DataFrame:
    """The coded segments left out of every analysis, with the reason: the rows of ``repairs``
    (:func:`read_coded_segments`) that could not be placed or read, positions as the file gave them.

    Returns
    -------
    pandas.DataFrame
        :data:`LEFT_OUT_COLUMNS`, in the order found.
    """
    left = repairs[repairs["method"].isin([*NOT_PLACED, *NOT_READ])]
    return pd.DataFrame({"file": left["origin"], "document": left["document"], "coder": left["coder"],
                         "code": left["code"], "start": left["old_start"].astype("Int64"),
                         "end": left["old_end"].astype("Int64"), "reason": left["method"]},
                        columns=LEFT_OUT_COLUMNS).reset_index(drop=True)


@dataclass(frozen=True)
class InterviewResults:
    """Every interview table of one wave (all masked and pseudonymised).

    ``segments`` (:func:`segments_table`), ``interview_codes`` (:func:`interview_code_counts`),
    ``coder_agreement`` (:func:`servqual.agreement.coder_agreement`), ``coder_disagreements``
    (:func:`servqual.agreement.coder_disagreements`), ``quotes`` (:func:`exemplar_quotes`),
    ``triangulation`` (:func:`servqual.triangulation.triangulate`), ``improvement_evidence``
    (:func:`servqual.triangulation.improvement_evidence`), ``unknown_codes`` (:func:`unknown_codes`), ``repairs``
    (positions changed while anchoring), ``segments_left_out`` (:func:`segments_left_out`), ``documents`` (document, file, doc_type, doc_group,
    date, encoding, n_chars).
    """

    segments: pd.DataFrame
    interview_codes: pd.DataFrame
    coder_agreement: pd.DataFrame
    coder_disagreements: pd.DataFrame
    quotes: pd.DataFrame
    triangulation: pd.DataFrame
    improvement_evidence: pd.DataFrame
    unknown_codes: pd.DataFrame
    repairs: pd.DataFrame
    segments_left_out: pd.DataFrame
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
    tri = triangulate(survey_gaps, coded_evidence(table), quotes, dominance=dominance)
    disagreements = coder_disagreements(presence)
    pseudo = units.set_index(["document", "unit"])["pseudonym"]
    disagreements.insert(2, "speaker", [pseudo.get((d, u), "") for d, u in
                                        zip(disagreements["document"], disagreements["unit"], strict=True)])
    return InterviewResults(
        segments=table,
        interview_codes=interview_code_counts(table, corpus.participants),
        coder_agreement=agreement,
        coder_disagreements=disagreements,
        quotes=quotes,
        triangulation=tri,
        improvement_evidence=improvement_evidence(tri),
        unknown_codes=missing,
        repairs=repairs,
        segments_left_out=segments_left_out(repairs),
        documents=corpus.documents,
        notes=notes,
    )
