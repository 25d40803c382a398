"""Interview and focus-group transcripts: decoding, speaker turns, analysis units, the sidecar.

A wave's interview folder holds the transcripts (``.txt``, ``.md`` or ``.docx``; English or
Chinese) and a small sidecar table ``documents.tsv`` (or ``documents.csv``) with one row per
document::

    file                         type                   date        participants
    customers_focus_group.txt    customer focus group   2026-03-14  主持人=moderator; 王芳=customer=C1
    staff_interview.txt          staff interview        2026-03-18  Interviewer=interviewer; Tom Reed=staff

``participants`` lists ``name=role`` or ``name=role=pseudonym`` entries separated by ``;``
(full-width ``；`` accepted). Names are personal data: they are used to find speaker turns and to
replace every occurrence by the pseudonym, and never leave this module unmasked.

Positions (``start``, ``end``) are Unicode code points from 0 with the end exclusive
(``text[start:end]``), counted on the text after decoding, NFC normalisation and turning
``\\r\\n`` and ``\\r`` into ``\\n`` -- the convention of the REFI-QDA standard as ATLAS.ti applies
it. Every reader of coded segments works on these positions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pandas as pd

from servqual.privacy import digits, pseudonym
from servqual.study_files import (
    StudyFileError,
    check_archive,
    study_path,
    study_text,
    unreadable_table,
)

#: Roles whose turns are questions, not evidence (excluded from evidence counts and agreement).
INTERVIEWER_ROLES = frozenset({"moderator", "interviewer", "facilitator", "researcher"})

#: Default speaker label at the start of a line: ``Name:`` or ``名字：`` (optionally in
#: Markdown bold). A name starts with a letter (any script) and holds at most 30 characters of
#: letters, digits, spaces and ``.'()-``, so times (``10:30``) and sentences are not labels.
SPEAKER_PATTERN = re.compile(
    r"^[ \t]*(?:\*\*|__)?(?P<speaker>[^\W\d_][\w.'()\- ]{0,29}?)[ \t]*(?:\*\*|__)?"
    r"[ \t]*[:：][ \t]*(?:\*\*|__)?[ \t]*",
    re.MULTILINE,
)

#: Sentence ends: Western and CJK terminal punctuation (with closing quotes/brackets).
SENTENCE_END = re.compile(r"[^.!?。！？；;…]*(?:[.!?。！？；;…]+[\"'”’」』）)]*|$)")

UNIT_TYPES = ("turn", "sentence")

DOCUMENT_TABLE_NAMES = ("documents.tsv", "documents.csv")


@dataclass(frozen=True)
class Transcript:
    """One transcript: its id (the file name), the normalised text and the encoding it had."""

    document: str
    text: str
    encoding: str


def normalise_text(text: str) -> str:
    """Return ``text`` with ``\\r\\n`` and ``\\r`` as ``\\n`` and in Unicode NFC (done once, first)."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def decode_text(raw: bytes, where: str | Path = "text") -> tuple[str, str]:
    """Decode transcript bytes: UTF-8 (with or without BOM) first, then GB18030 (superset of GBK).

    Returns
    -------
    (text, encoding)
        The decoded, *not yet normalised* text and the encoding used: ``"utf-8-sig"`` (BOM),
        ``"utf-8"`` or ``"gb18030"``.

    Raises
    ------
    StudyFileError
        When the bytes are neither UTF-8 nor GB18030, naming ``where`` (the file) and the line
        GB18030 fails at.

    Examples
    --------
    >>> try:
    ...     decode_text(b"line one\\nline \\x80two\\n", "notes.txt")
    ... except StudyFileError as err:
    ...     print(str(err).split(";")[0])
    notes.txt, line 2: neither UTF-8 nor GB18030 text
    """
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        return raw[3 if bom else 0:].decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise StudyFileError(f"{where}, line {line}: neither UTF-8 nor GB18030 text; save the file as UTF-8 "
                             "(in a text editor: Save as, encoding UTF-8).") from None


