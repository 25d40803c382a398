"""End to end: the example study in a temporary copy, a second study in its own folder, the
nothing-to-be-done check, reruns after a code edit, and personal data kept out of the outputs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from servqual.instrument import instrument_from_config
from servqual.outputs import TABLES, column_pattern
from servqual.simulate import simulate_survey

from studies import CONSOLE, PERSONAL, ROOT, STUDY, WORKFLOW, copy_tree, snakemake

pytestmark = pytest.mark.slow


def planned_jobs(result: subprocess.CompletedProcess) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run."""
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1]
    rows = re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M)
    return {rule: int(n) for rule, n in rows if rule != "total"}


# What the example's planted faults make the workflow say about its data (faults in the complaint
# logs, a code outside the codebook): findings for the researcher, also in the tables and the
# Cautions, not warnings about the software.
DATA_FINDINGS = re.compile(
    r"^WARNING:root:(\d+ problem\(s\) in the complaint log|problems in data/raw/\w+/complaints\.csv:"
    r"|Codes not in the codebook)"
)


def test_a_normal_run_prints_no_warning_and_ends_with_the_reports(example):
    """Neither the console nor any job's log of the example run has a warning (a kernel's
    transport, a kernel interrupted at shutdown, a missing font...); the run ends with the reports."""
    sources = {"console": CONSOLE[example]}
    sources.update({str(log.relative_to(example)): log.read_text(encoding="utf-8", errors="replace")
                    for log in sorted((example / "logs").rglob("*.log"))})
    found = {}
    for source, text in sources.items():
        lines = [line for line in text.splitlines()
                 if re.search(r"warn|KeyboardInterrupt", line, re.I) and not DATA_FINDINGS.match(line)]
        if lines:
            distinct = sorted(set(lines), key=lines.index)
            found[source] = [f"{lines.count(line)} x {line[:200]}" for line in distinct]
    assert not found, "\n".join(f"{source}:\n  " + "\n  ".join(lines) for source, lines in found.items())
    tail = CONSOLE[example].split("Reports, in ", 1)[1].splitlines()
    assert [line.strip() for line in tail[1:4]] == [
        "reports/wave1/report.html", "reports/wave2/report.html", "reports/waves/report.html"]


def test_a_failed_job_prints_its_log_and_no_reports(tmp_path):
    """The default profile's show-failed-logs: the cause of a failure is in the console, under
    Snakemake's error, and the run does not end with the list of reports."""
    copy_tree(WORKFLOW + STUDY, tmp_path)
    survey = tmp_path / "data/raw/wave1/survey.csv"
    pd.read_csv(survey, dtype=str).drop(columns=["E1"]).to_csv(survey, index=False)
    result = snakemake("data/processed/wave1/responses.parquet", cwd=tmp_path)
    assert result.returncode != 0
    console = result.stdout + result.stderr
    log = console.split("Logfile logs/wave1/clean.log:", 1)[1]
    assert "missing required columns: measure ['E1']" in log
    assert "Reports, in" not in console


def test_every_wave_gets_an_executed_report(example):
    waves = pd.read_csv(example / "config/waves.tsv", sep="\t")["wave"]
    for wave in waves:
        html = (example / f"reports/{wave}/report.html").read_text(encoding="utf-8")
        for section in ("Summary", "Cautions", "Data and cleaning", "Reliability", "Factor structure",
                        "Gaps between perceptions and expectations", "Interviews and triangulation", "Complaints",
                        "Improvement priorities", "Methods", "Provenance"):
            assert f">{section}<" in html, section
        assert html.count("data:image/png") >= 4
        assert "Traceback" not in html
        summary = pd.read_csv(example / f"data/processed/{wave}/cleaning_summary.csv")
        exclusions = pd.read_csv(example / f"data/processed/{wave}/exclusions.csv")
        counts = summary.set_index("step")["n"]
        assert counts["read"] == counts["kept"] + len(exclusions)
    html = (example / "reports/waves/report.html").read_text(encoding="utf-8")
    assert "Can the waves" in html and "Traceback" not in html


