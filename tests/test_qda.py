"""Coded-segment readers: CSV exports, REFI-QDA projects (constructed and real), the writer."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

import docx
import pandas as pd
import pytest

from servqual.qda import (
    PROJECT_NS,
    QdaFormatWarning,
    anchor_segments,
    anchor_selection,
    read_qdc,
    read_qdpx,
    read_segments_csv,
    write_qdpx,
)

DATA = Path(__file__).parent / "data" / "interviews"
# Exports made by NVivo and ATLAS.ti that cannot be committed for their licences: the projects
# built below reproduce their structure, and the real files are an extra check where present.
REAL = Path(os.environ.get("SERVQUAL_REFI_FIXTURES",
                           Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "refi-qda"))
needs_real = pytest.mark.skipif(
    not REAL.is_dir(), reason=f"real REFI-QDA exports (not committable for their licences) not found at {REAL}; "
                              "set SERVQUAL_REFI_FIXTURES to their folder")
XSD = REAL / "Project.xsd"
needs_xsd = pytest.mark.skipif(not XSD.exists(), reason=f"REFI-QDA Project.xsd not found at {XSD}")
TEXT = "Moderator: How was the queue?\nAnna: The queue was very long today.\nBen: My bill was wrong again, and the bill was late.\n"


def _read_cleanly(path: Path, schema: Path | None = None):
    """read_qdpx with any QdaFormatWarning (a departure from REFI-QDA) raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_qdpx(path, schema=schema)


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for root, _, files in os.walk(folder):
            for name in files:
                path = Path(root) / name
                archive.write(path, path.relative_to(folder).as_posix())
    return target


@pytest.fixture
def constructed(tmp_path) -> Path:
    """tests/data/interviews/refi_constructed zipped: written by hand to REFI-QDA 1.0."""
    return _zip_folder(DATA / "refi_constructed", tmp_path / "constructed.qdpx")


# --------------------------------------------------------------------------- tools' export forms
# Our own users, codes and texts, laid out as NVivo for Mac 15 and ATLAS.ti 23 lay out their
# exports (the real ones are tested at the end of this file where they are available).

XSI = "http://www.w3.org/2001/XMLSchema-instance"
STAMP = "2025-03-04T09:15:00Z"
# Nested codes: name -> children. "billing" sits under two parents; depth 0 to 3.
CODE_TREE = {
    "reliability": {"errors": {"billing": {}, "network": {"outage": {}}}, "promises_kept": {}},
    "responsiveness": {"waiting": {"queue_length": {}, "call-back": {}}},
    "empathy": {"explanations": {"billing": {}}, "individual_attention": {}},
}
NVIVO_TEXTS = [  # LF line ends as NVivo for Mac stores them; the accent makes bytes differ from characters
    "Interviewer: Tell me about your last visit.\nClient: The queue was long at lunchtime, and the bill "
    "had a roaming charge I never used.\nClient: The clerk explained the bill calmly.\n",
    "Interviewer: Anything else?\nClient: At the café near the hall the network outage came twice; "
    "nobody called back.\n",
]
# (text, quote, code path, user): each becomes a PlainTextSelection with one Coding.
NVIVO_CODINGS = [
    (0, "The queue was long at lunchtime", "responsiveness/waiting/queue_length", 0),
    (0, "the bill had a roaming charge I never used", "reliability/errors/billing", 0),
    (0, "the bill had a roaming charge I never used", "reliability/errors/billing", 1),
    (0, "explained the bill calmly", "empathy/explanations/billing", 1),
    (1, "network outage came twice", "reliability/errors/network/outage", 1),
    (1, "nobody called back", "responsiveness/waiting/call-back", 0),
]


def _ascii_guid(key: str) -> str:
    """GUID whose 16 bytes are ASCII hex digits, the form NVivo for Mac gives codes, sources and
    its second user (valid GUID syntax, no RFC 4122 version)."""
    return str(uuid.UUID(bytes=hashlib.sha1(key.encode()).hexdigest()[:16].encode()))


