"""Coded-segment readers: CSV exports, REFI-QDA projects (constructed and real), the writer."""

from __future__ import annotations

import os
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from servqual.qda import (
    QdaFormatWarning,
    anchor_segments,
    anchor_selection,
    read_qdc,
    read_qdpx,
    read_segments_csv,
    write_qdpx,
)

DATA = Path(__file__).parent / "data" / "interviews"
REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "refi-qda"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real REFI-QDA exports not available at {REAL}")
TEXT = "Moderator: How was the queue?\nAnna: The queue was very long today.\nBen: My bill was wrong again, and the bill was late.\n"


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
    assert repairs["method"].tolist() == ["located", "not found"]


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
    assert project.repairs[["old_start", "start", "method"]].values.tolist() == [[74, 72, "crlf"], [94, 101, "nearby"]]
    assert any("unknown code" in i for i in project.issues)
    assert any("not GUIDs" in i for i in project.issues)


def test_constructed_project_schema_issue(constructed) -> None:
    if not (REAL / "Project.xsd").exists():
        pytest.skip(f"Project.xsd not available at {REAL}")
    with pytest.warns(QdaFormatWarning):
        project = read_qdpx(constructed, schema=REAL / "Project.xsd")
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
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema = REAL / "Project.xsd" if (REAL / "Project.xsd").exists() else None
        project = read_qdpx(first, schema=schema)
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


@needs_real
def test_real_nvivo_mac_export() -> None:
    """NVivo for Mac 15 export. Counts from its project.qde: <User> x2 (chrisp, cp), <Code> x262
    (3 top level, 252 distinct names, 7 levels deep), <TextSource> x2 (plain text of one newline),
    no <PlainTextSelection>; it validates against Project.xsd."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        project = read_qdpx(REAL / "nvivo-mac-15-two-coders.qdpx", schema=REAL / "Project.xsd")
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
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        project = read_qdpx(REAL / "atlas-ti-23.qdpx", schema=REAL / "Project.xsd")
    assert project.users["name"].tolist() == ["Enric Llagostera", "ATLAS.ti"]
    assert project.codes["path"].tolist() == ["Commits", "Commits/2022-05-10T02:05:59Z 19e4dce",
                                              "Commits/2022-02-11T10:39:25Z cdbfd92"]
    assert project.sources.empty and project.segments.empty and project.issues == []
