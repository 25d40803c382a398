"""Coder agreement: hand-computed cases, R psych, and the krippendorff package.

Cohen's kappa from psych::cohen.kappa is read from tests/data/agreement_reference.json, written
by ``Rscript tests/data/agreement_reference.R`` (R 4.2.2, psych 2.2.9).
"""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest

from servqual.agreement import (
    AGREEMENT_COLUMNS,
    alpha_verdict,
    coder_agreement,
    coder_disagreements,
    cohen_kappa,
    fleiss_kappa,
    kappa_band,
    krippendorff_alpha_bootstrap,
    krippendorff_alpha,
    percent_agreement,
    unit_code_presence,
)

REFERENCE = json.loads((Path(__file__).parent / "data" / "agreement_reference.json").read_text())
NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C: 4 observers,
# 12 units, nominal, missing values; alpha = 0.743 by hand in the paper.
PAPER_C = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
])
# Same paper, example A: binary data, two observers, ten units; alpha = 0.095.
PAPER_A = np.array([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]], dtype=float)


def test_alpha_matches_krippendorff_2011_hand_computations() -> None:
    assert krippendorff_alpha(PAPER_C) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(PAPER_A) == pytest.approx(0.095, abs=5e-4)


@pytest.mark.parametrize("seed", range(6))
def test_alpha_matches_krippendorff_package(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 2 + seed % 3, size=(2 + seed % 3, 30)).astype(float)
    data[rng.random(data.shape) < 0.15] = NAN
    # The package defaults to interval data and expects coders in rows: say nominal explicitly.
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert krippendorff_alpha(data) == pytest.approx(expected, abs=1e-12)


def test_alpha_undefined_with_one_category() -> None:
    assert np.isnan(krippendorff_alpha(np.zeros((2, 5))))
    assert all(np.isnan(krippendorff_alpha_bootstrap(np.zeros((2, 5)), seed=1)))


def test_cohen_kappa_hand_and_r() -> None:
    # Hand: 2x2 table [[20, 5], [10, 15]]: p_o = .7, p_e = .5 -> kappa = .4
    a = np.array([1] * 25 + [0] * 25)
    b = np.array([1] * 20 + [0] * 5 + [1] * 10 + [0] * 15)
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)
    # psych::cohen.kappa on the paper's example A and on a five-category pair
    for case in REFERENCE["cohen_kappa"].values():
        assert cohen_kappa(np.array(case["a"]), np.array(case["b"])) == pytest.approx(case["kappa"], abs=1e-9)
    paper_a = REFERENCE["cohen_kappa"]["krippendorff_example_a"]
    np.testing.assert_array_equal([paper_a["a"], paper_a["b"]], PAPER_A)


def test_fleiss_and_percent_agreement_by_hand() -> None:
    # 3 coders, 4 items; per item the coders' values (1,1,1), (0,0,0), (1,1,0), (1,0,0):
    # P_i = 1, 1, 1/3, 1/3 -> P_bar = 2/3; p = (.5, .5) -> P_e = .5; kappa = (2/3 - .5)/.5 = 1/3.
    data = np.array([[1, 0, 1, 1], [1, 0, 1, 0], [1, 0, 0, 0]], dtype=float)
    assert fleiss_kappa(data) == pytest.approx(1 / 3)
    # agreeing ordered pairs: 6 + 6 + 2 + 2 of 4 x 6 -> 16/24
    assert percent_agreement(data) == pytest.approx(2 / 3)
    assert percent_agreement(PAPER_A) == pytest.approx(0.6)
    assert np.isnan(fleiss_kappa(PAPER_C))


def test_bootstrap_is_seeded_and_brackets_alpha() -> None:
    low, high = krippendorff_alpha_bootstrap(PAPER_C, n_boot=500, seed=7)
    assert (low, high) == krippendorff_alpha_bootstrap(PAPER_C, n_boot=500, seed=7)
    assert low < krippendorff_alpha(PAPER_C) < high
    assert (low, high) != krippendorff_alpha_bootstrap(PAPER_C, n_boot=500, seed=8)