def _element(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{PROJECT_NS}}}{tag}", attributes)


def _project(attributes: dict[str, str], users: list[dict[str, str]], guid: Callable[[str], str],
             tree: dict = CODE_TREE) -> ET.Element:
    """Project element with Users and the nested CodeBook; ``guid(path)`` names each code."""
    root = ET.Element(f"{{{PROJECT_NS}}}Project", attributes)
    parent = _element(root, "Users")
    for user in users:
        _element(parent, "User", **user)

    def add_codes(parent: ET.Element, children: dict, prefix: str) -> None:
        for name, grandchildren in children.items():
            path = f"{prefix}/{name}" if prefix else name
            add_codes(_element(parent, "Code", guid=guid(path), isCodable="true", name=name), grandchildren, path)

    add_codes(_element(_element(root, "CodeBook"), "Codes"), tree, "")
    return root


def _text(root: ET.Element) -> str:
    """The XML with QDA-XML as the default namespace, as both tools write it."""
    ET.register_namespace("", PROJECT_NS)  # ElementTree's default_namespace refuses unprefixed attributes
    return ET.tostring(root, encoding="unicode")


def _zip(target: Path, members: list[tuple[str, bytes]], compression: int, create_system: int) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2025, 3, 4, 9, 15, 0))
            info.compress_type, info.create_system = compression, create_system
            archive.writestr(info, data)
    return target


def _docx(text: str) -> bytes:
    """The rich-text copy NVivo keeps beside each plain text: one paragraph per line."""
    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def nvivo_mac_style(tmp_path) -> Path:
    """A .qdpx laid out as NVivo for Mac 15 writes it: two users with ``id`` initials (the first
    with a random GUID, the second with an ASCII-hex one), codes nested to depth 3, each source a
    ``.txt`` (``plainTextPath="internal://<guid>.txt"``) and a ``.docx`` (``richTextPath``) in
    ``sources/`` with an empty ``sources/.root``, source names that are GUID strings, the whole
    XML on one line with ``standalone="no"`` and ``xsi:schemaLocation``, the ZIP stored
    uncompressed with ``project.qde`` last. The real export has no codings; the selections here
    carry NVivo's attributes so that coders and positions are checked too."""
    users = [{"guid": "5f0c9a3e-2b7d-4c1e-9a6f-0d8e7b3c1a24", "id": "LW", "name": "lwang"},
             {"guid": _ascii_guid("user lw"), "id": "L", "name": "lw"}]
    root = _project({"basePath": "", "creatingUserGUID": users[0]["guid"], "creationDateTime": STAMP,
                     "modifiedDateTime": STAMP, "modifyingUserGUID": users[0]["guid"], "name": "hall interviews",
                     "origin": "NVivo for Mac 15.0.0", f"{{{XSI}}}schemaLocation": f"{PROJECT_NS} Project.xsd"},
                    users, lambda path: _ascii_guid("code " + path))
    sources, members = _element(root, "Sources"), []
    for index, text in enumerate(NVIVO_TEXTS):
        guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"source {index}"))
        source = _element(sources, "TextSource", creatingUser=users[0]["guid"], creationDateTime=STAMP, guid=guid,
                          modifiedDateTime=STAMP, modifyingUser=users[0]["guid"], name=_ascii_guid(f"name {index}"),
                          plainTextPath=f"internal://{guid}.txt", richTextPath=f"internal://{guid}.docx")
        for number, (_, quote, code, user) in enumerate(c for c in NVIVO_CODINGS if c[0] == index):
            start, who = text.index(quote), users[user]["guid"]
            selection = _element(source, "PlainTextSelection", creatingUser=who, creationDateTime=STAMP,
                                 endPosition=str(start + len(quote)), guid=_ascii_guid(f"selection {index} {number}"),
                                 name=quote, startPosition=str(start))
            coding = _element(selection, "Coding", creatingUser=who, creationDateTime=STAMP,
                              guid=_ascii_guid(f"coding {index} {number}"))
            _element(coding, "CodeRef", targetGUID=_ascii_guid("code " + code))
        members += [(f"sources/{guid}.docx", _docx(text)), (f"sources/{guid}.txt", text.encode("utf-8"))]
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>' + _text(root)
    members += [("sources/.root", b""), ("project.qde", xml.encode("utf-8"))]
    return _zip(tmp_path / "nvivo-mac-style.qdpx", members, zipfile.ZIP_STORED, create_system=3)


