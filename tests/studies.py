"""Running the workflow on studies in temporary folders, for the end-to-end tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ["Snakefile", "workflow", "src", "notebooks", "profiles"]
STUDY = ["config", "data/raw"]
PERSONAL = ["resp_id", "name", "phone", "email", "id_number"]

#: The console (stdout and stderr) of each study run by a fixture, by study folder.
CONSOLE: dict[Path, str] = {}


def snakemake(*args: str, cwd: Path, cores: int = 2, timeout: float | None = None,
              env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """Snakemake in ``cwd`` as a user runs it (the workflow profile included), with a fixed salt;
    ``env`` sets further variables, or with None removes one (``{"SERVQUAL_SALT": None}``)."""
    variables = {**os.environ, "SERVQUAL_SALT": "test-salt", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(cores), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={name: value for name, value in variables.items() if value is not None},
        timeout=timeout,
        check=False,
    )


def copy_tree(parts: list[str], target: Path) -> None:
    for part in parts:
        source, dest = ROOT / part, target / part
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
