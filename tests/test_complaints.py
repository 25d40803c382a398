"""Complaint logs: reading, validation messages, coding, control limits, Pareto, compliance and
privacy, with reference numbers worked out by hand; and the example's logs reproduced by the
commands in data/raw/README.md."""

from __future__ import annotations

import math
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml
from studies import ROOT

from servqual.complaints import (
    COMPLAINT_COLUMNS,
    DIMENSION_COLUMNS,
    MONTHLY_COLUMNS,
    PROBLEM_COLUMNS,
    RESPONSE_COLUMNS,
    analyse_complaints,
    code_complaints,
    control_limits,
    half_trend,
    pareto,
    triangulate_three,
)
from servqual.complaints_simulate import PLANTED_PHONE, main, simulate_complaints
from servqual.codebook import load_codebook
from servqual.io import SurveyFormatError
from servqual.privacy import pseudonym

CODEBOOK = ROOT / "config/codebook.yaml"
COLUMNS = {f: f for f in ("id", "received", "channel", "branch", "department", "category", "text",
                          "first_response", "resolved", "outcome", "staff")}
PROMISES = {"counter": {"response": 12, "resolution": 72}, "phone": {"response": 72, "resolution": 168}}
HEADER = "id,received,channel,branch,department,category,text,first_response,resolved,outcome,staff,code,phone\n"
# Four complaints whose compliance is worked out by hand in test_response_times_by_hand.
SMALL_LOG = HEADER + (
    "A,2026-03-01 09:00,counter,North,front desk,service,排队太久,2026-03-01 15:00,2026-03-02 09:00,done,N101,queue_wait,13900000001\n"
    "B,2026-03-02 09:00,counter,North,front desk,service,座位太少,2026-03-03 09:00,2026-03-06 09:00,done,N102,,13900000002\n"
    "C,2026-03-30 10:00,phone,East,billing,price,套餐太贵 call 138-0013-8000,,,open,E101,,13900000003\n"
    "D,2026/3/10 10:00,phone,East,billing,billing,N101 said the bill is wrong,2026/3/11 10:00,,open,E102,nonsense,13900000004\n"
)


def write(tmp_path: Path, text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def analyse(path: Path, **options):
    return analyse_complaints(path, CODEBOOK, PROMISES, columns=COLUMNS, salt=b"salt", manual_code="code", **options)


# --------------------------------------------------------------------------- the example's logs


def analyse_example(wave: int):
    """A wave of the example study with the example config's complaint options."""
    o = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))["complaints"]
    return analyse_complaints(ROOT / f"data/raw/wave{wave}/complaints.csv", CODEBOOK, o["promises"],
                              columns=o["columns"], salt=b"salt", manual_code=o["manual_code"],
                              baseline=o["baseline_periods"])


def readme_commands() -> list[list[str]]:
    text = (ROOT / "data/raw/README.md").read_text(encoding="utf-8")
    return [shlex.split(line)[3:] for line in re.findall(r"^python -m servqual\.complaints_simulate .*$", text, re.M)]


@pytest.mark.parametrize("wave", [1, 2])
def test_commands_in_the_data_readme_reproduce_the_example_logs(wave, tmp_path):
    (args,) = [a for a in readme_commands() if a[a.index("--wave") + 1] == str(wave)]
    out = tmp_path / "complaints.csv"
    main([*args[:-1], str(out)])
    assert out.read_bytes() == (ROOT / f"data/raw/wave{wave}/complaints.csv").read_bytes()


def test_example_logs_follow_the_survey_gaps():
    """Many responsiveness and reliability complaints, tangibles complaints despite a gap of 0,
    and in wave 2 fewer responsiveness complaints after the programme."""
    counts = {}
    for wave in (1, 2):
        result = analyse_example(wave)
        counts[wave] = result.by_dimension.set_index("dimension")
        assert len(result.problems) == 5
        assert set(result.complaints["coded_by"]) == {"manual", "keywords", "unmapped"}
    for wave in (1, 2):
        n = counts[wave]["n_complaints"]
        assert n.nlargest(2).index.tolist() in (["responsiveness", "reliability"], ["reliability", "responsiveness"])
        assert n["tangibles"] > n["assurance"] and n["tangibles"] >= 40
    assert counts[2].loc["responsiveness", "trend"] == "falling"
    assert counts[1].loc["responsiveness", "trend"] == "stable"