@pytest.fixture
def atlas_ti_style(tmp_path) -> Path:
    """A .qdpx laid out as ATLAS.ti 23 for Windows writes a project without documents: upper-case
    GUIDs, the program itself as a second user, code names with time stamps, colons and spaces,
    no Sources element, indented XML with CRLF line ends and a schemaLocation URL, ``project.qde``
    alone in a deflated ZIP made on a FAT file system."""
    def guid(key: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, key)).upper()

    me = guid("user Mei Lin")
    root = _project({f"{{{XSI}}}schemaLocation": f"{PROJECT_NS} http://schema.qdasoftware.org/versions/Project/"
                     "v1.0/Project.xsd", "origin": "ATLAS.ti for Windows 23.2.3.27778", "name": "wave codebook",
                     "creatingUserGUID": me, "creationDateTime": STAMP, "modifyingUserGUID": me,
                     "modifiedDateTime": STAMP},
                    [{"guid": me, "name": "Mei Lin"}, {"guid": guid("user ATLAS.ti"), "name": "ATLAS.ti"}],
                    lambda path: guid("code " + path),
                    tree={"Waves": {"2024-11-05T08:30:00Z wave 1": {}, "2025-02-17T14:05:59Z wave 2": {}}})
    ET.indent(root)
    xml = '<?xml version="1.0" encoding="utf-8"?>\n' + _text(root)
    return _zip(tmp_path / "atlas-ti-style.qdpx", [("project.qde", xml.replace("\n", "\r\n").encode("utf-8"))],
                zipfile.ZIP_DEFLATED, create_system=0)


def test_taguette_highlights_csv(tmp_path) -> None:
    path = tmp_path / "taguette_highlights.csv"
    path.write_text('id,document,tag,content\n1,hall_interview,queue_wait,"<p>The queue was <b>very</b> long</p>"\n'
                    '2,hall_interview,billing_error,My bill was wrong again &amp; late\n', encoding="utf-8")
    table = read_segments_csv(path)
    assert table["coder"].tolist() == ["taguette_highlights"] * 2
    assert table["text"].tolist() == ["The queue was very long", "My bill was wrong again & late"]
    assert table["start"].isna().all()
    assert read_segments_csv(path, coder="Li")["coder"].eq("Li").all()


def test_qualcoder_style_csv_and_positions(tmp_path) -> None:
    path = tmp_path / "coded.tsv"
    path.write_bytes("Codename\tFile\tCoder\tCoded text\tpos0\tpos1\nqueue_wait\tt.txt\tA\t排队\t3\t5\n"
                     "billing_error\tt.txt\tA\t账单\t\t\n".encode("gb18030"))
    table = read_segments_csv(path)
    assert table[["code", "document", "coder", "text"]].values.tolist() == [
        ["queue_wait", "t.txt", "A", "排队"], ["billing_error", "t.txt", "A", "账单"]]
    assert table["start"].tolist()[0] == 3 and pd.isna(table["start"].tolist()[1])
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs document, code"):
        read_segments_csv(tmp_path / "bad.csv")


