"""A warm worker: one process per run that has imported the workflow's libraries, from which each
step's script is forked instead of started in a new interpreter.

A step of a wave does milliseconds to seconds of arithmetic, but a new Python process spends 0.4
to 1 s importing pandas, numpy, matplotlib and the library first: on a study of a few hundred
respondents, half of all the CPU time of a run. When a run starts (the Snakefile's ``onstart``:
``start_warm_worker`` in ``workflow/rules/common.smk``) and has enough steps to pay for it, :func:`start` launches ``python -m servqual.warm_worker``,
which imports every module the workflow's scripts import at their top, then listens on a Unix
socket in the study's ``.snakemake`` folder. A step's script asks it, in its first call
(:func:`servqual.adapters.begin_step`, through :func:`hand_over`), to run the step: it sends its
script file, arguments, working folder, ``sys.path``, environment and standard streams (the file
descriptors themselves). The worker forks a child that takes all of these on and runs the script
from its first line, as the interpreter would have; the waiting script forwards a stop signal to
it and ends with the child's exit status (or the signal that ended it). Whenever that cannot be
done (no worker, another interpreter, the worker gone or refusing, a cluster node that does not
share this machine's sockets) the script runs in its own process as before.

Why no number changes: a child is a copy of a process that only imported modules. Before the
script runs it takes the step's environment, working folder and module path; the BLAS and OpenMP
thread counts, which a new interpreter reads from ``OMP_NUM_THREADS`` and its kin when it loads
them (Snakemake sets these to the job's threads), are applied with threadpoolctl. The OpenBLAS
kernel (``OPENBLAS_CORETYPE``) is the run's, as for a step of its own. ``tests/test_warm_worker.py``
runs steps both ways and compares them.

Who may use it: the socket is created with mode 0600 in a folder of mode 0700, and the worker
serves only its own user (``SO_PEERCRED``); it ends when the Snakemake process that started it
ends (a pidfd it waits on), removing its socket.
"""

from __future__ import annotations

import atexit
import builtins
import gc
import importlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

#: Environment variable through which a run's steps find its worker: ``<pid>:<socket>``.
SOCKET_VARIABLE = "SERVQUAL_WARM_WORKER_SOCKET"
#: Longest wait of a step for a worker that is still importing (about 1.5 s on a quiet machine).
READY_WITHIN = 60.0
#: Environment variable that turns the worker off (``off``, ``0``, ``no`` or ``false``): every
#: step then starts its own interpreter, as for a run of fewer than :data:`WORTH_FROM_STEPS` steps.
SWITCH_VARIABLE = "SERVQUAL_WARM_WORKER"
#: Set in a worker's children, so that the script they run does not hand itself over again.
_IN_CHILD = False
#: The thread-count variables a new interpreter reads; the worker itself starts with one thread.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GOTO_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_STATUS = struct.Struct("i")
_REQUEST_BYTES = 1 << 20
_STREAMS = (0, 1, 2)


@dataclass(frozen=True)
class Request:
    """What a step sends its worker: how the interpreter would have run its script."""

    script: str
    argv: list[str]
    cwd: str
    path: list[str]
    environ: dict[str, str]
    interpreter: list[str]
    streams: list[int]

    def to_bytes(self) -> bytes:
        return json.dumps(self.__dict__).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Request:
        return cls(**json.loads(data))


def interpreter_identity() -> list[str]:
    """The interpreter and library a process runs: a worker serves only steps that run the same."""
    return [os.path.realpath(sys.executable), sys.version, str(Path(__file__).resolve())]