def test_simulator_is_seeded():
    assert simulate_complaints(1, seed=1).equals(simulate_complaints(1, seed=1))
    assert not simulate_complaints(1, seed=1).equals(simulate_complaints(1, seed=2))


# --------------------------------------------------------------------------- coding


def test_manual_codes_win_then_keywords_then_unmapped():
    book = load_codebook(CODEBOOK)
    texts = pd.Series(["排队等了一个小时", "等候区座位太少", "The bill was wrong and the system failed", "太贵了", "x"])
    manual = pd.Series(["billing_error; waiting_area", "", "", "", "not_a_code"])
    coded = code_complaints(texts, manual, book)
    assert coded["coded_by"].tolist() == ["manual", "keywords", "keywords", "unmapped", "unmapped"]
    # The manual codes win over the text's queue keyword; dimensions come in codebook order.
    assert coded.loc[0, "dimensions"] == "tangibles;reliability"
    assert coded.loc[0, "provider_gaps"] == "2;3"
    assert coded.loc[1, "keywords"] == "座位"
    assert coded.loc[2, ["dimensions", "provider_gaps", "keywords"]].tolist() == ["reliability", "3", "bill;system"]
    assert coded.loc[4, "unknown_codes"] == "not_a_code"


def test_a_keyword_inside_a_longer_word_does_not_code():
    coded = code_complaints(pd.Series(["queueing", "服务员很耐心"]), None, load_codebook(CODEBOOK))
    # "queue" does not fire inside "queueing"; 耐心 (assurance) is a token of its own.
    assert coded["coded_by"].tolist() == ["unmapped", "keywords"]


# --------------------------------------------------------------------------- charts and tables


def test_c_chart_limits_by_hand():
    chart = control_limits(pd.Series([4, 9, 5, 20]))
    centre = 9.5
    assert chart["centre"].eq(centre).all()
    assert chart["ucl"].iloc[0] == pytest.approx(centre + 3 * math.sqrt(centre))  # 18.7468
    assert chart["lcl"].iloc[0] == pytest.approx(centre - 3 * math.sqrt(centre))  # 0.2532
    assert chart["signal"].tolist() == ["", "", "", "above"]
    assert (chart["chart"] == "c").all()


def test_c_chart_lower_limit_is_cut_at_zero_and_baseline_sets_the_centre():
    chart = control_limits(pd.Series([2, 1, 3, 9]), baseline=3)
    assert chart["centre"].iloc[0] == 2 and chart["lcl"].eq(0).all()
    assert chart["ucl"].iloc[0] == pytest.approx(2 + 3 * math.sqrt(2))  # 6.2426
    assert chart["signal"].tolist() == ["", "", "", "above"]


def test_u_chart_limits_by_hand():
    chart = control_limits(pd.Series([2, 6, 40]), pd.Series([100.0, 200.0, 300.0]))
    u = 48 / 600
    assert chart["statistic"].tolist() == pytest.approx([0.02, 0.03, 0.1333], abs=1e-4)
    assert chart["ucl"].tolist() == pytest.approx([u + 3 * math.sqrt(u / n) for n in (100, 200, 300)])
    assert chart["ucl"].iloc[2] == pytest.approx(0.1290, abs=1e-4)
    assert chart["lcl"].iloc[0] == 0 and chart["lcl"].iloc[2] == pytest.approx(0.0310, abs=1e-4)
    assert chart["signal"].tolist() == ["", "", "above"]


def test_pareto_vital_few_reach_the_cut():
    table = pareto(pd.Series(["service"] * 6 + ["price"] * 3 + ["environment"]))
    assert table["category"].tolist() == ["service", "price", "environment"]
    assert table["cumulative_share"].tolist() == pytest.approx([0.6, 0.9, 1.0])
    assert table["vital_few"].tolist() == [True, True, False]


