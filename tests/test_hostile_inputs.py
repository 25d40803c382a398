"""Study files from strangers: nothing in them runs as code, nothing outside the study is read.

Each case takes the example study and plants one hostile or careless input: a config or codebook
that is a YTE template, a YAML tag that builds Python objects, aliases that expand without end, a
path that leaves the study folder (absolute, ``..``, a URL, a symbolic link) in the config, the
waves sheet, a documents table or a REFI-QDA project, a FIFO or device where a file is expected, a
wave id the workflow's own folders take. Beside the study, ``outside/`` holds a secret. Every case
runs the workflow and checks, through ``hostile.refused``, the message (the file and line that
referred to the input), that no output was written, that rows are conserved, and that the secret
appears in no file under ``data/processed/``, ``reports/``, ``logs/`` or ``.snakemake/``.

The workflow refuses most of these inputs while it parses its rules, before any job: those cases
run ``snakemake -n`` (and, where the input is read as the workflow starts, a normal run of one
target, ``reports/wave1/provenance.json``, whose job would hash every raw file of the wave). A
REFI-QDA project is read by the interview step: those cases run it (marked ``slow``). The library's
readers are also tested on their own, for callers without the workflow.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from hostile import (
    INTERVIEWS,
    PROJECT,
    SECRET,
    SOURCE,
    WAVES,
    edit_project,
    new_study,
    refused,
    run,
    set_cell,
)

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

#: A quick target whose job would read (hash) every raw file of wave 1.
PROVENANCE = "reports/wave1/provenance.json"
#: The interview step's first output: its job reads the interview folder.
SEGMENTS = "data/processed/wave1/segments.parquet"
CODEBOOK = "config/codebook.yaml"
#: A YTE expression that leaves a file behind when it runs.
YTE = '__use_yte__: true\nplanted: ?__import__("pathlib").Path("PWNED").touch()\n'


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """The example study in tmp_path/study, and a secret beside it in tmp_path/outside."""
    return new_study(tmp_path)


# -- code execution ------------------------------------------------------------------------------
@pytest.mark.parametrize("dry", [True, False], ids=["dry-run", "run"])
def test_yte_config_does_not_run(study: Path, dry: bool) -> None:
    config = study / "config/config.yaml"
    config.write_text(YTE + config.read_text(encoding="utf-8"), encoding="utf-8")
    refused(study, ["-n"] if dry else [PROVENANCE],
            "config/config.yaml, line 1: `__use_yte__` makes Snakemake read the file as a YTE")


@pytest.mark.parametrize(
    ("planted", "message"),
    [(YTE, "`__use_yte__`"), ('planted: !!python/object/apply:os.system ["touch PWNED"]\n',
                              "the YAML tag !!python/object/apply:os.system is not allowed")],
    ids=["YTE", "python tag"],
)
@pytest.mark.parametrize("dry", [True, False], ids=["dry-run", "run"])
def test_unsafe_configfile_on_the_command_line_does_not_run(study: Path, dry: bool, planted: str, message: str) -> None:
    """Snakemake reads --configfile while it parses its command line, before the workflow's
    code: the workflow profile refuses the file first."""
    other = study / "other.yaml"
    other.write_text((study / "config/config.yaml").read_text(encoding="utf-8") + planted, encoding="utf-8")
    line = (study / "config/config.yaml").read_text(encoding="utf-8").count("\n") + 1
    refused(study, ["--configfile", "other.yaml", *(["-n"] if dry else [PROVENANCE])], f"other.yaml, line {line}: {message}")


def test_python_tag_in_config_is_refused(study: Path) -> None:
    config = study / "config/config.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "waves: config/waves.tsv", 'waves: !!python/object/apply:os.system ["touch PWNED"]'
    )
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index('waves: !!python/object/apply:os.system ["touch PWNED"]') + 1
    refused(study, ["-n"], f"config/config.yaml, line {line}: the YAML tag !!python/object/apply:os.system is not allowed")


def test_python_tag_in_codebook_is_refused_as_the_run_starts(study: Path) -> None:
    codebook = study / CODEBOOK
    lines = codebook.read_text(encoding="utf-8").splitlines()
    lines.insert(1, "description: !!python/object:servqual.interviews.Codebook {}")
    codebook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(study, [PROVENANCE], "config/codebook.yaml, line 2: the YAML tag !!python/object:servqual.interviews.Codebook is not allowed")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("codes:\n  queue: !!python/object/new:os.system [echo]\n", "line 2: the YAML tag !!python/object/new:os.system is not allowed"),
        ("codes:\n  queue:\n    label: !!binary aGVsbG8=\n", "line 3: the YAML tag !!binary is not allowed"),
        ("codes: !!set {queue}\n", "line 1: the YAML tag !!set is not allowed"),
        ("codes:\n  queue: !env HOME\n", "line 2: the YAML tag !env is not allowed"),
        ("codes: !!omap [{queue: 1}]\n", "line 1: the YAML tag !!omap is not allowed"),
        ("codes: {queue: {}}\n__use_yte__: true\n", "line 2: `__use_yte__` makes Snakemake read the file as a YTE"),
        ("codes:\n  queue: &q {related: [*q]}\n", "line 2: a YAML alias refers to a node that contains it"),
    ],
    ids=["python object", "binary", "set", "local tag", "ordered map", "YTE", "recursive alias"],
)
def test_codebook_that_is_not_plain_data_is_refused(study: Path, text: str, message: str) -> None:
    """The workflow refuses the codebook as it starts; the library's reader refuses it too."""
    path = study / CODEBOOK
    path.write_text(text, encoding="utf-8")
    refused(study, ["-n"], f"{CODEBOOK}, {message}")
    with pytest.raises(StudyFileError, match=f"^{path}, {message.split(' (')[0]}"):
        load_codebook(path)


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