def test_anchor_selection_repairs() -> None:
    raw = TEXT.replace("\n", "\r\n")
    start = TEXT.index("My bill")
    quote = "My bill was wrong again"
    assert anchor_selection(TEXT, start, start + len(quote), quote) == (start, start + len(quote), "ok")
    # ATLAS.ti counts \r\n as one character, other tools as two: the second line's offset is +2.
    shifted = raw.index("My bill")
    assert anchor_selection(TEXT, shifted, shifted + len(quote), quote, raw=raw) == (start, start + len(quote), "crlf")
    assert anchor_selection(TEXT, start - 9, start - 9 + len(quote), quote) == (start, start + len(quote), "nearby")
    assert anchor_selection(TEXT, None, None, quote) == (start, start + len(quote), "located")
    assert anchor_selection(TEXT, start - 9, start - 9 + len(quote), quote, window=5) == (
        start, start + len(quote), "moved")
    assert anchor_selection(TEXT, 0, 5, "not in the text")[2] == "not found"
    assert anchor_selection(TEXT, 0, 9, "Moderat...") == (0, 9, "ok")
    # NVivo counts UTF-16 code units: an emoji (outside the BMP) shifts later offsets by one.
    emoji = "A: 😀 queue\nB: bill"
    at = emoji.index("bill")
    assert anchor_selection(emoji, at + 1, at + 5, "bill") == (at, at + 4, "utf16")


def test_anchor_segments_matches_documents_and_drops_unplaced() -> None:
    segments = pd.DataFrame({"document": ["HALL_INTERVIEW", "hall_interview.txt", "other.txt"],
                             "coder": "A", "code": ["q", "b", "x"], "start": pd.array([None, 0, 0], dtype="Int64"),
                             "end": pd.array([None, 3, 3], dtype="Int64"),
                             "text": ["The queue was very long", "absent quote", "x"], "origin": "f"})
    with pytest.warns(QdaFormatWarning) as caught:
        placed, repairs = anchor_segments(segments, {"hall_interview.txt": TEXT})
    assert any("other.txt" in str(w.message) for w in caught)
    assert placed["document"].tolist() == ["hall_interview.txt"]
    assert placed["text"].tolist() == ["The queue was very long"]
    assert repairs["method"].tolist() == ["unknown document", "located", "not found"]  # every dropped row accounted for


def test_constructed_project(constructed) -> None:
    """Counts checked by reading tests/data/interviews/refi_constructed/project.qde: 2 users,
    4 codes (one not codable, two nested), 2 cases, 2 text sources, 6 selections of which one
    codes an unknown code, one is counted with CRLF as two characters and one is shifted by 7."""
    with pytest.warns(QdaFormatWarning, match="departure"):
        project = read_qdpx(constructed)
    assert project.users["name"].tolist() == ["Alice", "BZ"]  # BZ: no name, the id is used
    assert project.codes["path"].tolist() == ["service", "service/queue_wait", "service/billing_error",
                                              "staff_courtesy"]
    assert project.codes["is_codable"].tolist() == [False, True, True, True]
    assert project.cases[["case", "variable", "value", "sources"]].values.tolist() == [
        ["Anna", "role", "customer", "hall_interview.txt"], ["Ben", "role", "customer", ""]]
    assert project.sources["name"].tolist() == ["hall_interview.txt", "short_note"]
    assert project.texts["hall_interview.txt"] == TEXT  # CRLF normalised; "Sources" folder found
    seg = project.segments
    assert len(seg) == 5
    assert seg["coder"].tolist() == ["Alice", "Alice", "BZ", "BZ", "BZ"]  # Coding's creatingUser wins
    assert seg["text"].tolist() == ["The queue was very long", "My bill was wrong again", "the bill was late",
                                    "The queue was very long", "服务员很耐心"]
    assert all(project.texts[d][s:e] == t for d, s, e, t in seg[["document", "start", "end", "text"]].values)
    # The coding of an unknown code is left out, and listed with the reason.
    assert project.repairs[["old_start", "start", "method"]].astype(object).where(project.repairs[
        ["old_start", "start", "method"]].notna(), None).values.tolist() == [
        [36, None, "unknown code"], [74, 72, "crlf"], [94, 101, "nearby"]]
    assert any("unknown code" in i for i in project.issues)
    assert any("not GUIDs" in i for i in project.issues)


