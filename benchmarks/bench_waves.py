"""Benchmark: many sampling waves through the whole workflow, a no-op rerun, and adding a wave.

Builds a study of ``--waves`` simulated waves of ``--n`` respondents each (no interviews or
complaints) in a temporary folder with a copy of this workflow, then times

1. the full run from a clean state,
2. a rerun with nothing to do,
3. adding one more wave (its jobs and the cross-wave jobs only),

and Snakemake's own start-up on a one-rule workflow whose target exists, measured in the same
run. Prints each wall time against its target (issue 24: full run 180 s, adding a wave 12 s,
no-op within 1.2 times Snakemake's own no-op on a synthetic workflow of the same size), the jobs
executed, and per rule the jobs' summed and largest wall time (the jobs'
``logs/<wave>/<rule>.benchmark.tsv``) and peak memory (each job's processes traced by
``benchmarks/startup/sitecustomize.py``: their VmHWM), for the full run and for the added wave.

The synthetic workflow has the same size and none of this workflow's code: as many jobs, in
chains as long as a wave's, writing as many files, each with a parameter and reading the outputs
of the job before it. Its no-op is what Snakemake itself spends on a DAG of this size.

    python benchmarks/bench_waves.py                 # 20 waves of 2,000 (the issue's size)
    python benchmarks/bench_waves.py --waves 3 --n 300 --keep /tmp/bench-waves
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_study import REPORT_RULES, TRACER, job_files, job_traces, read_traces, start_up, worker_record

from servqual.simulate import servqual_instrument, simulate_survey

ROOT = Path(__file__).resolve().parents[1]


def snakemake(folder: Path, *args: str, snakefile: str = "Snakefile", trace: Path | None = None) -> tuple[float, int]:
    """Wall time and number of jobs executed by one snakemake call; with ``trace``, every Python
    process of the call writes its record there (``benchmarks/startup/sitecustomize.py``)."""
    env = {**os.environ, "SERVQUAL_SALT": "bench"}
    if trace:
        trace.mkdir(parents=True, exist_ok=True)
        env |= {"SERVQUAL_STARTUP_TRACE": str(trace),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(TRACER), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", snakefile, "--cores", "2", *args],
        cwd=folder, capture_output=True, text=True, env=env,
    )
    wall = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(run.stderr[-3000:])
    done = re.findall(r"(\d+) of \d+ steps \(100%\) done", run.stdout + run.stderr)
    return wall, int(done[-1]) if done else 0


def synthetic_workflow(folder: Path, jobs: int, files: int, chain: int) -> str:
    """Snakefile of ``jobs`` shell jobs in chains of ``chain`` rules, ``files`` outputs in all."""
    per_job = max(1, round(files / jobs))
    chains = [f"c{i}" for i in range(max(1, jobs // chain))]
    lines = [f"CHAINS = {chains!r}", "", "rule all:",
             f"    input: expand('synthetic/{{c}}/r{chain - 1}_0.txt', c=CHAINS)", ""]
    for r in range(chain):
        outputs = ", ".join(f"o{k}='synthetic/{{c}}/r{r}_{k}.txt'" for k in range(per_job))
        inputs = ", ".join(f"'synthetic/{{c}}/r{r - 1}_{k}.txt'" for k in range(per_job))
        lines += [f"rule r{r}:", *([f"    input: {inputs}"] if r else []), f"    output: {outputs}",
                  "    params: options={'seed': 1}", "    shell: 'touch {output}'", ""]
    (folder / "synthetic.smk").write_text("\n".join(lines), encoding="utf-8")
    return "synthetic.smk"


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "not met"


def write_wave(folder: Path, index: int, n: int) -> str:
    path = folder / f"data/raw/w{index:02d}/survey.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    simulate_survey(servqual_instrument(folder / "config/config.yaml"), n, wave=min(index, 2), seed=index).to_csv(
        path, index=False
    )
    return f"w{index:02d}\t{path.relative_to(folder)}\t\t\t\t\t\n"


def rule_times(folder: Path, since: float, trace: Path) -> pd.DataFrame:
    """Per rule, the jobs whose benchmark file was written after ``since`` (epoch seconds): their
    number, summed and largest wall seconds, and peak memory (MB: the largest VmHWM of the jobs'
    traced processes, the benchmark files' sampled max_rss where a job was not traced)."""
    jobs = job_files(folder, since)
    traces = job_traces(read_traces(trace))
    if len(traces):
        stem = traces["rule"].where(~traces["rule"].isin(REPORT_RULES), "report")
        peaks = traces.assign(stem=stem, wave=traces["wave"].where(traces["rule"] != "report_waves", "waves"))
        jobs = jobs.merge(peaks[["stem", "wave", "peak_mb"]], on=["stem", "wave"], how="left")
        jobs["max_rss"] = jobs["peak_mb"].fillna(jobs["max_rss"])
    table = jobs.groupby("stem").agg(jobs=("wall", "size"), wall=("wall", "sum"), largest=("wall", "max"),
                                     peak_mb=("max_rss", "max"))
    return table.sort_values("wall", ascending=False).round(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waves", type=int, default=20)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--keep", help="build the study in this folder and keep it")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="servqual-waves-"))
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for part in ("Snakefile", "workflow", "src", "notebooks", "config", "profiles"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, folder / part)
    sheet = folder / "config/waves.tsv"
    header = "wave\tsurvey\tinterviews\tstart\tend\tnotes\tcomplaints\n"
    rows = [write_wave(folder, i, args.n) for i in range(1, args.waves + 1)]
    sheet.write_text(header + "".join(rows), encoding="utf-8")
    # The example's actions started after its own wave1; these waves are w01, w02, ...
    register = folder / "config/actions.tsv"
    register.write_text(register.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")

    (folder / "one_rule.smk").write_text('rule one:\n    output: "one.txt"\n    shell: "echo 1 > {output}"\n')
    snakemake(folder, snakefile="one_rule.smk")
    startup = min(snakemake(folder, snakefile="one_rule.smk")[0] for _ in range(3))

    started = time.time()
    full, full_jobs = snakemake(folder, trace=folder / ".trace-full")
    full_rules = rule_times(folder, started, folder / ".trace-full")
    noop = min(snakemake(folder)[0] for _ in range(3))
    files = len(list((folder / ".snakemake/metadata").iterdir()))
    synthetic = synthetic_workflow(folder, full_jobs, files, chain=round((full_jobs - 3) / args.waves))
    snakemake(folder, snakefile=synthetic)
    floor = min(snakemake(folder, snakefile=synthetic)[0] for _ in range(3))
    sheet.write_text(header + "".join(rows) + write_wave(folder, args.waves + 1, args.n), encoding="utf-8")
    started = time.time()
    added, added_jobs = snakemake(folder, trace=folder / ".trace-added")
    added_rules = rule_times(folder, started, folder / ".trace-added")

    print(f"study: {args.waves} waves x {args.n} respondents in {folder}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"full run            {full:8.1f} s  {full_jobs} jobs  (target 180 s: {verdict(full, 180)})")
    print(f"no-op rerun         {noop:8.1f} s  0 jobs")
    print(f"add wave {args.waves + 1:<10} {added:8.1f} s  {added_jobs} jobs  (target 12 s: {verdict(added, 12)})")
    print(f"snakemake start-up  {startup:8.1f} s  (one-rule workflow, target present)")
    print(f"synthetic no-op     {floor:8.1f} s  (same size: {full_jobs} jobs, {files} files, no code)")
    print(f"no-op / synthetic no-op = {noop / floor:.2f}  (target 1.2: {verdict(noop / floor, 1.2)})")
    print(f"add-a-wave / full run   = {added / full:.3f}")
    print(f"no-op / start-up        = {noop / startup:.2f}")
    print(f"synthetic / start-up    = {floor / startup:.2f}  (Snakemake's own cost of a DAG this size)")
    pd.set_option("display.width", 200)
    for title, table, trace in (("full run", full_rules, ".trace-full"),
                                (f"adding wave {args.waves + 1}", added_rules, ".trace-added")):
        print(f"\n{title}, per rule (wall s summed over the jobs, the largest job, peak memory MB; a job "
              "forked from the warm worker counts the pages it shares with it):")
        print(table.to_string())
        worker = worker_record(folder / trace)
        if worker:
            print(f"warm worker: start-up and preloading {start_up(worker):.1f} s, CPU {worker['cpu_seconds']:.1f} s, "
                  f"peak {worker['max_rss_mb']:.0f} MB")
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
