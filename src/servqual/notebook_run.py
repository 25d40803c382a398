"""Executing a report notebook quietly and soon: papermill with a kernel on Unix sockets, started
before papermill is imported, stopped as soon as the last cell has answered.

- ipykernel warns that a kernel on TCP ports of localhost talks unencrypted (and other local
  users could reach it); on POSIX systems the kernel here uses Unix sockets in a private folder.
- The kernel is forked from the run's warm worker when there is one (servqual.warm_kernel), its
  libraries already imported; otherwise it starts in a new interpreter.
- The kernel starts first (0.5 s of its own when not forked), and papermill, jupytext and nbformat are imported
  and the template staged while it does (0.3 to 0.5 s that were spent before the kernel started).
- The kernel is stopped at once (SIGKILL) when the notebook is done or a cell has failed: every
  output is in the notebook by then, and a graceful shutdown only tore down the kernel's
  interpreter (0.5 to 1 s of waiting). jupyter_client sends SIGINT before it stops a kernel, and
  a kernel still finishing its last reply logs "KeyboardInterrupt caught in kernel" (3 runs in
  30 here): the interrupt is skipped at shutdown.
- papermill writes the notebook once, when it is done or where a cell failed, not before and
  after every cell (19 writes of a growing notebook, each validated against the schema: 0.2 s).
- Its reader imports the clients of remote stores it can reach (HDFS through pyarrow, which loads
  numpy: 0.15 s); a report reads and writes local files, so those are not imported.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

if TYPE_CHECKING:
    import nbformat

#: The module that launches a kernel, in the warm worker when the run has one.
WARM_KERNEL = "servqual.warm_kernel"
#: Optional clients of remote stores that papermill's reader imports when they are installed.
REMOTE_STORE_CLIENTS = ("pyarrow", "boto3", "azure", "gcsfs", "github")


class QuietKernel(AsyncKernelManager):
    """A kernel manager that does not interrupt its kernel when shutting it down, and keeps the
    clients it makes (nbclient leaves a client's channels open on a kernel manager it was given,
    and a client collected with open channels logs "Could not destroy zmq context")."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clients: list[AsyncKernelClient] = []

    def client(self, **kwargs) -> AsyncKernelClient:
        made = super().client(**kwargs)
        self.clients.append(made)
        return made

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The ``python3`` kernel's command, its launcher replaced by :mod:`servqual.warm_kernel`
        (the same kernel, forked from the run's warm worker when there is one)."""
        command = super().format_kernel_cmd(extra_arguments)
        return [WARM_KERNEL if argument == "ipykernel_launcher" else argument for argument in command]

    async def _async_interrupt_kernel(self):
        if not getattr(self, "shutting_down", False):
            await super()._async_interrupt_kernel()


@contextmanager
def without_modules(names: tuple[str, ...]) -> Iterator[None]:
    """Imports of ``names`` (and their submodules) fail with ImportError inside the block unless
    they were imported before it."""
    blocked = [name for name in names if name not in sys.modules]
    sys.modules.update(dict.fromkeys(blocked))
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


def execute_template(template: str | Path, output: str | Path, parameters: Mapping) -> nbformat.NotebookNode:
    """Execute a jupytext (percent) template with ``parameters`` into the notebook ``output``;
    returns the executed notebook."""
    sockets = tempfile.TemporaryDirectory(prefix="servqual-kernel-")
    transport = {"transport": "ipc", "ip": os.path.join(sockets.name, "kernel")} if os.name == "posix" else {}
    kernel = QuietKernel(kernel_name="python3", **transport)
    # The history in memory, as nbclient asks of the kernels it starts itself.
    run_sync(kernel.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"])
    staging = Path(output).with_suffix(".template.ipynb")
    try:
        import jupytext
        import nbformat

        with without_modules(REMOTE_STORE_CLIENTS):
            import papermill

        notebook = jupytext.read(template)
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, staging)
        return papermill.execute_notebook(
            str(staging), str(output), parameters=dict(parameters), cwd=".", log_output=True,
            km=kernel, request_save_on_cell_execute=False,
        )
    finally:
        for client in kernel.clients:
            client.stop_channels()
        run_sync(kernel.shutdown_kernel)(now=True)
        staging.unlink(missing_ok=True)
        sockets.cleanup()
