"""The methods paragraph names only analyses whose tables have rows, with the options the tables
record, and cites the references those options call for."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from servqual.methods import methods_paragraph

ROOT = Path(__file__).resolve().parents[1]
FLOW = pd.DataFrame(
    {
        "step": ["read", "excluded", "excluded", "not_applied", "kept"],
        "rule": ["rows read", "speeder", "straightlining", "duplicate_id", "respondents kept"],
        "n": [100, 4, 0, 100, 96],
        "detail": ["", "", "", "no respondent id column is configured in columns.respondent_id", ""],
    }
)
GAPS = pd.DataFrame({"gap": [-0.5], "confidence": [0.9], "p_adjust": ["bh"], "adjusted_test": ["t"],
                     "zero_method": ["wilcox"]})
RELIABILITY = pd.DataFrame({"boot_method": ["percentile bootstrap, 1234 resamples of the n = 96 rows",
                                            "percentile bootstrap, 1234 resamples of the n = 90 rows"],
                            "confidence": [0.9, 0.9], "missing_policy": ["pairwise"] * 2,
                            "difference_score_reliability": [0.6, None]})


def config(**measures) -> dict:
    study = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    study["measures"].update(measures)
    return study


def test_options_come_from_the_tables():
    text = methods_paragraph(config(), {"gaps_dimensions": GAPS, "reliability": RELIABILITY}, FLOW, {"servqual": "9.9"})
    assert "Of 100 responses, 96 were analysed; 4 were excluded, each under the first rule it met: speeder (4)" in text
    assert "straightlining (" not in text  # rules that excluded no one are not listed
    assert "the duplicate id rule could not be applied (no respondent id column is configured" in text
    assert "90% intervals and bootstrap intervals (percentile bootstrap, 1234 resamples)" in text
    assert "(pairwise deletion)" in text
    assert "zero differences by the wilcox method), with Benjamini–Hochberg-adjusted p-values of the t-test, 90%" in text
    assert "Benjamini, Y. & Hochberg" in text and "Holm, S." not in text
    assert "Peter, J. P., Churchill" in text


@pytest.mark.parametrize("name", ["Dimensionality", "Confirmatory", "Importance-performance", "Segments",
                                  "Improvement priorities", "Interview", "Complaints", "Gaps (P − E)"])
def test_analyses_without_rows_are_not_described(name):
    text = methods_paragraph(config(expectation=None), {"ipa": pd.DataFrame(columns=["importance_kind"])}, FLOW,
                             {"servqual": "9.9"})
    assert name not in text
    assert "SERVPERF" in text and "Cronin, J. J." in text


def test_bag_of_little_bootstraps_is_cited_where_it_ran():
    large = RELIABILITY.assign(boot_method="bag of little bootstraps, 10 subsets of 2,000 rows (n > 50,000)")
    text = methods_paragraph(config(), {"reliability": large}, FLOW, {"servqual": "9.9"})
    assert "bag of little bootstraps" in text and "Kleiner, A., Talwalkar" in text
    assert "Kleiner" not in methods_paragraph(config(), {"reliability": RELIABILITY}, FLOW, {"servqual": "9.9"})


def test_priorities_name_provider_gaps_only_when_evidence_gave_them():
    bare = pd.DataFrame({"provider_gaps": ["", None]})
    text = methods_paragraph(config(), {"priorities": bare}, FLOW, {"servqual": "9.9"})
    assert "Improvement priorities rank" in text and "Gaps Model" not in text
    linked = methods_paragraph(config(), {"priorities": bare.assign(provider_gaps=["3 delivery", ""])}, FLOW, {})
    assert "provider gaps of the Gaps Model" in linked and "Zeithaml, V. A., Berry" in linked


def every_analysis() -> dict[str, pd.DataFrame]:
    """A table with rows for every analysis the paragraph describes, options as the steps write them."""
    return {
        "reliability": RELIABILITY,
        "parallel_analysis": pd.DataFrame({"rule": ["95th percentile of 500 simulations"]}),
        "efa_fit": pd.DataFrame({"measure": ["perception", "expectation"], "n_factors": [5, 4], "method": "minres",
                                 "rotation": "oblimin"}),
        "cfa_fit": pd.DataFrame({"model": ["instrument", "one_factor"], "chisq": [300.0, 900.0], "estimator": "ML"}),
        "cfa_validity": pd.DataFrame({"kind": ["ave"]}),
        "gaps_dimensions": GAPS,
        "outcomes": pd.DataFrame({"outcome": ["overall_sat"], "confidence": [0.9]}),
        "ipa": pd.DataFrame({"importance_kind": ["stated"]}),
        "segments": pd.DataFrame({"segment": ["branch"], "tested": [True], "min_cell": [30], "p_adjust": ["holm"]}),
        "priorities": pd.DataFrame({"provider_gaps": ["3 delivery"]}),
        "interview_codes": pd.DataFrame({"code": ["wait"]}),
        "coder_agreement": pd.DataFrame({"confidence": [0.9]}),
        "complaints_by_dimension": pd.DataFrame({"dimension": ["tan"]}),
    }


@pytest.mark.parametrize("language", ["zh", "ko"])
def test_chinese_and_korean_paragraphs_are_complete_and_hold_no_english_sentence(language):
    from latin import latin_runs

    tables = every_analysis()
    english = methods_paragraph(config(), tables, FLOW, {"servqual": "9.9", "numpy": "2.0"})
    text = methods_paragraph(config(), tables, FLOW, {"servqual": "9.9", "numpy": "2.0"}, language)
    paragraph, references = text.split("\n\n", 1)
    assert "{" not in paragraph and "}" not in paragraph
    assert latin_runs(paragraph) == [], latin_runs(paragraph)
    # The same analyses, options and references as in English.
    assert references.split("\n", 1)[1] == english.split("\n\n", 1)[1].split("\n", 1)[1]
    for kept in ("90%", "Benjamini–Hochberg", "Holm", "1234", "95", "500", "overall_sat", "branch", "9.9", "numpy 2.0"):
        assert (kept in paragraph) == (kept in english.split("\n\n")[0]), kept


@pytest.mark.parametrize("language", ["en", "zh", "ko"])
def test_a_wlsmv_cfa_names_its_estimator_and_the_respondents_it_left_out(language):
    """Under WLSMV: ordinal ratings, polychoric correlations, DWLS, the mean- and variance-adjusted
    test with their references, and the respondents listwise deletion left out."""
    from latin import latin_runs

    fit = pd.DataFrame({"measure": ["perception"] * 2, "model": ["instrument", "one_factor"], "chisq": [300.0, 900.0],
                        "estimator": "WLSMV", "estimator_rule": "WLSMV", "kurtosis_z": float("nan"),
                        "missing_policy": "listwise", "n": 480, "n_incomplete": 0, "n_excluded": 20})
    text = methods_paragraph(config(), {"cfa_fit": fit}, FLOW, {}, language)
    paragraph = text.split("\n\n", 1)[0]
    for reference in ("Olsson, U. (1979)", "Muthén, B., du Toit", "Asparouhov, T. & Muthén, B. (2010)"):
        assert reference in text
    assert "Mardia" not in text and "480" in paragraph and "20" in paragraph
    assert "WLSMV" in paragraph and "DWLS" in paragraph
    if language == "en":
        assert "polychoric correlations" in paragraph and "mean- and variance-adjusted chi-square" in paragraph
        assert "480 respondents analysed, 20 left out because they skipped an item" in paragraph
    else:
        assert latin_runs(paragraph) == [], latin_runs(paragraph)
