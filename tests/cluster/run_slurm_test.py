"""The example study on a real one-node SLURM cluster, against a local run of the same study.

1. Skips (exit 77, reason printed) unless this is Linux, we are root and apt-get is there.
2. Starts the local reference run (``snakemake --cores 2`` in a copy of the repository) in the
   background, and meanwhile installs slurm-wlm, slurmdbd, munge and mariadb-server
   (``slurm_cluster.sh install``; exit 77 when they cannot be installed), installs
   snakemake-executor-plugin-slurm into a virtual environment layered on the current one (so the
   current environment does not get the plugin and its start-up probes) and starts the cluster
   (``slurm_cluster.sh start``).
3. Runs the example study in a second copy with ``--executor slurm --workflow-profile
   profiles/slurm`` (account and partition from SBATCH_ACCOUNT / SBATCH_PARTITION) and checks
   that every job that is not a local rule went through sbatch and completed (sacct, by the
   rule name the plugin puts in the job comment), and that its outputs equal the local run's:
   the same files, every CSV and parquet table equal to 1e-9.
4. Fault test: removes the cross-wave outputs (reports/waves/) so that the cross-wave step
   (measurement invariance fits, about 20 s) and its report run again, cancels the cross-wave
   job with scancel while it runs, checks that Snakemake stops with the job
   failed, reruns with ``--rerun-incomplete`` and compares with the local run again. (The
   profile makes the plugin read job states from squeue: through sacct, whose state for such a
   job is "CANCELLED by <uid>", plugin 2.8.0 never notices the cancellation.)
5. Stops the cluster (always) and prints the time of each step.

Run as root: python tests/cluster/run_slurm_test.py [--work DIR] [--keep-cluster] [--no-fault-test]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = Path(__file__).resolve().with_name("slurm_cluster.sh")
COPY = ["Snakefile", "workflow", "src", "notebooks", "profiles", "config", "data/raw"]
OUTPUT_DIRS = ["data/processed", "reports"]
ACCOUNT, PARTITION = "servqual", "main"
SKIP = 77
# Short status-check intervals: the example's jobs take seconds, the plugin's default first
# check comes after 40 s and then backs off by 10 s per check.
FAST_STATUS = ["--slurm-init-seconds-before-status-checks", "2",
               "--seconds-between-status-checks", "2"]
TOLERANCE = 1e-9
# CFA modification indices come out of an iterative fit and differ in the ninth digit between two
# local runs as well (3.8e-9 measured on values near 9): compared to 1e-9 relative + 1e-8.
LOOSER = {"cfa_hints.csv": dict(rtol=1e-9, atol=1e-8)}

timings: dict[str, float] = {}


def say(message: str) -> None:
    print(f"[slurm test] {message}", flush=True)


def timed(step: str):
    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()
            say(f"{step} ...")

        def __exit__(self, *exc):
            timings[step] = time.perf_counter() - self.start
            say(f"{step}: {timings[step]:.1f} s")

    return Timer()


def skip_reason() -> str | None:
    if platform.system() != "Linux":
        return f"needs Linux (this is {platform.system()})"
    if os.geteuid() != 0:
        return "needs root to install packages and start the SLURM daemons"
    if shutil.which("apt-get") is None:
        return "needs apt-get (Debian/Ubuntu) to install slurm-wlm, munge, slurmdbd, mariadb-server"
    return None


def copy_study(target: Path) -> Path:
    for part in COPY:
        source, dest = ROOT / part, target / part
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif source.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
    return target


def plugin_python(venv: Path) -> Path:
    """A virtual environment that sees the current one's packages and adds the SLURM plugin."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_dir = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    base = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    # addsitedir also reads the base environment's .pth files (editable installs).
    lines = [f"import site; site.addsitedir({p!r})" for p in base]
    (Path(site_dir) / "_base_environment.pth").write_text("\n".join(lines) + "\n")
    # nbconvert finds its templates under sys.prefix/share/jupyter: the base environment's.
    shared = Path(sys.prefix) / "share" / "jupyter"
    if shared.is_dir():
        (venv / "share").mkdir(exist_ok=True)
        (venv / "share" / "jupyter").symlink_to(shared)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "snakemake-executor-plugin-slurm>=1.0"], check=True)
    return python