@pytest.mark.parametrize("name", ["config/config.yaml", CODEBOOK])
def test_billion_laughs_stops_the_run_without_printing_the_document(study: Path, name: str) -> None:
    """The config is checked before Snakemake reads or validates it: the console holds the
    refusal, not a schema error that prints the expanded document."""
    path = study / name
    line = path.read_text(encoding="utf-8").count("\n") + 6
    path.write_text(path.read_text(encoding="utf-8") + laughs().replace("a0:", "z0:", 1), encoding="utf-8")
    result = refused(study, ["-n"], f"{name}, line {line}: its aliases expand to 1,111,111 nodes or more")
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
    refused(study, [PROVENANCE], f"waves sheet {WAVES}, line 2, column {column}: {value!r} {why}", "shadow")


@pytest.mark.parametrize("column", ["survey", "complaints"])
def test_raw_file_symlink_out_of_the_study_is_refused(study: Path, column: str) -> None:
    raw = study / f"data/raw/wave1/{column}.csv"
    raw.unlink()
    raw.symlink_to(study.parent / "outside/secret.csv")
    refused(study, ["-n"], f"waves sheet {WAVES}, line 2, column {column}: 'data/raw/wave1/{column}.csv' is, or "
                           "passes through, a symbolic link that leads out of the study folder")


def test_folder_symlink_out_of_the_study_is_refused(study: Path) -> None:
    (study / "data/raw/elsewhere").symlink_to(study.parent / "outside")
    set_cell(study, "wave1", "survey", "data/raw/elsewhere/secret.csv")
    refused(study, [PROVENANCE], "column survey: 'data/raw/elsewhere/secret.csv' is, or passes through, a symbolic link")


def test_symlink_in_the_interview_folder_is_refused(study: Path) -> None:
    (study / INTERVIEWS / "notes.txt").symlink_to(study.parent / "outside/secret.txt")
    refused(study, [PROVENANCE], f"waves sheet {WAVES}, line 2, column interviews ({INTERVIEWS}): in folder {INTERVIEWS}: "
                                 "'notes.txt' is, or passes through, a symbolic link that leads out of the study folder")


