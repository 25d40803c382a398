"""Benchmark: the bundled example study from a clean state, where each job's time goes, and the
whole run as a multiple of Snakemake's own start-up.

Copies this workflow and the example study to a temporary folder and runs ``snakemake --cores 2``
once (timed), every Python process of the run traced by ``benchmarks/startup/sitecustomize.py``.
Then it prints, per rule (summed over waves):

- wall: seconds from the start of the job's process to its exit, as traced (the job's benchmark
  file ``logs/<wave>/<rule>.benchmark.tsv`` where a job was not traced);
- start-up: the interpreter's start, every import that loads a module (Snakemake's unpickling of
  the job's parameters included), the wait for the warm worker of a job that started while it
  was still importing (``servqual.warm_worker``) and, for the reports, the notebook kernel's
  start and imports, as traced;
- work: wall minus start-up, and start-up's share of the wall;
- CPU: user + system seconds of the job's processes, and the share of it spent starting up (on a
  shared machine wall time also counts waiting for a core; CPU time does not);
- peak memory: the largest peak resident memory of the rule's jobs' processes, as traced
  (``getrusage``; Snakemake's benchmark files sample memory now and then and miss short jobs);
- the heaviest imports of the rule's jobs.

A job the warm worker ran has two traced processes, its own (which hands the job over and waits)
and the worker's child (which runs it): both count in its row. The worker's own start-up and
CPU are printed after the table, and the CPU of the whole run (Snakemake's, that of every process
it or the worker reaped, a forked report kernel's included, and the worker's), with how busy
the cores were and the run's length at full use.

Snakemake's own start-up is measured in the same run: a workflow of one rule whose script does
nothing, from a clean state, and the no-op dry run of the finished study. ``--profile RULE`` runs
that rule's jobs under cProfile and prints the functions with the largest cumulative CPU time
(that rule's times in the table then include cProfile's overhead, two to four times its own).

Run: ``python benchmarks/bench_study.py [--cores 2] [--keep DIR] [--profile figures]``.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("Snakefile", "workflow", "src", "notebooks", "config", "profiles", "data/raw")
TRACER = Path(__file__).resolve().parent / "startup"
REPORT_RULES = {"report_wave", "report_waves"}
TRIVIAL_WORKFLOW = """\
rule all:
    output:
        "done.txt",
    script:
        "nothing.py"
"""


def copy_study(folder: Path) -> None:
    for part in PARTS:
        source, target = ROOT / part, folder / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)


def timed_snakemake(folder: Path, *args: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=folder, capture_output=True,
                         text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} in {folder}:\n{run.stderr[-3000:]}")
    return seconds


def snakemake_start_up(cores: str, env: dict[str, str]) -> float:
    """Wall seconds of Snakemake running one job whose script does nothing, from a clean state."""
    with tempfile.TemporaryDirectory(prefix="servqual-trivial-") as folder:
        Path(folder, "Snakefile").write_text(TRIVIAL_WORKFLOW, encoding="utf-8")
        Path(folder, "nothing.py").write_text("open(snakemake.output[0], 'w').close()\n", encoding="utf-8")
        return timed_snakemake(Path(folder), "--cores", cores, env=env)


def job_files(folder: Path, since: float = 0.0) -> pd.DataFrame:
    """One row per job whose benchmark file was written after ``since`` (epoch seconds): rule
    (the benchmark file's stem), wave folder, wall s and max_rss (MB)."""
    rows = []
    for path in sorted((folder / "logs").glob("*/*.benchmark.tsv")):
        if path.stat().st_mtime < since:
            continue
        table = pd.read_csv(path, sep="\t")
        rows.append({"stem": path.name.removesuffix(".benchmark.tsv"), "wave": path.parent.name,
                     "wall": float(table["s"].sum()), "max_rss": float(table["max_rss"].max())})
    return pd.DataFrame(rows)


def read_traces(trace: Path) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(trace.glob("*.json"))]


def start_up(record: dict) -> float:
    """Seconds from the process's start to the end of its imports (interpreter + imports)."""
    return record["interpreter_ready"] - record["process_start"] + record["import_seconds"]


def is_warm_worker(record: dict) -> bool:
    return bool(record["argv"]) and record["argv"][0].endswith("warm_worker.py") and not record["rule"]