def test_nothing_to_be_done_after_a_complete_run(example):
    assert planned_jobs(snakemake("-n", cwd=example)) == {}


def test_editing_a_library_module_reruns_only_the_jobs_that_import_it(example):
    module = example / "src/servqual/gaps.py"
    original = module.read_text(encoding="utf-8")
    try:
        module.write_text(original + "\n# an edit\n", encoding="utf-8")
        jobs = planned_jobs(snakemake("-n", cwd=example))
    finally:
        module.write_text(original, encoding="utf-8")
    # gaps.py is imported by the gap rule (descriptives, gaps, importance, segments), the
    # priorities, the cross-wave step and, through servqual.waves, the KPI scorecards and the
    # action checks; the rest rerun only because those tables feed them.
    # Cleaning, reliability, EFA and CFA do not import it and stay as they are.
    downstream = {"figures": 2, "interviews": 2, "sources": 2, "narrative": 2, "report_wave": 2, "report_waves": 1,
                  "exports": 2, "apa_tables": 2, "all": 1}
    assert jobs == {"gaps": 2, "priorities": 2, "waves": 1, "kpi": 2, "actions": 1, **downstream}


def planned_after_config_edit(example: Path, old: str, new: str) -> dict[str, int]:
    """The dry run's jobs after replacing ``old`` by ``new`` in the example's config (restored after)."""
    config = example / "config/config.yaml"
    original = config.read_text(encoding="utf-8")
    assert original.count(old) == 1, old
    try:
        config.write_text(original.replace(old, new), encoding="utf-8")
        return planned_jobs(snakemake("-n", cwd=example))
    finally:
        config.write_text(original, encoding="utf-8")


# Jobs that read the instrument's structure only (instrument_structure() in common.smk), and
# the steps that feed nothing but them: display text never reruns them.
ANALYSIS_JOBS = {"clean", "reliability", "efa", "cfa", "gaps", "priorities", "interviews", "complaints", "sources"}


def test_editing_a_label_in_a_language_the_report_does_not_use_reruns_only_the_record(example):
    """The example reports in English: a Korean dimension label reaches no step's params but the
    provenance record of the config, and the wave report that shows that record."""
    jobs = planned_after_config_edit(example, "ko: 유형성}", "ko: 유형적 요소}")
    assert jobs == {"provenance": 2, "report_wave": 2, "all": 1}


def test_editing_an_items_wording_reruns_only_the_jobs_that_show_words(example):
    """An item's wording in the report language reaches the steps that show it (instrument_words()
    in common.smk): the figures, the cautions of the wave (narrative) and of the waves (waves,
    which also draws the trend), the reports, the Word tables and the exports (SPSS variable
    labels), and the provenance record; no analysis."""
    jobs = planned_after_config_edit(
        example, "The service hall has up-to-date equipment.", "The service hall has modern equipment.")
    assert not ANALYSIS_JOBS & set(jobs)
    per_wave = ["figures", "narrative", "provenance", "report_wave", "apa_tables", "exports"]
    assert jobs == {**dict.fromkeys(per_wave, 2), "waves": 1, "report_waves": 1, "all": 1}


def test_changing_a_cleaning_option_reruns_cleaning_and_everything_downstream(example):
    config = example / "config/config.yaml"
    original = config.read_text(encoding="utf-8")
    try:
        config.write_text(original.replace("min_seconds: 120", "min_seconds: 100"), encoding="utf-8")
        jobs = planned_jobs(snakemake("-n", cwd=example))
    finally:
        config.write_text(original, encoding="utf-8")
    per_wave = [
        "clean", "reliability", "efa", "cfa", "gaps", "priorities", "interviews", "sources", "figures", "provenance",
        "narrative", "report_wave", "exports", "apa_tables", "kpi", "ep_invariance", "structural",
    ]
    assert jobs == {**dict.fromkeys(per_wave, 2), "waves": 1, "actions": 1, "report_waves": 1, "all": 1}