def test_half_trend_is_the_conditional_binomial_test():
    first, second, trend, p = half_trend(pd.Series([30, 28, 31, 12, 10, 11]))
    assert (first, second, trend) == (89, 33, "falling")
    # Equal halves of exposure: two-sided exact binomial p of 33 of 122 at 1/2, by the sum.
    assert p == pytest.approx(2 * sum(math.comb(122, k) for k in range(34)) / 2**122)  # 4.04e-07
    assert half_trend(pd.Series([5, 6, 99, 5, 6]))[:3] == (11, 11, "stable")  # middle period left out


def test_response_times_by_hand(tmp_path):
    result = analyse(write(tmp_path, SMALL_LOG))
    assert result.as_of == pd.Timestamp("2026-03-31 23:59:59")
    table = result.response_times.set_index("channel")
    assert table.columns.tolist() == RESPONSE_COLUMNS[1:]
    counter, phone, everyone = table.loc["counter"], table.loc["phone"], table.loc["all"]
    # Counter: A answered in 6 h (on time), B in 24 h (late; promise 12 h); resolved in 24 h and 96 h.
    assert counter[["response_on_time", "response_late", "response_pending"]].tolist() == [1, 1, 0]
    assert counter["response_share_on_time"] == 0.5
    assert counter["response_median_hours"] == pytest.approx(15)
    assert counter["response_p90_hours"] == pytest.approx(6 + 0.9 * 18)  # 22.2
    assert counter["resolution_median_hours"] == pytest.approx(60)
    assert counter["resolution_share_on_time"] == 0.5
    # Phone: D answered in 24 h but unresolved after the 168 h promise (overdue); C received two
    # days before the end, not answered yet, within its 72 h (pending).
    assert phone[["response_on_time", "response_late", "response_pending"]].tolist() == [1, 0, 1]
    assert phone[["resolution_done", "resolution_late", "resolution_pending"]].tolist() == [0, 1, 1]
    assert phone["resolution_share_on_time"] == 0.0
    assert phone[["open_at_end", "overdue_open"]].tolist() == [2, 1]
    assert everyone["response_share_on_time"] == pytest.approx(2 / 3)
    assert everyone[["n", "open_at_end", "overdue_open"]].tolist() == [4, 2, 1]


def test_every_table_has_its_columns_and_unmapped_complaints_are_counted(tmp_path):
    result = analyse(write(tmp_path, SMALL_LOG))
    assert result.complaints.columns.tolist() == COMPLAINT_COLUMNS
    assert result.monthly.columns.tolist() == MONTHLY_COLUMNS
    assert result.by_dimension.columns.tolist() == DIMENSION_COLUMNS
    assert result.problems.columns.tolist() == PROBLEM_COLUMNS
    by_dim = result.by_dimension.set_index("dimension")["n_complaints"]
    assert by_dim["(unmapped)"] == 1 and by_dim["responsiveness"] == 1 and by_dim["reliability"] == 1
    coded_by = result.complaints.set_index("complaint")["coded_by"]
    assert coded_by.to_dict() == {"A": "manual", "B": "keywords", "C": "unmapped", "D": "keywords"}
    total = result.monthly[result.monthly["level"] == "all"]
    assert total[["period", "count"]].to_numpy().tolist() == [["2026-03", 4]]


def test_empty_months_count_as_zero(tmp_path):
    log = SMALL_LOG + "E,2026-05-02 09:00,counter,North,front desk,service,座位太少,,,open,N101,,1\n"
    monthly = analyse(write(tmp_path, log)).monthly
    total = monthly[monthly["level"] == "all"].set_index("period")["count"]
    assert total.to_dict() == {"2026-03": 4, "2026-04": 0, "2026-05": 1}


