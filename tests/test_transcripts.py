"""Transcripts: decoding, normalisation, speaker turns, units and the sidecar table."""

from __future__ import annotations

import docx
import pandas as pd
import pytest

from servqual.privacy import Salt
from servqual.transcripts import (
    assign_pseudonyms,
    decode_text,
    parse_participants,
    read_documents_table,
    read_interview_folder,
    read_transcript,
    sentence_units,
    speaker_turns,
    units_of_segments,
)

ZH = "主持人：大家好，请谈谈排队。\n王芳：排队太久了！我等了一个小时。\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ZH.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + ZH.encode("utf-8"), "utf-8-sig"),
        (ZH.encode("gbk"), "gb18030"),
        (ZH.encode("gb18030"), "gb18030"),
    ],
)
def test_decode_utf8_bom_and_gbk(data: bytes, encoding: str) -> None:
    assert decode_text(data) == (ZH, encoding)


def test_read_transcript_normalises_crlf_and_nfc_before_positions(tmp_path) -> None:
    # "Café" written with a combining accent (e + U+0301) and Windows line ends.
    (tmp_path / "t.txt").write_bytes("Ann: Cafe\u0301 queue\r\nBo: ok\r\n".encode("utf-8"))
    t = read_transcript(tmp_path / "t.txt")
    assert t.text == "Ann: Caf\u00e9 queue\nBo: ok\n"
    turns = speaker_turns(t.text, t.document)
    assert turns["text"].tolist() == ["Café queue", "ok"]
    # After NFC the word is 4 code points: positions count it so.
    assert t.text[turns.at[0, "text_start"] : turns.at[0, "text_start"] + 4] == "Café"


def test_read_transcript_gbk_file_and_docx(tmp_path) -> None:
    (tmp_path / "zh.txt").write_bytes(ZH.replace("\n", "\r\n").encode("gbk"))
    t = read_transcript(tmp_path / "zh.txt")
    assert (t.text, t.encoding) == (ZH, "gb18030")
    document = docx.Document()
    for line in ZH.strip().split("\n"):
        document.add_paragraph(line)
    document.save(tmp_path / "zh.docx")
    d = read_transcript(tmp_path / "zh.docx")
    assert d.encoding == "docx" and d.text == ZH.strip()
    assert speaker_turns(d.text)["speaker"].tolist() == ["主持人", "王芳"]


def test_read_transcript_rejects_other_formats(tmp_path) -> None:
    (tmp_path / "t.pdf").write_bytes(b"%PDF")
    with pytest.raises(ValueError, match=r"\.txt, \.md or \.docx"):
        read_transcript(tmp_path / "t.pdf")


def test_speaker_turns_full_width_colon_continuation_and_header() -> None:
    text = "座谈记录\n时间：3月14日\n主持人：请说。\n王芳：排队太久了！\n还有账单。\nNote: 李明 says hi\n"
    turns = speaker_turns(text, "fg", speakers=["主持人", "王芳"])
    assert turns["unit"].tolist() == ["T001", "T002"]
    assert turns["speaker"].tolist() == ["主持人", "王芳"]
    # "时间：" (header) and "Note:" are not speakers; the continuation lines stay in the turn.
    assert turns.at[1, "text"] == "排队太久了！\n还有账单。\nNote: 李明 says hi"
    for row in turns.itertuples():
        assert text[row.start : row.end].startswith(row.speaker)
        assert text[row.text_start : row.end] == row.text
    # Without the sidecar's names the header line is taken for a speaker.
    assert speaker_turns(text)["speaker"].tolist() == ["时间", "主持人", "王芳", "Note"]


def test_speaker_turns_markdown_and_custom_pattern() -> None:
    md = "# Interview\n\n**Interviewer:** Hello.\n**Tom Reed:** The queue is long.\n"
    assert speaker_turns(md)["speaker"].tolist() == ["Interviewer", "Tom Reed"]
    assert speaker_turns(md).at[1, "text"] == "The queue is long."
    custom = "[Mod] Hi there.\n[C1] Bills are wrong.\n"
    turns = speaker_turns(custom, pattern=r"^\[(?P<speaker>[^\]]+)\]\s*")
    assert turns["speaker"].tolist() == ["Mod", "C1"]
    assert turns["text"].tolist() == ["Hi there.", "Bills are wrong."]
    assert speaker_turns("10:30 the meeting starts").empty


def test_sentence_units_split_chinese_and_english() -> None:
    text = "A: One. Two?\n王芳：排队太久了！我等了一个小时。\n"
    units = sentence_units(speaker_turns(text))
    assert units["unit"].tolist() == ["T001S01", "T001S02", "T002S01", "T002S02"]
    assert units["text"].tolist() == ["One.", "Two?", "排队太久了！", "我等了一个小时。"]
    assert all(text[s:e] == t for s, e, t in zip(units["start"], units["end"], units["text"], strict=True))