def job_traces(records: list[dict]) -> pd.DataFrame:
    """One row per traced job: its rule, wave, start-up (its kernels' included), CPU seconds and
    heaviest imports. A job's processes are its own and, when the warm worker ran it, the worker's
    child (both name the job's rule and wildcards); a kernel belongs to the process that launched
    it (its parent, or the worker forked it for that process)."""
    children, steps = defaultdict(list), defaultdict(list)
    for record in records:
        children[record.get("kernel_of") or record["ppid"]].append(record)
        if record["rule"]:
            steps[record["rule"], json.dumps(record["wildcards"], sort_keys=True)].append(record)
    rows = []
    for (rule, _), own in steps.items():
        kernels = [kid for record in own for kid in children[record["pid"]] if not kid["rule"]]
        family = own + kernels
        imports: dict[str, float] = defaultdict(float)
        for member in family:
            for name, seconds in member["imports"].items():
                imports[name] += seconds
        rows.append({
            "rule": rule,
            "wave": own[0]["wildcards"].get("wave", "waves"),
            "life": max(r["end"] for r in own) - min(r["process_start"] for r in own),
            "start_up": sum(start_up(member) for member in family) + waiting_for_worker(own),
            "kernel": sum(start_up(member) for member in kernels),
            # The job's own CPU and that of the children it waited for (its kernel among them,
            # which may have been stopped before it wrote its last record).
            "cpu": sum(r["cpu_seconds"] + r.get("children_cpu_seconds", 0.0) for r in own),
            "start_up_cpu": sum(member["start_up_cpu_seconds"] for member in family),
            "peak_mb": max(member["max_rss_mb"] for member in family),
            "imports": dict(imports),
        })
    return pd.DataFrame(rows)


def waiting_for_worker(own: list[dict]) -> float:
    """Seconds a job's process, its start-up done, waited before the worker forked its child
    (a job that starts while the worker is still importing waits for it)."""
    forked = [r for r in own if r.get("forked")]
    mine = [r for r in own if not r.get("forked")]
    if not forked or not mine:
        return 0.0
    return max(0.0, forked[0]["process_start"] - mine[0]["process_start"] - start_up(mine[0]))


def worker_record(trace: Path, wait: float = 10.0) -> dict | None:
    """The warm worker's record, written when it ends, just after Snakemake (``None`` without one)."""
    if not any(trace.glob("*.json")) or not (trace.parent / ".snakemake/warm-worker").exists():
        return None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = [r for r in read_traces(trace) if is_warm_worker(r)]
        if found:
            return found[0]
        time.sleep(0.2)
    return None


def rule_table(jobs: pd.DataFrame, traces: pd.DataFrame) -> pd.DataFrame:
    """Per rule, summed over waves: wall, start-up, work, CPU, peak memory, heaviest imports."""
    # Benchmark files are named by rule except the reports (report.benchmark.tsv).
    stem = traces["rule"].where(~traces["rule"].isin(REPORT_RULES), "report")
    traces = traces.assign(stem=stem, wave=traces["wave"].where(traces["rule"] != "report_waves", "waves"))
    merged = jobs.merge(traces, on=["stem", "wave"], how="left")
    rows = []
    for stem, group in merged.groupby("stem"):
        imports: dict[str, float] = defaultdict(float)
        for found in group["imports"].dropna():
            for name, seconds in found.items():
                imports[name] += seconds
        heaviest = sorted(imports.items(), key=lambda kv: -kv[1])[:3]
        # The job's process from its start to its exit, where traced: Snakemake's benchmark
        # files start timing a little after the process starts.
        wall, startup = group["life"].fillna(group["wall"]).sum(), group["start_up"].sum()
        rows.append({
            "rule": stem, "jobs": len(group), "wall": wall, "start_up": startup,
            "kernel": group["kernel"].sum(), "work": wall - startup, "cpu": group["cpu"].sum(),
            "start_up_cpu": group["start_up_cpu"].sum(),
            "max_rss": group["peak_mb"].fillna(group["max_rss"]).max(),
            "heaviest imports": ", ".join(f"{name} {seconds:.1f}" for name, seconds in heaviest),
        })
    return pd.DataFrame(rows).sort_values("wall", ascending=False)


