"""Exports: the results workbook, the SPSS file and the lavaan models, on small frames and on the
example study (each opens in its library and holds the numbers of the CSV tables); every column
of every table has a header and a data-dictionary entry in every language."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from test_workflow import STUDY, WORKFLOW, copy_tree, snakemake

from servqual.columns import description, header, undocumented
from servqual.exports import (
    results_workbook,
    sheet_names,
    spss_name,
    write_sav,
    write_workbook,
)
from servqual.instrument import instrument_from_config
from servqual.lavaan import lavaan_models, model_file, syntax_problems
from servqual.tables import read_table

ROOT = Path(__file__).resolve().parents[1]


def small_instrument():
    return instrument_from_config(
        {"scale": {"min": 1, "max": 5, "integer": True},
         "dimensions": [{"id": "a", "label": {"en": "Speed"}}, {"id": "b", "label": {"en": "Care"}}],
         "items": [{"id": f"{d}{k}", "dimension": d, "text": {"en": f"Item {d}{k}.", "zh": f"题目 {d}{k}。"}}
                   for d in "ab" for k in (1, 2)]},
        {"expectation": {"pattern": "E{index}"}, "perception": {"pattern": "P{index}"},
         "importance": {"pattern": "imp_{dimension}"}, "overall": {"column": "sat"}},
    )


def read_sheet(book: openpyxl.Workbook, name: str) -> tuple[list, list[list]]:
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    return rows[0], rows[1:]


def test_workbook_keeps_numbers_and_text_as_they_are(tmp_path):
    table = pd.DataFrame({"n": [3, 4], "mean": [4.25, np.nan], "ok": [True, False],
                          "text": ["=1+1", "質問"], "df": pd.array([2, None], dtype="Int64")})
    path = tmp_path / "r.xlsx"
    write_workbook({"cautions": table}, path, "zh")
    book = openpyxl.load_workbook(path)
    headers, rows = read_sheet(book, "cautions")
    assert headers == [header("zh", c, "cautions") for c in table.columns]
    assert rows == [[3, 4.25, True, "=1+1", 2], [4, None, False, "質問", None]]
    assert book["cautions"].freeze_panes == "A2"
    assert book["cautions"]["D2"].data_type == "s"  # text, never a formula
    headers, rows = read_sheet(book, "数据字典")
    assert [r[:2] for r in rows] == [["cautions", c] for c in table.columns]
    assert rows[0][3:] == [description("zh", "n", "cautions")[p] for p in ("meaning", "unit", "method")]


def test_columns_are_as_wide_as_their_text_with_chinese_characters_counted_twice():
    frame = pd.DataFrame({"topic": ["服务很好", "a"], "text": ["queue at the desk", "ok"]})
    sheet = results_workbook({"cautions": frame}, "en").worksheets[0]
    topic, text = (sheet.column_dimensions[c].width for c in "AB")
    assert text == len("queue at the desk") + 2
    assert topic == max(2 * len("服务很好"), len(str(sheet["A1"].value))) + 2


def test_sheet_names_are_valid_and_unique():
    names = sheet_names(["x" * 40, "x" * 41, "a/b", "A/B"], reserved=["Data dictionary"])
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names.values())
    assert len({n.casefold() for n in names.values()}) == 4


def test_a_dictionary_sheet_name_is_never_taken_by_a_table():
    book = results_workbook({"Data dictionary": pd.DataFrame({"n": [1]})}, "en")
    assert len(book.sheetnames) == 2 and "Data dictionary" in book.sheetnames


def test_spss_names_are_valid():
    taken: set[str] = set()
    names = [spss_name(n, taken) for n in ["E_a1", "e_A1", "to", "2nd", "x.", "long" * 20, "a b"]]
    assert names[:5] == ["E_a1", "e_A1_2", "to_v", "v2nd", "x"]
    assert all(re.fullmatch(r"[^\W\d_][\w.@#$]*", n) and len(n.encode()) <= 64 for n in names)


def test_sav_holds_the_cleaned_columns_with_wording_and_scale_points(tmp_path):
    inst = small_instrument()
    responses = pd.DataFrame({
        "respondent": ["R1", "R2", "R3"], "line": [2, 3, 5],
        "branch": pd.Categorical(["East", None, "West"]), "duration": [300.0, 412.0, np.nan],
        "free_text": ["call me 13800000000", "", ""], "name_pseudonym": ["P1", "P2", "P3"],
        **{f"{m}_{i}": [1.0, 5.0, np.nan] for m in "EP" for i in inst.item_ids},
        "I_a": [60.0, 50.0, 40.0], "I_b": [40.0, 50.0, 60.0], "overall": [4.0, 5.0, 6.0],
    })
    path = tmp_path / "r.sav"
    write_sav(responses, path, inst, ["branch"], "zh")
    data, meta = pyreadstat.read_sav(str(path))
    assert "free_text" not in data and "name_pseudonym" not in data
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["P_a1"] == "感知：题目 a1。" and labels["E_b2"] == "期望：题目 b2。"
    assert meta.variable_value_labels["P_a1"] == {1.0: "1（最低）", 2.0: "2", 3.0: "3", 4.0: "4", 5.0: "5（最高）"}
    assert "I_a" not in meta.variable_value_labels  # points of 100 are not a rating scale
    assert list(data["branch"]) == ["East", "", "West"]
    pd.testing.assert_series_equal(data["P_a1"], responses["P_a1"])


def test_lavaan_models_follow_the_fit_table():
    fit = pd.DataFrame({"measure": ["perception", "perception", "expectation"],
                        "model": ["instrument", "second_order", "one_factor"],
                        "estimator": ["ML"] * 3, "status": ["ok", "not_identified", "heywood"]})
    models = lavaan_models(fit, small_instrument().item_dimension)
    assert [m.name for m in models] == ["perception.instrument", "expectation.one_factor"]
    text = model_file(models, "w1", "en")
    assert "a =~ P_a1 + P_a2\nb =~ P_b1 + P_b2" in text and "general =~ E_a1 + E_a2 + E_b1 + E_b2" in text
    columns = [f"{m}_{i}" for m in "EP" for i in small_instrument().item_ids]
    assert syntax_problems(text, columns) == []
    assert syntax_problems(text, columns[:-1]) == ["line 6: P_b2 is neither a factor nor a column of the data"]


# --------------------------------------------------------------------------------------------
# The example study
# --------------------------------------------------------------------------------------------

WAVE = "wave1"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The example study copied and run up to the exports of every wave (no reports)."""
    root = tmp_path_factory.mktemp("exports")
    copy_tree(WORKFLOW + STUDY, root)
    targets = [f"reports/{w}/results.xlsx" for w in ("wave1", "wave2")]
    result = snakemake(*targets, cwd=root)
    assert result.returncode == 0, result.stderr[-5000:]
    return root