@needs_xsd
def test_constructed_project_schema_issue(constructed) -> None:
    with pytest.warns(QdaFormatWarning):
        project = read_qdpx(constructed, schema=XSD)
    assert any(i.startswith("XSD") and "case-ben" in i for i in project.issues)


def test_writer_round_trip_and_determinism(tmp_path) -> None:
    texts = {"hall.txt": TEXT, "zh.txt": "主持人：请说。\n王芳：排队太久了！\n"}
    segments = pd.DataFrame({"document": ["hall.txt", "hall.txt", "zh.txt"], "coder": ["A", "B", "B"],
                             "code": ["queue_wait", "queue_wait", "queue_wait"],
                             "start": [36, 40, 11], "end": [59, 59, 16]})
    cases = pd.DataFrame({"case": ["Anna"], "variable": ["role"], "value": ["customer"], "document": ["hall.txt"]})
    first = write_qdpx(tmp_path / "a.qdpx", texts, segments, cases=cases, newline="\r\n")
    second = write_qdpx(tmp_path / "b.qdpx", texts, segments, cases=cases, newline="\r\n")
    assert first.read_bytes() == second.read_bytes()
    project = _read_cleanly(first, schema=XSD if XSD.exists() else None)
    assert project.issues == [] and project.repairs.empty
    got = project.segments.sort_values(["document", "coder"])[["document", "coder", "code", "start", "end"]]
    assert got.astype({"start": int, "end": int}).values.tolist() == segments.values.tolist()
    assert project.segments["text"].tolist() == ["The queue was very long", "queue was very long", "排队太久了"]
    assert project.cases["sources"].tolist() == ["hall.txt"]


def test_read_qdc(tmp_path) -> None:
    path = tmp_path / "codebook.qdc"
    path.write_text('<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                    '<Code guid="cccccccc-0000-4000-8000-000000000001" name="queues" isCodable="true">'
                    '<Code guid="cccccccc-0000-4000-8000-000000000002" name="long" isCodable="true"/></Code>'
                    "</Codes></CodeBook>", encoding="utf-8")
    assert read_qdc(path)["path"].tolist() == ["queues", "queues/long"]


def test_nvivo_mac_style_export(nvivo_mac_style) -> None:
    """What the real NVivo for Mac export below exercises, on the construction above: users lwang
    and lw, 14 codes (3 top level, 13 distinct names, 4 levels), the plain texts (178 and 113
    characters, 114 bytes: one 'é') read from ``internal://`` paths beside .docx copies, and six
    codings: two users on one span, two codes both named 'billing'."""
    project = _read_cleanly(nvivo_mac_style)
    assert project.users["name"].tolist() == ["lwang", "lw"]
    codes = project.codes
    assert len(codes) == 14 and (codes["depth"] == 0).sum() == 3 and codes["depth"].max() == 3
    assert codes["name"].nunique() == 13
    path_of = dict(zip(codes["guid"], codes["path"], strict=True))
    nested = codes[codes["depth"] > 0]
    assert [path_of[g] for g in nested["parent_guid"]] == [p.rsplit("/", 1)[0] for p in nested["path"]]
    assert project.sources["n_chars"].tolist() == [178, 113]
    assert list(project.texts.values()) == NVIVO_TEXTS
    seg = project.segments
    assert seg["document"].unique().tolist() == project.sources["name"].tolist()
    assert seg["coder"].tolist() == ["lwang", "lwang", "lw", "lw", "lw", "lwang"]
    assert seg["code"].tolist() == ["queue_length", "billing", "billing", "billing", "outage", "call-back"]
    assert seg["code_path"].tolist() == [path for _, _, path, _ in NVIVO_CODINGS]
    assert seg[["start", "end"]].values.tolist() == [[52, 83], [89, 131], [89, 131], [151, 176], [66, 91], [93, 111]]
    assert seg["text"].tolist() == [quote for _, quote, _, _ in NVIVO_CODINGS]
    assert all(project.texts[d][s:e] == t for d, s, e, t in seg[["document", "start", "end", "text"]].values)
    assert project.repairs.empty and project.issues == []


