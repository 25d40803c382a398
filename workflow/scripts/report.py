"""Adapter: execute a report template with papermill and join its HTML into one page."""

import logging
import sys
from pathlib import Path

import jupytext
import nbformat
import papermill

from servqual.i18n import Messages
from servqual.report_page import notebook_page

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
try:
    papermill.execute_notebook(
        str(staging),
        snakemake.output.notebook,
        parameters=snakemake.params.parameters,
        cwd=".",
        log_output=True,
    )
finally:
    staging.unlink()
executed = nbformat.read(snakemake.output.notebook, as_version=4)
page = notebook_page(executed, Messages(snakemake.params.parameters["language"]))
Path(snakemake.output.html).write_text(page, encoding="utf-8")
