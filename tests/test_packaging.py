"""The conda environments (users' and the rules') and pyproject.toml declare the same runtime
dependencies."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

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
