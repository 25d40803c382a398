"""Executing a report notebook quietly: papermill with a kernel on Unix sockets, not interrupted
at shutdown.

- ipykernel warns that a kernel on TCP ports of localhost talks unencrypted (and other local
  users could reach it); on POSIX systems the kernel here uses Unix sockets in a private folder.
- jupyter_client sends SIGINT before it asks a kernel to shut down, and a kernel still finishing
  its last reply then logs "KeyboardInterrupt caught in kernel" (3 runs in 30 here); the shutdown
  request alone stops an idle kernel, so the interrupt is skipped at shutdown.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import jupytext
import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from traitlets.config import Config


class QuietKernel(AsyncKernelManager):
    """A kernel manager that does not interrupt its kernel when shutting it down."""

    async def _async_interrupt_kernel(self):
        if not getattr(self, "shutting_down", False):
            await super()._async_interrupt_kernel()


def execute_template(template: str | Path, output: str | Path, parameters: Mapping) -> nbformat.NotebookNode:
    """Execute a jupytext (percent) template with ``parameters`` into the notebook ``output``;
    returns the executed notebook."""
    notebook = jupytext.read(template)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    staging = Path(output).with_suffix(".template.ipynb")
    nbformat.write(notebook, staging)
    sockets = tempfile.TemporaryDirectory(prefix="servqual-kernel-")
    transport = {"transport": "ipc", "ip": os.path.join(sockets.name, "kernel")} if os.name == "posix" else {}
    try:
        papermill.execute_notebook(
            str(staging), str(output), parameters=dict(parameters), cwd=".", log_output=True,
            kernel_manager_class=QuietKernel, config=Config(KernelManager=transport),
        )
    finally:
        staging.unlink()
        sockets.cleanup()
    return nbformat.read(output, as_version=4)
