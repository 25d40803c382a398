"""Cleaning rules, their order and switches, scoring, privacy, outputs and row conservation.

Surveys are the small valid export of test_io.py (data rows on lines 2..) with planted faults.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_io import COLUMNS, INSTRUMENT, options, small_survey

from servqual.cleaning import RULE_ORDER, CleaningError, clean_survey, longest_run, provenance, write_outputs
from servqual.instrument import Scale, instrument_from_config
from servqual.reliability import reliability_tables
from servqual.io import SurveyFormatError, read_survey
from servqual.privacy import Salt, pseudonym, pseudonymise

SALT = b"test-salt"


def clean(frame: pd.DataFrame, tmp_path: Path, columns: dict | None = None, salt: bytes = SALT, **changes: object):
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    raw = read_survey(path)
    return raw, clean_survey(raw, INSTRUMENT, columns or COLUMNS, options(**changes), salt)


def excluded(result) -> dict[int, str]:
    return dict(zip(result.exclusions["line"], result.exclusions["rule"], strict=True))


def test_valid_survey_keeps_everyone(tmp_path: Path) -> None:
    _, result = clean(small_survey(), tmp_path)
    assert len(result.responses) == 12 and result.exclusions.empty
    assert result.summary["step"].tolist() == ["read", *["excluded"] * 8, "kept", *["cells"] * 4]


@pytest.mark.parametrize(
    ("cells", "rule", "detail"),
    [
        ({"id": {3: "S001"}}, "duplicate_id", "respondent id first used at line 3"),
        ({"attention": {3: "2"}}, "attention_check", "attention check failed: attention not 4"),
        ({"attention": {3: ""}}, "attention_check", "attention check failed: attention not 4"),
        ({"secs": {3: "100"}}, "speeder", "duration 100 s < 152 s (max of 120 s and 0.3 x median 506 s)"),
        ({"E1": {3: ""}, "E2": {3: "99"}}, "too_many_missing", "expectation: 2 of 3 items missing (max share 0.2)"),
        ({"P1": {3: "5"}, "P2": {3: "5"}, "P3": {3: "5"}}, "straightlining", "same answer to all 3 items of perception; also: long_string"),
        ({"P1": {3: "5"}, "P2": {3: "5"}, "P3": {3: "1"}}, "long_string", "long string: 2 identical answers in a row in perception (max 1)"),
    ],
)
def test_each_rule_excludes_with_its_detail(tmp_path: Path, cells: dict, rule: str, detail: str) -> None:
    frame = small_survey()
    for column, values in cells.items():
        for row, value in values.items():
            frame.loc[row, column] = value
    # The survey's perception answers never repeat an item's neighbour, so runs of 2 are planted only.
    changes = {"long_string": {"enabled": True, "measures": ["perception"], "max_run": 1}} if rule == "long_string" else {}
    _, result = clean(frame, tmp_path, duplicate_responses=False, **changes)
    row = result.exclusions.loc[result.exclusions["line"] == 5]
    assert row["rule"].tolist() == [rule] and row["detail"].tolist() == [detail]
    assert len(result.exclusions) == 1


def test_blank_ids_are_not_duplicates(tmp_path: Path) -> None:
    frame = small_survey()
    frame.loc[[2, 5], "id"] = ""
    _, result = clean(frame, tmp_path)
    assert result.exclusions.empty
    assert result.responses.loc[[2, 5], "respondent"].tolist() == ["row4", "row7"]


def test_duplicate_response_vector_names_first_line(tmp_path: Path) -> None:
    frame = small_survey()
    answers = [c for c in frame if c[:1] in "EP" or c.startswith("imp") or c == "overall"]
    frame.loc[7, answers] = frame.loc[2, answers].to_numpy()
    _, result = clean(frame, tmp_path)
    assert result.exclusions[["line", "rule", "detail"]].values.tolist() == [[9, "duplicate_responses", "same answers as line 4"]]


def test_first_rule_counts_and_others_are_listed(tmp_path: Path) -> None:
    frame = small_survey()
    frame.loc[4, ["id", "attention", "secs"]] = ["S000", "1", "30"]
    frame.loc[4, ["P1", "P2", "P3"]] = "6"
    _, result = clean(frame, tmp_path)
    assert result.exclusions[["line", "rule"]].values.tolist() == [[6, "duplicate_id"]]
    assert result.exclusions["detail"].item().endswith("; also: attention_check, speeder, straightlining, long_string")
    assert result.summary.set_index("rule").loc["duplicate_id", "n"] == 1


@pytest.mark.parametrize(
    "switch",
    [
        {"duplicate_ids": False},
        {"attention_checks": []},
        {"speeders": {"enabled": False, "min_seconds": 120, "min_median_fraction": 0.3}},
        {"max_missing_share": None},
        {"straightlining": {"enabled": False, "measures": ["perception"]}},
        {"long_string": {"enabled": False, "measures": ["perception"], "max_run": 1}},
    ],
)
def test_each_rule_can_be_switched_off(tmp_path: Path, switch: dict) -> None:
    frame = small_survey()
    frame.loc[4, ["id", "attention", "secs", "E1", "E2"]] = ["S000", "1", "30", "", ""]
    frame.loc[4, ["P1", "P2", "P3"]] = "6"
    _, result = clean(frame, tmp_path, **switch)
    switched = {
        "duplicate_ids": "duplicate_id",
        "attention_checks": "attention_check",
        "speeders": "speeder",
        "max_missing_share": "too_many_missing",
        "straightlining": "straightlining",
        "long_string": "long_string",
    }[next(iter(switch))]
    assert switched not in result.summary["rule"].tolist()
    assert switched not in result.exclusions["detail"].item()


def test_speeder_limits_can_be_absolute_or_relative_only(tmp_path: Path) -> None:
    frame = small_survey()
    frame.loc[3, "secs"] = "130"
    only_median = {"enabled": True, "min_seconds": None, "min_median_fraction": 0.3}
    assert excluded(clean(frame, tmp_path, speeders=only_median)[1]) == {5: "speeder"}
    only_seconds = {"enabled": True, "min_seconds": 120, "min_median_fraction": None}
    assert excluded(clean(frame, tmp_path, speeders=only_seconds)[1]) == {}


def test_out_of_range_set_missing_or_exclude(tmp_path: Path) -> None:
    frame = small_survey()
    frame.loc[3, "E1"] = "8"
    frame.loc[6, "P2"] = "4.5"
    frame.loc[8, "imp_x"] = "120"
    raw, result = clean(frame, tmp_path, max_missing_share=None)
    assert result.exclusions.empty
    assert result.responses.loc[[3, 6, 8], ["E_x1", "P_x2", "I_x"]].isna().to_numpy().sum() == 3
    cells = result.summary.set_index("rule")
    assert cells.loc["values outside the scale set missing", ["n", "detail"]].tolist() == [2, "E_x1 (1), I_x (1)"]
    between = "values between the points of an integer scale set missing"
    assert cells.loc[between, ["n", "detail"]].tolist() == [1, "P_x2 (1)"]
    _, result = clean(frame, tmp_path, out_of_range="exclude", max_missing_share=None, importance_sum={"action": "exclude", "tolerance": 0})
    assert result.exclusions["detail"].tolist() == [
        "outside the scale: E_x1=8",
        "outside the scale: P_x2=4.5",
        "outside the scale: I_x=120; also: importance_sum",
    ]
    assert result.exclusions["line"].tolist() == [5, 8, 10]


def test_rows_without_any_answer_are_empty_not_duplicates(tmp_path: Path) -> None:
    frame = small_survey()
    answers = [c for c in frame if c[:1] in "EP" or c.startswith("imp") or c == "overall"]
    frame.loc[[3, 7], answers] = ""
    frame.loc[7, "E1"] = "N/A"
    _, result = clean(frame, tmp_path)
    assert excluded(result) == {5: "empty", 9: "empty"}
    assert result.exclusions["detail"].iloc[0] == "no answer in any of the 9 measure columns; also: too_many_missing"
    _, result = clean(frame, tmp_path, empty_responses=False, max_missing_share=None)
    assert excluded(result) == {9: "duplicate_responses"}


def test_every_rule_switched_off_keeps_every_row(tmp_path: Path) -> None:
    frame = small_survey()
    frame.loc[4, ["id", "attention", "secs"]] = ["S000", "1", "30"]
    off = dict(
        empty_responses=False, duplicate_ids=False, duplicate_responses=False, attention_checks=[],
        speeders={"enabled": False, "min_seconds": 120, "min_median_fraction": 0.3}, max_missing_share=None,
        straightlining={"enabled": False, "measures": ["perception"]},
        long_string={"enabled": False, "measures": ["perception"], "max_run": 1},
        importance_sum={"action": "off", "tolerance": 0},
    )
    _, result = clean(frame, tmp_path, **off)
    assert len(result.responses) == 12 and result.exclusions.empty
    assert result.summary["step"].tolist() == ["read", "kept", "cells", "cells"]


def test_rules_switched_on_that_cannot_apply_are_in_the_flow(tmp_path: Path) -> None:
    columns = {**COLUMNS, "duration": "", "respondent_id": ""}
    _, result = clean(small_survey(), tmp_path, columns=columns)
    unapplied = result.summary[result.summary["step"] == "not_applied"]
    assert unapplied[["rule", "n"]].values.tolist() == [["duplicate_id", 12], ["speeder", 12]]
    assert unapplied["detail"].tolist() == [
        "no respondent id column is configured in columns.respondent_id",
        "no duration column is configured in columns.duration",
    ]


def test_decimals_on_an_integer_scale_are_named_when_nobody_is_left(tmp_path: Path) -> None:
    frame = small_survey()
    for j, column in enumerate(("E1", "E2", "E3")):
        frame[column] = [f"{(i + j) % 6 + 1}.5" for i in range(len(frame))]  # on the scale, between its points
    with pytest.raises(CleaningError, match=r"too_many_missing 12; 36 values between the points of an integer "
                       r"scale set missing: E_x1 \(12\), E_x2 \(12\), E_y1 \(12\)\)$"):
        clean(frame, tmp_path)


def test_missing_codes_are_matched_on_trimmed_text(tmp_path: Path) -> None:
    frame = small_survey()
    frame.loc[1, "E1"] = " 99 "
    frame.loc[2, "P1"] = "不适用"
    frame.loc[3, "imp_x"] = "99.0"
    _, result = clean(frame, tmp_path, max_missing_share=None, importance_sum={"action": "off", "tolerance": 0})
    assert np.isnan(result.responses.loc[1, "E_x1"])
    assert np.isnan(result.responses.loc[2, "P_x1"])
    assert result.responses.loc[3, "I_x"] == 99.0


@pytest.mark.parametrize("action", ["rescale", "exclude", "off"])
def test_importance_points_not_summing_to_100(tmp_path: Path, action: str) -> None:
    frame = small_survey()
    frame.loc[2, ["imp_x", "imp_y"]] = ["30", "30"]
    frame.loc[5, ["imp_x", "imp_y"]] = ["0", "0"]
    _, result = clean(frame, tmp_path, importance_sum={"action": action, "tolerance": 0})
    points = result.responses[["I_x", "I_y"]]
    if action == "rescale":
        assert points.loc[2].tolist() == [50.0, 50.0] and points.loc[5].isna().all()
        cells = result.summary.set_index("rule")["n"]
        assert (cells["importance points rescaled to 100"], cells["importance points set missing (sum 0)"]) == (1, 1)
    elif action == "exclude":
        assert excluded(result) == {4: "importance_sum", 7: "importance_sum"}
        assert result.exclusions["detail"].tolist() == ["importance points sum to 60", "importance points sum to 0"]
    else:
        assert points.loc[2].tolist() == [30.0, 30.0] and result.exclusions.empty


@given(st.lists(st.integers(1, 7), min_size=1, max_size=30), st.integers(1, 5), st.integers(0, 6))
def test_reverse_scoring_twice_is_identity(values: list[int], low: int, width: int) -> None:
    scale = Scale(low, low + width)
    x = pd.Series(np.clip(values, scale.min, scale.max), dtype=float)
    pd.testing.assert_series_equal(scale.reverse(scale.reverse(x)), x)


def test_reverse_keyed_item_scored_but_rules_see_raw_answers(tmp_path: Path) -> None:
    frame = small_survey()
    frame.loc[3, ["E1", "E2", "E3"]] = "2"
    both = {"enabled": True, "measures": ["expectation", "perception"]}
    _, result = clean(frame, tmp_path, duplicate_responses=False, straightlining=both)
    assert excluded(result) == {5: "straightlining"}
    assert result.responses.loc[0, "E_x2"] == 8 - int(frame.loc[0, "E2"])
    assert result.responses.loc[0, "E_x1"] == int(frame.loc[0, "E1"])


def test_longest_run_matches_a_loop() -> None:
    block = np.random.default_rng(5).integers(1, 4, (200, 9)).astype(float)
    block[block == 3] = np.nan
    expected = []
    for row in block:
        best = run = 0
        for j, value in enumerate(row):
            run = 0 if np.isnan(value) else run + 1 if j and value == row[j - 1] else 1
            best = max(best, run)
        expected.append(best)
    assert longest_run(block).tolist() == expected


def test_declared_free_text_carried_undeclared_columns_and_personal_data_never(tmp_path: Path) -> None:
    frame = small_survey()
    frame["email"] = [f"user{i}@example.com" for i in range(12)]
    frame.loc[[2, 3], "id"] = "S000"
    columns = {**COLUMNS, "personal_data": ["name", "phone", "email"], "free_text": ["note"]}
    raw, result = clean(frame, tmp_path, columns=columns)
    assert "note" in result.responses.columns
    assert result.responses["note"].tolist() == [f"comment {i}" for i in range(12) if i not in (2, 3)]
    # The attention check is used by the cleaning, but neither a measure, a segment nor declared text.
    assert not {"name", "phone", "email", "id", "secs", "attention"} & set(result.responses.columns)
    paths = {name: tmp_path / f"out.{name}" for name in ("responses", "exclusions", "cleaning_summary", "provenance")}
    write_outputs(result, paths, provenance(raw, result, {"columns": columns}))
    written = pd.read_parquet(paths["responses"]).to_csv() + "".join(paths[n].read_text(encoding="utf-8") for n in ("exclusions", "cleaning_summary", "provenance"))
    for value in pd.concat([frame["name"], frame["phone"], frame["email"], frame["id"]]):
        assert value not in written


def test_pseudonymised_personal_data(tmp_path: Path) -> None:
    columns = {**COLUMNS, "personal_data_action": "pseudonymise"}
    _, result = clean(small_survey(), tmp_path, columns=columns)
    assert result.responses["name_pseudonym"].str.fullmatch(r"P[0-9a-f]{16}").all()
    assert result.responses["respondent"].str.fullmatch(r"R[0-9a-f]{16}").all()
    # A study begun under scheme 1 keeps its 48-bit pseudonyms.
    _, earlier = clean(small_survey(), tmp_path, columns=columns, salt=Salt(SALT, 1))
    assert earlier.responses["respondent"].str.fullmatch(r"R[0-9a-f]{12}").all()
    assert (earlier.responses["respondent"] == result.responses["respondent"].str[:13]).all()


@settings(max_examples=60, deadline=None)
@given(
    salt=st.binary(max_size=150),  # shorter than, equal to and longer than SHA-256's 64-byte block
    values=st.lists(st.text(max_size=30).filter(lambda text: text.strip()), min_size=1, max_size=5),
)
def test_column_pseudonyms_are_the_standard_hmac_of_each_value(salt: bytes, values: list[str]) -> None:
    expected = ["R" + hmac.new(salt, v.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:16] for v in values]
    assert pseudonymise(pd.Series(values), salt).tolist() == expected
    assert [pseudonym(v, salt) for v in values] == expected


def test_outputs_are_typed_and_provenance_complete(tmp_path: Path) -> None:
    raw, result = clean(small_survey(), tmp_path)
    types = result.responses.dtypes
    assert (types["line"], types["duration"], types["E_x1"], types["branch"].name) == ("int64", "float64", "float64", "category")
    paths = {name: tmp_path / f"out.{name}" for name in ("responses", "exclusions", "cleaning_summary", "provenance")}
    write_outputs(result, paths, provenance(raw, result, {"cleaning": options()}))
    record = json.loads(paths["provenance"].read_text(encoding="utf-8"))
    assert record["raw"]["sha256"] == raw.sha256 and record["raw"]["bytes"] == raw.size
    assert (record["raw"]["encoding"], record["raw"]["reader"]) == ("utf-8", "csv")
    assert record["counts"] == {"read": 12, "kept": 12, "excluded": 0}
    assert record["config"]["cleaning"]["missing_codes"] == options()["missing_codes"]
    assert list(pd.read_csv(paths["exclusions"]).columns) == ["respondent", "line", "rule", "detail"]
    assert list(pd.read_csv(paths["cleaning_summary"]).columns) == ["step", "rule", "n", "detail"]


def test_no_partial_outputs_after_a_failure(tmp_path: Path) -> None:
    raw, result = clean(small_survey(), tmp_path)
    paths = {name: tmp_path / f"out.{name}" for name in ("responses", "exclusions", "cleaning_summary", "provenance")}
    with pytest.raises(TypeError):
        write_outputs(result, paths, {"not serialisable": object()})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv"]


# -- properties ------------------------------------------------------------------------------------
NUMERIC_FAULT = st.tuples(
    st.integers(0, 19),
    st.sampled_from(["E1", "P2", "P3", "imp_x", "secs", "attention"]),
    st.sampled_from(["", "99", "8", "0", "30", "1", "5", "N/A"]),
)
ID_FAULT = st.tuples(st.integers(0, 19), st.just("id"), st.sampled_from(["", "S000", "S001"]))
FAULTS = st.lists(st.one_of(NUMERIC_FAULT, ID_FAULT), max_size=25)


def planted(faults: list[tuple[int, str, str]]) -> pd.DataFrame:
    frame = small_survey(20)
    for row, column, value in faults:
        frame.loc[row, column] = value
    return frame


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(FAULTS, st.sampled_from(["set_missing", "exclude"]))
def test_rows_are_conserved(tmp_path: Path, faults: list, out_of_range: str) -> None:
    raw, result = clean(planted(faults), tmp_path, out_of_range=out_of_range, importance_sum={"action": "exclude", "tolerance": 0})
    flow = result.summary.set_index("step")["n"]
    assert flow["read"] == len(raw.frame) == flow["kept"] + flow["excluded"].sum()
    assert result.exclusions["line"].is_unique
    assert set(result.exclusions["rule"]) <= set(RULE_ORDER)
    assert sorted([*result.responses["line"], *result.exclusions["line"]]) == raw.line.tolist()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(FAULTS, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_column_order(tmp_path: Path, faults: list, random) -> None:
    frame = planted(faults)
    order = list(frame.columns)
    random.shuffle(order)
    _, first = clean(frame, tmp_path)
    _, second = clean(frame[order], tmp_path)
    pd.testing.assert_frame_equal(first.exclusions, second.exclusions)
    pd.testing.assert_frame_equal(first.summary, second.summary)
    columns = sorted(first.responses.columns)
    pd.testing.assert_frame_equal(first.responses[columns], second.responses[columns])


def test_na_and_dot_are_missing_by_default_and_study_codes_add_to_them(tmp_path: Path) -> None:
    """'NA' (as R writes it) and '.' (SPSS) were read as text faults, and a study's own
    missing_codes replaced the defaults instead of adding to them."""
    frame = small_survey()
    frame.loc[1, "E1"], frame.loc[2, "P1"], frame.loc[3, "E2"] = "NA", ".", "-9"
    _, result = clean(frame, tmp_path, max_missing_share=None, missing_codes=["-9"])
    assert result.responses.loc[[1, 2, 3], ["E_x1", "P_x1", "E_x2"]].isna().to_numpy().diagonal().all()
    with pytest.raises(SurveyFormatError, match="NA"):
        clean(frame, tmp_path, max_missing_share=None, missing_codes=["-9"], missing_codes_replace=True)


def test_missing_codes_apply_to_segments(tmp_path: Path) -> None:
    frame = small_survey()
    frame.loc[[0, 3], "branch"] = ["NA", "不适用"]
    _, result = clean(frame, tmp_path, missing_codes=["不适用"])
    assert result.responses.loc[[0, 3], "branch"].isna().all()
    assert set(result.responses["branch"].cat.categories) == {"北区", "Central"}


def test_straightlining_looks_at_perceptions_by_default(tmp_path: Path) -> None:
    """All expectations at 7 is a plausible answer; five of seven straight-liners in a real study
    were excluded for nothing else. The detail names the measure that triggered the rule."""
    frame = small_survey()
    frame.loc[3, ["E1", "E2", "E3"]] = "7"
    frame.loc[6, ["P1", "P2", "P3"]] = "3"
    _, result = clean(frame, tmp_path, long_string={"enabled": False, "measures": ["perception"], "max_run": 1})
    assert excluded(result) == {8: "straightlining"}
    assert result.exclusions["detail"].item() == "same answer to all 3 items of perception"


STANDARDIZED = {"scale": {"min": None, "max": None, "integer": False},
                "dimensions": [{"id": "x"}, {"id": "y"}],
                "items": [{"id": f"{d}{j}", "dimension": d} for d in "xy" for j in (1, 2, 3)]}


def test_standardized_scores_on_an_open_scale_are_kept_whole(tmp_path: Path) -> None:
    """z scores on the default integer 1-7 scale were all set missing and every respondent was
    excluded; with open bounds they are data, with no per-point frequencies or off-point flags."""
    instrument = instrument_from_config(STANDARDIZED, {"perception": {"pattern": "P{index}"}})
    rng = np.random.default_rng(1)
    factors = np.repeat(rng.normal(0, 1, (60, 2)), 3, axis=1)
    frame = pd.DataFrame((factors + rng.normal(0, 0.6, (60, 6))).round(3), columns=[f"P{j}" for j in range(1, 7)])
    path = tmp_path / "z.csv"
    frame.to_csv(path, index=False)
    columns = {"respondent_id": "", "duration": "", "segments": [], "personal_data": [], "personal_data_action": "drop"}
    result = clean_survey(read_survey(path), instrument, columns, options(attention_checks=[]), SALT)
    assert len(result.responses) == 60 and result.summary.loc[result.summary["step"] == "cells", "n"].sum() == 0
    scales, items = reliability_tables({"perception": result.responses[[f"P_{i}" for i in instrument.item_ids]]
                                        .set_axis(instrument.item_ids, axis=1)}, instrument.item_dimension,
                                       scale_min=None, scale_max=None, n_boot=20, seed=1)
    assert not [c for c in items.columns if c.startswith("freq_")]
    assert not items["flags"].astype("string").fillna("").str.contains("scale").any()


@pytest.mark.parametrize(("scale", "reverse", "message"), [
    ({"min": None, "max": None, "integer": True}, False, "an open scale .* set integer: false"),
    ({"min": None, "max": 3, "integer": False}, True, r"reverse-keyed items \['x1'\] need both scale bounds"),
    ({"min": 5, "max": 1, "integer": True}, False, "min 5 is not below max 1"),
])
def test_scales_that_cannot_work_are_refused(scale: dict, reverse: bool, message: str) -> None:
    spec = {**STANDARDIZED, "scale": scale}
    spec["items"] = [{**spec["items"][0], "reverse": reverse}, *spec["items"][1:]]
    with pytest.raises(ValueError, match=message):
        instrument_from_config(spec, {"perception": {"pattern": "P{index}"}})


def test_row_filters_come_first_with_their_label(tmp_path: Path) -> None:
    """Respondents who never used the service could only be left out by editing the raw file."""
    frame = small_survey()
    frame["used"] = ["1"] * 12
    frame.loc[[2, 5], "used"] = ["2", " 2 "]
    frame.loc[5, ["attention"]] = "1"
    filters = [{"label": "never used the service", "column": "used", "exclude": [2]}]
    _, result = clean(frame, tmp_path, filters=filters)
    assert excluded(result) == {4: "filter", 7: "filter"}
    assert result.exclusions["detail"].tolist() == [
        "never used the service (used = 2)", "never used the service (used = 2); also: attention_check"]
    assert result.summary.set_index("rule").loc["filter", "n"] == 2


def test_a_filter_on_personal_data_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"personal-data columns also used as \{'filter': \['phone'\]\}"):
        clean(small_survey(), tmp_path, filters=[{"label": "x", "column": "phone", "keep": ["1"]}])


def test_segments_get_short_names_value_labels_and_order(tmp_path: Path) -> None:
    """A segment header that is a full question text gets a short name in every output; raw codes
    get labels and the levels an order."""
    frame = small_survey().rename(columns={"branch": "Q12. Which service hall did you visit today?"})
    spec = {"column": "Q12. Which service hall did you visit today?", "label": "hall",
            "values": {"北区": "North"}, "order": ["North", "Central"]}
    _, result = clean(frame, tmp_path, columns={**COLUMNS, "segments": [spec]})
    hall = result.responses["hall"]
    assert list(hall.cat.categories) == ["North", "Central"] and hall.cat.ordered
    assert hall.tolist()[:2] == ["Central", "North"]
    assert "Q12. Which service hall did you visit today?" not in result.responses.columns


def test_question_text_headers_are_found_by_a_regex_with_spacing_and_width_forgiven(tmp_path: Path) -> None:
    """A Korean export whose headers are the questions, alternating expectation and perception,
    needed a 48-entry map copied space for space; a regex and normalised headers replace it."""
    instrument = instrument_from_config(
        {"scale": {"min": 1, "max": 7}, "dimensions": [{"id": "kiosk"}],
         "items": [{"id": f"k{j}", "dimension": "kiosk"} for j in (1, 2, 3)]},
        {"expectation": {"regex": r"^(?P<index>\d+)-1\..*\(기대 설문\)$"},
         "perception": {"regex": r"^(?P<index>\d+)-2\..*\(인식 설문\)$"}},
    )
    questions = ["키오스크는  사용하기 쉬워야 한다", "화면의 글씨가\n잘 보여야 한다", "결제가 빨라야 한다"]
    headers = {}
    for j, text in enumerate(questions, 1):
        headers[f"{j}-1. {text} (기대 설문)"] = [str(4 + (j + r) % 4) for r in range(12)]
        headers[f"{j}-2. {text}（인식 설문）"] = [str(1 + (2 * j + r) % 6) for r in range(12)]
    frame = pd.DataFrame({"id": [f"K{r}" for r in range(12)], **headers})
    columns = {"respondent_id": "id", "duration": "", "segments": [], "personal_data": [], "personal_data_action": "drop"}
    path = tmp_path / "kiosk.csv"
    frame.to_csv(path, index=False, encoding="cp949")
    result = clean_survey(read_survey(path), instrument, columns, options(attention_checks=[]), SALT)
    assert read_survey(path).encoding == "cp949"
    assert result.responses[["E_k1", "P_k3"]].iloc[0].tolist() == [5.0, 1.0]
    assert len(result.responses) == 12


def test_a_regex_that_misses_items_names_them(tmp_path: Path) -> None:
    instrument = instrument_from_config(
        {"scale": {"min": 1, "max": 7}, "dimensions": [{"id": "d"}],
         "items": [{"id": f"k{j}", "dimension": "d"} for j in (1, 2)]},
        {"perception": {"regex": r"^Q(?P<index>\d+)$"}},
    )
    path = tmp_path / "q.csv"
    pd.DataFrame({"Q1": ["1", "2"], "Question 2": ["3", "4"]}).to_csv(path, index=False)
    columns = {"respondent_id": "", "duration": "", "segments": [], "personal_data": [], "personal_data_action": "drop"}
    with pytest.raises(SurveyFormatError, match=r"q\.csv: measure perception: regex .* matches no header for \['P_k2'\]"):
        clean_survey(read_survey(path), instrument, columns, options(attention_checks=[]), SALT)


def test_columns_can_be_given_by_position(tmp_path: Path) -> None:
    """Alternating E/P pairs whose headers say nothing usable: every second column from the
    second (expectations) and from the third (perceptions)."""
    instrument = instrument_from_config(
        {"scale": {"min": 1, "max": 7}, "dimensions": [{"id": "d"}],
         "items": [{"id": f"k{j}", "dimension": "d"} for j in (1, 2, 3)]},
        {"expectation": {"positions": {"first": 2, "step": 2}}, "perception": {"positions": {"first": 3, "step": 2}}},
    )
    headers = ["id", "Q1", "Q1 ", "Q2", "Q2 (2)", "Q3", "Q3 (2)"]
    assert instrument.resolve_columns(headers) == {
        "Q1": "E_k1", "Q2": "E_k2", "Q3": "E_k3", "Q1 ": "P_k1", "Q2 (2)": "P_k2", "Q3 (2)": "P_k3"}
    with pytest.raises(ValueError, match=r"positions \{'first': 3, 'step': 2\} need 7 columns, the export has 6"):
        instrument.resolve_columns(headers[:6])
