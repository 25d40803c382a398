"""Benchmark of the workflow on a large study: 1,000,000 respondents in one wave through the
clean, reliability (with its 2,000 bootstrap resamples), EFA, CFA and gap rules.

The wave is the simulator's (the example study's instrument, every planted problem), written by
``servqual-simulate`` into a temporary study folder (not timed) with a waves sheet of one wave
without interviews and the example's config.yaml. Timed: one ``snakemake --cores 2`` run of this
repository's Snakefile on that folder (``--directory``), asking for the outputs of those five
rules only (no figures, notebooks or cross-wave step). Per rule, wall time and peak resident
memory are read from the jobs' benchmark files (``logs/<wave>/<rule>.benchmark.tsv``).

Targets on the 2-core reference machine: the whole chain under 3 minutes, no rule above 6 GiB.
Run: .venv/bin/python benchmarks/bench_large_study.py [--n 1000000] [--cores 2] [--keep DIR]
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAVE = "large"
# The rules benchmarked and the outputs asked of each (all of a rule's outputs come with one job).
RULES = {
    "clean": ["data/processed/{wave}/responses.parquet"],
    "reliability": ["reports/{wave}/tables/reliability.csv"],
    "efa": ["reports/{wave}/tables/efa_fit.csv"],
    "cfa": ["reports/{wave}/tables/cfa_fit.csv"],
    "gaps": ["reports/{wave}/tables/gaps_items.csv"],
}
WALL_TARGET_S = 180.0
RSS_TARGET_MIB = 6 * 1024.0


def make_study(folder: Path, n: int) -> None:
    """Study folder: the example's config, a waves sheet of one wave, the simulated survey."""
    shutil.copytree(ROOT / "config", folder / "config")
    # The example's actions started after its own wave1, which this study does not have.
    register = folder / "config/actions.tsv"
    register.write_text(register.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    survey = Path("data/raw") / WAVE / "survey.csv"
    (folder / survey).parent.mkdir(parents=True)
    simulate = Path(sys.executable).with_name("servqual-simulate")
    subprocess.run(
        [str(simulate), "--config", str(folder / "config/config.yaml"), "--n", str(n),
         "--wave", "1", "--seed", "1", "--out", str(folder / survey)],
        check=True,
    )
    # Keep the sheet's own columns (it may have more than these), one row, no interviews.
    sheet = folder / "config/waves.tsv"
    with sheet.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle, delimiter="\t"))
    values = {"wave": WAVE, "survey": survey.as_posix(), "start": "2027-01-04",
              "end": "2027-01-31", "notes": f"{n:,} simulated respondents (benchmark)"}
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerow([values.get(column, "") for column in header])


def run_workflow(folder: Path, cores: int) -> float:
    targets = [t.format(wave=WAVE) for outputs in RULES.values() for t in outputs]
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
               "--directory", str(folder), "--cores", str(cores), *targets]
    env = {**os.environ, "SERVQUAL_SALT": os.environ.get("SERVQUAL_SALT", "benchmark-salt")}
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"snakemake failed ({result.returncode}):\n{result.stderr[-5000:]}")
    return wall


def read_benchmarks(folder: Path) -> list[tuple[str, float, float]]:
    """(rule, wall s, max_rss MiB) from each job's benchmark file."""
    rows = []
    for rule in RULES:
        path = folder / "logs" / WAVE / f"{rule}.benchmark.tsv"
        with path.open(encoding="utf-8") as handle:
            record = next(csv.DictReader(handle, delimiter="\t"))
        rows.append((rule, float(record["s"]), float(record["max_rss"])))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="respondents in the wave")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="study folder to keep (default: temporary)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="servqual-large-") as tmp:
        folder = (args.keep or Path(tmp) / "study").resolve()
        if folder.exists():
            sys.exit(f"{folder} exists; give a new folder to --keep")
        start = time.perf_counter()
        make_study(folder, args.n)
        size = (folder / "data/raw" / WAVE / "survey.csv").stat().st_size / 2**20
        print(f"simulated {args.n:,} respondents ({size:,.0f} MiB CSV) in "
              f"{time.perf_counter() - start:.0f} s (not timed)")
        wall = run_workflow(folder, args.cores)
        rows = read_benchmarks(folder)

    print(f"\n{'rule':<12} {'wall s':>8} {'max_rss MiB':>12}")
    for rule, seconds, rss in rows:
        print(f"{rule:<12} {seconds:>8.1f} {rss:>12,.0f}")
    print(f"{'sum of jobs':<12} {sum(r[1] for r in rows):>8.1f} {max(r[2] for r in rows):>12,.0f}"
          "  (peak: largest rule)")
    print(f"{'whole chain':<12} {wall:>8.1f} {'':>12}  (snakemake --cores {args.cores}, "
          "jobs in parallel, start-up included)")

    missed = []
    if wall > WALL_TARGET_S:
        missed.append(f"whole chain {wall:.0f} s > {WALL_TARGET_S:.0f} s")
    missed += [f"{rule} {rss:,.0f} MiB > {RSS_TARGET_MIB:,.0f} MiB"
               for rule, _, rss in rows if rss > RSS_TARGET_MIB]
    print("\ntargets (chain < 3 min, every rule < 6 GiB): "
          + ("missed: " + "; ".join(missed) if missed else "met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
