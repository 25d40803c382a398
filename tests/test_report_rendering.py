"""The reports as readers get them: the example study's wave and cross-wave reports in English and
Chinese, and a small Korean study's, laid out by headless Chromium at 1400 and 800 pixels and
photographed, must show no NaN, no index column, no cut cell, nothing wider than the window, no
resource from another host, no sentence or heading outside the report's language (names and
references aside) and no character without a glyph."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import report_checks
from servqual.instrument import instrument_from_config
from servqual.simulate import simulate_survey
from studies import ROOT, WORKFLOW, copy_tree, snakemake

pytestmark = pytest.mark.slow


def config_of(folder: Path) -> dict:
    return yaml.safe_load((folder / "config/config.yaml").read_text(encoding="utf-8"))


def names_in(folder: Path) -> list[str]:
    """What a report may show in the language it was written in: the study's title, its wave
    ids and the raw column names and values of its complaint log (as recorded). The titles of its
    improvement actions are not among them: the register gives them in each report language."""
    config = config_of(folder)
    waves = pd.read_csv(folder / "config/waves.tsv", sep="\t")["wave"].tolist()
    complaint_columns = list((config.get("complaints") or {}).get("columns", {}).values())
    return [config["study"]["title"], *waves, *[c for c in complaint_columns if c]]


def assert_report_passes(page: Path, language: str, allow: list[str], browser, shots: Path) -> None:
    found = report_checks.check_report(page, language, allow, browser=browser, screenshots=shots)
    problems = {check: items[:5] for check, items in found.items() if items}
    assert not problems, f"{page}: {problems}"
    assert all((shots / f"{page.stem}-{width}.png").stat().st_size > 20_000 for width in (1400, 800))


def reports_of(folder: Path) -> list[Path]:
    waves = pd.read_csv(folder / "config/waves.tsv", sep="\t")["wave"].tolist()
    return [folder / f"reports/{wave}/report.html" for wave in waves] + [folder / "reports/waves/report.html"]


@pytest.fixture(scope="module")
def chinese_example(example, tmp_path_factory) -> Path:
    """The example study with its report language set to Chinese: only the steps that write
    words rerun."""
    folder = tmp_path_factory.mktemp("zh") / "study"
    shutil.copytree(example, folder, symlinks=True)
    config = config_of(folder)
    config["study"]["language"] = "zh"
    config["study"]["title"] = "营业厅服务质量调查"
    (folder / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                               encoding="utf-8")
    result = snakemake(cwd=folder)
    assert result.returncode == 0, result.stderr[-5000:]
    return folder


@pytest.fixture(scope="module")
def korean_study(tmp_path_factory) -> Path:
    """A small Korean study: the example instrument with its Korean labels, 240 simulated
    respondents in one wave, no interviews or complaint log."""
    folder = tmp_path_factory.mktemp("ko") / "study"
    copy_tree(WORKFLOW, folder)
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    config["study"] = {"title": "매장 서비스 품질 조사", "language": "ko"}
    config.pop("complaints", None)
    (folder / "config").mkdir(parents=True)
    shutil.copy(ROOT / "config/codebook.yaml", folder / "config/codebook.yaml")
    (folder / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                               encoding="utf-8")
    (folder / "config/waves.tsv").write_text("wave\tsurvey\nw1\tdata/raw/survey.csv\n", encoding="utf-8")
    # One action, started after the only wave: the cross-wave report says the next wave checks it.
    (folder / "config/actions.tsv").write_text(
        "id\ttitle\ttargets\tafter_wave\nqueue\t대기열 관리 프로그램\tresponsiveness\tw1\n", encoding="utf-8")
    instrument = instrument_from_config(config["instrument"], config["measures"], config["outcomes"])
    (folder / "data/raw").mkdir(parents=True)
    simulate_survey(instrument, 240, seed=11).to_csv(folder / "data/raw/survey.csv", index=False)
    result = snakemake(cwd=folder)
    assert result.returncode == 0, result.stderr[-5000:]
    return folder


@pytest.mark.parametrize("study, language", [("example", "en"), ("chinese_example", "zh"), ("korean_study", "ko")])
def test_reports_read_cleanly_in_the_study_language(study, language, request, browser, tmp_path):
    folder = request.getfixturevalue(study)
    for page in reports_of(folder):
        assert_report_passes(page, language, names_in(folder), browser, tmp_path / page.parent.name)


def test_word_tables_hold_the_numbers_of_the_csv_tables(example):
    """tables.docx opens in python-docx, numbers its tables as the report does, and prints the
    gap table's numbers as the CSV table has them (written the APA way)."""
    import docx

    from servqual.apa import format_value, interval

    document = docx.Document(str(example / "reports/wave1/tables.docx"))
    paragraphs = [p.text for p in document.paragraphs]
    captions = [paragraphs[i + 1] for i, text in enumerate(paragraphs) if text.startswith("Table ")]
    assert len(captions) == len(document.tables) >= 20
    table = document.tables[captions.index("Gaps between perceptions and expectations per dimension")]
    gaps = pd.read_csv(example / "reports/wave1/tables/gaps_dimensions.csv")
    rows = [[cell.text for cell in row.cells] for row in table.rows][1:]
    assert len(rows) == len(gaps)
    runs = [[run for cell in row.cells for run in cell.paragraphs[0].runs] for row in table.rows]
    assert all(run.bold for run in runs[0]) and not any(run.bold for row in runs[1:] for run in row)
    for row, (_, expected) in zip(rows, gaps.iterrows()):
        assert row[1:] == [format_value(expected["mean_e"], "mean"), format_value(expected["mean_p"], "mean"),
                           format_value(expected["gap"], "mean"),
                           interval(expected["gap_ci_low"], expected["gap_ci_high"], "mean"),
                           format_value(expected["t"], "mean"), format_value(expected["p_adj"], "p"),
                           format_value(expected["d_z"], "mean")]