def _docx_text(path: Path) -> str:
    import docx  # python-docx; imported here so plain-text users do not pay for it

    check_archive(path, path)
    try:
        document = docx.Document(str(path))
    except Exception as err:  # noqa: BLE001  (python-docx raises its own PackageNotFoundError, zip and XML errors)
        raise StudyFileError(f"{path}: not a readable .docx document ({type(err).__name__}); save it again from "
                             "Word or LibreOffice, or as plain text (.txt).") from None
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def read_transcript(path: str | Path, document: str | None = None) -> Transcript:
    """Read one transcript (``.txt``, ``.md`` or ``.docx``) into normalised text.

    Parameters
    ----------
    path
        The file. ``.docx`` paragraphs are joined with ``\\n``; other files are decoded with
        :func:`decode_text`.
    document
        The document id; default the file name.
    """
    path = Path(path)
    if path.suffix.lower() == ".docx":
        text, encoding = _docx_text(path), "docx"
    elif path.suffix.lower() in {".txt", ".md", ".text", ".markdown"}:
        text, encoding = decode_text(path.read_bytes(), path)
    else:
        raise ValueError(f"{path.name}: transcripts must be .txt, .md or .docx files.")
    return Transcript(document or path.name, normalise_text(text), encoding)


def speaker_turns(
    text: str,
    document: str = "",
    *,
    speakers: Iterable[str] | None = None,
    pattern: str | re.Pattern[str] | None = None,
) -> pd.DataFrame:
    """Split a transcript into speaker turns.

    A turn starts at a line that begins with a speaker label (``Name: text``, ``名字：text``,
    or ``pattern``, a regular expression with a named group ``speaker`` matched at line starts)
    and runs to the next label; lines without a label continue the current turn. Text before
    the first label (titles, headers) belongs to no turn.

    Parameters
    ----------
    text
        The normalised transcript (:func:`read_transcript`).
    document
        Document id written to every row.
    speakers
        When given (the names in the sidecar), only these labels start a turn, so that
        ``Note: ...`` inside a turn is not taken for a speaker.
    pattern
        Speaker-label regex; default :data:`SPEAKER_PATTERN`.

    Returns
    -------
    pandas.DataFrame
        One row per turn: ``document``, ``unit`` (``T001``...), ``turn`` (1-based),
        ``speaker`` (the label as written), ``start`` (start of the label line), ``end``
        (end of the turn's text, trailing white space excluded), ``text_start`` (first
        character after the label) and ``text`` (the spoken text).
    """
    regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
    regex = regex or SPEAKER_PATTERN
    allowed = None if speakers is None else {s.strip() for s in speakers}
    labels = [
        m for m in regex.finditer(text) if allowed is None or m.group("speaker").strip() in allowed
    ]
    bounds = [m.start() for m in labels[1:]] + [len(text)] * bool(labels)
    rows = []
    for number, (label, stop) in enumerate(zip(labels, bounds, strict=True), start=1):
        body = text[label.end() : stop].rstrip()
        rows.append(
            {
                "document": document,
                "unit": f"T{number:03d}",
                "turn": number,
                "speaker": label.group("speaker").strip(),
                "start": label.start(),
                "end": label.end() + len(body),
                "text_start": label.end(),
                "text": body,
            }
        )
    columns = ["document", "unit", "turn", "speaker", "start", "end", "text_start", "text"]
    return pd.DataFrame(rows, columns=columns).astype({"turn": int, "start": int, "end": int})


def sentence_units(turns: pd.DataFrame) -> pd.DataFrame:
    """Split speaker turns into sentences (the finer analysis unit).

    Sentences end at ``. ! ? 。 ！ ？ ； ; …`` (plus closing quotes or brackets). Each sentence
    keeps its turn's speaker; white space around it is excluded from its span.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`speaker_turns`, one row per sentence, ``unit`` = ``T001S01``...
    """
    rows = []
    for turn in turns.itertuples(index=False):
        number = 0
        for match in SENTENCE_END.finditer(turn.text):
            piece = match.group()
            if not piece.strip():
                continue
            number += 1
            lead = len(piece) - len(piece.lstrip())
            start = turn.text_start + match.start() + lead
            rows.append(
                {
                    **turn._asdict(),
                    "unit": f"{turn.unit}S{number:02d}",
                    "start": start,
                    "end": start + len(piece.strip()),
                    "text_start": start,
                    "text": piece.strip(),
                }
            )
    return pd.DataFrame(rows, columns=turns.columns).astype(turns.dtypes.to_dict())