def test_atlas_ti_style_export(atlas_ti_style) -> None:
    """What the real ATLAS.ti export below exercises, on the construction above: the program as a
    second user, one parent code with two children named by time stamps, no sources."""
    project = _read_cleanly(atlas_ti_style)
    assert project.users["name"].tolist() == ["Mei Lin", "ATLAS.ti"]
    assert project.codes["path"].tolist() == ["Waves", "Waves/2024-11-05T08:30:00Z wave 1",
                                              "Waves/2025-02-17T14:05:59Z wave 2"]
    assert project.codes["parent_guid"].tolist()[1:] == [project.codes["guid"][0]] * 2
    assert project.sources.empty and project.segments.empty and project.issues == []


@needs_xsd
@pytest.mark.parametrize("export", ["nvivo_mac_style", "atlas_ti_style"])
def test_tool_style_exports_are_schema_valid(export, request) -> None:
    """The constructions are valid REFI-QDA, as the real exports are."""
    assert _read_cleanly(request.getfixturevalue(export), schema=XSD).issues == []


@needs_real
def test_real_nvivo_mac_export() -> None:
    """NVivo for Mac 15 export. Counts from its project.qde: <User> x2 (chrisp, cp), <Code> x262
    (3 top level, 252 distinct names, 7 levels deep), <TextSource> x2 (plain text of one newline),
    no <PlainTextSelection>; it validates against Project.xsd."""
    project = _read_cleanly(REAL / "nvivo-mac-15-two-coders.qdpx", schema=XSD)
    assert project.users["name"].tolist() == ["chrisp", "cp"]
    assert len(project.codes) == 262
    assert (project.codes["depth"] == 0).sum() == 3 and project.codes["depth"].max() == 6
    assert project.codes["name"].nunique() == 252
    assert "rq1_definition/competencies/programming" in set(project.codes["path"])
    assert len(project.sources) == 2 and project.sources["n_chars"].tolist() == [1, 1]
    assert project.segments.empty and project.issues == []


@needs_real
def test_real_atlas_ti_export() -> None:
    """ATLAS.ti 23 export: <User> x2, <Code> x3 (one parent 'Commits' with two children),
    no Sources element; it validates against Project.xsd."""
    project = _read_cleanly(REAL / "atlas-ti-23.qdpx", schema=XSD)
    assert project.users["name"].tolist() == ["Enric Llagostera", "ATLAS.ti"]
    assert project.codes["path"].tolist() == ["Commits", "Commits/2022-05-10T02:05:59Z 19e4dce",
                                              "Commits/2022-02-11T10:39:25Z cdbfd92"]
    assert project.sources.empty and project.segments.empty and project.issues == []


def test_a_selection_without_whole_number_positions_is_left_out_with_the_reason(tmp_path: Path) -> None:
    texts = {"a.txt": "The queue was long today."}
    segments = pd.DataFrame({"document": ["a.txt"], "coder": ["A"], "code": ["queue_wait"], "start": [4], "end": [9],
                             "text": ["queue"]})
    write_qdpx(tmp_path / "p.qdpx", texts, segments)
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["project.qde"] = members["project.qde"].replace(b'startPosition="4"', b'startPosition="4.5"')
    with zipfile.ZipFile(tmp_path / "q.qdpx", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.warns(QdaFormatWarning):
        project = read_qdpx(tmp_path / "q.qdpx")
    assert project.segments.empty
    assert project.repairs[["document", "coder", "code", "method", "origin"]].values.tolist() == [
        ["a.txt", "A", "queue_wait", "no whole-number position", "q.qdpx"]]