def test_adding_a_wave_runs_only_that_wave_and_the_cross_wave_jobs(example):
    sheet = example / "config/waves.tsv"
    original = sheet.read_text(encoding="utf-8")
    survey = example / "data/raw/wave3/survey.csv"
    survey.parent.mkdir()
    shutil.copy(example / "data/raw/wave2/survey.csv", survey)
    try:
        # A row that stops before the optional columns (interviews, complaints) is valid.
        sheet.write_text(original + "wave3\tdata/raw/wave3/survey.csv\n", encoding="utf-8")
        result = snakemake("-n", cwd=example)
    finally:
        sheet.write_text(original, encoding="utf-8")
        shutil.rmtree(survey.parent)
    per_wave = ["clean", "reliability", "efa", "cfa", "gaps", "priorities", "figures", "provenance", "narrative",
                "report_wave", "exports", "apa_tables", "kpi", "ep_invariance", "structural"]
    assert planned_jobs(result) == {**dict.fromkeys(per_wave, 1), "waves": 1, "actions": 1, "report_waves": 1, "all": 1}
    assert "wave=wave1" not in result.stdout and "wave=wave2" not in result.stdout


def test_the_study_and_workflow_moved_to_another_path_rerun_nothing(example, tmp_path):
    moved = tmp_path / "elsewhere" / "study"
    shutil.copytree(example, moved, symlinks=True)  # with .snakemake, modification times kept
    assert planned_jobs(snakemake("-n", cwd=moved)) == {}


