"""Reports say only what is true, on study shapes unlike the example's.

Three studies cover the six shapes: (A) an E/P study with Benjamini–Hochberg adjustment and 90%
intervals in four waves whose ids sort otherwise than the sheet lists them; (B) a perception-only
study without importance, a single wave of fewer than 100 respondents, with no duration column
for the speeder rule; (C) a study whose CFA finds two dimensions indistinguishable (their items
are drawn from one factor). For each: every sentence of the methods paragraph and of the summary
names an analysis whose table has rows, the HTML names the configured intervals and adjustment,
every status other than ``ok`` and every flag in any table reaches the Cautions, and every
cross-wave table follows the sheet's wave order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_workflow import WORKFLOW, copy_tree, snakemake

from servqual.instrument import instrument_from_config
from servqual.tables import table_in
from servqual.simulate import simulate_survey

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# In time order; sorted by id they would run autumn, spring, wave10, wave2.
SHEET = [("spring", "2025-03-03"), ("autumn", "2025-09-01"), ("wave2", "2026-03-02"), ("wave10", "2026-09-07")]


def example_config() -> dict:
    return yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))


def write_study(folder: Path, config: dict, surveys: dict[str, pd.DataFrame], starts: dict[str, str]) -> None:
    copy_tree(WORKFLOW, folder)
    (folder / "config").mkdir()
    # The example's action register names its waves; these studies have others.
    config = {**config, "waves": "config/waves.tsv", "actions": None}
    (folder / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (folder / "data/raw").mkdir(parents=True)
    rows = ["wave\tsurvey\tstart"]
    for wave, survey in surveys.items():
        survey.to_csv(folder / f"data/raw/{wave}.csv", index=False)
        rows.append(f"{wave}\tdata/raw/{wave}.csv\t{starts.get(wave, '')}")
    (folder / "config/waves.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def run(folder: Path) -> Path:
    result = snakemake(cwd=folder)
    assert result.returncode == 0, result.stderr[-5000:]
    return folder


@pytest.fixture(scope="module")
def adjusted_waves(tmp_path_factory) -> Path:
    """(A) E/P, p_adjust bh, 90% intervals, four waves listed out of alphabetical order."""
    config = example_config()
    config["analysis"]["confidence"] = 0.90
    config["gaps"]["p_adjust"] = "bh"
    config["reliability"]["n_boot"] = 200
    instrument = instrument_from_config(config["instrument"], config["measures"], config["outcomes"])
    surveys = {wave: simulate_survey(instrument, 150, wave=k, seed=5) for k, (wave, _) in enumerate(SHEET, 1)}
    folder = tmp_path_factory.mktemp("adjusted")
    write_study(folder, config, surveys, dict(SHEET))
    return run(folder)


@pytest.fixture(scope="module")
def small_servperf(tmp_path_factory) -> Path:
    """(B) perception only, no importance, overall item or other outcome, one wave of 80, no duration column."""
    config = example_config()
    config["measures"] = {"perception": config["measures"]["perception"]}
    config["columns"]["duration"] = ""
    config["reliability"]["n_boot"] = 200
    config["outcomes"], config["structural"]["mediator"] = [], None
    instrument = instrument_from_config(config["instrument"], config["measures"])
    survey = simulate_survey(instrument, 80, seed=9).drop(columns=["duration_sec"])
    folder = tmp_path_factory.mktemp("servperf")
    write_study(folder, config, {"only": survey}, {})
    return run(folder)


@pytest.fixture(scope="module")
def indistinct(tmp_path_factory) -> Path:
    """(C) reliability and responsiveness items drawn from one factor: the study's CFA cannot tell
    the two dimensions apart."""
    config = example_config()
    config["reliability"]["n_boot"] = 200
    config["measures"]["importance"] = None  # points per dimension would name the merged one
    merged = {**config, "instrument": {
        **config["instrument"],
        "dimensions": [d for d in config["instrument"]["dimensions"] if d["id"] != "responsiveness"],
        "items": [{**item, "dimension": "reliability" if item["dimension"] == "responsiveness" else item["dimension"]}
                  for item in config["instrument"]["items"]]}}
    instrument = instrument_from_config(merged["instrument"], merged["measures"], merged["outcomes"])
    survey = simulate_survey(instrument, 400, seed=3)
    folder = tmp_path_factory.mktemp("indistinct")
    write_study(folder, config, {"single": survey}, {})
    return run(folder)


STUDIES = ["adjusted_waves", "small_servperf", "indistinct"]

#: Words that open each sentence of the methods paragraph -> the tables one of which must have rows.
METHOD_SENTENCES = {
    "Reliability was estimated": ["reliability"],
    "Dimensionality was examined": ["efa_fit", "parallel_analysis"],
    "Confirmatory factor analysis": ["cfa_fit"],
    "Gaps (P − E) were tested": ["gaps_dimensions"],
    "Predictive validity was assessed": ["outcomes"],
    "Importance-performance analysis": ["ipa"],
    "Segments (": ["segments"],
    "Improvement priorities": ["priorities"],
    "Interview and focus-group": ["interview_codes"],
    "Complaints were coded": ["complaints_by_dimension"],
}
#: Words of summary lines -> the tables they are read from.
SUMMARY_LINES = {"SERVQUAL score": ["gaps_dimensions"], "What to fix first": ["priorities"],
                 "short of their expectations": ["gaps_dimensions", "priorities"],
                 "In interviews and focus groups": ["triangulation"], "The complaint log holds": ["triangulation_sources"]}


def waves_of(folder: Path) -> list[str]:
    return pd.read_csv(folder / "config/waves.tsv", sep="\t")["wave"].tolist()


def has_rows(folder: Path, wave: str, name: str) -> bool:
    table = table_in(folder / f"reports/{wave}/tables", name)
    if name == "gaps_dimensions":
        return "gap" in table and table["gap"].notna().any()
    return len(table) > 0


def summary_text(html: str) -> str:
    return html.split(">Summary<", 1)[1].split(">Cautions<", 1)[0]


@pytest.mark.parametrize("study", STUDIES)
def test_every_sentence_names_an_analysis_that_produced_rows(study, request):
    folder = request.getfixturevalue(study)
    for wave in waves_of(folder):
        methods = (folder / f"reports/{wave}/methods.md").read_text(encoding="utf-8")
        summary = summary_text((folder / f"reports/{wave}/report.html").read_text(encoding="utf-8"))
        for words, names in METHOD_SENTENCES.items():
            produced = any(has_rows(folder, wave, name) for name in names)
            assert (words in methods) == produced, f"{study} {wave}: {words!r} in methods, tables {names}"
        for words, names in SUMMARY_LINES.items():
            if words in summary:
                assert any(has_rows(folder, wave, name) for name in names), f"{study} {wave}: {words!r}"


def report_text(path: Path) -> str:
    """A report's HTML without its embedded images (whose base64 text can spell anything)."""
    return re.sub(r"data:image/[^\"')]+", "", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("study", STUDIES)
def test_configured_intervals_and_adjustment_are_named(study, request):
    folder = request.getfixturevalue(study)
    config = yaml.safe_load((folder / "config/config.yaml").read_text(encoding="utf-8"))
    level = f"{config['analysis']['confidence']:.0%}"
    named, other = {"holm": ("Holm", "Benjamini"), "bh": ("Benjamini–Hochberg", "Holm")}[config["gaps"]["p_adjust"]]
    gaps = "expectation" in config["measures"] and config["measures"]["expectation"]
    # RMSEA's interval is at 90% by convention (lavaan's too), whatever the study's level.
    levels = re.compile(r"(?<!RMSEA )(?<![\d.])(\d+%) (?:CI|confidence)")
    for wave in waves_of(folder):
        html = report_text(folder / f"reports/{wave}/report.html")
        assert set(levels.findall(html)) == {level}, wave
        assert other not in html and (named in html or not gaps), wave
    html = report_text(folder / "reports/waves/report.html")
    if len(waves_of(folder)) > 1:
        assert f"{named}-adjusted" in html and f"{level} CI" in html
    assert other not in html and set(levels.findall(html)) <= {level}


def cautions(folder: Path, wave: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"reports/{wave}/tables/cautions.csv", keep_default_na=False)


@pytest.mark.parametrize("study", STUDIES)
def test_every_problem_in_a_table_is_a_caution(study, request):
    folder = request.getfixturevalue(study)
    for wave in waves_of(folder):
        found = cautions(folder, wave)
        html = (folder / f"reports/{wave}/report.html").read_text(encoding="utf-8")
        for text in found["text"]:
            assert text.replace("&", "&amp;").replace("'", "&#x27;")[:60] in html.replace("&#39;", "&#x27;")
        tables = folder / f"reports/{wave}/tables"
        cfa = table_in(tables, "cfa_fit")
        for row in cfa[cfa["status"] != "ok"].itertuples():
            assert ((found["kind"] == row.status) & found["concerns"].str.contains(row.model)).any(), row
        efa = table_in(tables, "efa_fit")
        assert (found["kind"] == "efa_warning").sum() == (efa["status"] != "ok").sum()
        scale_flags = table_in(tables, "reliability")["flags"].astype("string").fillna("")
        assert (found["kind"] == "reliability_flag").sum() == (scale_flags != "").sum()
        items = table_in(tables, "item_reliability").assign(flags=lambda t: t["flags"].astype("string").fillna(""))
        flagged = items[items["flags"] != ""]
        assert (found["kind"] == "item_flag").sum() == len(flagged.drop_duplicates(["measure", "flags"]))
        flow = pd.read_csv(folder / f"data/processed/{wave}/cleaning_summary.csv", keep_default_na=False)
        assert (found["kind"] == "rule_not_applied").sum() == (flow["step"] == "not_applied").sum()
        left_out = table_in(tables, "segments_left_out")
        assert (found["kind"] == "segments_left_out").sum() == int(len(left_out) > 0)
        validity = table_in(tables, "cfa_validity")
        assert found["kind"].isin(["ave", "cr", "fornell_larcker", "htmt"]).sum() == (validity["ok"] == False).sum()  # noqa: E712
    invariance = table_in(folder / "reports/waves/tables", "invariance")
    across = pd.read_csv(folder / "reports/waves/tables/cautions.csv", keep_default_na=False)
    for (grouping, measure), part in invariance[invariance["status"] != "ok"].groupby(["grouping", "measure"]):
        assert across["concerns"].eq(f"{measure}, {grouping}").any(), (grouping, measure)


def test_small_servperf_study_is_cautioned(small_servperf):
    found = cautions(small_servperf, "only")
    assert "rule_not_applied" in set(found["kind"])  # speeders without a duration column
    assert "small_sample" in set(found["kind"])  # 80 respondents for a 22-item CFA
    methods = (small_servperf / "reports/only/methods.md").read_text(encoding="utf-8")
    assert "the speeder rule could not be applied (no duration column is configured in columns.duration)" in methods
    across = pd.read_csv(small_servperf / "reports/waves/tables/cautions.csv")
    assert "1 group(s) large enough to compare" in across.loc[across["concerns"] == "perception, wave", "text"].item()
    html = (small_servperf / "reports/waves/report.html").read_text(encoding="utf-8")
    assert "it is not established that customers read the items the same way" in html
    assert ">not assessed<" in html and "not supported" not in html


def test_indistinct_dimensions_are_named_in_the_cautions(indistinct):
    found = cautions(indistinct, "single")
    pair = found[found["concerns"].str.contains("reliability–responsiveness")
                 | found["text"].str.contains("reliability and responsiveness")]
    assert len(pair) >= 2, found.to_string()
    assert {"fornell_larcker", "htmt"} <= set(pair["kind"]) | {"latent_correlation"}
    assert re.search(r"latent correlation (0\.99\d|1\.\d+)", " ".join(pair["text"]))


def test_cross_wave_tables_follow_the_sheet_order(adjusted_waves):
    order = [wave for wave, _ in SHEET]
    tables = adjusted_waves / "reports/waves/tables"
    for name in ("wave_gaps", "wave_reliability", "wave_fit", "wave_exclusions", "wave_segments"):
        assert list(dict.fromkeys(pd.read_csv(tables / f"{name}.csv")["wave"])) == order, name
    changes = pd.read_csv(tables / "wave_changes.csv")
    pairs = changes[["comparison", "wave_a", "wave_b"]].drop_duplicates().values.tolist()
    assert pairs == [["consecutive", a, b] for a, b in zip(order, order[1:])] + [
        ["from_first", "spring", "wave2"], ["from_first", "spring", "wave10"]
    ]
    invariance = pd.read_csv(tables / "invariance.csv")
    assert set(invariance.loc[invariance["grouping"] == "wave", "groups"]) == {", ".join(order)}
    html = (adjusted_waves / "reports/waves/report.html").read_text(encoding="utf-8")
    assert html.index("spring") < html.index("autumn") < html.index("wave2") < html.index("wave10")