def script_modules(scripts: Path) -> list[str]:
    """Modules imported at the top of the workflow's scripts (``scripts/*.py``), in first-seen order.

    Only top-level statements count: an import inside a function is the step's own choice to
    defer it. Parsing, not importing, finds them: the Snakemake process loads nothing heavy.
    """
    import ast

    names: dict[str, None] = {}
    for path in sorted(scripts.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names[node.module] = None
    return list(names)


#: Steps from which a worker pays for itself: it costs about as much CPU as three steps' imports.
WORTH_FROM_STEPS = 4


def start(folder: Path, steps: int, scripts: Path, deferred: list[str] = ()) -> subprocess.Popen | None:
    """Launch a worker for this process's run, when it has ``steps`` steps or more to do, and tell
    the run's steps where it listens.

    ``folder`` (relative to the study folder, the working folder of the run and of its steps)
    receives the socket and the worker's own log, ``<pid>.sock`` and ``<pid>.log`` after this
    process; the worker imports :func:`script_modules` of ``scripts`` and the ``deferred``
    modules (those the library imports inside functions) before it listens;
    ``SERVQUAL_WARM_WORKER=off`` in the environment turns it off. Sets :data:`SOCKET_VARIABLE` in
    this process's environment, which Snakemake passes to each step.
    """
    if steps < WORTH_FROM_STEPS or os.environ.get(SWITCH_VARIABLE, "").lower() in {"off", "0", "no", "false"}:
        return None
    if not hasattr(os, "pidfd_open"):  # Linux only: other systems run each step in its own interpreter
        return None
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    name = folder / str(os.getpid())
    socket_path = _socket_name(name.with_suffix(".sock"))
    one_thread = dict.fromkeys(THREAD_VARIABLES, "1")
    with open(name.with_suffix(".log"), "w", encoding="utf-8") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "servqual.warm_worker", socket_path, str(os.getpid()),
             *script_modules(scripts), *deferred],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env={**os.environ, **one_thread})
    os.environ[SOCKET_VARIABLE] = f"{worker.pid}:{socket_path}"
    return worker


def _socket_name(path: Path) -> str:
    """The socket's absolute name when it fits the 107 bytes allowed (a step working in another
    folder finds it), else its name relative to the study folder, where the steps work."""
    absolute = str(path.resolve())
    return absolute if len(absolute.encode()) < 100 else str(path)


def hand_over() -> None:
    """Run this step's script in the run's worker, and end with its status; return if it cannot be.

    Called first by every workflow script; returns at once inside a worker's child, outside a
    run with a worker, or when the worker cannot take the step (nothing of the step has run then).
    A step that starts while the worker is still importing waits for it: the CPU it would spend
    importing the same modules is better left to the worker.
    """
    worker, _, socket_path = os.environ.get(SOCKET_VARIABLE, "").partition(":")
    if _IN_CHILD or not socket_path or not worker.isdigit() or not sys.argv or not sys.argv[0]:
        return
    if not _ready(socket_path, int(worker)):
        return
    streams = [fd for fd in _STREAMS if _is_open(fd)]
    request = Request(script=sys.argv[0], argv=sys.argv, cwd=os.getcwd(), path=sys.path,
                      environ=dict(os.environ), interpreter=interpreter_identity(), streams=streams)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(socket_path)
        socket.send_fds(connection, [request.to_bytes()], streams)
        child = _receive_status(connection)
    except OSError:
        child = None
    if child is None:  # refused or gone before forking: run here
        connection.close()
        return
    _forward_stop_signals(child)
    _end_as(_receive_status(connection))


def _ready(socket_path: str, worker: int) -> bool:
    """Whether the worker listens, once it has finished importing (``False`` if it has ended)."""
    deadline = time.monotonic() + READY_WITHIN
    while not os.path.exists(socket_path):
        if not _running(worker) or time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (not ended, nor ended and waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
    except OSError:
        return False


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _receive_status(connection: socket.socket) -> int | None:
    data = connection.recv(_STATUS.size)
    return _STATUS.unpack(data)[0] if len(data) == _STATUS.size else None


def _forward_stop_signals(child: int) -> None:
    """Snakemake stops a step by signalling its process: the child doing the work must stop too."""
    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)