def test_a_fresh_clone_of_the_workflow_at_another_path_reruns_nothing(example, tmp_path):
    """A team member runs the study with their own checkout: every file of the workflow is newer
    than the outputs and sits at another path. Only a change of content reruns a job."""
    clone = tmp_path / "clone"
    copy_tree(WORKFLOW, clone)
    later = max(p.stat().st_mtime for p in (example / "reports").rglob("*")) + 3600
    for path in clone.rglob("*"):
        os.utime(path, (later, later))
    run = ["-n", "--snakefile", str(clone / "Snakefile"), "--directory", str(example)]
    assert planned_jobs(snakemake(*run, cwd=tmp_path)) == {}
    script = clone / "workflow/scripts/efa.py"
    script.write_text(script.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    jobs = planned_jobs(snakemake(*run, cwd=tmp_path))
    # The EFA tables feed the wave's figures and report, not the cross-wave step.
    assert jobs == {"efa": 2, "figures": 2, "narrative": 2, "report_wave": 2, "exports": 2, "apa_tables": 2, "all": 1}


def test_the_workflow_proposes_a_mapping_for_a_wave_export(example):
    """servqual-map through the workflow: a wave's export read with the waves sheet's settings."""
    target = "reports/wave1/proposed_mapping.yaml"
    result = snakemake(target, cwd=example)
    assert result.returncode == 0, result.stderr[-3000:]
    proposal = yaml.safe_load((example / target).read_text(encoding="utf-8"))
    assert proposal["measures"]["expectation"]["map"]["q1"] == "E1"
    assert proposal["measures"]["perception"]["map"]["q22"] == "P22"
    assert proposal["columns"]["respondent_id"] == "resp_id"
    assert set(proposal["columns"]["personal_data"]) >= {"name", "phone", "email"}
    (example / target).unlink()


def test_touching_a_raw_file_without_changing_it_reruns_nothing(example):
    survey = example / "data/raw/wave1/survey.csv"
    before = survey.stat()
    try:
        os.utime(survey, (before.st_atime + 3600, before.st_mtime + 3600))
        jobs = planned_jobs(snakemake("-n", cwd=example))
    finally:
        os.utime(survey, (before.st_atime, before.st_mtime))
    # Snakemake (9.18 and later) compares content checksums before modification times.
    assert jobs == {}


def test_removing_a_wave_reruns_only_the_cross_wave_jobs(example):
    sheet = example / "config/waves.tsv"
    original = sheet.read_text(encoding="utf-8")
    try:
        sheet.write_text("\n".join(original.splitlines()[:2]) + "\n", encoding="utf-8")
        result = snakemake("-n", cwd=example)
    finally:
        sheet.write_text(original, encoding="utf-8")
    assert planned_jobs(result) == {"waves": 1, "actions": 1, "report_waves": 1, "all": 1}
    assert "wave=wave2" not in result.stdout


def test_no_personal_data_reaches_processed_data_or_reports(example):
    planted: set[str] = set()
    for survey in (example / "data/raw").glob("*/survey.csv"):
        raw = pd.read_csv(survey, dtype=str, usecols=PERSONAL)
        planted |= {v for v in raw.to_numpy().ravel() if isinstance(v, str) and len(v) >= 4}
    assert len(planted) > 1000
    pattern = re.compile("|".join(re.escape(v) for v in sorted(planted, key=len, reverse=True)))
    outputs = [p for d in ("data/processed", "reports") for p in (example / d).rglob("*") if p.is_file()]
    assert len(outputs) > 20
    for path in outputs:
        if path.suffix == ".parquet":
            text = pd.read_parquet(path).to_csv()
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        found = pattern.search(text)
        assert found is None, f"{path} contains the personal value {found.group()!r}"


def test_unknown_config_key_is_an_error_that_names_it(example, tmp_path):
    config = yaml.safe_load((example / "config/config.yaml").read_text(encoding="utf-8"))
    config["cleaning"]["straightlinning"] = True
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = snakemake("-n", "--configfile", str(bad), cwd=example)
    assert result.returncode != 0
    # One line naming the file, the key and what is allowed; no schema, no traceback.
    assert re.search(r"^config/config\.yaml \+ \S*bad\.yaml: cleaning: unknown key 'straightlinning' \(allowed: "
                     r"[a-z_, ]+; did you mean 'straightlining'\?\)$", result.stderr, re.M), result.stderr
    assert "description" not in result.stderr and "Traceback" not in result.stderr and 'File "' not in result.stderr


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda rows: [*rows, rows[1].replace("wave1", "wave 9", 1)],
         r"line 4, column wave: 'wave 9' does not match"),
        (lambda rows: [*rows, rows[1]], r"line 4: wave wave1 appears twice"),
        (lambda rows: [*rows, rows[1] + "\textra"], r"line 4: more fields than the header has columns"),
        (lambda rows: [rows[0] + "\tcolour", *(row + "\tred" for row in rows[1:])],
         r"line 2: unknown column 'colour' \(allowed: wave, survey, interviews, start, end, notes, reader, "
         r"encoding, sheet, export_format, complaints\)"),
    ],
    ids=["bad wave id", "duplicated wave", "extra field", "unknown column"],
)
def test_faults_in_the_waves_sheet_name_its_line(example, fault, message):
    rows = (example / "config/waves.tsv").read_text(encoding="utf-8").splitlines()
    # Inside the study folder: a waves sheet anywhere else is refused before it is read.
    sheet = "config/faulty_waves.tsv"
    (example / sheet).write_text("\n".join(fault(rows)) + "\n", encoding="utf-8")
    try:
        result = snakemake("-n", "--config", f"waves={sheet}", cwd=example)
    finally:
        (example / sheet).unlink()
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert re.search(rf"waves sheet {re.escape(sheet)}, {message}", output), output[-2000:]


