"""Hostile and careless study files run through the workflow: what every case of
test_hostile_inputs.py, test_hostile_values.py and test_hostile_data.py checks.

A case plants one input in a copy of the example study (a secret lies beside it, in ``outside/``)
and runs Snakemake: a dry run where the workflow refuses the input while it parses its rules, one
target where a job meets it. Then it checks four things:

* the message: the file and line (or cell) and what to do, for a refused input
  (:func:`refused`); the problem listed with its rule, or the value masked or neutralised, for an
  input the pipeline accepts and flags (:class:`Accepted`);
* no partial outputs: a refused run leaves ``data/processed/`` and ``reports/`` as they were
  (the failed step's log holds the message);
* row conservation (:func:`rows_conserved`): every respondent, complaint and coded segment of the
  raw files is in its processed table or was left out with a reason, counted from the raw files;
* that no planted secret or personal value is in any file under ``data/processed/``,
  ``reports/``, ``logs/`` or ``.snakemake/`` (:func:`assert_nowhere`: parquet files as tables,
  zip containers member by member).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import yaml
from studies import STUDY, WORKFLOW, copy_tree, snakemake

SECRET = "SECRET-b7e1-do-not-copy"
#: Folders a run writes into; no file in them may hold a planted secret.
WRITTEN = ("data/processed", "reports", "logs", ".snakemake")
#: Folders of outputs: a refused run leaves them as they were.
OUTPUTS = ("data/processed", "reports")
WAVES = "config/waves.tsv"
INTERVIEWS = "data/raw/wave1/interviews"
#: The example's REFI-QDA project of wave 1 and the plainTextPath of its first source.
PROJECT = f"{INTERVIEWS}/coder_b.qdpx"
SOURCE = "internal://acc04e65-fe93-530a-a814-510e46fd2dd6.txt"


def new_study(tmp_path: Path, prepared: Path | None = None) -> Path:
    """The example study in ``tmp_path/study`` (a copy of ``prepared``, a study some steps have run
    in, where given) and the secret beside it in ``tmp_path/outside``."""
    root = tmp_path / "study"
    if prepared is None:
        copy_tree(WORKFLOW + STUDY, root)
    else:
        shutil.copytree(prepared, root, symlinks=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Speaker: {SECRET}\n", encoding="utf-8")
    (outside / "secret.csv").write_text(f"id,P1\n1,{SECRET}\n", encoding="utf-8")
    return root


def run(study: Path, *args: str, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """Snakemake in the study folder, the workflow profile included (as a user runs it)."""
    return snakemake(*args, cwd=study, cores=1, timeout=600, env=env)


def edit_config(study: Path, change) -> None:
    """Apply ``change`` to the study's config (a dict) and write it back."""
    path = study / "config/config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def set_cell(study: Path, wave: str, column: str, value: str) -> None:
    """Set one cell of the waves sheet (the header names the columns)."""
    path = study / WAVES
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    position = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == wave:
            row[position] = value
    path.write_text("\n".join("\t".join(row) for row in rows) + "\n", encoding="utf-8")


def survey(study: Path, wave: str) -> tuple[Path, pd.DataFrame]:
    """A wave's raw survey export and its cells as text."""
    path = study / f"data/raw/{wave}/survey.csv"
    return path, pd.read_csv(path, dtype=str, keep_default_na=False)


def edit_project(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the project.qde of the REFI-QDA archive at ``path``."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["project.qde"] = members["project.qde"].decode("utf-8").replace(old, new, 1).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# -- what a run wrote --------------------------------------------------------------------------------
def written(study: Path) -> dict[str, int]:
    """Every file under data/processed/ and reports/, with its modification time."""
    return {str(path.relative_to(study)): path.stat().st_mtime_ns
            for folder in OUTPUTS for path in (study / folder).rglob("*") if path.is_file()}


def output_texts(study: Path) -> dict[str, str]:
    """Every file the pipeline wrote, as searchable text: parquet files as CSV, zip containers
    (xlsx, docx, zip) member by member, other files decoded as UTF-8 (binary bytes dropped)."""
    texts = {}
    for folder in WRITTEN:
        for path in (study / folder).rglob("*"):
            if not path.is_file() or path.is_symlink() or path.suffix == ".png":
                continue
            data = path.read_bytes()
            if path.suffix == ".parquet":
                text = pd.read_parquet(path).to_csv()
            elif data[:2] == b"PK":
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    text = "".join(archive.read(n).decode("utf-8", "ignore") for n in archive.namelist())
            else:
                text = data.decode("utf-8", "ignore")
            texts[str(path.relative_to(study))] = text
    return texts


def assert_nowhere(study: Path, values, texts: dict[str, str] | None = None) -> None:
    """No value is in any file the run wrote (``texts``: :func:`output_texts`, when known)."""
    for name, text in (output_texts(study) if texts is None else texts).items():
        for value in values:
            assert value not in text, f"{name} contains {value!r}"


# -- row conservation ---------------------------------------------------------------------------------
def raw_rows(path: Path) -> int:
    """Data rows of a raw CSV (UTF-8 or, as the example's second complaint log, GB18030) or XLSX
    table, counted by pandas (not the pipeline's reader)."""
    if path.suffix.lower() == ".xlsx":
        return len(pd.read_excel(path, dtype=str))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    return len(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))