@pytest.mark.parametrize(("kappa", "band"), [(-0.1, "poor"), (0.0, "slight"), (0.2, "slight"), (0.21, "fair"),
                                             (0.41, "moderate"), (0.6, "moderate"), (0.61, "substantial"),
                                             (0.81, "almost perfect"), (1.0, "almost perfect")])
def test_landis_koch_bands(kappa: float, band: str) -> None:
    assert kappa_band(kappa) == band


def test_alpha_verdicts() -> None:
    assert [alpha_verdict(a) for a in (0.8, 0.799, 0.667, 0.5, NAN)] == ["good", "tentative", "tentative",
                                                                        "insufficient", ""]


def _units() -> pd.DataFrame:
    return pd.DataFrame({"document": ["d1"] * 4 + ["d2"] * 2, "unit": ["T1", "T2", "T3", "T4", "T1", "T2"],
                         "speaker": "p", "start": [0, 10, 20, 30, 0, 10], "end": [9, 19, 29, 39, 9, 19]})


def _segments() -> pd.DataFrame:
    rows = [  # document, coder, code, start, end, source
        ("d1", "A", "q", 2, 5, "human"), ("d1", "B", "q", 3, 12, "human"),  # B's q spans T1 and T2
        ("d1", "A", "b", 21, 25, "human"), ("d1", "B", "b", 22, 24, "human"),
        ("d1", "A", "q", 31, 33, "human"),
        ("d1", "S", "q", 20, 29, "suggested"),  # suggestions never count
        ("d2", "A", "q", 1, 3, "human"),  # d2 has one coder only: left out
    ]
    return pd.DataFrame(rows, columns=["document", "coder", "code", "start", "end", "source"])


def test_unit_code_presence() -> None:
    presence = unit_code_presence(_segments(), _units())
    assert set(presence["document"]) == {"d1"} and set(presence["coder"]) == {"A", "B"}
    wide = presence.pivot_table(index=["unit", "code"], columns="coder", values="present")
    assert wide.loc[(slice(None), "q"), :].values.tolist() == [[1, 1], [0, 1], [0, 0], [1, 0]]
    assert wide.loc[(slice(None), "b"), :].values.tolist() == [[0, 0], [0, 0], [1, 1], [0, 0]]


def test_coder_agreement_table() -> None:
    table = coder_agreement(unit_code_presence(_segments(), _units()), n_boot=200, seed=3)
    assert table.columns.tolist() == AGREEMENT_COLUMNS
    q, b, overall = (table.set_index("code").loc[c] for c in ("q", "b", "(all codes)"))
    # code q over 4 units: A = 1,0,0,1; B = 1,1,0,0 -> p_o = .5, p_e = .5, kappa = 0.
    assert q["percent_agreement"] == pytest.approx(0.5) and q["cohen_kappa"] == pytest.approx(0.0)
    assert q["krippendorff_alpha"] == pytest.approx(krippendorff.alpha(
        reliability_data=np.array([[1, 0, 0, 1], [1, 1, 0, 0]]), level_of_measurement="nominal"))
    assert q["n_disagreements"] == 2 and q["units_coded"] == 3 and q["n_units"] == 4
    assert b["cohen_kappa"] == pytest.approx(1.0) and b["alpha_verdict"] == "good"
    # overall: 8 items, A = q 1,0,0,1 b 0,0,1,0; B = q 1,1,0,0 b 0,0,1,0 -> 6/8 agree.
    assert overall["percent_agreement"] == pytest.approx(0.75)
    assert overall["cohen_kappa"] == pytest.approx((0.75 - 0.53125) / (1 - 0.53125))
    assert overall["n_units"] == 4 and overall["scope"] == "overall"
    assert overall["alpha_ci_low"] <= overall["krippendorff_alpha"] <= overall["alpha_ci_high"]


def test_coder_disagreements_list() -> None:
    listed = coder_disagreements(unit_code_presence(_segments(), _units()))
    assert listed.values.tolist() == [["d1", "T2", "q", "B", "A"], ["d1", "T4", "q", "A", "B"]]
