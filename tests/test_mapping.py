"""servqual-map proposes the measures and columns of a config from exports as survey tools write
them, and the proposal, pasted into a config, cleans the export without touching it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_io import options

from servqual.cleaning import clean_survey
from servqual.instrument import instrument_from_config
from servqual.io import read_survey
from servqual.mapping import main, propose_mapping, proposal_yaml

N = 40
RNG = np.random.default_rng(8)


def answers(low: int = 1, high: int = 7, n: int = N, trait: np.ndarray | None = None) -> list[str]:
    """Ratings; with a respondent trait (one per row) they correlate like a real scale's items."""
    base = RNG.integers(low, high + 1, n) if trait is None else np.rint((low + high) / 2 + trait + RNG.normal(0, 0.8, n))
    return [str(int(v)) for v in np.clip(base, low, high)]


def korean_kiosk(path: Path, n: int = N, items: int = 3) -> Path:
    """cp949, question texts as headers, expectation and perception alternating per item."""
    frame = {"응답자 ID": [f"R{i:03d}" for i in range(n)], "이름": [f"김{i}" for i in range(n)]}
    texts = ["키오스크는  사용하기 쉬워야 한다", "화면 글씨가 잘 보여야 한다", "결제가 빨라야 한다"]
    traits = RNG.normal(0, 1.2, (2, n))
    for j in range(1, items + 1):
        text = texts[j - 1] if j <= len(texts) else f"직원은 {j}번째 질문에 친절해야 한다"
        frame[f"{j}-1. {text} (기대 설문)"] = answers(4, n=n, trait=traits[0] / 2)
        frame[f"{j}-2. {text} (인식 설문)"] = answers(n=n, trait=traits[1])
        frame[f"{j}-3. {text} (중요도)"] = answers(3, n=n)
    frame["전반적으로 만족한다"] = answers(n=n, trait=traits[1])
    frame["다시 이용하고 추천하겠다"] = answers(n=n, trait=traits[1])
    frame["이용 여부"] = RNG.choice(["예", "아니오"], n)
    frame["소요 시간(초)"] = [str(v) for v in RNG.integers(100, 900, n)]
    pd.DataFrame(frame).to_csv(path, index=False, encoding="cp949")
    return path


def wenjuanxing(path: Path, n: int = N, items: int = 4) -> Path:
    """GB18030, 问卷星 layout: its own columns first, then the expectations block and the
    perceptions block."""
    frame = {"序号": [str(i + 1) for i in range(n)],
             "提交答卷时间": [f"2026/3/{1 + i % 28} {10 + i % 8}:{i % 60:02d}:{i % 47:02d}" for i in range(n)],
             "所用时间": [f"{v}秒" for v in RNG.integers(100, 900, n)], "来源": RNG.choice(["微信", "手机提交"], n),
             "手机号码": [f"138{RNG.integers(10**7, 10**8)}" for _ in range(n)]}
    texts = [f"服务{j}做得好" for j in range(1, items + 1)]
    traits = RNG.normal(0, 1.2, (2, n))
    for j, text in enumerate(texts, 1):
        frame[f"{j}、{text}（期望）"] = answers(3, n=n, trait=traits[0] / 2)
    for j, text in enumerate(texts, 1):
        frame[f"{items + j}、{text}（实际感受）"] = answers(n=n, trait=traits[1])
    frame[f"{2 * items + 1}、您的性别"] = RNG.choice(["男", "女"], n)
    pd.DataFrame(frame).to_csv(path, index=False, encoding="gb18030")
    return path