def test_symlink_inside_the_study_is_read(study: Path) -> None:
    (study / "data/raw/wave1/copy.csv").symlink_to(study / "data/raw/wave1/survey.csv")
    set_cell(study, "wave1", "survey", "data/raw/wave1/copy.csv")
    result = run(study, "-n", PROVENANCE)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize(
    ("fifo", "message"),
    [
        (f"{INTERVIEWS}/coder_c.csv", f"in folder {INTERVIEWS}: 'coder_c.csv' is a FIFO (named pipe), not a regular file"),
        ("data/raw/wave1/survey.csv", "column survey: 'data/raw/wave1/survey.csv' is a FIFO (named pipe)"),
        ("data/raw/wave1/complaints.csv", "column complaints: 'data/raw/wave1/complaints.csv' is a FIFO (named pipe)"),
    ],
    ids=["in the interview folder", "survey", "complaint log"],
)
def test_fifo_is_refused(study: Path, fifo: str, message: str) -> None:
    """A named pipe would block the job that opens it for ever."""
    (study / fifo).unlink(missing_ok=True)
    os.mkfifo(study / fifo)
    refused(study, ["-n"], message)


def test_device_as_survey_is_refused(study: Path) -> None:
    survey = study / "data/raw/wave1/survey.csv"
    survey.unlink()
    survey.symlink_to("/dev/zero")
    refused(study, ["-n"], "column survey: 'data/raw/wave1/survey.csv' is, or passes through, a symbolic link")
    # Inside the study a device is refused as what it is.
    with pytest.raises(StudyFileError, match=r"'zero' is a device, not a regular file"):
        study_path("zero", referred_by="waves sheet", base="/dev")


#: File names a documents table may not give, and why.
OUT_OF_FOLDER = [("../../../../../outside/secret.txt", "leads out of the study folder (..)"),
                 ("/etc/passwd", "is an absolute path"), ("file:///etc/passwd", "is a URL")]


@pytest.mark.parametrize(("value", "why"), OUT_OF_FOLDER, ids=["dot-dot", "absolute", "file URL"])
def test_documents_table_line_out_of_the_study_is_refused(study: Path, value: str, why: str) -> None:
    table = study / INTERVIEWS / "documents.tsv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines.append(f"{value}\tstaff interview\t2026-03-18\tSpeaker=staff")
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(study, ["-n"], f"{INTERVIEWS}/documents.tsv, line {len(lines)}, column file: {value!r} {why}", "root:x:0")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("codebook: config/codebook.yaml", "codebook: /etc/passwd", "key interviews.codebook: '/etc/passwd' is an absolute path"),
        ("waves: config/waves.tsv", "waves: ../outside/waves.tsv", "key waves: '../outside/waves.tsv' leads out of the study"),
        ("actions: config/actions.tsv", "actions: ../outside/secret.csv", "key actions: '../outside/secret.csv' leads out"),
        ("codebook: config/codebook.yaml", "codebook: config/linked.yaml",
         "key interviews.codebook: 'config/linked.yaml' is, or passes through, a symbolic link that leads out"),
    ],
    ids=["codebook absolute", "waves sheet dot-dot", "action register dot-dot", "codebook symlink"],
)
def test_config_path_out_of_the_study_is_refused(study: Path, old: str, new: str, message: str) -> None:
    shutil.copy(study / WAVES, study.parent / "outside/waves.tsv")
    (study / "config/linked.yaml").symlink_to(study.parent / "outside/secret.txt")
    config = study / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    refused(study, ["-n"], f"config/config.yaml, {message}", "root:x:0")