def test_exposure_gives_a_u_chart_per_branch(tmp_path):
    lines = SMALL_LOG.splitlines()
    log = "\n".join([lines[0] + ",visits", *[line + ",1000" for line in lines[1:]]]) + "\n"
    result = analyse(write(tmp_path, log), exposure="visits")
    monthly = result.monthly
    assert (monthly["chart"] == "u").all()
    # North and East each had 1000 visits in March: the total is 2000, each branch its own.
    assert monthly.loc[monthly["level"] == "all", "exposure"].tolist() == [2000]
    assert monthly.loc[monthly["level"] == "branch", "exposure"].tolist() == [1000, 1000]
    assert monthly.loc[monthly["level"] == "all", "statistic"].tolist() == [0.002]


# --------------------------------------------------------------------------- bad input


def problem_rows(result) -> list[tuple[int, str, str]]:
    return list(zip(result.problems["line"], result.problems["column"], result.problems["problem"], strict=True))


def test_each_fault_is_reported_with_its_line_and_column(tmp_path):
    log = SMALL_LOG.replace("2026-03-01 15:00", "2026-02-30 15:00")  # A: no such day
    log = log.replace("2026-03-03 09:00", "2026-03-01 09:00")  # B: answered before receipt
    log = log.replace("C,", "A,")  # C's id repeats A's
    log = log.replace("D,2026/3/10 10:00,phone", ",2026/3/10 10:00,fax")  # D: no id, unknown channel
    result = analyse(write(tmp_path, log))
    assert problem_rows(result) == [
        (2, "id", "duplicated complaint id (lines 2, 4)"),
        (2, "first_response", "timestamp does not parse"),
        (3, "first_response", "first_response before receipt"),
        (4, "id", "duplicated complaint id (lines 2, 4)"),
        (5, "id", "missing complaint id"),
        (5, "channel", "channel has no promise in complaints.promises"),
        (5, "code", "code not in the codebook"),
    ]
    # Nothing is repaired: every complaint stays, the faulty times are left out of the statistics.
    complaints = result.complaints.set_index("line")
    assert len(complaints) == 4
    assert pd.isna(complaints.loc[2, "first_response"]) and complaints.loc[2, "response_status"] == ""
    assert pd.isna(complaints.loc[3, "response_hours"]) and complaints.loc[3, "response_status"] == ""
    assert "first_response before receipt" in complaints.loc[3, "problems"]


def test_problem_values_are_as_written_in_the_log(tmp_path):
    log = SMALL_LOG.replace("2026-03-01 15:00", "yesterday")
    problems = analyse(write(tmp_path, log)).problems
    assert problems.loc[problems["problem"] == "timestamp does not parse", "value"].tolist() == ["yesterday"]


def test_a_missing_column_names_the_file_the_column_and_the_config_key(tmp_path):
    path = write(tmp_path, SMALL_LOG.replace("first_response,", "first_reply,", 1))
    with pytest.raises(SurveyFormatError, match=r"log\.csv: complaint log lacks column\(s\) 'first_response' "
                                                r"\(complaints\.columns\.first_response\)"):
        analyse(path)
    with pytest.raises(SurveyFormatError, match=r"'visits' \(complaints\.exposure\)"):
        analyse(write(tmp_path, SMALL_LOG), exposure="visits")


def test_an_unknown_field_in_the_column_map_is_named(tmp_path):
    with pytest.raises(ValueError, match="unknown field.*phone"):
        analyse_complaints(write(tmp_path, SMALL_LOG), CODEBOOK, PROMISES, columns={**COLUMNS, "phone": "phone"},
                           salt=b"s")


def test_structural_faults_of_the_file_name_the_line(tmp_path):
    path = write(tmp_path, SMALL_LOG + "E,2026-03-05 09:00,counter\n")
    with pytest.raises(SurveyFormatError, match=r"log\.csv.*line 6"):
        analyse(path)
    with pytest.raises(SurveyFormatError, match="empty"):
        analyse(write(tmp_path, "", name="empty.csv"))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_chinese_excel_encodings_and_xlsx_read_the_same(tmp_path, encoding):
    expected = analyse(write(tmp_path, SMALL_LOG)).complaints
    again = analyse(write(tmp_path, SMALL_LOG, name=f"{encoding}.csv", encoding=encoding)).complaints
    pd.testing.assert_frame_equal(again, expected)
    frame = pd.read_csv(write(tmp_path, SMALL_LOG), dtype=str, keep_default_na=False)
    frame.to_excel(tmp_path / "log.xlsx", index=False)
    pd.testing.assert_frame_equal(analyse(tmp_path / "log.xlsx").complaints, expected)


