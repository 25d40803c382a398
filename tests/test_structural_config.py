"""The `structural` section of the config: faults the schema cannot see stop the run with one
line naming the key and what to write instead, before any job runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from studies import STUDY, WORKFLOW, copy_tree, snakemake


@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    copy_tree(WORKFLOW + STUDY, root)
    return root


def configured(study: Path, old: str | re.Pattern, new: str) -> None:
    """Replace ``old`` (text, or a pattern's first match) by ``new`` in the study's config."""
    path = study / "config" / "config.yaml"
    text = path.read_text(encoding="utf-8")
    if isinstance(old, re.Pattern):
        text, found = old.subn(new, text, count=1)
        assert found
    else:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


#: The example's outcomes beyond overall satisfaction, as its config declares them.
OUTCOMES = re.compile(r"^outcomes:\n(?:  .*\n)+", re.MULTILINE)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  mediator: overall\n", "  mediator: loyalty\n",
     "key structural.mediator: loyalty is not an outcome of this study (outcomes: overall, return, recommend)"),
    (OUTCOMES, "outcomes: []\n",
     "key structural.mediator: overall is the study's only outcome; a mediator needs another outcome"),
    ("  source: perception\n", "  source: loadings\n", "structural"),
])
def test_structural_faults_stop_the_run(study: Path, old: str | re.Pattern, new: str, message: str) -> None:
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
