"""The API documentation: built from the docstrings with MkDocs in strict mode (a warning fails
the build), covering every public name of ``servqual``, each documented as the API promises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import servqual

ROOT = Path(__file__).resolve().parents[1]


def test_the_api_docs_build_in_strict_mode(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    page = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert all(f'id="servqual.{servqual.API[name]}.{name}"' in page for name in servqual.__all__)


def test_the_statistics_page_documents_exactly_the_public_names():
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = re.findall(r"^::: servqual\.([\w.]+)\.(\w+)$", page, re.MULTILINE)
    assert sorted(name for _, name in documented) == servqual.__all__
    assert all(servqual.API[name] == module for module, name in documented)
    in_table = re.findall(r"^\| `(\w+)\(", page, re.MULTILINE)
    assert sorted(in_table) == servqual.__all__


@pytest.mark.parametrize("name", servqual.__all__)
def test_each_public_statistic_has_its_formula_reference_and_r_example(name):
    doc = getattr(servqual, name).__doc__
    assert "Examples" in doc and ">>>" in doc, f"{name}: no runnable example"
    assert re.search(r"[A-Z][\w'-]+,? \(?(?:19|20)\d\d\b|\((?:19|20)\d\d\)", doc), f"{name}: no reference (author, year)"
    assert re.search(r"\bR\b|psych::|lavaan|p\.adjust", doc), f"{name}: no R counterpart named"
    assert "=" in doc.split("Parameters")[0], f"{name}: no formula before its parameters"


def test_public_names_load_on_first_use_only():
    """``import servqual`` stays light (tests/test_codebase.py); an unknown name is an error."""
    assert servqual.cronbach_alpha is servqual.reliability.cronbach_alpha
    with pytest.raises(AttributeError, match="no attribute 'alpha'"):
        servqual.alpha  # noqa: B018 - the attribute access is the test