def qualtrics(path: Path, n: int = N, items: int = 3) -> Path:
    """UTF-16, Qualtrics' three header rows, E1..Ek and P1..Pk codes."""
    traits = RNG.normal(0, 1.2, (2, n))
    frame = pd.DataFrame({"ResponseId": [f"R_{i:05d}" for i in range(n)],
                          "Duration (in seconds)": [str(v) for v in RNG.integers(100, 900, n)],
                          **{f"E{j}": answers(3, n=n, trait=traits[0] / 2) for j in range(1, items + 1)},
                          **{f"P{j}": answers(n=n, trait=traits[1]) for j in range(1, items + 1)},
                          "Q_branch": RNG.choice(["North", "South", "East"], n)})
    questions = [f"Question {c}" for c in frame.columns]
    ids = ['"{""ImportId"":""QID' + str(i) + '""}"' for i in range(len(frame.columns))]
    text = ",".join(frame.columns) + "\n" + ",".join(questions) + "\n" + ",".join(ids) + "\n" + frame.to_csv(index=False, header=False)
    path.write_text(text, encoding="utf-16")
    return path


def surveymonkey(path: Path) -> Path:
    """SurveyMonkey: a question row whose matrix questions span their columns (blank cells), then a
    sub-answer row; expectations and perceptions as two matrix questions."""
    aspects = ["Modern equipment", "Polite staff", "Prompt service"]
    questions = ["Respondent ID", "Collector ID", "Expectations: an excellent telecom hall would have", "", "",
                 "Perceptions: this hall has", "", "", "Which hall did you visit?"]
    answers_row = ["", "", *aspects, *aspects, "Response"]
    columns = [[str(100000 + i) for i in range(N)], ["4321"] * N, answers(4), answers(4), answers(4), answers(), answers(),
               answers(), list(RNG.choice(["North", "South"], N))]
    body = pd.DataFrame(dict(enumerate(columns))).to_csv(index=False, header=False)
    path.write_text(",".join(questions) + "\n" + ",".join(answers_row) + "\n" + body, encoding="utf-8")
    return path


def tencent(path: Path) -> Path:
    """腾讯问卷: UTF-8 with BOM, its own columns first, pairs of 期望 and 实际 per item, durations as
    clock time."""
    frame = {"编号": [str(i + 1) for i in range(N)], "开始答题时间": [f"2026-03-{1 + i % 28:02d} 09:{i:02d}" for i in range(N)],
             "答题时长": [f"00:{4 + i % 5:02d}:{i % 60:02d}" for i in range(N)]}
    for j, text in enumerate(["大厅环境整洁", "员工态度友好", "排队时间短"], 1):
        frame[f"Q{j} {text} 期望分"] = answers(3)
        frame[f"Q{j} {text} 实际分"] = answers()
    frame["您的年龄段"] = RNG.choice(["18-30", "31-50", "51+"], N)
    pd.DataFrame(frame).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def unmarked_pairs(path: Path) -> Path:
    """Headers that say nothing: Q1..Q6, expectation and perception alternating."""
    frame = pd.DataFrame({"id": [f"{i}" for i in range(N)], **{f"Q{j}": answers() for j in range(1, 7)}})
    frame.to_csv(path, index=False)
    return path


def standardized(path: Path, n: int = N, items: int = 6) -> Path:
    """Perceptions as z scores (a public data set of standardized scores), no id column."""
    trait = RNG.normal(0, 1, (n, 1))
    scores = (trait + RNG.normal(0, 0.7, (n, items))).round(4)
    pd.DataFrame(scores, columns=[f"P{j}" for j in range(1, items + 1)]).to_csv(path, index=False)
    return path


