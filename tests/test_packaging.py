"""The conda environments (users' and the rules') and pyproject.toml declare the same runtime
dependencies, and requirements.lock pins each of them (and the test extra) with hashes."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=! ]", requirement.strip(), maxsplit=1)[0].lower()


@pytest.mark.parametrize("env_file", ["environment.yml", "workflow/envs/servqual.yaml"])
def test_environment_matches_pyproject(env_file):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r): r for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / env_file).read_text())
    conda: dict[str, str] = {}
    for dep in env["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            if not entry.startswith("-e") and _name(entry) not in ("python", "pip"):
                conda[_name(entry)] = entry.replace(" ", "")
    assert set(conda) == set(pip_names)
    for name, requirement in pip_names.items():
        assert conda[name] == requirement.replace(" ", ""), name


def _lock_entries() -> list[tuple[Requirement, list[str]]]:
    """requirements.lock as (pinned requirement, its hashes), each entry's continuation lines joined."""
    text = (ROOT / "requirements.lock").read_text().replace("\\\n", " ")
    entries = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement, *hashes = line.split("--hash=")
            entries.append((Requirement(requirement), [h.strip() for h in hashes]))
    return entries


def test_lock_pins_every_dependency_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    pinned: dict[str, list[Version]] = {}
    for requirement, hashes in _lock_entries():
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{requirement}: no --hash"
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{requirement}: not pinned"
        # A universal lock may pin one package twice, at versions for different Pythons.
        pinned.setdefault(canonicalize_name(requirement.name), []).append(Version(specifier.version))
    for dependency in declared:
        versions = pinned.get(canonicalize_name(dependency.name))
        assert versions, f"{dependency.name} is not in requirements.lock"
        assert all(dependency.specifier.contains(v) for v in versions), f"{dependency}: locked at {versions}"


def test_citation_and_licence_agree_with_pyproject():
    """CITATION.cff cites the version pyproject.toml builds, under the licence both name, and the
    LICENSE file holds that licence's text."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert {"message", "title", "authors"} <= set(citation)
    assert str(citation["version"]) == project["version"]
    assert citation["license"] == project["license"]["text"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
