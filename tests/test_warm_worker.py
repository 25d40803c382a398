"""The warm worker runs a step as the step's own interpreter would (servqual.warm_worker).

Each test starts a small "run": a driver process that launches a worker (as the Snakefile's
``onstart`` does in Snakemake's process) and then runs step scripts as subprocesses, as Snakemake
does; the worker ends with the driver. A step script says where it ran: a forked child of the
worker has the worker as its parent, a step that ran itself has the driver.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from studies import STUDY, WORKFLOW, copy_tree, snakemake
from test_workflow import assert_same_tables, study_tables

from servqual import warm_worker

SRC = Path(warm_worker.__file__).resolve().parents[1]

STEP = """\
import json, os, sys
from servqual.warm_worker import hand_over
{before}
hand_over()
from threadpoolctl import threadpool_info
blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
print(json.dumps({{"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "argv": sys.argv,
                  "variable": os.environ.get("STEP_VARIABLE"), "blas_threads": blas[:1]}}), flush=True)
{after}
"""

DRIVER = """\
import json, os, subprocess, sys, time
from pathlib import Path
from servqual import warm_worker

worker = warm_worker.start(Path(".snakemake/warm-worker"), steps={steps}, scripts=Path("scripts"))
sock = os.environ.get(warm_worker.SOCKET_VARIABLE)
results = []  # the first step starts while the worker imports: it waits for it
for step in {steps_to_run!r}:
    env = {{**os.environ, "STEP_VARIABLE": "from the run", "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}}
    run = subprocess.run([sys.executable, step, "an argument"], cwd="work", env=env, capture_output=True, text=True)
    results.append({{"step": step, "status": run.returncode, "stdout": run.stdout, "stderr": run.stderr}})
print(json.dumps({{"driver": os.getpid(), "worker": worker.pid if worker else None, "socket": sock,
                  "results": results}}))
"""


def run(tmp_path: Path, steps: dict[str, tuple[str, str]], *, worth: int = 10, env: dict | None = None) -> dict:
    """Write the steps (name -> code before and after hand_over) and run them in a driven run."""
    (tmp_path / "scripts").mkdir(exist_ok=True)
    (tmp_path / "scripts" / "preload.py").write_text("import numpy\nimport threadpoolctl\n", encoding="utf-8")
    (tmp_path / "work").mkdir(exist_ok=True)
    for name, (before, after) in steps.items():
        (tmp_path / name).write_text(STEP.format(before=before, after=after), encoding="utf-8")
    driver = DRIVER.format(steps=worth, steps_to_run=[str(tmp_path / name) for name in steps])
    out = subprocess.run([sys.executable, "-c", driver], cwd=tmp_path, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})})
    return json.loads(out.stdout)


def report(result: dict) -> dict:
    return json.loads(result["stdout"].splitlines()[0])


def test_a_step_runs_in_a_child_of_the_worker_with_its_own_folder_arguments_environment_and_threads(tmp_path):
    found = run(tmp_path, {"step.py": ("", "")})
    (result,) = found["results"]
    said = report(result)
    assert result["status"] == 0, result["stderr"]
    assert said["ppid"] == found["worker"] != found["driver"]
    assert said["cwd"] == str(tmp_path / "work")
    assert said["argv"] == [str(tmp_path / "step.py"), "an argument"]
    assert said["variable"] == "from the run"
    # The worker imported numpy with one thread; the step's variables ask for two.
    assert said["blas_threads"] == [2]


def test_exit_status_exceptions_and_output_are_the_steps_own(tmp_path):
    found = run(tmp_path, {
        "fine.py": ("", ""),
        "status.py": ("", "sys.exit(3)"),
        "message.py": ("", "sys.exit('stopped: a message')"),
        "fails.py": ("", "raise ValueError('no such column: E1')"),
        "stderr.py": ("", "print('to standard error', file=sys.stderr)"),
    })
    by_step = {Path(r["step"]).name: r for r in found["results"]}
    assert all(report(r)["ppid"] == found["worker"] for r in found["results"])
    assert by_step["fine.py"]["status"] == 0
    assert by_step["status.py"]["status"] == 3
    assert by_step["message.py"]["status"] == 1
    assert by_step["message.py"]["stderr"].strip() == "stopped: a message"
    assert by_step["fails.py"]["status"] == 1
    assert "Traceback" in by_step["fails.py"]["stderr"]
    assert "ValueError: no such column: E1" in by_step["fails.py"]["stderr"]
    assert by_step["stderr.py"]["stderr"] == "to standard error\n"


def test_a_step_killed_by_a_signal_ends_its_own_process_with_that_signal(tmp_path):
    found = run(tmp_path, {"killed.py": ("", "import signal; os.kill(os.getpid(), signal.SIGKILL)")})
    (result,) = found["results"]
    assert result["status"] == -signal.SIGKILL
    assert report(result)["ppid"] == found["worker"]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_the_steps_process_stops_the_child_doing_the_work(tmp_path, stop):
    """Snakemake stops a job by signalling its process: the forked child must stop with it, the
    signal passed on, or (SIGKILL, which cannot be) killed by the worker when the step's
    connection closes."""
    marker = tmp_path / "child.pid"
    after = textwrap.dedent(f"""\
        open({str(marker)!r}, "w").write(str(os.getpid()))
        import time
        time.sleep(60)
    """)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "preload.py").write_text("import json\n", encoding="utf-8")
    (tmp_path / "slow.py").write_text(STEP.format(before="", after=after), encoding="utf-8")
    driver = textwrap.dedent(f"""\
        import os, signal, subprocess, sys, time
        from pathlib import Path
        from servqual import warm_worker
        worker = warm_worker.start(Path(".snakemake/warm-worker"), steps=10, scripts=Path("scripts"))
        step = subprocess.Popen([sys.executable, {str(tmp_path / "slow.py")!r}], stdout=subprocess.PIPE)
        while not Path({str(marker)!r}).exists() or not Path({str(marker)!r}).read_text():
            time.sleep(0.05)
        step.send_signal({int(stop)})
        status = step.wait(timeout=30)
        child = int(Path({str(marker)!r}).read_text())
        for _ in range(200):  # while the run goes on: the worker ends it, not the run's end
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            status = "the child still runs"
        print(status)
    """)
    out = subprocess.run([sys.executable, "-c", driver], cwd=tmp_path, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=90)
    assert out.stdout.strip() == str(-stop)


def test_a_step_of_another_interpreter_runs_itself(tmp_path):
    """The worker serves only steps of its own interpreter and library; another (a conda
    environment's, a copy of the library elsewhere) is refused and starts its own, unharmed."""
    before = "import servqual.warm_worker as w; w.interpreter_identity = lambda: ['another interpreter']"
    found = run(tmp_path, {"other.py": (before, "")})
    (result,) = found["results"]
    assert result["status"] == 0, result["stderr"]
    assert report(result)["ppid"] == found["driver"]


def test_no_worker_for_a_small_run_or_when_turned_off_and_the_steps_run_themselves(tmp_path):
    (tmp_path / "small").mkdir()
    small = run(tmp_path / "small", {"step.py": ("", "")}, worth=2)
    assert small["worker"] is None and small["socket"] is None
    assert report(small["results"][0])["ppid"] == small["driver"]
    (tmp_path / "off").mkdir()
    off = run(tmp_path / "off", {"step.py": ("", "")}, env={warm_worker.SWITCH_VARIABLE: "off"})
    assert off["worker"] is None
    assert report(off["results"][0])["ppid"] == off["driver"]


def test_a_worker_that_has_ended_leaves_the_step_to_run_itself(tmp_path):
    (tmp_path / "step.py").write_text(STEP.format(before="", after=""), encoding="utf-8")
    out = subprocess.run([sys.executable, str(tmp_path / "step.py")], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC),
                              warm_worker.SOCKET_VARIABLE: f"{2**22 + 1}:{tmp_path / 'gone.sock'}"})
    assert json.loads(out.stdout)["ppid"] == os.getpid()


def test_the_socket_is_the_users_alone_and_goes_with_the_run(tmp_path):
    after = "import stat; print(oct(stat.S_IMODE(os.stat(os.environ['SERVQUAL_WARM_WORKER_SOCKET'].partition(':')[2]).st_mode)))"
    found = run(tmp_path, {"mode.py": ("", after)})
    lines = found["results"][0]["stdout"].splitlines()
    assert lines[1] == "0o600"
    folder = tmp_path / ".snakemake" / "warm-worker"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    # The worker ends with the run: its socket, and its log when it said nothing, are removed.
    for _ in range(100):
        if not any(folder.iterdir()):
            break
        subprocess.run(["sleep", "0.05"], check=True)
    assert list(folder.iterdir()) == []


def test_the_modules_preloaded_are_those_imported_at_the_top_of_the_scripts(tmp_path):
    (tmp_path / "a.py").write_text(textwrap.dedent("""\
        import os
        import numpy as np, json
        from servqual.cfa import cfa_tables
        from . import sibling

        def later():
            import matplotlib
    """), encoding="utf-8")
    (tmp_path / "b.py").write_text("from servqual.tables import write_tables\nimport os\n", encoding="utf-8")
    assert warm_worker.script_modules(tmp_path) == ["os", "numpy", "json", "servqual.cfa", "servqual.tables"]


def notebook_content(path: Path) -> dict:
    """An executed notebook without what differs from run to run: nbformat's random cell ids,
    papermill's timings."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook["metadata"].pop("papermill", None)
    for cell in notebook["cells"]:
        cell.pop("id", None)
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    return notebook


@pytest.mark.slow
def test_the_example_gives_the_same_tables_and_reports_without_the_worker(example, tmp_path):
    """The `example` fixture ran with the warm worker (and its forked kernels); a run with
    SERVQUAL_WARM_WORKER=off starts every step and kernel in its own interpreter."""
    assert (example / ".snakemake/warm-worker").is_dir()  # the fixture's run had a worker
    root = tmp_path / "study"
    copy_tree(WORKFLOW + STUDY, root)
    result = snakemake(cwd=root, env={warm_worker.SWITCH_VARIABLE: "off"})
    assert result.returncode == 0, result.stderr[-5000:]
    assert not (root / ".snakemake/warm-worker").exists()
    assert_same_tables(study_tables(example), study_tables(root), "without the warm worker")
    for report in sorted(example.glob("reports/*/report.html")):
        other = root / report.relative_to(example)
        assert other.read_text(encoding="utf-8") == report.read_text(encoding="utf-8"), report.relative_to(example)
        assert notebook_content(other.with_suffix(".ipynb")) == notebook_content(report.with_suffix(".ipynb"))