def analysis_units(turns: pd.DataFrame, unit: str = "turn") -> pd.DataFrame:
    """Return the declared analysis units: the speaker ``turn`` (default) or the ``sentence``."""
    if unit not in UNIT_TYPES:
        raise ValueError(f"unit must be one of {', '.join(UNIT_TYPES)}, not {unit!r}.")
    return turns if unit == "turn" else sentence_units(turns)


def units_of_segments(segments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Assign coded segments to analysis units.

    Rule: a segment belongs to every unit of its document it overlaps by at least one
    character, i.e. ``segment.start < unit.end`` and ``segment.end > unit.start``. A segment
    that overlaps no unit (a title line, say) gets no unit.

    Parameters
    ----------
    segments
        Coded segments with ``document``, ``start``, ``end`` (any other columns are kept).
    units
        Analysis units with ``document``, ``unit``, ``start``, ``end`` (and ``speaker``).

    Returns
    -------
    pandas.DataFrame
        One row per (segment, unit) pair: the segment's columns, ``segment_id`` (its row
        position in ``segments``), ``unit`` and ``speaker``; segments without a unit keep one
        row with missing ``unit``.
    """
    left = segments.reset_index(drop=True).rename_axis("segment_id").reset_index()
    right = units[["document", "unit", "speaker", "start", "end"]].rename(
        columns={"start": "unit_start", "end": "unit_end"}
    )
    pairs = left.merge(right, on="document", how="left")
    overlaps = (pairs["start"] < pairs["unit_end"]) & (pairs["end"] > pairs["unit_start"])
    matched = pairs[overlaps.fillna(False).astype(bool)]
    orphans = left[~left["segment_id"].isin(matched["segment_id"])].assign(unit=pd.NA, speaker=pd.NA)
    out = pd.concat([matched.drop(columns=["unit_start", "unit_end"]), orphans], ignore_index=True)
    return out.sort_values(["segment_id", "unit"], na_position="last").reset_index(drop=True)


def parse_participants(entry: str, document: str = "") -> pd.DataFrame:
    """Parse a sidecar ``participants`` cell (``name=role[=pseudonym]; ...``).

    Returns
    -------
    pandas.DataFrame
        ``document``, ``speaker``, ``role`` (lower case), ``pseudonym`` (missing when not given).
    """
    rows = []
    items = [item for item in re.split(r"[;；]", entry or "") if item.strip()]
    for position, item in enumerate(items, start=1):
        parts = [p.strip() for p in re.split(r"[=＝]", item)]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            # The entry is not quoted: it holds a participant's name.
            raise ValueError(
                f"documents table, document {document!r}: participant entry {position} of {len(items)} "
                "must be name=role or name=role=pseudonym (separate entries with ;)."
            )
        rows.append(
            {
                "document": document,
                "speaker": parts[0],
                "role": parts[1].lower(),
                "pseudonym": parts[2] if len(parts) == 3 and parts[2] else pd.NA,
            }
        )
    return pd.DataFrame(rows, columns=["document", "speaker", "role", "pseudonym"])


def document_group(doc_type: str) -> str:
    """``customers`` for customer documents (type mentions 'customer'), else ``staff``."""
    return "customers" if "customer" in doc_type else "staff"


def read_documents_table(folder: str | Path, *, root: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a wave's sidecar table (``documents.tsv`` or ``documents.csv``).

    Each ``file`` is a path relative to the folder that must stay inside ``root`` (default: the
    folder itself; the workflow passes the study folder), see
    :func:`servqual.study_files.study_path`; one that leaves it is an error naming the table's line.

    Returns
    -------
    (documents, participants)
        ``documents``: ``document`` (= ``file``), ``file``, ``doc_type`` (snake case, e.g.
        ``customer_focus_group``), ``doc_group`` (``customers`` or ``staff``), ``date``.
        ``participants``: see :func:`parse_participants`.
    """
    folder = Path(folder)
    found = [folder / name for name in DOCUMENT_TABLE_NAMES if (folder / name).exists()]
    if not found:
        raise FileNotFoundError(f"{folder}: no documents.tsv or documents.csv sidecar table.")
    if len(found) > 1:
        raise StudyFileError(f"{folder}: {' and '.join(f.name for f in found)}: only one documents table is read; "
                             "keep one of them (move or merge the other).")
    path = study_path(found[0].name, referred_by=f"folder {folder}", base=folder, root=root)
    try:
        table = pd.read_csv(StringIO(study_text(path)), sep="\t" if path.suffix == ".tsv" else ",", dtype=str,
                            keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise unreadable_table(path, err, "documents table") from None
    table.columns = [c.strip().lower() for c in table.columns]
    missing = {"file", "type", "participants"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}.")
    for line, file in enumerate(table["file"].str.strip(), start=2):
        study_path(file, referred_by=f"{path}, line {line}, column file", base=folder, root=root)
    doc_type = table["type"].str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    documents = pd.DataFrame(
        {
            "document": table["file"].str.strip(),
            "file": table["file"].str.strip(),
            "doc_type": doc_type,
            "doc_group": doc_type.map(document_group),
            "date": table.get("date", pd.Series("", index=table.index)).str.strip(),
        }
    )
    parsed = []
    for line, (cell, document) in enumerate(zip(table["participants"], documents["document"], strict=True), start=2):
        try:
            parsed.append(parse_participants(cell, document))
        except ValueError as err:
            raise StudyFileError(f"{path}, line {line}, column participants: {err}") from None
    return documents, pd.concat(parsed, ignore_index=True)


def assign_pseudonyms(participants: pd.DataFrame, salt: bytes | None = None) -> pd.DataFrame:
    """Fill missing pseudonyms, stable for a name within the folder.

    A pseudonym given in the sidecar wins. Otherwise, with ``salt``, the keyed pseudonym
    :func:`servqual.privacy.pseudonym` with the role's initial as prefix (stable across waves);
    without a salt, ``<Role> <k>`` numbered by first appearance per role in the sidecar.
    """
    given = participants.dropna(subset=["pseudonym"]).drop_duplicates("speaker")
    lookup = dict(zip(given["speaker"], given["pseudonym"], strict=True))
    first = participants.drop_duplicates("speaker")
    counters: dict[str, int] = {}
    for name, role in zip(first["speaker"], first["role"], strict=True):
        if name in lookup:
            continue
        if salt is not None:
            lookup[name] = pseudonym(name, salt, prefix=role[:1].upper() or "P", length=digits(salt, "participant"))
        else:
            counters[role] = counters.get(role, 0) + 1
            lookup[name] = f"{role.capitalize()} {counters[role]}"
    return participants.assign(pseudonym=participants["speaker"].map(lookup))


@dataclass(frozen=True)
class InterviewCorpus:
    """The transcripts of one interview folder.

    Attributes
    ----------
    documents
        ``document``, ``file``, ``doc_type``, ``doc_group``, ``date``, ``encoding``, ``n_chars``.
    participants
        ``document``, ``speaker`` (real name: personal data), ``role``, ``pseudonym``.
    texts
        Document id -> normalised text (personal data: never write it out unmasked).
    turns
        :func:`speaker_turns` of every document, plus ``role`` and ``pseudonym``.
    """

    documents: pd.DataFrame
    participants: pd.DataFrame
    texts: Mapping[str, str]
    turns: pd.DataFrame


def read_interview_folder(
    folder: str | Path,
    *,
    salt: bytes | None = None,
    speaker_pattern: str | None = None,
    root: str | Path | None = None,
) -> InterviewCorpus:
    """Read the sidecar table and every transcript it lists, and split them into turns.

    Only the participants listed in the sidecar start a turn (see :func:`speaker_turns`).
    A listed file that is missing is an error that names it; one outside ``root`` (see
    :func:`read_documents_table`) is refused before anything is read.
    """
    folder = Path(folder)
    documents, participants = read_documents_table(folder, root=root)
    participants = assign_pseudonyms(participants, salt)
    missing = [f for f in documents["file"] if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: documents table lists missing file(s) {', '.join(missing)}.")
    transcripts = [read_transcript(folder / f, d) for f, d in zip(documents["file"], documents["document"], strict=True)]
    texts = {t.document: t.text for t in transcripts}
    turns = pd.concat(
        [
            speaker_turns(
                t.text,
                t.document,
                speakers=participants.loc[participants["document"] == t.document, "speaker"],
                pattern=speaker_pattern,
            )
            for t in transcripts
        ],
        ignore_index=True,
    )
    turns = turns.merge(
        participants[["document", "speaker", "role", "pseudonym"]], on=["document", "speaker"], how="left"
    )
    documents = documents.assign(
        encoding=[t.encoding for t in transcripts], n_chars=[len(t.text) for t in transcripts]
    )
    return InterviewCorpus(documents, participants, texts, turns)
