"""Study files from strangers: nothing in them runs as code, nothing outside the study is read.

Each case takes the example study (copied into ``tmp_path/study``) and plants one hostile or
careless input: a config that is a YTE template, a YAML tag that builds Python objects, a path
that leaves the study folder (absolute, ``..``, a URL, a symbolic link), a FIFO where a file is
expected, a wave id the workflow's own folders take. Beside the study, ``tmp_path/outside`` holds
a secret. Every case asserts the message (the file and line that referred to the input), that no
output was written, and that the secret appears in no file under ``data/processed/``,
``reports/``, ``logs/`` or ``.snakemake/``.

The workflow refuses these inputs while it parses its rules, before any job: the cases run
``snakemake -n`` (and, where the input is read as the workflow starts, a normal run of one target,
``reports/wave1/provenance.json``, whose job would hash every raw file of the wave). Readers the
library offers on their own (documents tables, REFI-QDA projects, codebooks) are tested directly.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from studies import STUDY, WORKFLOW, copy_tree, snakemake

from servqual.codebook import load_codebook
from servqual.interviews import read_coded_segments
from servqual.qda import read_qdpx
from servqual.study_files import (
    StudyFileError,
    check_study_yaml,
    load_study_yaml,
    study_path,
)
from servqual.transcripts import read_documents_table

SECRET = "SECRET-b7e1-do-not-copy"
#: Where the example study keeps what these cases change.
WAVES = "config/waves.tsv"
INTERVIEWS = "data/raw/wave1/interviews"
#: A quick target whose job would read (hash) every raw file of wave 1.
PROVENANCE = "reports/wave1/provenance.json"
#: Folders a run writes into; none may hold an output, or the secret, after a refused run.
WRITTEN = ("data/processed", "reports", "logs", ".snakemake")
#: A YTE expression that leaves a file behind when it runs.
YTE = '__use_yte__: true\nplanted: ?__import__("pathlib").Path("PWNED").touch()\n'


def run(study: Path, *args: str) -> subprocess.CompletedProcess:
    """Snakemake in the study folder, the workflow profile included (as a user runs it)."""
    return snakemake(*args, cwd=study, cores=1, timeout=300)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """The example study in tmp_path/study, and a secret beside it in tmp_path/outside."""
    root = tmp_path / "study"
    copy_tree(WORKFLOW + STUDY, root)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Speaker: {SECRET}\n", encoding="utf-8")
    (outside / "secret.csv").write_text(f"id,P1\n1,{SECRET}\n", encoding="utf-8")
    return root


def set_cell(study: Path, wave: str, column: str, value: str) -> None:
    """Set one cell of the waves sheet (the header names the columns)."""
    path = study / WAVES
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    position = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == wave:
            row[position] = value
    path.write_text("\n".join("\t".join(row) for row in rows) + "\n", encoding="utf-8")


def assert_refused(result: subprocess.CompletedProcess, study: Path, message: str, *secrets: str) -> None:
    """The run failed with the message, wrote no output, and no file it wrote holds a secret."""
    console = result.stdout + result.stderr
    assert result.returncode != 0, console[-3000:]
    assert message in console, console[-3000:]
    assert "Traceback" not in console, console[-3000:]
    for folder in ("data/processed", "reports", "logs"):
        assert not [p for p in (study / folder).rglob("*") if p.is_file()], f"partial outputs in {folder}"
    for folder in WRITTEN:
        for path in (study / folder).rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                for secret in (SECRET, *secrets):
                    assert secret.encode() not in data, f"{secret} in {path}"
    assert not (study / "PWNED").exists()


# -- code execution ------------------------------------------------------------------------------
@pytest.mark.parametrize("dry", [True, False], ids=["dry-run", "run"])
def test_yte_config_does_not_run(study: Path, dry: bool) -> None:
    config = study / "config/config.yaml"
    config.write_text(YTE + config.read_text(encoding="utf-8"), encoding="utf-8")
    result = run(study, *(["-n"] if dry else [PROVENANCE]))
    assert_refused(result, study, "config/config.yaml, line 1: `__use_yte__` makes Snakemake read the file as a YTE")


@pytest.mark.parametrize("dry", [True, False], ids=["dry-run", "run"])
def test_yte_configfile_on_the_command_line_does_not_run(study: Path, dry: bool) -> None:
    """Snakemake reads --configfile while it parses its command line, before the workflow's
    code: the workflow profile refuses the file first."""
    other = study / "other.yaml"
    other.write_text((study / "config/config.yaml").read_text(encoding="utf-8") + YTE, encoding="utf-8")
    result = run(study, "--configfile", "other.yaml", *(["-n"] if dry else [PROVENANCE]))
    line = (study / "config/config.yaml").read_text(encoding="utf-8").count("\n") + 1
    assert_refused(result, study, f"other.yaml, line {line}: `__use_yte__`")


def test_python_tag_in_config_is_refused(study: Path) -> None:
    config = study / "config/config.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "waves: config/waves.tsv", 'waves: !!python/object/apply:os.system ["touch PWNED"]'
    )
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index('waves: !!python/object/apply:os.system ["touch PWNED"]') + 1
    result = run(study, "-n")
    assert_refused(result, study, f"config/config.yaml, line {line}: the YAML tag !!python/object/apply:os.system is not allowed")


def test_python_tag_in_codebook_is_refused_as_the_run_starts(study: Path) -> None:
    codebook = study / "config/codebook.yaml"
    lines = codebook.read_text(encoding="utf-8").splitlines()
    lines.insert(1, "description: !!python/object:servqual.interviews.Codebook {}")
    codebook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(study, PROVENANCE)
    assert_refused(result, study, "config/codebook.yaml, line 2: the YAML tag !!python/object:servqual.interviews.Codebook is not allowed")


#: YAML a study file may not hold -> (reader, text, the refusal after "<file>, ").
REFUSED_YAML = {
    "python object": (load_codebook, "codes:\n  queue: !!python/object/new:os.system [echo]\n",
                      "line 2: the YAML tag !!python/object/new:os.system is not allowed"),
    "binary": (load_codebook, "codes:\n  queue:\n    label: !!binary aGVsbG8=\n",
               "line 3: the YAML tag !!binary is not allowed"),
    "set": (load_codebook, "codes: !!set {queue}\n", "line 1: the YAML tag !!set is not allowed"),
    "local tag": (load_codebook, "codes:\n  queue: !env HOME\n", "line 2: the YAML tag !env is not allowed"),
    "ordered map": (load_codebook, "codes: !!omap [{queue: 1}]\n", "line 1: the YAML tag !!omap is not allowed"),
    "yte switch": (load_study_yaml, "codes: {queue: {}}\n__use_yte__: true\n", "line 2: `__use_yte__`"),
    "recursive alias": (load_study_yaml, "codes:\n  queue: &q {related: [*q]}\n",
                        "line 2: a YAML alias refers to a node that contains it"),
}


@pytest.mark.parametrize(("reader", "text", "refusal"), REFUSED_YAML.values(), ids=list(REFUSED_YAML))
def test_yaml_that_is_not_plain_data_is_refused_naming_file_and_line(tmp_path: Path, reader, text: str,
                                                                     refusal: str) -> None:
    """Tags that build objects, Snakemake's YTE switch and aliases that contain themselves."""
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyFileError, match="^" + re.escape(f"{path}, {refusal}")):
        reader(path)