EXPORTS = {
    "korean_kiosk": (korean_kiosk, "plain", {"expectation": ["1-1.", "2-1.", "3-1."], "perception": ["1-2.", "2-2.", "3-2."],
                                             "importance_items": ["1-3.", "2-3.", "3-3."]},
                     {"respondent_id": "응답자 ID", "duration": "소요 시간(초)", "segments": ["이용 여부"],
                      "personal_data": ["이름"]}),
    "wenjuanxing": (wenjuanxing, "plain", {"expectation": ["1、", "2、", "3、", "4、"], "perception": ["5、", "6、", "7、", "8、"]},
                    {"respondent_id": "序号", "duration": "所用时间", "segments": ["来源", "9、您的性别"],
                     "personal_data": ["手机号码"]}),
    "qualtrics": (qualtrics, "qualtrics", {"expectation": ["E1", "E2", "E3"], "perception": ["P1", "P2", "P3"]},
                  {"respondent_id": "ResponseId", "duration": "Duration (in seconds)", "segments": ["Q_branch"],
                   "personal_data": []}),
    "surveymonkey": (surveymonkey, "surveymonkey",
                     {"expectation": ["Expectations", "Expectations", "Expectations"],
                      "perception": ["Perceptions", "Perceptions", "Perceptions"]},
                     {"respondent_id": "Respondent ID", "duration": "", "segments": ["Which hall did you visit?"],
                      "personal_data": []}),
    "tencent": (tencent, "plain", {"expectation": ["Q1 ", "Q2 ", "Q3 "], "perception": ["Q1 ", "Q2 ", "Q3 "]},
                {"respondent_id": "编号", "duration": "答题时长", "segments": ["您的年龄段"], "personal_data": []}),
    "unmarked_pairs": (unmarked_pairs, "plain", {"expectation": ["Q1", "Q3", "Q5"], "perception": ["Q2", "Q4", "Q6"]},
                       {"respondent_id": "id", "duration": "", "segments": [], "personal_data": []}),
}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_proposal_places_every_column(tmp_path, name):
    make, layout, measures, columns = EXPORTS[name]
    raw = read_survey(make(tmp_path / f"{name}.csv"), export_format=layout)
    proposal = propose_mapping(raw)
    assert {m: [h[: len(p)] for h, p in zip(hs, measures[m])] for m, hs in proposal.measures.items()} == measures
    assert {"respondent_id": proposal.respondent_id, "duration": proposal.duration, "segments": proposal.segments,
            "personal_data": proposal.personal_data} == columns
    expected_unplaced = {"wenjuanxing": ["提交答卷时间"], "surveymonkey": ["Collector ID"],
                         "tencent": ["开始答题时间"]}.get(name, [])
    assert proposal.unplaced == expected_unplaced


@pytest.mark.parametrize("name", list(EXPORTS))
def test_pasted_proposal_cleans_the_export_as_it_is(tmp_path, name, capsys):
    make, layout, _, _ = EXPORTS[name]
    path = make(tmp_path / f"{name}.csv")
    main([str(path), "--export-format", layout])
    proposed = yaml.safe_load(capsys.readouterr().out)
    instrument = proposed["instrument"]
    instrument["items"] = [{**item, "dimension": "service"} for item in instrument["items"]]
    instrument |= {"scale": {"min": 1, "max": 7, "integer": True}, "dimensions": [{"id": "service"}]}
    columns = {**proposed["columns"], "personal_data_action": "drop"}
    before = path.read_bytes()
    study = instrument_from_config(instrument, proposed["measures"], proposed["outcomes"])
    result = clean_survey(read_survey(path, export_format=layout), study,
                          columns, options(attention_checks=[], speeders={"enabled": False, "min_seconds": None,
                                                                             "min_median_fraction": None}), b"salt")
    assert len(result.responses) + len(result.exclusions) == N
    assert path.read_bytes() == before
    assert {f"E_q{k}" for k in range(1, 4)} <= set(result.responses.columns)
    assert {f"O_{o['id']}_1" for o in proposed["outcomes"]} <= set(result.responses.columns)
    assert len(proposed["outcomes"]) == (2 if name == "korean_kiosk" else 0)


def test_columns_not_placed_are_listed_in_the_yaml(tmp_path):
    raw = read_survey(wenjuanxing(tmp_path / "w.csv"))
    text = proposal_yaml(propose_mapping(raw))
    assert text.endswith("# Columns not placed (add them above where they belong):\n#   提交答卷时间\n")
    assert "1、服务1做得好（期望）" in text  # the header as it is, for the map
