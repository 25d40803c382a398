"""The example study on a real one-node SLURM cluster (tests/cluster/run_slurm_test.py): jobs go
through sbatch and show in sacct, outputs equal a local run's, a job cancelled mid-run is redone
by --rerun-incomplete. Needs root and apt-get (it installs slurm-wlm, slurmdbd, munge and
mariadb-server); elsewhere it is skipped with the reason printed. Takes about 7 minutes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "cluster" / "run_slurm_test.py"
SKIP = 77

pytestmark = pytest.mark.slow


def test_example_study_runs_on_a_slurm_cluster_like_locally(tmp_path, capsys):
    log = tmp_path / "run_slurm_test.log"
    with log.open("w") as out:
        result = subprocess.run([sys.executable, str(SCRIPT)], stdout=out, stderr=subprocess.STDOUT)
    text = log.read_text()
    if result.returncode == SKIP:
        reason = next(line for line in text.splitlines() if line.startswith("SKIPPED:"))
        with capsys.disabled():
            print(f"\n{reason}")
        pytest.skip(reason)
    assert result.returncode == 0, text[-6000:]
