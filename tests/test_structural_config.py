"""The `structural` section of the config: faults the schema cannot see stop the run with one
line naming the key and what to write instead, before any job runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from studies import STUDY, WORKFLOW, copy_tree, snakemake


@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    copy_tree(WORKFLOW + STUDY, root)
    return root


def configured(study: Path, old: str, new: str) -> None:
    path = study / "config" / "config.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  mediator: null\n", "  mediator: loyalty\n",
     "key structural.mediator: loyalty is not an outcome of this study (outcomes: overall)"),
    ("  mediator: null\n", "  mediator: overall\n",
     "key structural.mediator: overall is the study's only outcome; a mediator needs another outcome"),
    ("  source: perception\n", "  source: loadings\n", "structural"),
])
def test_structural_faults_stop_the_run(study: Path, old: str, new: str, message: str) -> None:
    configured(study, old, new)
    result = snakemake("-n", cwd=study, cores=1, timeout=300)
    console = result.stdout + result.stderr
    assert result.returncode != 0, console[-2000:]
    assert message in console, console[-2000:]
    assert "Traceback" not in console, console[-2000:]
    assert not (study / "reports").exists()


def test_gap_source_without_expectations_is_refused(study: Path) -> None:
    configured(study, "  expectation: {pattern: \"E{index}\"}\n", "  expectation: null\n")
    configured(study, "  source: perception\n", "  source: gap\n")
    result = snakemake("-n", cwd=study, cores=1, timeout=300)
    console = result.stdout + result.stderr
    assert result.returncode != 0 and "key structural.source: gap scores need expectations" in console, console[-2000:]
