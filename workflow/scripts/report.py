"""Adapter: execute a report template with papermill and render it to HTML without code."""

import logging
import os
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from traitlets.config import Config


class ReportKernel(AsyncKernelManager):
    """Not interrupted when papermill stops it after the last cell: jupyter_client sends SIGINT
    before the shutdown request, and a kernel still finishing its last reply then logs
    "KeyboardInterrupt caught in kernel" (the request alone stops an idle kernel)."""

    async def _async_interrupt_kernel(self):
        if not getattr(self, "shutting_down", False):
            await super()._async_interrupt_kernel()


# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

# The template is found beside this script, not named as an input: inputs are recorded by path,
# and the workflow may sit at another path on another machine (its digest is a parameter).
notebooks = Path(snakemake.scriptdir).resolve().parents[1] / "notebooks"  # noqa: F821
template = jupytext.read(notebooks / snakemake.params.template)  # noqa: F821
template.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
staging = Path(snakemake.output.notebook).with_suffix(".template.ipynb")
nbformat.write(template, staging)
# The kernel talks over Unix sockets in a private folder, not TCP ports on localhost, which
# ipykernel warns are unencrypted (and other local users could reach).
sockets = tempfile.TemporaryDirectory(prefix="servqual-kernel-")
transport = {"transport": "ipc", "ip": os.path.join(sockets.name, "kernel")} if os.name == "posix" else {}
try:
    papermill.execute_notebook(
        str(staging),
        snakemake.output.notebook,
        parameters=snakemake.params.parameters,
        cwd=".",
        log_output=True,
        kernel_manager_class=ReportKernel,
        config=Config(KernelManager=transport),
    )
finally:
    staging.unlink()
    sockets.cleanup()
exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
html, _ = exporter.from_notebook_node(nbformat.read(snakemake.output.notebook, as_version=4))
Path(snakemake.output.html).write_text(html, encoding="utf-8")
