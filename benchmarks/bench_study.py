"""Benchmark: the bundled example study from a clean state, and the share of the report rules.

Copies this workflow and the example study to a temporary folder, runs ``snakemake --cores 2``
once (timed), then reads every job's benchmark file (``logs/<wave>/<rule>.benchmark.tsv``) and
prints the seconds per rule summed over waves, the wall time of the whole run, and the share of
the job time spent in the report rules (executing and rendering the notebooks), which must not
dominate.

Run: ``python benchmarks/bench_study.py [--cores 2] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("Snakefile", "workflow", "src", "notebooks", "config", "data/raw")
REPORT_FILES = {"report"}  # logs/<wave>/report.benchmark.tsv and logs/waves/report.benchmark.tsv


def copy_study(folder: Path) -> None:
    for part in PARTS:
        source, target = ROOT / part, folder / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)


def rule_seconds(folder: Path) -> dict[str, float]:
    """Wall seconds per rule (file stem), summed over the waves' benchmark files."""
    seconds: dict[str, float] = defaultdict(float)
    for path in sorted((folder / "logs").glob("*/*.benchmark.tsv")):
        seconds[path.name.removesuffix(".benchmark.tsv")] += float(pd.read_csv(path, sep="\t")["s"].sum())
    return dict(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="2")
    parser.add_argument("--keep", help="run in this folder and keep it")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="servqual-study-"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    copy_study(folder)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", args.cores], cwd=folder,
                         capture_output=True, text=True, env={**os.environ, "SERVQUAL_SALT": "bench"})
    wall = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(run.stderr[-3000:])
    seconds = rule_seconds(folder)
    total = sum(seconds.values())
    report = sum(s for rule, s in seconds.items() if rule in REPORT_FILES)
    print(f"example study from a clean state, --cores {args.cores}: wall {wall:.1f} s")
    print(f"{'rule':<14}{'job seconds':>12}")
    for rule, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"{rule:<14}{s:>12.1f}")
    print(f"{'all jobs':<14}{total:>12.1f}")
    print(f"report rules (notebooks): {report:.1f} s = {report / total:.0%} of the job time")
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