def test_plain_yaml_is_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text("base: &b {a: 1}\nmerged: {<<: *b, c: !!str 2, d: 2026-03-02, e: null}\n", encoding="utf-8")
    data = load_study_yaml(path)
    assert data["merged"]["a"] == 1 and data["merged"]["c"] == "2" and str(data["merged"]["d"]) == "2026-03-02"
    check_study_yaml(Path(__file__).resolve().parents[1] / "config/config.yaml")


def laughs(levels: int = 12) -> str:
    """A "billion laughs" YAML: each level an alias of the one before, ten times (10^levels x's)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("reader", [check_study_yaml, load_study_yaml, load_codebook], ids=["check", "load", "codebook"])
def test_billion_laughs_is_refused_quickly_naming_the_bound(tmp_path: Path, reader, monkeypatch) -> None:
    """Aliases are counted in the size of the text (a trillion x's in well under a second), and
    a file over the bound is refused naming it and the variable that raises it."""
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(), encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(StudyFileError, match=rf"^{path}, line 6: its aliases expand to 1,111,111 nodes or more, over "
                                             r"the bound of 1,000,000 nodes .* SERVQUAL_LIMIT_YAML_NODES"):
        reader(path)
    assert time.perf_counter() - started < 1
    path.write_text(laughs(5), encoding="utf-8")  # 11,111 nodes: a file of anchors under the bound
    check_study_yaml(path)
    assert load_study_yaml(path)["a1"][9][0] == "x"
    monkeypatch.setenv("SERVQUAL_LIMIT_YAML_NODES", "10000")
    with pytest.raises(StudyFileError, match=r"over the bound of 10,000 nodes"):
        check_study_yaml(path)


def test_billion_laughs_config_stops_the_run_without_printing_the_document(study: Path) -> None:
    """The config is checked before Snakemake reads or validates it: the console holds the
    refusal, not a schema error that prints the expanded document."""
    config = study / "config/config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + laughs().replace("a0:", "z0:", 1), encoding="utf-8")
    result = run(study, "-n")
    assert_refused(result, study, "config/config.yaml, line")
    assert "SERVQUAL_LIMIT_YAML_NODES" in result.stderr and len(result.stdout + result.stderr) < 5000


# -- confinement to the study folder -------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("interviews", "/etc", "is an absolute path"),
        ("survey", "../outside/secret.csv", "leads out of the study folder (..)"),
        ("survey", "data/raw/../../../outside/secret.csv", "leads out of the study folder (..)"),
        ("complaints", "file:///etc/passwd", "is a URL"),
        ("survey", "~/secret.csv", "is a path in a home folder"),
        ("survey", "C:\\Users\\x\\secret.csv", "is an absolute path"),
    ],
    ids=["absolute folder", "dot-dot", "dot-dot inside a path", "file URL", "home folder", "windows drive"],
)
def test_waves_sheet_path_out_of_the_study_is_refused(study: Path, column: str, value: str, why: str) -> None:
    set_cell(study, "wave1", column, value)
    result = run(study, PROVENANCE)
    assert_refused(result, study, f"waves sheet {WAVES}, line 2, column {column}: {value!r} {why}", "shadow")


def test_survey_symlink_out_of_the_study_is_refused(study: Path) -> None:
    survey = study / "data/raw/wave1/survey.csv"
    survey.unlink()
    survey.symlink_to(study.parent / "outside/secret.csv")
    result = run(study, "-n")
    assert_refused(result, study, f"waves sheet {WAVES}, line 2, column survey: 'data/raw/wave1/survey.csv' is, or passes "
                                  "through, a symbolic link that leads out of the study folder")


def test_folder_symlink_out_of_the_study_is_refused(study: Path) -> None:
    (study / "data/raw/elsewhere").symlink_to(study.parent / "outside")
    set_cell(study, "wave1", "survey", "data/raw/elsewhere/secret.csv")
    result = run(study, PROVENANCE)
    assert_refused(result, study, "column survey: 'data/raw/elsewhere/secret.csv' is, or passes through, a symbolic link")


def test_symlink_in_the_interview_folder_is_refused(study: Path) -> None:
    (study / INTERVIEWS / "notes.txt").symlink_to(study.parent / "outside/secret.txt")
    result = run(study, PROVENANCE)
    assert_refused(result, study, f"waves sheet {WAVES}, line 2, column interviews ({INTERVIEWS}): in folder {INTERVIEWS}: "
                                  "'notes.txt' is, or passes through, a symbolic link that leads out of the study folder")


def test_symlink_inside_the_study_is_read(study: Path) -> None:
    (study / "data/raw/wave1/copy.csv").symlink_to(study / "data/raw/wave1/survey.csv")
    set_cell(study, "wave1", "survey", "data/raw/wave1/copy.csv")
    result = run(study, "-n", PROVENANCE)
    assert result.returncode == 0, result.stderr[-3000:]


def test_fifo_in_the_interview_folder_is_refused(study: Path) -> None:
    """A named pipe would block the job that opens it for ever."""
    os.mkfifo(study / INTERVIEWS / "coder_c.csv")
    result = run(study, "-n")
    assert_refused(result, study, f"in folder {INTERVIEWS}: 'coder_c.csv' is a FIFO (named pipe), not a regular file")


def test_device_as_survey_is_refused(study: Path) -> None:
    survey = study / "data/raw/wave1/survey.csv"
    survey.unlink()
    survey.symlink_to("/dev/zero")
    result = run(study, "-n")
    assert_refused(result, study, "column survey: 'data/raw/wave1/survey.csv' is, or passes through, a symbolic link")
    # Inside the study a device is refused as what it is.
    with pytest.raises(StudyFileError, match=r"'zero' is a device, not a regular file"):
        study_path("zero", referred_by="waves sheet", base="/dev")


def test_documents_table_line_out_of_the_study_is_refused(study: Path) -> None:
    table = study / INTERVIEWS / "documents.tsv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines.append("../../../../../outside/secret.txt\tstaff interview\t2026-03-18\tSpeaker=staff")
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(study, "-n")
    assert_refused(result, study, f"{INTERVIEWS}/documents.tsv, line {len(lines)}, column file: "
                                  "'../../../../../outside/secret.txt' leads out of the study folder (..)")


def test_config_paths_out_of_the_study_are_refused(study: Path) -> None:
    config = study / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("codebook: config/codebook.yaml", "codebook: /etc/passwd"), encoding="utf-8")
    assert_refused(run(study, "-n"), study, "config/config.yaml, key interviews.codebook: '/etc/passwd' is an absolute path",
                   "root:x:0")
    shutil.copy(study / WAVES, study.parent / "outside/waves.tsv")
    config.write_text(text.replace("waves: config/waves.tsv", "waves: ../outside/waves.tsv"), encoding="utf-8")
    assert_refused(run(study, "-n"), study, "config/config.yaml, key waves: '../outside/waves.tsv' leads out of the study")


# The library's readers check the paths a file names where they read it, for callers without the workflow.
def interview_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "study/interviews"
    shutil.copytree(Path(__file__).resolve().parents[1] / INTERVIEWS, folder)
    (tmp_path / "outside").mkdir(exist_ok=True)
    (tmp_path / "outside/secret.txt").write_text(f"Speaker: {SECRET}\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("value", ["../../outside/secret.txt", "/etc/passwd", "file:///etc/passwd"])
def test_documents_table_reader_refuses_a_file_out_of_the_folder(tmp_path: Path, value: str) -> None:
    folder = interview_folder(tmp_path)
    with (folder / "documents.tsv").open("a", encoding="utf-8") as handle:
        handle.write(f"{value}\tstaff interview\t2026-03-18\tSpeaker=staff\n")
    with pytest.raises(StudyFileError, match=rf"^{folder}/documents.tsv, line 4, column file: '{value}'"):
        read_documents_table(folder)
    with pytest.raises(StudyFileError, match=rf"^{folder}/documents.tsv, line 4, column file: '{value}'"):
        read_documents_table(folder, root=folder.parent)  # the study folder, as the workflow passes


def test_segment_folder_reader_refuses_a_fifo(tmp_path: Path) -> None:
    folder = interview_folder(tmp_path)
    os.mkfifo(folder / "coder_c.csv")
    with pytest.raises(StudyFileError, match=r"'coder_c\.csv' is a FIFO"):
        read_coded_segments(folder, {})


QDE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="p">
  <Sources>
    <TextSource guid="6f1c2d3e-0000-4000-8000-00000000000a" name="hall.txt" plainTextPath="{target}"/>
  </Sources>
</Project>
"""


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("file://{outside}/secret.txt", "is a URL"),
        ("absolute://{outside}/secret.txt", "is a URL"),
        ("{outside}/secret.txt", "is an absolute path"),
        ("relative://../outside/secret.txt", "leads out of the study folder"),
        ("../outside/secret.txt", "leads out of the study folder"),
    ],
    ids=["file URL", "REFI absolute", "absolute path", "REFI relative out", "dot-dot"],
)
def test_qda_project_source_out_of_the_project_is_refused(tmp_path: Path, target: str, why: str) -> None:
    folder = interview_folder(tmp_path)
    target = target.format(outside=tmp_path / "outside")
    project = folder / "project.qde"
    project.write_text(QDE.format(target=target), encoding="utf-8")
    with pytest.raises(StudyFileError, match=rf"^{project}, TextSource hall\.txt, plainTextPath: .*{why}"):
        read_qdpx(project)


def test_qda_project_source_beside_it_is_read(tmp_path: Path) -> None:
    folder = interview_folder(tmp_path)
    project = folder / "project.qde"
    for target in ("relative://staff_interview.txt", "staff_interview.txt"):
        project.write_text(QDE.format(target=target), encoding="utf-8")
        assert read_qdpx(project).texts["hall.txt"].startswith("Staff interview")


# -- wave ids ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wave", "message"),
    [
        ("waves", ", column wave: wave id 'waves' is reserved: reports/waves/ and logs/waves/ hold the cross-wave report"),
        ("Waves", ", column wave: wave id 'Waves' is reserved"),
        ("CON", ", column wave: wave id 'CON' is reserved: Windows names a device so"),
        ("Wave1", ": wave Wave1 differs from wave wave1 (line 2) only in letter case"),
    ],
)
def test_reserved_wave_id_is_refused(study: Path, wave: str, message: str) -> None:
    with (study / WAVES).open("a", encoding="utf-8") as handle:
        handle.write(f"{wave}\tdata/raw/wave2/survey.csv\t\t2026-11-02\t2026-11-20\tthird\t\n")
    assert_refused(run(study, "-n"), study, f"waves sheet {WAVES}, line 4{message}")