def snakemake_slurm(python: Path, cwd: Path, env: dict, *extra: str, log: Path):
    command = [str(python), "-m", "snakemake", "--executor", "slurm",
               "--workflow-profile", "profiles/slurm", *FAST_STATUS, *extra]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def submitted_jobs(log: Path) -> tuple[dict[str, int], list[str]]:
    """Rule -> number of jobs Snakemake ran as cluster jobs, and the SLURM job ids it submitted."""
    text = log.read_text()
    rules: dict[str, int] = {}
    for rule in re.findall(r"^rule (\w+):$", text, flags=re.M):
        rules[rule] = rules.get(rule, 0) + 1
    ids = re.findall(r"has been submitted with SLURM jobid (\d+)", text)
    return rules, ids


def sacct(env: dict, since: str) -> pd.DataFrame:
    out = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-S", since, "-o", "JobID,State,Account,Partition,Comment"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    rows = [line.split("|", 4) for line in out.splitlines() if line.strip()]
    table = pd.DataFrame(rows, columns=["id", "state", "account", "partition", "comment"])
    table["rule"] = table["comment"].str.extract(r"^rule_(\w+?)(?:_wildcards_.*)?$")[0]
    return table


def check_sacct(env: dict, since: str, log: Path, expect_state: dict[str, str] | None = None):
    """Every cluster job of the run is in sacct, completed, under our account and partition."""
    rules, ids = submitted_jobs(log)
    assert rules, f"no cluster jobs in {log}"
    assert sum(rules.values()) == len(ids), (rules, ids)
    table = sacct(env, since).set_index("id")
    missing = sorted(set(ids) - set(table.index))
    assert not missing, f"submitted but not in sacct: {missing}"
    ours = table.loc[ids]
    expect_state = expect_state or {}
    for job_id, row in ours.iterrows():
        want = expect_state.get(job_id, "COMPLETED")
        assert row.state.startswith(want), f"SLURM job {job_id} ({row.comment}): {row.state}"
        assert (row.account, row.partition) == (ACCOUNT, PARTITION), row.to_dict()
    counted = ours["rule"].value_counts().to_dict()
    assert counted == rules, f"sacct per rule {counted} != Snakemake's cluster jobs {rules}"
    return rules, ours


def output_files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root)) for d in OUTPUT_DIRS for p in (root / d).rglob("*") if p.is_file()
    }


def frames_equal(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    assert list(a.columns) == list(b.columns), f"{name}: columns differ"
    assert a.shape == b.shape, f"{name}: {a.shape} != {b.shape}"
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            tolerance = LOOSER.get(Path(name).name, dict(rtol=TOLERANCE, atol=TOLERANCE))
            same = np.isclose(xv, yv, equal_nan=True, **tolerance)
            assert same.all(), f"{name}, column {column}: differs beyond {tolerance}"
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), f"{name}, column {column}"


def without_command(record):
    """A provenance record without its "command" entries: they hold the command line that ran
    the job, which differs between a local run and a cluster job by design."""
    if isinstance(record, dict):
        return {k: without_command(v) for k, v in record.items() if k != "command"}
    if isinstance(record, list):
        return [without_command(v) for v in record]
    return record


def compare_outputs(reference: Path, other: Path) -> int:
    """Same output files; CSV and parquet tables equal to 1e-9 (relative to their size where above
    1, as between BLAS kernels: a z statistic of 30 carries the noise of its SE's finite
    differences thirty times); JSON equal but for the command lines recorded in provenance."""
    files = output_files(reference)
    assert files == output_files(other), (
        f"only local: {sorted(files - output_files(other))}; "
        f"only on the cluster: {sorted(output_files(other) - files)}"
    )
    tables = 0
    for name in sorted(files):
        a, b = reference / name, other / name
        if name.endswith(".csv"):
            frames_equal(pd.read_csv(a, keep_default_na=False, na_values=[""]),
                         pd.read_csv(b, keep_default_na=False, na_values=[""]), name)
            tables += 1
        elif name.endswith(".parquet"):
            frames_equal(pd.read_parquet(a), pd.read_parquet(b), name)
            tables += 1
        elif name.endswith(".json"):
            assert without_command(json.loads(a.read_text())) == without_command(
                json.loads(b.read_text())
            ), name
    return tables