def print_profile(trace: Path, rule: str, lines: int = 30) -> None:
    for path in sorted(trace.glob("*.prof")):
        print(f"\ncProfile of a {rule} job (cumulative CPU seconds, largest first; the table's {rule} row "
              "includes the profiler's overhead):")
        stats = pstats.Stats(str(path))
        stats.strip_dirs().sort_stats("cumulative").print_stats(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="2")
    parser.add_argument("--keep", help="run in this folder and keep it")
    parser.add_argument("--profile", metavar="RULE", help="run this rule's jobs under cProfile and print the top")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="servqual-study-"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    copy_study(folder)
    trace = folder / ".startup-trace"
    trace.mkdir()
    python_path = os.pathsep.join(filter(None, [str(TRACER), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "SERVQUAL_SALT": "bench", "PYTHONPATH": python_path, "SERVQUAL_STARTUP_TRACE": str(trace)}
    if args.profile:  # cProfile starts with a job's interpreter: the rule's jobs start their own
        env.update(SERVQUAL_STARTUP_PROFILE=args.profile, SERVQUAL_WARM_WORKER="off")
    wall = timed_snakemake(folder, "--cores", args.cores, env=env)
    quiet = {k: v for k, v in env.items() if not k.startswith("SERVQUAL_STARTUP")}
    trivial = snakemake_start_up(args.cores, quiet)
    no_op = timed_snakemake(folder, "--cores", args.cores, "-n", env=quiet)

    records = read_traces(trace)
    table = rule_table(job_files(folder), job_traces(records))
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 80)
    print(f"example study from a clean state, --cores {args.cores}: wall {wall:.1f} s (target 20 s: "
          f"{'met' if wall <= 20 else 'not met'}) = {wall / trivial:.1f} times "
          f"Snakemake's own start-up ({trivial:.1f} s for a workflow of one job whose script does nothing; "
          f"the study's no-op dry run {no_op:.1f} s); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    shown = table.assign(share=table["start_up"] / table["wall"], cpu_share=table["start_up_cpu"] / table["cpu"])
    formats = {"wall": "{:.1f}", "start_up": "{:.1f}", "kernel": "{:.1f}", "work": "{:.1f}", "cpu": "{:.1f}",
               "share": "{:.0%}", "cpu_share": "{:.0%}", "max_rss": "{:.0f}"}
    for column, form in formats.items():
        shown[column] = shown[column].map(lambda v, f=form: "" if pd.isna(v) else f.format(v))
    shown = shown.rename(columns={"wall": "wall s", "start_up": "start-up s", "kernel": "of it kernel s",
                                  "work": "work s", "share": "start-up share", "cpu": "CPU s",
                                  "cpu_share": "start-up share of CPU", "max_rss": "peak MB"})
    print(shown[["rule", "jobs", "wall s", "start-up s", "of it kernel s", "work s", "start-up share", "CPU s",
                 "start-up share of CPU", "peak MB", "heaviest imports"]].to_string(index=False))
    total, startup = table["wall"].sum(), table["start_up"].sum()
    cpu, startup_cpu = table["cpu"].sum(), table["start_up_cpu"].sum()
    print(f"all jobs: {total:.1f} s, of it start-up {startup:.1f} s ({startup / total:.0%}); "
          f"CPU {cpu:.1f} s, of it start-up {startup_cpu:.1f} s ({startup_cpu / cpu:.0%})")
    worker = worker_record(trace)
    # Every process of the run was reaped by Snakemake or by the worker: their CPU, forked
    # kernels' included (stopped with SIGKILL, they write no trace of their own), is in these.
    worker_cpu = worker["cpu_seconds"] + worker["children_cpu_seconds"] if worker else 0.0
    if worker:
        print(f"warm worker (servqual.warm_worker, from which {len([r for r in records if r.get('forked')])} "
              f"jobs forked, and the reports' kernels): start-up and preloading {start_up(worker):.1f} s, CPU "
              f"{worker['cpu_seconds']:.1f} s (its start-up {worker['start_up_cpu_seconds']:.1f} s), its children "
              f"{worker['children_cpu_seconds']:.1f} s; peak {worker['max_rss_mb']:.0f} MB (a forked job's peak "
              "above counts the pages it shares with the worker; a forked kernel's CPU is in its children's only)")
    own = [r for r in records if not r["rule"] and "snakemake" in " ".join(r["argv"]) and not is_warm_worker(r)]
    if own:
        main_process = min(own, key=lambda r: r["process_start"])
        own_cpu = main_process["cpu_seconds"]
        print(f"Snakemake's own process in this run: start-up (interpreter and imports) "
              f"{start_up(main_process):.1f} s, CPU {own_cpu:.1f} s")
        cores, used = int(args.cores), own_cpu + main_process["children_cpu_seconds"] + worker_cpu
        print(f"CPU of the whole run (Snakemake, its jobs, the warm worker and its children): {used:.1f} s; the "
              f"{cores} cores were busy {used / (wall * cores):.0%} of the run; at full use it would take "
              f"{used / cores:.1f} s")
    if args.profile:
        print_profile(trace, args.profile)
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
