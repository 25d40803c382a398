"""Codebook, suggestions, evidence tables, quotes, triangulation, privacy, and the example study."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml

from servqual.codebook import keyword_hits, load_codebook
from servqual.interviews import (
    COUNT_COLUMNS,
    QUOTE_COLUMNS,
    SEGMENT_TABLE_COLUMNS,
    analyse_interviews,
    dimension_gap_units,
)
from servqual.tables import neutralise_spreadsheet_cells
from servqual.triangulation import TRIANGULATION_COLUMNS, convergence, interview_signal, survey_signal
from servqual.plots import interview_code_chart
from servqual.qda import write_qdpx

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "config" / "codebook.yaml"
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]


def survey_gaps(responsiveness: float = -0.9) -> pd.DataFrame:
    """Population gaps of the simulated example survey with a +-0.15 interval."""
    gaps = pd.DataFrame({"dimension": DIMENSIONS, "gap": [0.02, -1.0, responsiveness, -0.3, -0.5]})
    return gaps.assign(gap_ci_low=gaps["gap"] - 0.15, gap_ci_high=gaps["gap"] + 0.15)


# --------------------------------------------------------------------------- codebook


def test_example_codebook_loads() -> None:
    book = load_codebook(CODEBOOK)
    assert len(book.codes) == 20 and book.dimensions == tuple(DIMENSIONS)
    row = book.codes.set_index("code").loc["counters_understaffed"]
    assert row["dimensions"] == ("responsiveness",) and row["provider_gaps"] == (2, 3) and row["valence"] == "problem"
    assert set(book.keywords["kind"]) == {"dimension", "provider_gap"}
    assert {"排队", "queue"} <= set(book.keywords.loc[book.keywords["key"] == "responsiveness", "keyword"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valence": "bad"}, r"code 'q' key 'valence': 'bad' is not one of problem, strength"),
        ({"dimensions": ["speed"]}, r"code 'q' key 'dimensions': speed not among"),
        ({"provider_gaps": [5]}, r"code 'q' key 'provider_gaps'"),
        ({"provider_gaps": ["x"]}, r"code 'q' key 'provider_gaps': use numbers 1 to 4"),
        ({"meaning": ""}, r"code 'q' key 'meaning'"),
        ({"colour": "red"}, r"code 'q': unknown key\(s\) colour"),
        ({"dimensions": [], "provider_gaps": []}, r"code 'q': give at least one"),
    ],
)
def test_codebook_errors_name_code_and_key(change: dict, message: str) -> None:
    spec = {"codes": {"q": {"meaning": "Long queue.", "dimensions": ["responsiveness"], "provider_gaps": [3],
                            "valence": "problem", **change}}}
    with pytest.raises(ValueError, match=message):
        load_codebook(spec)


def test_codebook_keyword_errors() -> None:
    base = {"q": {"meaning": "m", "dimensions": ["empathy"], "valence": "problem"}}
    with pytest.raises(ValueError, match=r"keywords.dimensions: 'speed'"):
        load_codebook({"codes": base, "keywords": {"dimensions": {"speed": {"en": ["x"]}}}})
    with pytest.raises(ValueError, match=r"keywords.provider_gaps: 7"):
        load_codebook({"codes": base, "keywords": {"provider_gaps": {7: {"en": ["x"]}}}})
    with pytest.raises(ValueError, match="non-empty 'codes'"):
        load_codebook({"codes": {}})


# --------------------------------------------------------------------------- suggestions


def test_keyword_hits_whole_tokens() -> None:
    assert keyword_hits("服务员很耐心", ["服务"]) == []
    assert keyword_hits("这里的服务很好", ["服务"]) == ["服务"]
    assert keyword_hits("排队太久，服务员也少", ["排队", "服务"]) == ["排队"]
    assert keyword_hits("The QUEUE was long", ["queue"]) == ["queue"]
    assert keyword_hits("The queues were long", ["queue"]) == []
    assert keyword_hits("no waiting area seats", ["waiting area", "wait"]) == ["waiting area"]
    assert keyword_hits("排队 queue", ["排队", "queue"]) == ["queue", "排队"]


def test_chinese_keywords_neither_read_nor_write_a_cache_outside_the_study(tmp_path) -> None:
    """jieba keeps its prefix dictionary's cache in the system's temporary folder; coding a
    Chinese text must not read it (a planted cache would change the coding) or write one."""
    import os
    import subprocess
    import sys

    temp = tmp_path / "tmp"
    temp.mkdir()
    (temp / "jieba.cache").write_bytes(b"not a cache")  # read, it would fail and be rewritten
    code = "from servqual.codebook import keyword_hits; print(keyword_hits('这里的服务很好', ['服务']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "TMPDIR": str(temp)})
    assert out.stdout.strip() == "['服务']"
    assert [p.name for p in temp.iterdir()] == ["jieba.cache"] and (temp / "jieba.cache").read_bytes() == b"not a cache"


# --------------------------------------------------------------------------- rules


#: Survey signal -> interview signal -> the convergence code of the joint display.
CONVERGENCE = {
    "negative": {"problems dominate": "agreement", "strengths dominate": "dissonance", "mixed": "partial agreement",
                 "none": "silence"},
    "not significant": {"strengths dominate": "agreement", "problems dominate": "dissonance"},
    "positive": {"strengths dominate": "agreement", "problems dominate": "dissonance", "mixed": "partial agreement"},
    "missing": {"problems dominate": "silence"},
}


def test_convergence_rule() -> None:
    assert {survey: {interview: convergence(survey, interview) for interview in row}
            for survey, row in CONVERGENCE.items()} == CONVERGENCE


def test_signals() -> None:
    assert [survey_signal(-0.5, -0.7, -0.1), survey_signal(0.1, -0.1, 0.3), survey_signal(0.4, 0.1, 0.7)] == [
        "negative", "not significant", "positive"]
    assert survey_signal(float("nan"), float("nan"), float("nan")) == "missing"
    assert [interview_signal(2, 1), interview_signal(1, 2), interview_signal(3, 2), interview_signal(0, 0)] == [
        "problems dominate", "strengths dominate", "mixed", "none"]
    assert interview_signal(3, 2, dominance=0.6) == "problems dominate"


def test_neutralise_spreadsheet_cells() -> None:
    # Text that is a plain number ("+1", "-2") is read by a spreadsheet as that number: left as it is.
    table = pd.DataFrame({"text": ["=HYPERLINK(1)", "+1", "-2", "@SUM", "ok", "-2+3", "\tx", None], "n": [1, 2, 3, 4, 5, 6, 7, -8]})
    out = neutralise_spreadsheet_cells(table)
    assert out["text"].tolist()[:7] == ["'=HYPERLINK(1)", "+1", "-2", "'@SUM", "ok", "'-2+3", "'\tx"]
    assert out["n"].tolist() == [1, 2, 3, 4, 5, 6, 7, -8] and table["text"].iloc[0] == "=HYPERLINK(1)"


# --------------------------------------------------------------------------- a planted folder

PLANTED = {
    "names": ["王小明", "李秀兰", "Jane Doakes", "Sam Quist"],
    "phones": ["13912345678", "+86 10 8888 6666", "021-6543-2100"],
    "emails": ["wxm@example.com", "jane.doakes@example.org"],
    "ids": ["110101199003074514", "44030119851231002X"],
}


def _planted_folder(folder: Path) -> Path:
    folder.mkdir()
    fg = (
        "主持人：请大家谈谈营业厅的服务。\n"
        "王小明：排队太久了，我的电话是13912345678，身份证号110101199003074514，账单也出错了。\n"
        "李秀兰：我跟王小明一起去的，工作人员很有礼貌，服务员也很耐心。\n"
        "王小明：营业时间太短，经常推销。\n"
        "李秀兰：座位不够，环境有点吵，可以打+86 10 8888 6666找我。\n"
    )
    st = (
        "Interviewer: What do customers say?\n"
        "Jane Doakes: Sam Quist and I hear about billing errors every day; mail me at jane.doakes@example.org.\n"
        "Sam Quist: The queue is long and my ID 44030119851231002X is on file; call 021-6543-2100.\n"
        "Jane Doakes: Staff are polite; wxm@example.com wrote to thank us.\n"
    )
    (folder / "fg.txt").write_bytes(fg.replace("\n", "\r\n").encode("gb18030"))
    (folder / "st.txt").write_text(st, encoding="utf-8-sig")
    (folder / "documents.tsv").write_text(
        "file\ttype\tdate\tparticipants\n"
        "fg.txt\tcustomer focus group\t2026-03-01\t主持人=moderator; 王小明=customer; 李秀兰=customer=C2\n"
        "st.txt\tstaff interview\t2026-03-02\tInterviewer=interviewer; Jane Doakes=staff; Sam Quist=manager\n",
        encoding="utf-8")
    texts = {"fg.txt": fg, "st.txt": st}
    spans = [  # (document, quote, coder A codes, coder B codes)
        ("fg.txt", "排队太久了，我的电话是13912345678", "queue_wait", "queue_wait"),
        ("fg.txt", "身份证号110101199003074514，账单也出错了", "billing_error", ""),
        ("fg.txt", "我跟王小明一起去的，工作人员很有礼貌", "staff_courtesy", "staff_courtesy"),
        ("fg.txt", "营业时间太短", "opening_hours", "opening_hours"),
        ("st.txt", "Sam Quist and I hear about billing errors every day; mail me at jane.doakes@example.org",
         "billing_error", "billing_error"),
        ("st.txt", "The queue is long and my ID 44030119851231002X is on file; call 021-6543-2100",
         "queue_wait", "made_up_code"),
    ]
    rows = [{"document": d, "coder": coder, "code": c, "start": texts[d].index(q), "end": texts[d].index(q) + len(q),
             "text": q} for d, q, a, b in spans for coder, codes in (("A", a), ("B", b)) for c in codes.split()]
    segments = pd.DataFrame(rows)
    segments[segments["coder"] == "A"].to_csv(folder / "coder_a.csv", index=False)
    # Coder B as a REFI-QDA project whose sources use CRLF.
    write_qdpx(folder / "coder_b.qdpx", texts, segments[segments["coder"] == "B"], newline="\r\n")
    return folder


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = _planted_folder(tmp_path_factory.mktemp("planted") / "interviews")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyse_interviews(folder, CODEBOOK, survey_gaps(), suggest=True, seed=1, n_boot=100,
                                  extra_names=["王小明"])


def test_privacy_nothing_planted_reaches_any_table(planted) -> None:
    tables = planted.tables()
    assert {"segments", "interview_codes", "coder_agreement", "quotes", "triangulation"} <= set(tables)
    for name, table in tables.items():
        cells = " ".join(map(str, table.to_numpy().ravel()))
        for kind, values in PLANTED.items():
            for value in values:
                assert value not in cells, f"{kind} {value!r} found in table {name}"
    texts = " ".join(planted.segments["text"])
    assert "[phone]" in texts and "[email]" in texts and "[id]" in texts
    assert "我跟Customer 1一起去的" in texts  # a name inside a quote becomes the speaker's pseudonym
    assert set(planted.segments["speakers"]) >= {"Customer 1", "C2", "Staff 1", "Manager 1"}


def test_planted_folder_tables(planted) -> None:
    seg = planted.segments
    assert seg.columns.tolist() == SEGMENT_TABLE_COLUMNS
    assert set(seg["source"]) == {"human", "suggested"}
    suggested = seg[seg["source"] == "suggested"]
    # Uncoded participants' turns only: 李秀兰's seats turn and Jane Doakes's "polite" turn.
    assert sorted(zip(suggested["document"], suggested["units"], suggested["code"])) == [
        ("fg.txt", "T005", "suggested:tangibles"), ("st.txt", "T004", "suggested:assurance")]
    assert suggested["valence"].eq("").all() and suggested["coder"].eq("keyword dictionary").all()
    human = seg[seg["source"] == "human"]
    assert human["units"].tolist()[:2] == ["T002", "T002"] and human["speakers"].iloc[0] == "Customer 1"
    assert human.loc[human["code"] == "made_up_code", "in_codebook"].tolist() == [False]
    assert planted.unknown_codes["code"].tolist() == ["made_up_code"]
    # Agreement counts only the two human coders.
    assert planted.coder_agreement["coders"].eq("A;B").all()
    assert planted.interview_codes.columns.tolist() == COUNT_COLUMNS
    assert planted.quotes.columns.tolist() == QUOTE_COLUMNS
    assert planted.triangulation.columns.tolist()[: len(TRIANGULATION_COLUMNS)] == TRIANGULATION_COLUMNS
    codes = planted.interview_codes.set_index(["level", "value", "doc_group", "source"])
    # queue_wait: T002 of fg (both coders) and T003 of st -> 2 units, 2 participants, 2 documents
    assert codes.loc[("code", "queue_wait", "all", "human"), ["n_segments", "n_units", "n_participants",
                                                              "n_documents"]].tolist() == [3, 2, 2, 2]
    assert codes.loc[("dimension", "tangibles", "customers", "suggested"), "n_units"] == 1


def test_planted_triangulation(planted) -> None:
    tri = planted.triangulation.set_index("dimension")
    assert tri.loc["tangibles", "convergence"] == "silence"  # suggestions are not evidence
    assert tri.loc["reliability", ["problem_units", "strength_units", "convergence"]].tolist() == [2, 0, "agreement"]
    assert tri.loc["assurance", "convergence"] == "dissonance"
    assert tri.loc["reliability", "provider_gaps"] == "3"
    assert planted.improvement_evidence.set_index("dimension").loc["assurance", "provider_gaps"] == ""


# --------------------------------------------------------------------------- the example study


@pytest.fixture(scope="module", params=["wave1", "wave2"])
def example(request):
    folder = ROOT / "data" / "raw" / request.param / "interviews"
    gaps = survey_gaps(-0.9 if request.param == "wave1" else -0.5)
    return request.param, analyse_interviews(folder, CODEBOOK, gaps, seed=20261124, n_boot=200)


def test_example_study(example) -> None:
    wave, result = example
    overall = result.coder_agreement.set_index("code").loc["(all codes)"]
    assert 0.6 <= overall["cohen_kappa"] <= 0.8
    assert overall["alpha_ci_low"] < overall["krippendorff_alpha"] < overall["alpha_ci_high"]
    tri = result.triangulation.set_index("dimension")
    assert tri.loc["assurance", "convergence"] == "dissonance"  # the planted dissonance
    assert tri.loc["reliability", "convergence"] == "agreement"
    expected = "agreement" if wave == "wave1" else "partial agreement"
    assert tri.loc["responsiveness", "convergence"] == expected
    assert result.repairs.empty
    cells = " ".join(" ".join(map(str, t.to_numpy().ravel())) for t in result.tables().values())
    for secret in ("13800138000", "lily.zhao1985@example.org", "王芳", "Tom Reed", "Grace Lin", "Mei Huang"):
        assert secret not in cells
    assert result.unknown_codes["code"].tolist() == (["crowding"] if wave == "wave1" else [])
    encodings = dict(zip(result.documents["document"], result.documents["encoding"], strict=True))
    assert encodings["customers_focus_group.txt"] == ("utf-8" if wave == "wave1" else "utf-8-sig")


def test_sentence_units_refine_agreement() -> None:
    folder = ROOT / "data" / "raw" / "wave1" / "interviews"
    turns = analyse_interviews(folder, CODEBOOK, survey_gaps(), seed=1, n_boot=50)
    sentences = analyse_interviews(folder, CODEBOOK, survey_gaps(), unit="sentence", seed=1, n_boot=50)
    n_turns, n_sentences = (r.coder_agreement.set_index("code").at["(all codes)", "n_units"] for r in (turns, sentences))
    assert n_sentences > n_turns == 37  # 37 participant turns in wave 1
    assert sentences.segments["units"].str.fullmatch(r"T\d{3}S\d{2}(;T\d{3}S\d{2})*").all()


def test_example_sidecars_name_every_speaker() -> None:
    for wave in ("wave1", "wave2"):
        table = pd.read_csv(ROOT / "data" / "raw" / wave / "interviews" / "documents.tsv", sep="\t")
        assert table["file"].tolist() == ["customers_focus_group.txt", "staff_interview.txt"]
    assert yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))["version"] == 1


def test_dimension_gap_units_cross_dimensions_with_provider_gaps(planted) -> None:
    counts = dimension_gap_units(planted.segments).set_index(["dimension", "provider_gap", "valence"])["n_units"]
    # queue_wait (responsiveness, gap 3): fg T002 and st T003; made_up_code and suggestions are not evidence.
    assert counts[("responsiveness", "3 delivery", "problem")] == 2
    assert counts[("assurance", "none", "strength")] == 1  # staff_courtesy has no provider gap
    assert "tangibles" not in counts.index.get_level_values("dimension")
    assert counts.sum() == planted.triangulation[["problem_units", "strength_units"]].to_numpy().sum()


def test_code_chart_draws_both_valences(planted) -> None:
    counts = dimension_gap_units(planted.segments)
    labels = pd.Series({d: d.capitalize() for d in DIMENSIONS})
    fig = interview_code_chart(counts, labels, "planted")
    problems, strengths = fig.axes
    assert [t.get_text() for t in problems.get_yticklabels()] == labels.tolist()
    widths = sum(bar.get_width() for bar in problems.patches), sum(bar.get_width() for bar in strengths.patches)
    assert widths == (counts.loc[counts["valence"] == "problem", "n_units"].sum(),
                      counts.loc[counts["valence"] == "strength", "n_units"].sum())
    empty = interview_code_chart(counts.iloc[:0], labels, "no coding")
    assert not empty.legends
    plt.close("all")


# --- every file of the folder read or refused; every coded segment placed or accounted for ---


def _as_bare_qde(folder: Path) -> None:
    """Replace coder B's .qdpx by its unzipped project file, sources named relative to it."""
    import re
    import zipfile

    with zipfile.ZipFile(folder / "coder_b.qdpx") as archive:
        xml = archive.read("project.qde").decode("utf-8")
    xml = re.sub(r'name="([^"]+)" plainTextPath="internal://[^"]+"', r'name="\1" plainTextPath="relative://\1"', xml)
    (folder / "coder_b.qde").write_text(xml, encoding="utf-8")
    (folder / "coder_b.qdpx").unlink()