def _end_as(status: int | None) -> NoReturn:
    """End this process as the child ended: its exit status, or killed by the same signal."""
    if status is None:  # the worker itself was killed while the child ran
        sys.exit("servqual: the warm worker ended before the step reported its status")
    if status < 0:
        sys.stdout.flush()
        if -status not in {signal.SIGKILL, signal.SIGSTOP}:  # these two have no handler to reset
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status)


def serve(listener: socket.socket, parent: int) -> tuple[Request, socket.socket] | None:
    """Fork a child for each step that connects, and tell the step its child's exit status.

    Returns ``None`` in the worker when ``parent`` (the Snakemake process) has ended, its children
    still running stopped, and, in each forked child, the step's request and connection, with
    everything else of the worker closed. A step's process that ends before its child (killed
    with SIGKILL, which it cannot pass on) closes its connection: the child is killed with it.
    """
    ended = os.pidfd_open(parent)
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection to the step)
    steps: dict[int, int] = {}  # connection's fd -> the pid of its child
    events = select.poll()
    for fd in (listener.fileno(), ended):
        events.register(fd, select.POLLIN)
    while True:
        ready = {fd for fd, _ in events.poll()}
        if ended in ready:
            for pid, _ in children.values():
                os.kill(pid, signal.SIGKILL)
            return None
        for fd in ready & set(steps):  # a step's process ended, or wrote (it never does)
            events.unregister(fd)
            os.kill(steps.pop(fd), signal.SIGKILL)
        for pidfd in ready & set(children):
            pid, connection = children.pop(pidfd)
            events.unregister(pidfd)
            if steps.pop(connection.fileno(), None) is not None:
                events.unregister(connection.fileno())
            _, wait_status = os.waitpid(pid, 0)
            _send_status(connection, os.waitstatus_to_exitcode(wait_status))
            os.close(pidfd)
        if listener.fileno() in ready:
            accepted = _accept(listener)
            if accepted is None:
                continue
            request, connection, streams = accepted
            sys.stderr.flush()  # nothing buffered may be written twice
            pid = os.fork()
            if pid == 0:
                listener.close()
                os.close(ended)
                for pidfd, (_, other) in children.items():
                    os.close(pidfd)
                    other.close()
                _take_streams(streams)
                return request, connection
            for fd in streams.values():
                os.close(fd)
            _send_status(connection, pid, close=False)
            pidfd = os.pidfd_open(pid)
            children[pidfd] = (pid, connection)
            steps[connection.fileno()] = pid
            events.register(pidfd, select.POLLIN)
            events.register(connection.fileno(), select.POLLIN)


def _send_status(connection: socket.socket, value: int, *, close: bool = True) -> None:
    try:
        connection.send(_STATUS.pack(value))
    except OSError:  # the step's process is gone: nobody to tell
        pass
    if close:
        connection.close()


def _accept(listener: socket.socket) -> tuple[Request, socket.socket, dict[int, int]] | None:
    """The next step's request, connection and streams (its fd -> the fd received); ``None`` for
    a connection from another user, another interpreter, or a malformed request (then closed)."""
    connection, _ = listener.accept()
    _, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    received: list[int] = []
    try:
        message, received, _, _ = socket.recv_fds(connection, _REQUEST_BYTES, len(_STREAMS))
        request = Request.from_bytes(message)
        if uid != os.getuid() or request.interpreter != interpreter_identity():
            raise ValueError("another user or interpreter")
        if len(request.streams) != len(received):
            raise ValueError("streams missing")
    except (OSError, ValueError, TypeError):
        for fd in received:
            os.close(fd)
        connection.close()
        return None
    return request, connection, dict(zip(request.streams, received))


def _take_streams(streams: dict[int, int]) -> None:
    """Make the step's standard streams this process's own."""
    for target, fd in streams.items():
        os.dup2(fd, target)
        os.close(fd)
    for target in set(_STREAMS) - set(streams):
        os.close(target)