def perception_only_study(folder: Path) -> None:
    """A SERVPERF study with its own three-dimension instrument, Chinese wording only, and a
    minimal config that leaves every optional section to the schema's defaults."""
    dims = ["环境", "效率", "态度"]
    instrument = {
        "scale": {"min": 1, "max": 5, "integer": True},
        "dimensions": [{"id": f"d{k}", "label": {"zh": name}} for k, name in enumerate(dims, 1)],
        "items": [
            {"id": f"q{k}{j}", "dimension": f"d{k}", "text": {"zh": f"{name}题目{j}"}}
            for k, name in enumerate(dims, 1)
            for j in range(1, 4)
        ],
    }
    measures = {"perception": {"pattern": "Q{index}"}}
    config = {
        "study": {"title": "诊所服务感知", "language": "zh"},
        "instrument": instrument,
        "measures": measures,
        "columns": {"respondent_id": "resp_id", "personal_data": ["name", "phone", "email", "id_number"]},
        "cleaning": {"missing_codes": ["99", "-1", "N/A", "不适用"]},
    }
    (folder / "config").mkdir(parents=True)
    (folder / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (folder / "config/waves.tsv").write_text("wave\tsurvey\nspring\tdata/raw/spring.csv\n", encoding="utf-8")
    survey = simulate_survey(instrument_from_config(instrument, measures), 150, seed=7)
    (folder / "data/raw").mkdir(parents=True)
    survey.drop(columns=["attention"]).to_csv(folder / "data/raw/spring.csv", index=False)


def test_another_study_folder_runs_with_the_same_workflow(example, tmp_path):
    study = tmp_path / "clinic"
    perception_only_study(study)
    result = snakemake("--directory", str(study), cwd=example)
    assert result.returncode == 0, result.stderr[-5000:]
    html = (study / "reports/spring/report.html").read_text(encoding="utf-8")
    assert "本研究只测量了感知（SERVPERF）" in html
    assert "环境" in html and ">摘要<" in html  # labels and headings in the study's language
    assert not (example / "reports/spring").exists()
    assert planned_jobs(snakemake("-n", "--directory", str(study), cwd=example)) == {}


@pytest.mark.parametrize(("column", "table"), [("complaints", "complaints_by_dimension"), ("interviews", "triangulation")])
def test_a_wave_without_a_complaint_log_or_interviews_gets_no_job_for_them(tmp_path, column, table):
    """Where the waves sheet names no complaint log (no interview folder) for wave 2, only wave 1
    gets a complaints (interviews) job, and asking for wave 2's table fails naming it."""
    copy_tree(WORKFLOW + STUDY, tmp_path)
    assert planned_jobs(snakemake("-n", cwd=tmp_path))[column] == 2
    waves = pd.read_csv(tmp_path / "config/waves.tsv", sep="\t", dtype=str, keep_default_na=False)
    waves.loc[waves["wave"] == "wave2", column] = ""
    waves.to_csv(tmp_path / "config/waves.tsv", sep="\t", index=False)
    assert planned_jobs(snakemake("-n", cwd=tmp_path))[column] == 1
    missing = snakemake("-n", f"reports/wave2/tables/{table}.csv", cwd=tmp_path)
    assert missing.returncode != 0
    assert f"reports/wave2/tables/{table}.csv" in missing.stdout + missing.stderr


def test_the_outputs_registry_lists_every_table_of_a_run_with_its_columns(example):
    """Every CSV table a run writes is in servqual.outputs.TABLES (whence docs/outputs.md) with
    exactly its columns; tests/test_outputs.py checks the same against the snapshot of the tables."""
    registered = {table.path: table.columns for table in TABLES}
    written = [
        p for d in ("data/processed/wave1", "reports/wave1/tables") for p in sorted((example / d).glob("*.csv"))
    ]
    assert len(written) >= 20
    for path in written:
        pattern = str(path.relative_to(example)).replace("wave1", "{wave}")
        assert pattern in registered, f"servqual.outputs.TABLES does not list {pattern}"
        header = ",".join(pd.read_csv(path, nrows=0).columns)
        assert re.fullmatch(column_pattern(registered[pattern]), header), (pattern, header)


def test_workflow_passes_snakemake_lint_and_snakefmt():
    lint = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "SERVQUAL_SALT": "test-salt"},
    )
    assert lint.returncode == 0 and "Lints for" not in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    snakefmt = shutil.which("snakefmt", path=str(Path(sys.executable).parent)) or "snakefmt"
    fmt = subprocess.run([snakefmt, "--check", "Snakefile", "workflow"], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def debian_package(command: str, package: str) -> str:
    """Path of a program from a Debian package, installed here if missing and allowed (root,
    apt-get present); the test is skipped with the reason otherwise."""
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"{command} is not installed and cannot be (needs root and apt-get)")
    install = subprocess.run(
        f"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}",
        shell=True, capture_output=True, text=True,
    )
    if install.returncode != 0 or not shutil.which(command):
        pytest.skip(f"apt-get could not install {package}: {install.stderr[-500:]}")
    return shutil.which(command)


