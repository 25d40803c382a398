"""Coded segments from qualitative-analysis tools: CSV exports and REFI-QDA projects.

Every reader returns the same tidy table of coded segments (:data:`SEGMENT_COLUMNS`):
``document``, ``coder``, ``code``, ``start``, ``end`` (code points, end exclusive, on the
normalised text of :mod:`servqual.transcripts`; missing when the export has none), ``text`` (the
quoted text), ``origin`` (the file it came from).

Formats
-------
* CSV/TSV of coded segments, with flexible column names: ``document``/``file``/``filename``,
  ``coder``/``owner``/``user``, ``code``/``tag``/``codename``, ``start``/``pos0``,
  ``end``/``pos1``, ``text``/``content``/``coded text``/``seltext``/``quote``. This covers the
  QualCoder coded-text export (no positions) and the Taguette highlights CSV
  (``id, document, tag, content``; no coder: the coder is taken from the ``coder`` argument or
  the file name).
* REFI-QDA 1.0 projects (``.qdpx``, QDA-XML namespace ``urn:QDA-XML:project:1.0``) and
  codebooks (``.qdc``, ``urn:QDA-XML:codebook:1.0``): Evers et al. (2020), "REFI-QDA Project
  exchange standard", www.qdasoftware.org. Validation is lenient: problems become warnings
  (:class:`QdaFormatWarning`) and ``issues``, never a rejection, because real exports are often
  not schema-valid.

Selections are checked against their quoted text and repaired by searching nearby
(:func:`anchor_segments`); every repair is logged and returned.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET
from xml.parsers.expat import ErrorString

import numpy as np
import pandas as pd

from servqual.privacy import quoted_examples
from servqual.study_files import (
    StudyFileError,
    check_archive,
    limit,
    over_limit,
    study_path,
    unreadable_table,
)
from servqual.transcripts import decode_text, normalise_text

logger = logging.getLogger(__name__)

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")

SEGMENT_COLUMNS = ["document", "coder", "code", "start", "end", "text", "origin"]
REPAIR_COLUMNS = ["document", "coder", "code", "old_start", "old_end", "start", "end", "method", "origin"]

#: Column-name aliases of coded-segment CSV exports (compared lower-case, spaces/underscores removed).
CSV_ALIASES = {
    "document": ("document", "file", "filename", "source", "sourcename", "doc"),
    "coder": ("coder", "owner", "user", "codername", "username", "creatinguser"),
    "code": ("code", "tag", "codename", "codes", "node"),
    "start": ("start", "pos0", "startposition", "begin", "from"),
    "end": ("end", "pos1", "endposition", "stop", "to"),
    "text": ("text", "content", "codedtext", "seltext", "quote", "selectedtext", "segment"),
}

#: Anchoring outcomes of a segment that could not be placed; it is left out of every analysis.
NOT_PLACED = ("not found", "reversed", "outside the text")
#: Why a coded segment was left out before anchoring: its document is none of the transcripts, its
#: REFI-QDA code is not in the project's codebook, its REFI-QDA positions are not whole numbers.
NOT_READ = ("unknown document", "unknown code", "no whole-number position")
#: How far (code points) from the stated position a moved selection is searched for.
REPAIR_WINDOW = 500


class QdaFormatWarning(UserWarning):
    """A REFI-QDA file departs from the standard in a way the reader could work around."""


def _canonical(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name).strip().lower())


def _plain(content: str) -> str:
    """Taguette stores highlights as HTML snippets: strip tags and unescape entities."""
    return normalise_text(html.unescape(re.sub(r"<[^>]+>", "", content)))


def read_segments_csv(path: str | Path, *, coder: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV of coded segments (QualCoder, Taguette or a generic export).

    Parameters
    ----------
    path
        ``.csv`` or ``.tsv`` (UTF-8 with or without BOM, or GB18030).
    coder
        Coder for rows without a coder column (Taguette); default the file's stem.

    Returns
    -------
    pandas.DataFrame
        :data:`SEGMENT_COLUMNS`; ``start``/``end`` are missing when the file has no positions.
    """
    path = Path(path)
    raw, _ = decode_text(path.read_bytes(), path)
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        table = pd.read_csv(StringIO(raw), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        # The line pandas names, nothing of the row itself.
        raise unreadable_table(path, err, "table of coded segments") from None
    lookup = {_canonical(c): c for c in table.columns}
    found = {
        key: next((lookup[a] for a in aliases if a in lookup), None) for key, aliases in CSV_ALIASES.items()
    }
    absent = [k for k in ("document", "code") if found[k] is None]
    if absent or (found["text"] is None and found["start"] is None):
        raise ValueError(
            f"{path.name}: a coded-segment table needs document, code and either start/end or the "
            f"quoted text; found columns {', '.join(table.columns)}."
        )

    def column(key: str, default: object = pd.NA) -> pd.Series:
        return table[found[key]] if found[key] is not None else pd.Series(default, index=table.index)

    def position(key: str) -> pd.Series:
        text = column(key).fillna("").astype(str).str.strip()
        wrong = (text != "") & ~text.str.fullmatch(r"\d{1,15}")
        if wrong.any():
            at = int(np.argmax(wrong.to_numpy()))
            raise StudyFileError(
                f"{path}, line {at + 2}, column {found[key]}: {quoted_examples([text.iloc[at]])} is not a character position "
                f"(a whole number from 0); {int(wrong.sum())} row(s) so. Correct the export, or leave the cell "
                "empty to place the segment by its quoted text.")
        return pd.to_numeric(text.replace("", pd.NA)).astype("Int64")

    out = pd.DataFrame(
        {
            "document": column("document").str.strip(),
            "coder": column("coder", coder or path.stem).astype(str).str.strip(),
            "code": column("code").str.strip(),
            "start": position("start"),
            "end": position("end"),
            "text": column("text", "").fillna("").map(_plain),
            "origin": path.name,
        }
    )
    return out[out["code"] != ""].reset_index(drop=True)


# --------------------------------------------------------------------------- anchoring


def _utf16_to_codepoints(text: str, offset: int) -> int:
    """Convert a UTF-16 code-unit offset (NVivo) to a code-point offset."""
    units = np.cumsum([2 if ord(ch) > 0xFFFF else 1 for ch in text])
    return int(np.searchsorted(units, offset, side="right"))


def _raw_to_normalised(raw: str, offset: int) -> int:
    """Convert an offset counted on text with ``\\r\\n`` (two characters) to the normalised text."""
    return offset - raw[:offset].count("\r\n")


def _stem(quote: str) -> str:
    """The quote without the ellipsis tools append when they truncate a selection's name."""
    return quote.rstrip(".…").rstrip() if quote.endswith(("...", "…")) else quote


def _matches(selected: str, quote: str) -> bool:
    """Does the selected text agree with the stated quote (or start with a truncated one)?"""
    stem = _stem(quote)
    return selected == quote or (stem != quote and selected.startswith(stem))


def _search(text: str, quote: str, near: int, window: int | None) -> int | None:
    """Start of the occurrence of ``quote`` nearest to ``near`` (within ``window``; None = anywhere)."""
    stem = _stem(quote)
    if not stem:
        return None
    lo, hi = (0, len(text)) if window is None else (max(0, near - window), near + window + len(stem))
    hits = [m.start() + lo for m in re.finditer(re.escape(stem), text[lo:hi])]
    return min(hits, key=lambda h: abs(h - near)) if hits else None


def anchor_selection(
    text: str, start: int | None, end: int | None, quote: str, *, raw: str | None = None, window: int = REPAIR_WINDOW
) -> tuple[int | None, int | None, str]:
    """Check one selection against its quoted text and repair its position if needed.

    Tried in order: the positions as given; positions counted with ``\\r\\n`` as two
    characters (``raw`` = the text before normalisation); positions in UTF-16 code units
    (NVivo); the occurrence of the quote nearest to the stated start within ``window`` code
    points; the occurrence nearest to it anywhere in the document (``"moved"``: the tool's copy
    of the text differed, e.g. a header was left out); for a selection without positions, the
    first occurrence in the document.

    Returns
    -------
    (start, end, method)
        ``method`` is ``"ok"``, ``"unchecked"`` (no quote to check against), ``"crlf"``,
        ``"utf16"``, ``"nearby"``, ``"moved"``, ``"located"``, or one of :data:`NOT_PLACED`
        (positions kept): ``"not found"``, ``"reversed"`` (end before start) and ``"outside the
        text"`` (a start before 0 or an end past the text), the last two when no quote could
        place the segment instead.
    """
    quote = normalise_text(quote or "")
    unplaced = start is None or pd.isna(start) or end is None or pd.isna(end)
    # The longest the text is in any count a tool may use (code points, CRLF as two, UTF-16 units).
    size = max(len(text), len(raw or ""), len(text.encode("utf-16-le")) // 2)
    fault = None if unplaced else "reversed" if end < start else "outside the text" if start < 0 or end > size else None
    checkable = bool(quote.strip()) and not GUID.match(quote.strip())
    if unplaced or (fault and checkable):
        # Positions missing, reversed or beyond the text: the quote is all there is to place it by.
        hit = _search(text, quote, 0, None) if checkable else None
        if hit is None:
            return (None if unplaced else int(start), None if unplaced else int(end), fault or "not found")
        return hit, hit + len(quote), "located"
    start, end = int(start), int(end)
    if fault:
        return start, end, fault
    if not checkable:
        return start, end, "unchecked"
    candidates = [("ok", start, end)]
    if raw is not None and "\r\n" in raw:
        candidates.append(("crlf", _raw_to_normalised(raw, start), _raw_to_normalised(raw, end)))
    if any(ord(ch) > 0xFFFF for ch in text):
        candidates.append(("utf16", _utf16_to_codepoints(text, start), _utf16_to_codepoints(text, end)))
    for method, s, e in candidates:
        if _matches(text[s:e], quote):
            return s, e, method
    hit = _search(text, quote, start, window)
    method = "nearby"
    if hit is None:
        hit, method = _search(text, quote, start, None), "moved"
    if hit is None:
        return start, end, "not found"
    length = end - start if _stem(quote) != quote else len(quote)
    return hit, hit + length, method


def anchor_segments(
    segments: pd.DataFrame, texts: Mapping[str, str], *, raw_texts: Mapping[str, str] | None = None,
    window: int = REPAIR_WINDOW,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place coded segments on the transcripts: verify, repair or locate every position.

    Documents are matched by id, then by file stem, case-insensitively (tools often drop the
    extension). A segment whose document is unknown is dropped with a warning (and listed in
    ``repairs`` as ``"unknown document"``).

    Returns
    -------
    (segments, repairs)
        ``segments`` with ``document`` set to the transcript id, positions repaired and
        ``text`` = the transcript's ``text[start:end]``; rows that could not be placed are
        dropped (and listed in ``repairs`` with the method of :data:`NOT_PLACED` that says why). ``repairs``:
        :data:`REPAIR_COLUMNS`, one row per segment whose position was changed or not found, or whose
        document is unknown.
    """
    lookup = {d.lower(): d for d in texts} | {Path(d).stem.lower(): d for d in texts}
    resolved = segments["document"].map(lambda d: lookup.get(str(d).lower(), lookup.get(Path(str(d)).stem.lower())))
    unknown = sorted(set(segments.loc[resolved.isna(), "document"].astype(str)))
    if unknown:
        warnings.warn(f"Coded segments refer to unknown document(s): {', '.join(unknown)}.", QdaFormatWarning, stacklevel=2)
    strays = segments[resolved.isna()].assign(old_start=lambda d: d["start"], old_end=lambda d: d["end"],
                                              start=pd.NA, end=pd.NA, method="unknown document")[REPAIR_COLUMNS]
    segments = segments.assign(document=resolved)[resolved.notna()].reset_index(drop=True)
    raw_texts = raw_texts or {}
    placed = [
        anchor_selection(texts[d], s, e, q, raw=raw_texts.get(d), window=window)
        for d, s, e, q in zip(segments["document"], segments["start"], segments["end"], segments["text"], strict=True)
    ]
    method = pd.Series([p[2] for p in placed], index=segments.index, dtype=object)
    repairs = segments.assign(
        old_start=segments["start"], old_end=segments["end"],
        start=pd.array([p[0] for p in placed], dtype="Int64"), end=pd.array([p[1] for p in placed], dtype="Int64"),
        method=method,
    )
    repairs = pd.concat([strays, repairs.loc[~method.isin(["ok", "unchecked"]), REPAIR_COLUMNS]], ignore_index=True)
    for row in repairs.itertuples(index=False):
        logger.info("segment %s/%s/%s at %s-%s: %s -> %s-%s", row.document, row.coder, row.code,
                    row.old_start, row.old_end, row.method, row.start, row.end)
    dropped = method.isin(NOT_PLACED)
    kept = segments.assign(start=pd.array([p[0] for p in placed], dtype="Int64"),
                           end=pd.array([p[1] for p in placed], dtype="Int64"))[~dropped]
    if dropped.any():
        why = ", ".join(f"{n} {m}" for m, n in method[dropped].value_counts().sort_index().items())
        warnings.warn(f"{int(dropped.sum())} coded segment(s) could not be placed on the transcripts and were "
                      f"left out ({why}; see repairs).", QdaFormatWarning, stacklevel=2)
    kept = kept.assign(text=[texts[d][s:e] for d, s, e in zip(kept["document"], kept["start"], kept["end"], strict=True)])
    return kept.reset_index(drop=True), repairs


# --------------------------------------------------------------------------- REFI-QDA reading


@dataclass(frozen=True)
class QdaProject:
    """The content of a REFI-QDA project that coded-segment analysis needs.

    Attributes
    ----------
    users
        ``guid``, ``name`` (``name``, else ``id``, else the guid).
    codes
        ``guid``, ``name``, ``path`` (names from the root joined by ``/``), ``parent_guid``,
        ``depth`` (0 = top level), ``is_codable``.
    cases
        ``case_guid``, ``case``, ``variable``, ``value``, ``sources`` (``;``-joined source names).
    sources
        ``guid``, ``name``, ``n_chars`` of every TextSource.
    segments
        :data:`SEGMENT_COLUMNS` plus ``code_path``, ``selection_guid``; positions checked
        against each selection's ``name`` and repaired (see ``repairs``).
    repairs
        :data:`REPAIR_COLUMNS`: positions changed, and codings left out (a method of
        :data:`NOT_PLACED` or :data:`NOT_READ`).
    issues
        Departures from the standard found by the lenient validation.
    texts
        Source name -> normalised plain text.
    """

    users: pd.DataFrame
    codes: pd.DataFrame
    cases: pd.DataFrame
    sources: pd.DataFrame
    segments: pd.DataFrame
    repairs: pd.DataFrame
    issues: list[str] = field(default_factory=list)
    texts: Mapping[str, str] = field(default_factory=dict)


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if element is None else [c for c in element if _tag(c) == name]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _codes_table(codes_element: ET.Element | None, issues: list[str]) -> pd.DataFrame:
    rows: list[dict[str, object]] = []

    def walk(parent: ET.Element | None, parent_guid: object, prefix: str, depth: int) -> None:
        for code in _children(parent, "Code"):
            name = code.get("name")
            if name is None or code.get("guid") is None:
                issues.append(f"Code without required name or guid (guid={code.get('guid')}, name={name}).")
            name = name or code.get("guid") or "?"
            path = f"{prefix}/{name}" if prefix else name
            rows.append({"guid": code.get("guid"), "name": name, "path": path, "parent_guid": parent_guid,
                         "depth": depth, "is_codable": code.get("isCodable", "true").lower() != "false"})
            walk(code, code.get("guid"), path, depth + 1)

    walk(codes_element, pd.NA, "", 0)
    return pd.DataFrame(rows, columns=["guid", "name", "path", "parent_guid", "depth", "is_codable"])


def _users_table(root: ET.Element) -> pd.DataFrame:
    users = _children(_child(root, "Users"), "User")
    return pd.DataFrame(
        [{"guid": u.get("guid"), "name": u.get("name") or u.get("id") or u.get("guid")} for u in users],
        columns=["guid", "name"],
    )


def _variable_value(element: ET.Element) -> str | None:
    for kind in ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue"):
        value = _child(element, kind)
        if value is not None:
            return value.text or ""
    return None


def _cases_table(root: ET.Element, source_names: Mapping[str, str]) -> pd.DataFrame:
    variables = {v.get("guid"): v.get("name") for v in _children(_child(root, "Variables"), "Variable")}
    rows = []
    for case in _children(_child(root, "Cases"), "Case"):
        sources = ";".join(source_names.get(s.get("targetGUID"), s.get("targetGUID") or "") for s in _children(case, "SourceRef"))
        for value in _children(case, "VariableValue"):
            ref = _child(value, "VariableRef")
            target = None if ref is None else ref.get("targetGUID")
            rows.append({"case_guid": case.get("guid"), "case": case.get("name"),
                         "variable": variables.get(target, target), "value": _variable_value(value),
                         "sources": sources})
    return pd.DataFrame(rows, columns=["case_guid", "case", "variable", "value", "sources"])


def _zip_member(archive: zipfile.ZipFile, target: str) -> str | None:
    """Find ``sources/<file>`` in the archive, the folder name compared case-insensitively."""
    wanted = PurePosixPath(target.split("://", 1)[-1])
    for name in archive.namelist():
        path = PurePosixPath(name)
        if path.name == wanted.name and (len(path.parts) == 1 or path.parts[-2].lower() == "sources"):
            return name
    return None


#: plainTextPath schemes that name a file relative to the project (REFI-QDA's ``relative://``; and
#: ``internal://`` of an unzipped project, whose sources lie beside it).
RELATIVE_SCHEMES = ("internal://", "relative://")


def _source_text(source: ET.Element, archive: zipfile.ZipFile | None, base: Path, issues: list[str],
                 root: Path | None = None, project: Path | None = None) -> str:
    """Raw (not normalised) plain text of a TextSource: inline content or plainTextPath.

    An ``internal://`` source of an unzipped project is looked for in ``sources/`` beside it first.
    A plainTextPath outside the archive is a path relative to ``base`` (the project's folder) that
    must stay inside ``root`` (see :func:`servqual.study_files.study_path`): ``absolute://``,
    ``file://`` and other URLs, absolute paths and ``..`` out of it are refused, naming the project.
    """
    inline = _child(source, "PlainTextContent")
    if inline is not None:
        return inline.text or ""
    target = source.get("plainTextPath")
    label = source.get("name") or source.get("guid")
    if not target:
        issues.append(f"TextSource {label}: neither PlainTextContent nor plainTextPath.")
        return ""
    if target.startswith("internal://") and archive is not None:
        member = _zip_member(archive, target)
        if member is not None:
            return decode_text(archive.read(member), f"{project}, {member}")[0]
    else:
        relative = next((target[len(s):] for s in RELATIVE_SCHEMES if target.startswith(s)), target)
        # An unzipped project keeps its internal sources in sources/ beside the .qde, as the archive does.
        candidates = [f"sources/{relative}", relative] if target.startswith("internal://") else [relative]
        for candidate in candidates:
            path = study_path(candidate, referred_by=f"{project or base}, TextSource {label}, plainTextPath",
                              base=base, root=root)
            if path.is_file():
                return decode_text(path.read_bytes(), path)[0]
    issues.append(f"TextSource {label}: plain text {target} not found.")
    return ""


def _selection_rows(source: ET.Element, name: str, users: Mapping[str, str], codes: pd.DataFrame,
                    issues: list[str], skipped: list[dict[str, object]]) -> list[dict[str, object]]:
    """Coded segments of a TextSource's selections; a coding left out is appended to ``skipped``
    (:data:`REPAIR_COLUMNS` but ``origin``, ``method`` one of :data:`NOT_READ`) with an issue."""
    code_names = dict(zip(codes["guid"], codes["name"], strict=True))
    code_paths = dict(zip(codes["guid"], codes["path"], strict=True))
    rows = []
    for selection in _children(source, "PlainTextSelection"):
        try:
            start, end = int(selection.get("startPosition", "")), int(selection.get("endPosition", ""))
            fault = None
        except ValueError:
            issues.append(f"{name}: selection {selection.get('guid')} has no integer start/end; skipped.")
            start, end, fault = pd.NA, pd.NA, "no whole-number position"
        for coding in _children(selection, "Coding"):
            ref = _child(coding, "CodeRef")
            target = None if ref is None else ref.get("targetGUID")
            user = coding.get("creatingUser") or selection.get("creatingUser")
            if fault is None and target not in code_names:
                issues.append(f"{name}: selection {selection.get('guid')} codes unknown code {target}; skipped.")
            if fault is not None or target not in code_names:
                skipped.append({"document": name, "coder": users.get(user, user or "unknown"),
                                "code": code_names.get(target, target), "old_start": start, "old_end": end,
                                "start": pd.NA, "end": pd.NA, "method": fault or "unknown code"})
                continue
            if user is not None and user not in users:
                issues.append(f"{name}: creatingUser {user} is not in Users.")
            rows.append({"document": name, "coder": users.get(user, user or "unknown"),
                         "code": code_names[target], "start": start, "end": end,
                         "text": selection.get("name") or "", "code_path": code_paths[target],
                         "selection_guid": selection.get("guid")})
    return rows


def _validate(root: ET.Element, namespace: str, issues: list[str]) -> None:
    """Lenient checks of what this reader relies on (structure, GUIDs); problems become issues."""
    if not root.tag.startswith("{" + namespace + "}"):
        issues.append(f"Root element {root.tag} is not in namespace {namespace}.")
    bad = sorted({e.get("guid") for e in root.iter() if e.get("guid") is not None and not GUID.match(e.get("guid"))})
    if bad:
        issues.append(f"{len(bad)} guid attribute(s) are not GUIDs (e.g. {bad[0]}).")


def _xml_root(size: int, read: Callable[[], bytes], where: str | Path) -> tuple[ET.Element, bytes]:
    """Read (``read()``) and parse a QDA-XML document of ``size`` bytes, at most
    ``limit("xml_bytes")``. Python's expat reader resolves no external entity (no XXE) and stops
    entity expansion that amplifies its input (an XML bomb); either fault, and any malformed XML,
    is a message naming the file and line."""
    if size > limit("xml_bytes"):
        raise over_limit("xml_bytes", str(where), f"the XML document holds {size:,} bytes")
    xml = read()
    try:
        return ET.fromstring(xml), xml
    except ET.ParseError as err:
        line, column = err.position
        raise StudyFileError(f"{where}, line {line}, column {column + 1}: not readable XML "
                             f"({ErrorString(err.code)}); export the project again from the QDA program.") from None


def _schema_issues(xml: bytes, schema: str | Path | None) -> list[str]:
    if schema is None:
        return []
    from lxml import etree  # installed with python-docx

    validator = etree.XMLSchema(etree.parse(str(schema)))
    if validator.validate(etree.fromstring(xml)):
        return []
    return [f"XSD: line {e.line}: {e.message}" for e in validator.error_log]


def read_qdpx(path: str | Path, *, schema: str | Path | None = None, window: int = REPAIR_WINDOW,
              root: str | Path | None = None) -> QdaProject:
    """Read a REFI-QDA project (``.qdpx`` ZIP or a bare ``project.qde``).

    Parameters
    ----------
    path
        The ``.qdpx`` archive (``project.qde`` + ``sources/``, folder name case-insensitive)
        or an unzipped ``.qde`` file (sources then resolved beside it).
    schema
        Optional path of the REFI-QDA ``Project.xsd``; schema violations are reported as
        issues (and a warning), never as errors.
    window
        Search distance for repairing selections whose text does not match their name.
    root
        The folder a source outside the archive must lie in (default: the project's folder; the
        workflow passes the study folder); a plainTextPath that leaves it is refused.

    Returns
    -------
    QdaProject
        Selections become coded segments, one row per (selection, Coding); the coder is the
        Coding's ``creatingUser`` (else the selection's) resolved through ``Users``.
    """
    path, confine = Path(path), root  # `root` is the XML root below
    archive = zipfile.ZipFile(path) if zipfile.is_zipfile(path) else None
    try:
        if archive is not None:
            check_archive(path, path)
            qde = next((n for n in archive.namelist() if n.lower().endswith(".qde")), None)
            if qde is None:
                raise ValueError(f"{path.name}: no project.qde inside the archive; not a REFI-QDA project.")
            root, xml = _xml_root(archive.getinfo(qde).file_size, lambda: archive.read(qde), f"{path}, {qde}")
        else:
            root, xml = _xml_root(path.stat().st_size, path.read_bytes, path)
        issues = _schema_issues(xml, schema)
        _validate(root, PROJECT_NS, issues)
        users = _users_table(root)
        codes = _codes_table(_child(_child(root, "CodeBook"), "Codes"), issues)
        user_names = dict(zip(users["guid"], users["name"], strict=True))
        rows, texts, raws, source_rows, skipped = [], {}, {}, [], []
        for source in _children(_child(root, "Sources"), "TextSource"):
            name = source.get("name") or source.get("guid")
            raw = _source_text(source, archive, path.parent, issues, confine, path)
            texts[name], raws[name] = normalise_text(raw), raw
            source_rows.append({"guid": source.get("guid"), "name": name, "n_chars": len(texts[name])})
            rows += _selection_rows(source, name, user_names, codes, issues, skipped)
    finally:
        if archive is not None:
            archive.close()
    sources = pd.DataFrame(source_rows, columns=["guid", "name", "n_chars"])
    cases = _cases_table(root, dict(zip(sources["guid"], sources["name"], strict=True)))
    segments = pd.DataFrame(rows, columns=[*SEGMENT_COLUMNS[:-1], "code_path", "selection_guid"])
    segments = segments.assign(start=segments["start"].astype("Int64"), end=segments["end"].astype("Int64"),
                               origin=path.name)
    segments, repairs = anchor_segments(segments, texts, raw_texts=raws, window=window) if len(segments) else (
        segments, pd.DataFrame(columns=REPAIR_COLUMNS))
    if skipped:
        repairs = pd.concat([pd.DataFrame(skipped).assign(origin=path.name), repairs], ignore_index=True)
    if issues:
        warnings.warn(f"{path.name}: {len(issues)} departure(s) from REFI-QDA, read anyway: {issues[0]}",
                      QdaFormatWarning, stacklevel=2)
    return QdaProject(users, codes, cases, sources, segments, repairs, issues, texts)


def read_qdc(path: str | Path) -> pd.DataFrame:
    """Read a REFI-QDA codebook (``.qdc``, namespace ``urn:QDA-XML:codebook:1.0``).

    Returns
    -------
    pandas.DataFrame
        The codes table of :class:`QdaProject`.
    """
    root, _ = _xml_root(Path(path).stat().st_size, Path(path).read_bytes, path)
    issues: list[str] = []
    _validate(root, CODEBOOK_NS, issues)
    codes = _codes_table(_child(root, "Codes"), issues)
    if issues:
        warnings.warn(f"{Path(path).name}: {'; '.join(issues)}", QdaFormatWarning, stacklevel=2)
    return codes


# --------------------------------------------------------------------------- REFI-QDA writing


def _guid(*parts: object) -> str:
    """Deterministic GUID, so that rewriting the same project gives the same file."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "servqual:" + ":".join(map(str, parts))))


def _sub(parent: ET.Element, tag: str, **attributes: object) -> ET.Element:
    return ET.SubElement(parent, f"{{{PROJECT_NS}}}{tag}", {k: str(v) for k, v in attributes.items()})


def write_qdpx(
    path: str | Path,
    texts: Mapping[str, str],
    segments: pd.DataFrame,
    *,
    project_name: str = "servqual interviews",
    cases: pd.DataFrame | None = None,
    newline: str = "\n",
    origin: str = "servqual",
) -> Path:
    """Write texts and coded segments as a REFI-QDA 1.0 project (``.qdpx``).

    Positions are written as code points on the normalised text, end exclusive (the
    reading convention of :func:`read_qdpx`); each selection's ``name`` is its text, so that a
    reader can check it. GUIDs are derived from names and the ZIP has fixed time stamps, so the
    same input gives the same bytes.

    Parameters
    ----------
    texts
        Source name -> text (stored as ``sources/<guid>.txt``, UTF-8).
    segments
        ``document``, ``coder``, ``code``, ``start``, ``end``.
    cases
        Optional participant attributes: ``case``, ``variable``, ``value`` and ``document``
        (the source the case appears in).
    newline
        Line ending of the stored plain-text files (``"\\r\\n"`` imitates Windows tools).
    """
    ET.register_namespace("", PROJECT_NS)
    root = ET.Element(f"{{{PROJECT_NS}}}Project", {"name": project_name, "origin": origin})
    coders = sorted(segments["coder"].unique())
    users = _sub(root, "Users")
    for coder in coders:
        _sub(users, "User", guid=_guid("user", coder), name=coder)
    codes = _sub(_sub(root, "CodeBook"), "Codes")
    for code in sorted(segments["code"].unique()):
        _sub(codes, "Code", guid=_guid("code", code), name=code, isCodable="true")
    if cases is not None and len(cases):
        variables = _sub(root, "Variables")
        for variable in sorted(cases["variable"].unique()):
            _sub(variables, "Variable", guid=_guid("variable", variable), name=variable, typeOfVariable="Text")
        case_parent = _sub(root, "Cases")
        for case, rows in cases.groupby("case", sort=True):
            element = _sub(case_parent, "Case", guid=_guid("case", case), name=case)
            for variable, value in zip(rows["variable"], rows["value"], strict=True):
                vv = _sub(element, "VariableValue")
                _sub(vv, "VariableRef", targetGUID=_guid("variable", variable))
                _sub(vv, "TextValue").text = str(value)
            for document in sorted(rows["document"].unique()):
                _sub(element, "SourceRef", targetGUID=_guid("source", document))
    sources = _sub(root, "Sources")
    files = {}
    for document, text in texts.items():
        guid = _guid("source", document)
        files[f"sources/{guid}.txt"] = text.replace("\n", newline).encode("utf-8")
        source = _sub(sources, "TextSource", guid=guid, name=document, plainTextPath=f"internal://{guid}.txt")
        mine = segments[segments["document"] == document].sort_values(["start", "end", "coder", "code"])
        for row in mine.itertuples(index=False):
            key = ("selection", document, row.coder, row.code, row.start, row.end)
            selection = _sub(source, "PlainTextSelection", guid=_guid(*key), name=text[row.start : row.end],
                             startPosition=row.start, endPosition=row.end, creatingUser=_guid("user", row.coder))
            coding = _sub(selection, "Coding", guid=_guid("coding", *key[1:]), creatingUser=_guid("user", row.coder))
            _sub(coding, "CodeRef", targetGUID=_guid("code", row.code))
    ET.indent(root)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("project.qde", xml), *sorted(files.items())]:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return path
