"""The example study run with ``cfa.estimator: WLSMV``, through the wave reports and the cross-wave
report: the tables say WLSMV with the scaled indices, the methods name what WLSMV does, the Cautions
do not suggest WLSMV to a run that used it, and every status and reason the CFA and invariance
tables record reaches the reports in words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from studies import ROOT, STUDY, WORKFLOW, copy_tree, snakemake

from servqual.tables import table_in

pytestmark = pytest.mark.slow

WAVES = ("wave1", "wave2")


@pytest.fixture(scope="module")
def ordinal(tmp_path_factory) -> Path:
    """The example study with WLSMV, fewer bootstrap resamples and Monte Carlo indirect effects."""
    folder = tmp_path_factory.mktemp("wlsmv")
    copy_tree(WORKFLOW + STUDY, folder)
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    config["cfa"]["estimator"] = "WLSMV"
    config["reliability"]["n_boot"] = 200
    config["structural"].update(interval="monte_carlo", n_draws=200)
    (folder / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    targets = [f"reports/{wave}/report.html" for wave in WAVES] + ["reports/waves/report.html"]
    result = snakemake(*targets, cwd=folder)
    assert result.returncode == 0, result.stderr[-5000:]
    return folder


def text_of(path: Path) -> str:
    """A report's HTML without its embedded images, entities as the tables write them."""
    html = re.sub(r"data:image/[^\"')]+", "", path.read_text(encoding="utf-8"))
    return html.replace("&#x27;", "'").replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", '"')


def cautions(folder: Path, part: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"reports/{part}/tables/cautions.csv", keep_default_na=False)


def test_the_tables_say_wlsmv_with_scaled_indices(ordinal):
    for wave in WAVES:
        fit = table_in(ordinal / f"reports/{wave}/tables", "cfa_fit")
        assert set(fit["estimator"]) == {"WLSMV"}
        converged = fit[fit["status"] == "ok"]
        assert len(converged) and converged[["chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled"]].notna().all().all()
    invariance = table_in(ordinal / "reports/waves/tables", "invariance")
    assert len(invariance) and set(invariance["estimator"]) == {"WLSMV"}


def test_the_methods_name_wlsmv_and_the_cautions_do_not_suggest_it(ordinal):
    for wave in WAVES:
        methods = (ordinal / f"reports/{wave}/methods.md").read_text(encoding="utf-8")
        assert "WLSMV" in methods and "polychoric correlations" in methods and "(DWLS)" in methods
        # The E-versus-P model is not ordinal: the methods say which estimator it used, and why.
        assert "this model of both ratings takes them as continuous (MLR)" in methods
        found = cautions(ordinal, wave)
        assert not found["kind"].isin(["ordinal_few_points", "ordinal_floor_ceiling"]).any()
        assert "cfa.estimator to WLSMV" not in text_of(ordinal / f"reports/{wave}/report.html")
    html = text_of(ordinal / "reports/waves/report.html")
    assert "ordered categories (WLSMV)" in html


def test_every_status_and_reason_reaches_the_reports(ordinal):
    for wave in WAVES:
        fit = table_in(ordinal / f"reports/{wave}/tables", "cfa_fit")
        found = cautions(ordinal, wave)
        html = text_of(ordinal / f"reports/{wave}/report.html")
        told = fit[(fit["status"] != "ok") | fit["reason"].astype("string").fillna("").ne("")]
        for row in told.itertuples():
            said = found[found["concerns"].str.contains(row.measure)
                         & (found["kind"].eq(row.status) | found["concerns"].str.contains(row.model))]
            assert len(said), row
        for text in found["text"]:
            assert text[:60] in html, text
    invariance = table_in(ordinal / "reports/waves/tables", "invariance")
    across = cautions(ordinal, "waves")
    html = text_of(ordinal / "reports/waves/report.html")
    told = invariance[(invariance["status"] != "ok") | invariance["reason"].astype("string").fillna("").ne("")]
    assert len(told)  # the example's segments leave answer categories unused in some group
    for (grouping, measure), _ in told.groupby(["grouping", "measure"]):
        said = across[across["concerns"] == f"{measure}, {grouping}"]
        assert len(said), (grouping, measure)
        for text in said["text"]:
            assert text[:60] in html, text
    merged = told[told["reason"].astype(str).str.contains("merged")]
    assert len(merged) and (across["kind"] == "categories_merged").sum() == len(
        merged.drop_duplicates(["grouping", "measure"]))


def test_one_released_item_is_named_in_the_singular(ordinal):
    for wave in WAVES:
        levels = table_in(ordinal / f"reports/{wave}/tables", "ep_invariance")
        released = levels.loc[levels["level"] == "scalar", "released"].fillna("").iloc[-1]
        assert len({piece.split(":")[-1] for piece in released.split(";")}) == 1  # the example's planted shift
        html = text_of(ordinal / f"reports/{wave}/report.html")
        lead = re.search(r"<p>Expectations and perceptions measure the same dimensions once [^<]*</p>", html).group(0)
        assert "the gap of that item" in lead and "those items" not in lead
        text = cautions(ordinal, wave).set_index("kind").loc["ep_scalar_partial", "text"]
        assert "that item" in text and "those items" not in text


def test_the_structural_sentences_write_beta_as_the_tables_do(ordinal):
    html = text_of(ordinal / "reports/wave1/report.html")
    betas = re.findall(r"β = (−?\.\d+)\)", html)
    assert betas and all(len(beta.split(".")[1]) == 3 for beta in betas)
