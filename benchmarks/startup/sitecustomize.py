"""Start-up trace of every Python process of a benchmark run (used by ``bench_study.py`` only).

Python imports ``sitecustomize`` once its interpreter is up; the benchmark puts this folder on
``PYTHONPATH`` and names a trace folder in ``SERVQUAL_STARTUP_TRACE``, so Snakemake, each job's
script and each notebook kernel write one JSON record when they exit: when the process started
(from ``/proc``), when the interpreter was ready, the seconds spent in imports (each outermost
``import`` statement that loaded a module timed, Snakemake's unpickling of the job's parameters
included) in wall and CPU seconds, the heaviest imports, the process's CPU time, that of its
children it waited for (a report's kernel), and its peak memory. A step run by the warm worker
(``servqual.warm_worker``) has two records: its own process, which hands the step over and
waits, and the worker's child that runs it (``forked``), whose trace starts at the fork. A
notebook kernel is stopped with SIGKILL when its notebook is done, which runs no exit handler: a
kernel writes its record again after each import that loaded modules, so its start-up is
recorded (a kernel the worker forked loads almost none: its CPU is in the worker's children's). With ``SERVQUAL_STARTUP_PROFILE``
naming a rule, that rule's jobs also run under cProfile (CPU time) from their first line.

Without ``SERVQUAL_STARTUP_TRACE`` this file does nothing.
"""

import os

if os.environ.get("SERVQUAL_STARTUP_TRACE"):
    import atexit
    import builtins
    import json
    import sys
    import time

    _site = time.time()
    _site_cpu = time.process_time()  # the interpreter's own start
    _ticks = os.sysconf("SC_CLK_TCK")

    def _process_start() -> float:
        """Epoch seconds at which this process started: the kernel's record (clock ticks since
        boot) against the seconds since boot now. Not /proc/stat's btime, a whole second, which
        put every start up to a second early."""
        with open("/proc/self/stat", encoding="ascii") as stat:
            start = int(stat.read().rsplit(")", 1)[1].split()[19])
        return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - start / _ticks)

    _imports: dict[str, float] = {}
    _import_cpu = 0.0
    _depth = 0
    _original_import = builtins.__import__
    _kernel = "ipykernel_launcher" in sys.orig_argv or "servqual.warm_kernel" in sys.orig_argv

    def _timed_import(name, globals=None, locals=None, fromlist=(), level=0):
        global _depth, _import_cpu
        if _depth:
            return _original_import(name, globals, locals, fromlist, level)
        _depth = 1
        start, start_cpu, loaded = time.perf_counter(), time.process_time(), len(sys.modules)
        try:
            module = _original_import(name, globals, locals, fromlist, level)
        finally:
            _depth = 0
        # Only an import that loads a module is start-up: the same statement run again inside a
        # function (pandas and matplotlib do, thousands of times) finds it loaded.
        if len(sys.modules) != loaded:
            _import_cpu += time.process_time() - start_cpu
            key = f"{'.' * level}{name}"
            # "from servqual import plots" is named servqual.plots (its first submodule).
            if fromlist and f"{name}.{fromlist[0]}" in sys.modules:
                key = f"{key}.{fromlist[0]}"
            _imports[key] = _imports.get(key, 0.0) + time.perf_counter() - start
            if _kernel:
                _write_record()
        return module

    builtins.__import__ = _timed_import

    _script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    _profile_rule = os.environ.get("SERVQUAL_STARTUP_PROFILE")
    _profiler = None
    if _profile_rule and _script.endswith(f".{_profile_rule}.py"):
        import cProfile

        _profiler = cProfile.Profile(time.process_time)  # CPU seconds: other work shares the machine
        _profiler.enable()

    def _peak_resident_mb() -> float:
        """This program's peak resident memory (VmHWM, MB). Not getrusage's ru_maxrss: Linux keeps
        that across exec, so a job started by a shell that Snakemake forked would report at least
        Snakemake's own size."""
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def _write_record() -> None:
        end = time.time()
        if _profiler is not None:
            _profiler.disable()
        main = sys.modules.get("__main__")
        job = getattr(main, "snakemake", None)
        times = os.times()
        record = {
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "argv": sys.argv[:3],
            "rule": getattr(job, "rule", None),
            "wildcards": dict(getattr(job, "wildcards", {}) or {}),
            "process_start": _process_start(),
            "interpreter_ready": _site,
            "end": end,
            "import_seconds": sum(_imports.values()),
            "start_up_cpu_seconds": _site_cpu + _import_cpu,
            "imports": dict(sorted(_imports.items(), key=lambda kv: -kv[1])[:8]),
            "cpu_seconds": times.user + times.system,
            "children_cpu_seconds": times.children_user + times.children_system,
            "max_rss_mb": _peak_resident_mb(),
            "forked": _forked,
            # A notebook kernel's launcher, whose child it is unless the warm worker forked it.
            "kernel_of": int(os.environ.get("JPY_PARENT_PID") or 0) if _kernel else 0,
        }
        folder = os.environ["SERVQUAL_STARTUP_TRACE"]
        with open(os.path.join(folder, f"{os.getpid()}.json"), "w", encoding="utf-8") as out:
            json.dump(record, out)
        if _profiler is not None:
            _profiler.dump_stats(os.path.join(folder, f"{os.getpid()}.prof"))

    atexit.register(_write_record)

    _forked = False

    def _start_forked_step() -> None:
        """A warm worker's child (servqual.warm_worker) is a step's process of its own: it starts at
        the fork, its imports are those it makes itself and its CPU time (which the kernel starts
        again at zero) its own. Its record names the step's rule as the step's own process does."""
        global _site, _site_cpu, _import_cpu, _forked, _process_start
        _site, _site_cpu, _import_cpu, _forked = time.time(), 0.0, 0.0, True
        _process_start = lambda: _site  # noqa: E731 - the fork's own time, closer than a clock tick
        _imports.clear()

    os.register_at_fork(after_in_child=_start_forked_step)