def test_a_bare_qde_project_is_read_like_its_qdpx(tmp_path: Path, planted) -> None:
    folder = _planted_folder(tmp_path / "interviews")
    _as_bare_qde(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyse_interviews(folder, CODEBOOK, survey_gaps(), suggest=True, seed=1, n_boot=100,
                                    extra_names=["王小明"])
    human = lambda r: r.segments[r.segments["source"] == "human"]  # noqa: E731
    assert (human(result)["coder"] == "B").sum() == (human(planted)["coder"] == "B").sum() > 0


@pytest.mark.parametrize("name", ["project.nvpx", "notes.pdf", "extra_interview.txt"])
def test_a_file_the_interview_step_cannot_read_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    from servqual.study_files import StudyFileError

    folder = _planted_folder(tmp_path / "interviews")
    (folder / name).write_bytes(b"x")
    (folder / "README.md").write_text("documentation, not data", encoding="utf-8")
    with pytest.raises(StudyFileError, match=rf"{name}.* export a \.qdpx .* documents table"):
        analyse_interviews(folder, CODEBOOK, survey_gaps(), seed=1, n_boot=10)


def test_coded_segments_left_out_are_listed_with_the_reason_and_no_text(tmp_path: Path) -> None:
    from servqual.interviews import LEFT_OUT_COLUMNS

    folder = _planted_folder(tmp_path / "interviews")
    (folder / "coder_c.csv").write_text(
        "document,code,start,end,text\n"
        "st.txt,queue_wait,90,80,SECRET-QUOTE-1\n"
        "st.txt,queue_wait,90,90000,SECRET-QUOTE-2\n"
        "elsewhere.txt,queue_wait,1,5,SECRET-QUOTE-3\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyse_interviews(folder, CODEBOOK, survey_gaps(), seed=1, n_boot=10)
    left = result.segments_left_out
    assert list(left.columns) == LEFT_OUT_COLUMNS
    assert left[["file", "document", "coder", "reason"]].values.tolist() == [
        ["coder_c.csv", "elsewhere.txt", "coder_c", "unknown document"],
        ["coder_c.csv", "st.txt", "coder_c", "reversed"], ["coder_c.csv", "st.txt", "coder_c", "outside the text"]]
    assert left[["start", "end"]].astype(int).values.tolist() == [[1, 5], [90, 80], [90, 90000]]
    assert "SECRET" not in " ".join(map(str, left.to_numpy().ravel()))
    assert "coder_c" not in set(result.segments["coder"])


def test_an_unzipped_qdpx_reads_its_sources_folder(tmp_path: Path, planted) -> None:
    import zipfile

    folder = _planted_folder(tmp_path / "interviews")
    with zipfile.ZipFile(folder / "coder_b.qdpx") as archive:
        archive.extractall(folder)  # project.qde and sources/, as an unzipped project lies
    (folder / "project.qde").rename(folder / "coder_b.qde")
    (folder / "coder_b.qdpx").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every source found: no departure to warn of
        warnings.filterwarnings("ignore", message="Codes not in the codebook")
        result = analyse_interviews(folder, CODEBOOK, survey_gaps(), seed=1, n_boot=10)
    human = lambda r: r.segments[r.segments["source"] == "human"]  # noqa: E731
    assert (human(result)["coder"] == "B").sum() == (human(planted)["coder"] == "B").sum() > 0
    assert result.segments_left_out.empty
