"""What a report rests on: checksums of the raw inputs, the configuration as used, software
versions, seeds, the workflow's commit and command (the methods paragraph is
:mod:`servqual.methods`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from servqual.checksums import sha256

#: Packages whose versions the methods and provenance name.
SOFTWARE = ("servqual", "numpy", "pandas", "scipy", "threadpoolctl", "snakemake", "matplotlib", "jieba")


def software_versions(packages: Iterable[str] = SOFTWARE) -> dict[str, str]:
    """Installed version of each package ('not installed' where absent)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def workflow_commit(folder: str | Path) -> str:
    """The git commit of the workflow folder, marked ``-dirty`` with uncommitted changes, or a
    note saying it is not a git checkout."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)

    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return "not a git checkout"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def input_checksums(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """SHA-256 and size of every raw input, in the order given."""
    return [{"path": str(p), "sha256": sha256(p), "bytes": Path(p).stat().st_size} for p in paths]