# --------------------------------------------------------------------------- privacy


def test_staff_ids_are_pseudonymised_texts_masked_and_other_columns_not_read(tmp_path):
    complaints = analyse(write(tmp_path, SMALL_LOG)).complaints
    flat = complaints.astype(str).to_csv()
    assert "138-0013-8000" not in flat and "[phone]" in flat
    assert not any(f"1390000000{i}" in flat for i in range(1, 5))  # the customer phone column
    for staff in ("N101", "N102", "E101", "E102"):
        assert staff not in flat
    by_id = complaints.set_index("complaint")
    assert by_id.loc["A", "staff"] == pseudonym("N101", b"salt", prefix="S")
    # A text naming a staff id gets that person's pseudonym.
    assert by_id.loc["D", "text"] == f"{pseudonym('N101', b'salt', prefix='S')} said the bill is wrong"


def test_the_planted_phone_of_the_example_is_masked():
    result = analyse_example(1)
    assert PLANTED_PHONE not in result.complaints.to_csv()
    assert result.complaints["text"].str.contains(r"联系电话\[phone\]").sum() == 1


# --------------------------------------------------------------------------- three sources


@pytest.mark.parametrize(("survey", "interviews", "share", "expected"), [
    ("negative", "problems dominate", 0.30, "agreement"),
    ("not significant", "strengths dominate", 0.02, "agreement"),
    ("not significant", "mixed", 0.11, "dissonance"),  # tangibles in the example
    ("negative", "strengths dominate", 0.30, "dissonance"),
    ("negative", "mixed", 0.30, "partial agreement"),
    ("negative", "none", 0.0, "silence"),
    ("negative", "none", 0.2, "agreement"),  # complaints speak where the interviews are silent
    ("negative", "problems dominate", 0.05, "agreement"),  # few complaints are silence, not praise
])
def test_three_source_convergence(survey, interviews, share, expected):
    tri = pd.DataFrame({"dimension": ["d"], "survey_signal": [survey], "interview_signal": [interviews]})
    complaints = pd.DataFrame({"dimension": ["d"], "n_complaints": [int(share * 100)], "share": [share],
                               "trend": ["stable"], "example": ["x"]})
    out = triangulate_three(tri, complaints)
    assert out.loc[0, "convergence_all"] == expected
    assert out.loc[0, "readings"].startswith("survey: ")


def test_first_contact_answers_are_read_and_an_unknown_one_is_a_problem(tmp_path):
    log = SMALL_LOG.replace(",code,phone\n", ",code,phone,fcr\n")
    lines = log.splitlines()
    answers = ["是", "no", "", "maybe"]
    log = "\n".join([lines[0], *[f"{line},{a}" for line, a in zip(lines[1:], answers)]]) + "\n"
    result = analyse_complaints(write(tmp_path, log), CODEBOOK, PROMISES, columns={**COLUMNS, "first_contact": "fcr"},
                                salt=b"salt", manual_code="code")
    assert result.complaints["first_contact"].tolist() == [True, False, pd.NA, pd.NA]
    (problem,) = result.problems[result.problems["column"] == "fcr"].to_dict("records")
    assert problem["line"] == 5 and problem["value"] == "maybe" and problem["problem"].startswith("first-contact answer")
    # A log without the column, unmapped as by default, records nothing.
    assert analyse(write(tmp_path, SMALL_LOG, "plain.csv")).complaints["first_contact"].isna().all()


def test_the_example_logs_record_first_contact_resolution():
    settled = analyse_example(2).complaints["first_contact"]
    assert settled.notna().all() and 0.3 < settled.mean() < 0.5