def test_units_of_segments_overlap_rule() -> None:
    units = pd.DataFrame({"document": "d", "unit": ["T001", "T002", "T003"], "speaker": ["a", "b", "a"],
                          "start": [0, 10, 20], "end": [9, 19, 29]})
    segments = pd.DataFrame({"document": "d", "code": ["x", "y", "z", "w"],
                             "start": [2, 8, 9, 30], "end": [5, 12, 10, 31]})
    out = units_of_segments(segments, units)
    got = out.groupby("code")["unit"].apply(lambda u: list(u.dropna())).to_dict()
    # one character of overlap is enough; touching a boundary is not; outside every unit -> none
    assert got == {"x": ["T001"], "y": ["T001", "T002"], "z": [], "w": []}


def test_parse_participants_and_errors() -> None:
    table = parse_participants("主持人=moderator； 王芳=customer=C01; Tom Reed = Staff", "d")
    assert table[["speaker", "role"]].values.tolist() == [["主持人", "moderator"], ["王芳", "customer"],
                                                          ["Tom Reed", "staff"]]
    assert table["pseudonym"].isna().tolist() == [True, False, True]
    with pytest.raises(ValueError, match="document 'd': participant entry 2 of 2 must be name=role") as caught:
        parse_participants("主持人=moderator; 王芳", "d")
    assert "王芳" not in str(caught.value)  # a name is personal data: the entry is named by its position


def test_assign_pseudonyms_sidecar_generated_and_salted() -> None:
    people = pd.concat([parse_participants("M=moderator; A=customer=C9; B=customer; C=customer", "d1"),
                        parse_participants("B=customer", "d2")])
    plain = assign_pseudonyms(people)
    assert plain["pseudonym"].tolist() == ["Moderator 1", "C9", "Customer 1", "Customer 2", "Customer 1"]
    salted = assign_pseudonyms(people, b"secret")
    assert salted["pseudonym"].iloc[1] == "C9"
    assert salted["pseudonym"].iloc[2] == salted["pseudonym"].iloc[4] != "B"
    assert salted["pseudonym"].iloc[2].startswith("C") and len(salted["pseudonym"].iloc[2]) == 17
    # A study begun under pseudonym scheme 1 keeps its 32-bit participant pseudonyms.
    earlier = assign_pseudonyms(people, Salt(b"secret", 1))["pseudonym"].iloc[2]
    assert len(earlier) == 9 and salted["pseudonym"].iloc[2].startswith(earlier)


def test_read_interview_folder(tmp_path) -> None:
    (tmp_path / "documents.csv").write_text(
        "file,type,date,participants\nfg.txt,Customer focus group,2026-03-01,主持人=moderator;王芳=customer=C1\n"
        "st.md,staff interview,2026-03-02,Interviewer=interviewer;Tom=staff\n", encoding="utf-8")
    (tmp_path / "fg.txt").write_bytes(ZH.encode("gbk"))
    (tmp_path / "st.md").write_text("Interviewer: Hi.\nTom: Busy day.\n", encoding="utf-8")
    corpus = read_interview_folder(tmp_path)
    assert corpus.documents[["doc_type", "doc_group", "encoding"]].values.tolist() == [
        ["customer_focus_group", "customers", "gb18030"], ["staff_interview", "staff", "utf-8"]]
    assert corpus.turns["pseudonym"].tolist() == ["Moderator 1", "C1", "Interviewer 1", "Staff 1"]
    assert corpus.turns["role"].tolist() == ["moderator", "customer", "interviewer", "staff"]
    (tmp_path / "st.md").unlink()
    with pytest.raises(FileNotFoundError, match="st.md"):
        read_interview_folder(tmp_path)


def test_documents_table_required_columns(tmp_path) -> None:
    (tmp_path / "documents.tsv").write_text("file\ttype\nx.txt\tstaff interview\n", encoding="utf-8")
    with pytest.raises(ValueError, match="participants"):
        read_documents_table(tmp_path)
    with pytest.raises(FileNotFoundError, match="documents.tsv"):
        read_documents_table(tmp_path / "missing")


def test_two_documents_tables_are_refused_rather_than_one_passed_over(tmp_path) -> None:
    from servqual.study_files import StudyFileError

    for name in ("documents.tsv", "documents.csv"):
        (tmp_path / name).write_text("file\ttype\tparticipants\n", encoding="utf-8")
    with pytest.raises(StudyFileError, match=r"documents\.tsv and documents\.csv: .*keep one"):
        read_documents_table(tmp_path)