def raw_segments(folder: Path) -> int:
    """Coded segments in an interview folder: rows of the coder tables, codings of the projects."""
    count = 0
    for path in folder.iterdir():
        if path.suffix.lower() in (".csv", ".tsv") and path.stem.lower() != "documents":
            count += raw_rows(path)
        elif path.suffix.lower() == ".qdpx":
            with zipfile.ZipFile(path) as archive:
                project = ElementTree.fromstring(archive.read("project.qde"))
            count += sum(1 for element in project.iter() if element.tag.endswith("}Coding"))
    return count


def rows_conserved(study: Path) -> None:
    """Every respondent, complaint and coded segment of a wave whose processed table exists is in
    it, or was left out with its reason: respondents in ``exclusions.csv`` (the rule), coded
    segments in the interview log's warning (how many, and why); complaints are all kept, their
    problems listed. The counts are taken from the raw files."""
    processed = study / "data/processed"
    waves = [p.name for p in processed.iterdir()] if processed.is_dir() else []
    if not waves:
        return
    with (study / WAVES).open(encoding="utf-8-sig", newline="") as handle:
        sheet = {row["wave"]: row for row in csv.DictReader(handle, delimiter="\t")}
    for wave in waves:
        row, folder = sheet[wave], processed / wave
        if (folder / "responses.parquet").exists():
            kept = pd.read_parquet(folder / "responses.parquet")
            excluded = pd.read_csv(folder / "exclusions.csv", dtype=str, keep_default_na=False)
            summary = pd.read_csv(folder / "cleaning_summary.csv").set_index("rule")["n"]
            assert excluded["rule"].str.len().gt(0).all() and excluded["detail"].str.len().gt(0).all()
            assert kept["respondent"].is_unique
            raw = raw_rows(study / row["survey"])
            assert len(kept) + excluded["line"].nunique() == raw == summary["rows read"], (wave, len(kept), raw)
            assert summary["respondents kept"] == len(kept)
        if (folder / "complaints.parquet").exists():
            complaints = pd.read_parquet(folder / "complaints.parquet")
            assert len(complaints) == raw_rows(study / row["complaints"].strip()), wave
        if (folder / "segments.parquet").exists():
            segments = pd.read_parquet(folder / "segments.parquet")
            # Every segment left out is a row of the table, with its reason (and never its text).
            left = pd.read_csv(study / f"reports/{wave}/tables/segments_left_out.csv", dtype=str, keep_default_na=False)
            assert left["reason"].str.len().gt(0).all()
            left_out = len(left)
            placed = int((segments["source"] == "human").sum())
            assert placed + left_out == raw_segments(study / row["interviews"].strip()), (wave, placed, left_out)


# -- the two outcomes ---------------------------------------------------------------------------------
def refused(study: Path, args: list[str], message: str, *secrets: str,
            env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """Run the workflow and check a refusal: it failed with the message (without a Python
    traceback where no job ran: the workflow refused the input as it parsed its rules), wrote no
    output, conserved the rows of what it had processed before, and no file it wrote holds the
    secret or ``secrets``."""
    before = written(study)
    result = run(study, *args, env=env)
    console = result.stdout + result.stderr
    assert result.returncode != 0, console[-3000:]
    assert message in console, console[-3000:]
    if not (study / "logs").is_dir():
        assert "Traceback" not in console, console[-3000:]
    assert written(study) == before, "partial outputs"
    rows_conserved(study)
    assert_nowhere(study, (SECRET, *secrets))
    assert not (study / "PWNED").exists()
    return result


@dataclass
class Accepted:
    """A study whose planted inputs the pipeline accepts and flags, run once for several cases."""

    study: Path
    result: subprocess.CompletedProcess

    @cached_property
    def texts(self) -> dict[str, str]:
        return output_texts(self.study)

    @cached_property
    def conserved(self) -> bool:
        rows_conserved(self.study)
        return True

    def check(self, *values: str) -> None:
        """The run completed, conserved every row, and none of ``values`` (nor the secret) is in
        any file it wrote."""
        assert self.result.returncode == 0, (self.result.stdout + self.result.stderr)[-5000:]
        assert self.conserved
        assert_nowhere(self.study, (SECRET, *values), self.texts)


def accepted(tmp_path_factory, name: str, plant, *targets: str, prepared: Path | None = None) -> Accepted:
    """A copy of the example study with ``plant(study)`` applied, run once for ``targets``."""
    study = new_study(tmp_path_factory.mktemp(name), prepared)
    plant(study)
    return Accepted(study, run(study, *targets))