def cjk_font() -> None:
    """Make sure matplotlib finds Noto Sans CJK (fonts-noto-cjk), installing it where allowed."""
    from matplotlib import font_manager

    def found() -> bool:
        return "NotoSansCJK" in font_manager.findfont("Noto Sans CJK SC", fallback_to_default=True).replace(" ", "")

    if not found():
        debian_package("fc-list", "fontconfig")
        if not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists():
            if os.geteuid() != 0 or not shutil.which("apt-get"):
                pytest.skip("fonts-noto-cjk is not installed and cannot be")
            subprocess.run("apt-get install -y -qq fonts-noto-cjk", shell=True, capture_output=True)
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        if not found():
            pytest.skip("matplotlib does not find Noto Sans CJK SC")


def test_html_reports_render_in_headless_chromium(example, tmp_path):
    import base64

    chromium = debian_package("chromium", "chromium")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    for report in ["wave1", "wave2", "waves"]:
        page = example / f"reports/{report}/report.html"
        shot = tmp_path / f"{report}.png"
        run = subprocess.run([chromium, *flags, "--window-size=1200,3000", f"--screenshot={shot}", page.as_uri()],
                             capture_output=True, text=True, timeout=120)
        assert shot.exists() and shot.stat().st_size > 50_000, run.stderr[-2000:]
        dom = subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                             timeout=120).stdout
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in dom, f"{report}: a cell wrote to stderr"
        assert "Traceback" not in dom, f"{report}: a cell failed"
        images = re.findall(r'<img[^>]+src="data:image/png;base64,([^"]+)"', dom)
        assert images and len(images) == dom.count("<img"), f"{report}: an image is not embedded"
        assert all(base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n" for img in images)


def test_report_summary_numbers_match_the_tables(example):
    html = (example / "reports/wave1/report.html").read_text(encoding="utf-8")
    flow = pd.read_csv(example / "data/processed/wave1/cleaning_summary.csv").set_index("step")["n"]
    assert f"The answers of {flow['kept']} respondents were analysed, of {flow['read']} rows read" in html
    priorities = pd.read_csv(example / "reports/wave1/tables/priorities.csv")
    top = priorities[(priorities["level"] == "dimension") & (priorities["priority_index"] > 0)].head(3)
    summary = html.split('class="summary"', 1)[1].split("</section>", 1)[0]
    for _, row in top.iterrows():
        assert f"fall {-row['gap']:.2f} points short" in summary
        assert f"between {-row['gap_ci_high']:.2f} and {-row['gap_ci_low']:.2f} points" in summary
    scores = pd.read_csv(example / "reports/wave1/tables/servqual_scores.csv").set_index("score")
    assert f"items): {scores.loc['servqual', 'mean']:.2f}".replace("-", "−") in summary


def test_snakemake_report_archive(example):
    result = snakemake("--report", "reports/report.zip", cwd=example)
    assert result.returncode == 0, result.stderr[-3000:]
    import zipfile

    names = zipfile.ZipFile(example / "reports/report.zip").namelist()
    assert any(n.endswith("item_gaps.png") for n in names) and any(n.endswith("trend.png") for n in names)
    # The reports themselves and the tables to take away, not only the figures.
    files = [n.rsplit("/", 1)[-1] for n in names]
    assert files.count("report.html") >= 4  # the archive's own page, two waves, across waves
    assert files.count("tables.docx") == 2 and files.count("results.xlsx") == 2


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    import warnings

    import matplotlib.pyplot as plt

    from servqual import plots

    cjk_font()
    descriptives = pd.DataFrame({
        "measure": ["perception"] * 3, "key": ["d1", "d2", "d3"], "mean": [4.0, 5.0, 3.5],
        "ci_low": [3.8, 4.7, 3.2], "ci_high": [4.2, 5.3, 3.8],
    })
    labels = pd.Series({"d1": "有形性", "d2": "可靠性", "d3": "响应性"})
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Glyph.*missing.*")
        fig = plots.measure_profile(descriptives, labels, "维度均值")
        fig.savefig(tmp_path / "zh.png")
        plots.radar(descriptives, labels, "雷达图").savefig(tmp_path / "radar.png")
    plt.close("all")


# --- The same results on every CPU -------------------------------------------------------------
# OpenBLAS picks a kernel per CPU, and OPENBLAS_CORETYPE makes it pick another, as numpy would on
# a user's machine. "own" is the kernel this machine picks by itself.
KERNELS = ["Prescott", "Haswell", "own"]
ANALYSES_ONLY = ["--omit-from", "figures", "provenance", "report_wave", "report_waves"]


def kernel_env(kernel: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    return env if kernel == "own" else {**env, "OPENBLAS_CORETYPE": kernel}


def blas_kernel(env: dict[str, str]) -> str | None:
    """The kernel OpenBLAS runs under this environment, or None where it cannot run here."""
    probe = "import numpy, threadpoolctl; print(threadpoolctl.threadpool_info()[0]['architecture'])"
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def runnable_kernel(kernel: str) -> str:
    found = blas_kernel(kernel_env(kernel))
    if found is None:
        pytest.skip(f"OpenBLAS kernel {kernel} does not run on this CPU")
    return found


@pytest.mark.parametrize("kernel", KERNELS)
def test_simulator_gives_the_same_bytes_under_every_blas_kernel(kernel, tmp_path):
    runnable_kernel(kernel)
    out = tmp_path / "survey.csv"
    command = [sys.executable, "-m", "servqual.simulate", "--n", "400", "--wave", "1", "--seed", "20260302"]
    subprocess.run([*command, "--out", str(out)], env=kernel_env(kernel), check=True)
    assert out.read_bytes() == (ROOT / "data/raw/wave1/survey.csv").read_bytes()


def study_tables(root: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(root)): pd.read_csv(p) for p in sorted((root / "reports").rglob("tables/*.csv"))}


def assert_same_tables(expected: dict[str, pd.DataFrame], found: dict[str, pd.DataFrame], kernel: str) -> None:
    """Text columns equal; numbers equal to 1e-9 (relative to their size where above 1)."""
    assert sorted(found) == sorted(expected)
    for name, table in expected.items():
        other = found[name]
        assert list(other.columns) == list(table.columns), name
        numeric = table.select_dtypes("number").columns
        pd.testing.assert_frame_equal(other.drop(columns=numeric), table.drop(columns=numeric), obj=name)
        for column in numeric:
            a, b = table[column].to_numpy(float), other[column].to_numpy(float)
            close = np.isclose(b, a, rtol=1e-9, atol=1e-9, equal_nan=True)
            assert close.all(), f"{kernel}: {name}, column {column}, rows {np.flatnonzero(~close).tolist()}"


@pytest.mark.parametrize("kernel", KERNELS)
def test_example_study_tables_are_the_same_under_every_blas_kernel(example, kernel, tmp_path):
    """Every table of the example study, computed under another OpenBLAS kernel, equals the run
    of the `example` fixture (under this environment's kernel) to 1e-9."""
    architecture = runnable_kernel(kernel)
    if architecture == blas_kernel(dict(os.environ)):
        pytest.skip(f"{kernel} runs the kernel of the example run ({architecture}): compared by itself")
    root = tmp_path / "study"
    copy_tree(WORKFLOW + STUDY, root)
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *ANALYSES_ONLY],
        cwd=root, capture_output=True, text=True, env={**kernel_env(kernel), "SERVQUAL_SALT": "test-salt"},
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert_same_tables(study_tables(example), study_tables(root), f"{kernel} ({architecture})")