def written_tables(root: Path) -> dict[str, pd.DataFrame]:
    paths = [*sorted((root / f"data/processed/{WAVE}").glob("*.csv")), *sorted((root / f"reports/{WAVE}/tables").glob("*.csv"))]
    # As the pipeline reads its tables back: cells neutralised against spreadsheet formulas
    # (lavaan's "=~") restored.
    return {p.stem: read_table(p, keep_default_na=False, na_values=[""]) for p in paths}


@pytest.mark.slow
def test_every_sheet_of_the_workbook_equals_its_table(exported):
    tables = written_tables(exported)
    assert undocumented({name: list(t.columns) for name, t in tables.items()}) == []
    book = openpyxl.load_workbook(exported / f"reports/{WAVE}/results.xlsx", read_only=True)
    assert set(book.sheetnames) == {*tables, "Data dictionary"}
    for name, table in tables.items():
        headers, rows = read_sheet(book, name)
        assert headers == [header("en", c, name) for c in table.columns], name
        sheet = pd.DataFrame(rows, columns=list(table.columns)) if rows else table.iloc[:0]
        for column in table.columns:
            expected, found = table[column], sheet[column]
            if pd.api.types.is_numeric_dtype(expected) and not pd.api.types.is_bool_dtype(expected):
                np.testing.assert_allclose(found.astype(float), expected.astype(float), rtol=1e-12, atol=0,
                                           err_msg=f"{name}.{column}")
            else:
                assert [None if pd.isna(v) else v for v in expected] == [None if pd.isna(v) else v for v in found], (
                    f"{name}.{column}")
    _, entries = read_sheet(book, "Data dictionary")
    assert len(entries) == sum(t.shape[1] for t in tables.values())
    assert all(all(entry) for entry in entries)


@pytest.mark.slow
def test_the_sav_file_equals_the_cleaned_data_with_labels(exported):
    cleaned = pd.read_parquet(exported / f"data/processed/{WAVE}/responses.parquet")
    data, meta = pyreadstat.read_sav(str(exported / f"data/processed/{WAVE}/responses.sav"))
    assert "attention" not in data  # columns the study did not declare stay out
    measures = [c for c in cleaned if re.fullmatch(r"[EPIO]_\w+|overall", c)]  # O_: further outcomes
    assert set(data.columns) == {"respondent", "line", "branch", "customer_type", "duration", *measures}
    for column in data.columns:
        if pd.api.types.is_numeric_dtype(cleaned[column]):
            np.testing.assert_allclose(data[column], cleaned[column].astype(float), rtol=0, atol=0, err_msg=column)
        else:
            assert list(data[column]) == [("" if pd.isna(v) else str(v)) for v in cleaned[column]], column
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["P_tan1"] == "Perception: The service hall has up-to-date equipment."
    assert meta.variable_value_labels["E_emp5"][7.0] == "7 (highest)"
    assert meta.variable_value_labels["overall"][1.0] == "1 (lowest)"


@pytest.mark.slow
def test_the_lavaan_models_parse_and_name_the_fitted_factors_and_items(exported):
    text = (exported / f"reports/{WAVE}/model.lavaan").read_text(encoding="utf-8")
    data, _ = pyreadstat.read_sav(str(exported / f"data/processed/{WAVE}/responses.sav"), metadataonly=True)
    assert syntax_problems(text, data.columns) == []
    found = set()
    for block in re.split(r"^## ", text, flags=re.M)[1:]:
        name, *lines = block.splitlines()
        measure, model = name.split(".")
        for line in lines:
            if "=~" in line:
                factor, rhs = (s.strip() for s in line.split("=~"))
                found |= {(measure, model, factor, re.sub(r"^[EPG]_", "", x.strip())) for x in rhs.split("+")}
    loadings = pd.read_csv(exported / f"reports/{WAVE}/tables/cfa_loadings.csv")
    assert found == set(loadings[["measure", "model", "factor", "item"]].itertuples(index=False, name=None))
    fit = pd.read_csv(exported / f"reports/{WAVE}/tables/cfa_fit.csv")
    script = (exported / f"reports/{WAVE}/refit.R").read_text(encoding="utf-8")
    for row in fit.itertuples():
        assert f'"{row.measure}.{row.model}" = "{row.estimator}"' in script
    assert f'"reports/{WAVE}/model.lavaan"' in script and f'"data/processed/{WAVE}/responses.sav"' in script