def cancel_when_running(env: dict, rule: str, process: subprocess.Popen, timeout: float = 180):
    """scancel the first job of `rule` a few seconds after SLURM reports it running."""
    end = time.time() + timeout
    while time.time() < end and process.poll() is None:
        out = subprocess.run(["squeue", "-h", "-o", "%i|%T|%k"], env=env,
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            job_id, state, comment = line.split("|", 2)
            if state == "RUNNING" and re.match(f"rule_{rule}(_wildcards_|$)", comment):
                time.sleep(3)
                subprocess.run(["scancel", job_id], env=env, check=True)
                say(f"cancelled SLURM job {job_id} ({comment}) while it ran")
                return job_id
        time.sleep(0.5)
    raise AssertionError(f"no running {rule} job to cancel")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--keep-cluster", action="store_true", help="leave the cluster running")
    parser.add_argument("--no-fault-test", action="store_true",
                        help="skip step 4 (cancel a running job, rerun with --rerun-incomplete)")
    args = parser.parse_args()

    reason = skip_reason()
    if reason:
        print(f"SKIPPED: SLURM cluster test {reason}")
        return SKIP
    work = (args.work or Path(tempfile.mkdtemp(prefix="servqual-slurm-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # the munge and mysql users work in sub-folders
    say(f"working in {work}")
    env = {**os.environ, "SERVQUAL_SALT": "test-salt"}
    total = time.perf_counter()

    local = copy_study(work / "local")
    local_log = work / "local.log"
    with local_log.open("w") as out:
        local_run = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "2"],
                                     cwd=local, env=env, stdout=out, stderr=subprocess.STDOUT)
    local_start = time.perf_counter()
    cluster_dir = work / "cluster"
    started = False
    try:
        with timed("apt install"):
            installed = subprocess.run([str(CLUSTER), "install"])
        if installed.returncode == 3:
            print("SKIPPED: SLURM cluster test: the Debian packages slurm-wlm, slurmdbd, munge, "
                  "mariadb-server could not be installed")
            return SKIP
        assert installed.returncode == 0, "slurm_cluster.sh install failed"
        with timed("plugin install"):
            python = plugin_python(work / "venv")
        with timed("cluster start"):
            started = True
            subprocess.run([str(CLUSTER), "start", str(cluster_dir)], check=True)
        env.update(SLURM_CONF=str(cluster_dir / "etc/slurm.conf"),
                   SBATCH_ACCOUNT=ACCOUNT, SBATCH_PARTITION=PARTITION)

        cluster = copy_study(work / "slurm")
        since = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
        with timed("workflow on slurm"):
            run = snakemake_slurm(python, cluster, env, log=work / "slurm.log")
            assert run.wait() == 0, f"SLURM run failed; see {work / 'slurm.log'}"
        rules, _ = check_sacct(env, since, work / "slurm.log")
        say(f"{sum(rules.values())} jobs through sbatch, all COMPLETED in sacct: {rules}")

        assert local_run.wait() == 0, f"local run failed; see {local_log}"
        timings["local run (in parallel)"] = time.perf_counter() - local_start
        tables = compare_outputs(local, cluster)
        say(f"outputs equal the local run's ({len(output_files(local))} files, {tables} tables)")

        if args.no_fault_test:
            say("fault test not run (--no-fault-test)")
        else:
            with timed("fault test"):
                shutil.rmtree(cluster / "reports/waves")
                since = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
                run = snakemake_slurm(python, cluster, env, log=work / "fault.log")
                cancelled = cancel_when_running(env, "waves", run)
                try:
                    code = run.wait(timeout=300)
                except subprocess.TimeoutExpired:
                    run.kill()
                    raise AssertionError("Snakemake did not notice the cancelled job in 5 minutes")
                assert code != 0, "Snakemake finished although a job was cancelled"
                check_sacct(env, since, work / "fault.log", expect_state={cancelled: "CANCELLED"})
                since = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
                run = snakemake_slurm(python, cluster, env, "--rerun-incomplete",
                                      log=work / "rerun.log")
                assert run.wait() == 0, f"rerun failed; see {work / 'rerun.log'}"
                rerun, _ = check_sacct(env, since, work / "rerun.log")
                assert rerun.get("waves") == 1, rerun
                compare_outputs(local, cluster)
            say(f"cancelled waves job rerun with --rerun-incomplete ({rerun}); outputs equal again")
    finally:
        if local_run.poll() is None:
            local_run.terminate()
            try:
                local_run.wait(timeout=30)
            except subprocess.TimeoutExpired:
                local_run.kill()
        if started and not args.keep_cluster:
            with timed("cluster stop"):
                subprocess.run([str(CLUSTER), "stop", str(cluster_dir)])
    timings["total"] = time.perf_counter() - total
    print("\nstep                         seconds")
    for step, seconds in timings.items():
        print(f"{step:<28} {seconds:>7.1f}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