# The library's readers check the paths a file names where they read it, for callers without the workflow.
def interview_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "study/interviews"
    shutil.copytree(Path(__file__).resolve().parents[1] / INTERVIEWS, folder)
    (tmp_path / "outside").mkdir(exist_ok=True)
    (tmp_path / "outside/secret.txt").write_text(f"Speaker: {SECRET}\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(("value", "why"), OUT_OF_FOLDER, ids=["dot-dot", "absolute", "file URL"])
def test_documents_table_reader_refuses_a_file_out_of_the_folder(tmp_path: Path, value: str, why: str) -> None:
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
#: plainTextPath values that lead to the secret beside the study (``{outside}``: its folder;
#: ``{up}``: as many ``../`` as lead from the project's folder to it), and why they are refused.
QDA_OUT = [
    ("file://{outside}/secret.txt", "is a URL"),
    ("absolute://{outside}/secret.txt", "is a URL"),
    ("{outside}/secret.txt", "is an absolute path"),
    ("relative://{up}outside/secret.txt", "leads out of the study folder"),
    ("{up}outside/secret.txt", "leads out of the study folder"),
]
QDA_IDS = ["file URL", "REFI absolute", "absolute path", "REFI relative out", "dot-dot"]


@pytest.mark.parametrize(("target", "why"), QDA_OUT, ids=QDA_IDS)
def test_qda_project_source_out_of_the_project_is_refused(tmp_path: Path, target: str, why: str) -> None:
    folder = interview_folder(tmp_path)
    target = target.format(outside=tmp_path / "outside", up="../../")
    project = folder / "project.qde"
    project.write_text(QDE.format(target=target), encoding="utf-8")
    with pytest.raises(StudyFileError, match=rf"^{project}, TextSource hall\.txt, plainTextPath: .*{why}"):
        read_qdpx(project)


@pytest.mark.slow
@pytest.mark.parametrize(("target", "why"), QDA_OUT, ids=QDA_IDS)
def test_qda_project_source_out_of_the_study_stops_the_interview_step(
        prepared: Path, tmp_path: Path, target: str, why: str) -> None:
    """The interview step reads the wave's REFI-QDA project and refuses a source outside the
    study: the secret, which the source names, reaches no output."""
    study = new_study(tmp_path, prepared)
    target = target.format(outside=tmp_path / "outside", up="../" * len(Path(INTERVIEWS).parts) + "../")
    edit_project(study / PROJECT, SOURCE, target)
    shown = target.removeprefix("relative://")  # the path the scheme names
    refused(study, [SEGMENTS], f"{PROJECT}, TextSource customers_focus_group.txt, plainTextPath: {shown!r} {why}")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["project.nvpx", "coding.xlsx"])
def test_a_file_the_interview_step_cannot_read_stops_it_naming_the_file(prepared: Path, tmp_path: Path, name: str) -> None:
    """A QDA program's own project (or any file the step does not read) in the interview folder is
    not passed over in silence: the step stops, names it and says to export a .qdpx."""
    study = new_study(tmp_path, prepared)
    (study / INTERVIEWS / name).write_bytes(SECRET.encode("utf-8"))
    refused(study, [SEGMENTS], f"{INTERVIEWS}: {name}: not a file the interview step reads")


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
        ("nul", ", column wave: wave id 'nul' is reserved: Windows names a device so"),
        ("com1", ", column wave: wave id 'com1' is reserved: Windows names a device so"),
        ("Wave1", ": wave Wave1 differs from wave wave1 (line 2) only in letter case"),
    ],
    ids=["waves", "Waves", "CON", "nul", "com1", "Wave1"],
)
def test_reserved_wave_id_is_refused(study: Path, wave: str, message: str) -> None:
    with (study / WAVES).open("a", encoding="utf-8") as handle:
        handle.write(f"{wave}\tdata/raw/wave2/survey.csv\t\t2026-11-02\t2026-11-20\tthird\t\n")
    refused(study, ["-n"], f"waves sheet {WAVES}, line 4{message}")