def run_step(request: Request, connection: socket.socket) -> NoReturn:
    """In a worker's child: become the step's process, run its script as ``__main__``, and exit.

    The script ends as it would in its own interpreter: an exception it does not handle is printed
    by ``sys.excepthook`` (to the step's log, once the script has opened it) with exit status 1, a
    ``SystemExit`` gives its status, and the interpreter's exit handlers run (loggers flushed,
    temporary folders removed). What follows them in an interpreter of its own, freeing every
    object of every module one by one, is skipped: it cost a third of a second in a process that
    has imported this much, and nothing of the step depends on it.
    """
    global _IN_CHILD
    _IN_CHILD = True
    gc.enable()
    connection.close()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request.cwd)
    os.environ.clear()
    os.environ.update(request.environ)
    sys.argv[:] = request.argv
    sys.path[:] = request.path
    _apply_thread_counts(request.environ)
    status = _run_script(request.script)
    atexit._run_exitfuncs()  # the handlers the interpreter runs at exit; there is no public name for it
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed by the script
            pass
    os._exit(status)


def _run_script(script: str) -> int:
    """Run ``script`` as the interpreter runs a file: compiled as module ``__main__`` (a new one,
    which stays ``sys.modules["__main__"]`` to the end, exit handlers included); return the exit
    status the interpreter would give."""
    main = types.ModuleType("__main__")
    main.__file__ = script
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    try:
        with open(script, "rb") as source:
            code = compile(source.read(), script, "exec", dont_inherit=True)
        exec(code, main.__dict__)  # noqa: S102 - the step's own script, as the interpreter would run it
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:  # noqa: BLE001 - reported as the interpreter reports it
        sys.excepthook(*sys.exc_info())
        return 1
    return 0


def _apply_thread_counts(environ: dict[str, str]) -> None:
    """The BLAS and OpenMP thread counts the step's interpreter would have read when loading them."""
    from threadpoolctl import threadpool_limits

    value = environ.get("OPENBLAS_NUM_THREADS") or environ.get("OMP_NUM_THREADS")
    threads = int(value) if value and value.isdigit() and int(value) > 0 else os.cpu_count()
    threadpool_limits(limits=threads)


def _preload(modules: list[str]) -> None:
    """Import ``modules``; one that fails to import is left to the steps, which will say why."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 - a step importing it reports it where it belongs
            print(f"servqual warm worker: not preloaded: {name}: {error!r}", file=sys.stderr)
    import threadpoolctl  # noqa: F401 - every child applies its thread counts with it


def main(argv: list[str]) -> None:
    """``python -m servqual.warm_worker SOCKET PARENT_PID MODULE...``: preload, then serve."""
    socket_path, parent, modules = argv[0], int(argv[1]), argv[2:]
    # What Python's documentation of gc.freeze advises a server that forks: no collection while
    # loading (no freed holes in the pages the children share), then every object loaded set
    # aside, so that a child's collections do not write to (and so copy) the worker's pages.
    gc.disable()
    _preload(modules)
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    old_mask = os.umask(0o177)
    try:
        Path(socket_path).unlink(missing_ok=True)
        listener.bind(socket_path)
    finally:
        os.umask(old_mask)
    listener.listen(64)
    try:
        step = serve(listener, parent)
    except BaseException:  # only the worker gets here: a child returns from serve() first
        Path(socket_path).unlink(missing_ok=True)
        raise
    if step is None:
        Path(socket_path).unlink(missing_ok=True)
        _remove_if_empty(Path(socket_path).with_suffix(".log"))
        return
    run_step(*step)


def _remove_if_empty(log: Path) -> None:
    """A worker's log is kept only when it says something (a module it could not preload)."""
    if log.exists() and log.stat().st_size == 0:
        log.unlink()


if __name__ == "__main__":
    # Run as the module the steps' scripts import, so that a child's flag is the one they see.
    from servqual.warm_worker import main as main_of_module

    main_of_module(sys.argv[1:])
