"""Benchmark of survey ingestion and cleaning on a 1,000,000-respondent wave.

The wave is the simulator's (22 items x expectation and perception, importance points, overall
satisfaction, segments, duration, attention check, personal data and every planted problem),
written to a CSV in a temporary folder by ``servqual-simulate`` in a child process, so that the
peak memory measured here is the cleaning's alone. Timed: exactly what the clean rule runs,
``read_survey`` + ``clean_survey`` + ``write_outputs`` (parquet, CSVs, provenance.json).

Target on the 2-core reference machine: at most 20 s wall and 4 GiB peak RSS.
Run: .venv/bin/python benchmarks/bench_cleaning.py [--n 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from servqual.cleaning import clean_survey, provenance, write_outputs
from servqual.instrument import instrument_from_config
from servqual.io import read_survey

STUDY = Path(__file__).resolve().parents[1]
OUTPUTS = {
    "responses": "responses.parquet",
    "exclusions": "exclusions.csv",
    "summary": "cleaning_summary.csv",
    "provenance": "provenance.json",
}


def generate(n: int, folder: Path) -> Path:
    """The simulated wave as CSV, written by a child process (not timed)."""
    survey = folder / "survey.csv"
    simulate = Path(sys.executable).with_name("servqual-simulate")
    subprocess.run([str(simulate), "--n", str(n), "--seed", "1", "--out", str(survey)], check=True)
    return survey


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="respondents before planted duplicates")
    parser.add_argument("--keep", help="reuse or keep the simulated CSV in this folder")
    args = parser.parse_args()
    config = yaml.safe_load((STUDY / "config" / "config.yaml").read_text(encoding="utf-8"))
    instrument = instrument_from_config(config["instrument"], config["measures"], config["outcomes"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        survey = folder / "survey.csv"
        if not survey.exists():
            started = time.perf_counter()
            generate(args.n, folder)
            print(f"simulated {survey.stat().st_size / 2**20:.0f} MiB CSV in {time.perf_counter() - started:.1f} s (not timed)")
        paths = {name: folder / file for name, file in OUTPUTS.items()}
        baseline = peak_rss_gib()
        stages = {}
        started = time.perf_counter()
        raw = read_survey(survey)
        stages["read"] = time.perf_counter() - started
        result = clean_survey(raw, instrument, config["columns"], config["cleaning"], b"benchmark-salt")
        stages["validate + clean"] = time.perf_counter() - started - stages["read"]
        write_outputs(result, paths, provenance(raw, result, {"cleaning": config["cleaning"]}))
        wall = time.perf_counter() - started
        stages["write"] = wall - stages["read"] - stages["validate + clean"]
    rows = len(raw.frame)
    print(f"rows read {rows:,}, kept {len(result.responses):,}, excluded {len(result.exclusions):,}")
    print("  ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stages.items()))
    print(f"wall {wall:.1f} s (target <= 20 s)")
    print(f"peak RSS {peak_rss_gib():.2f} GiB (target <= 4 GiB; {baseline:.2f} GiB before reading)")
    print(f"throughput {rows / wall:,.0f} respondents/s")


if __name__ == "__main__":
    main()
