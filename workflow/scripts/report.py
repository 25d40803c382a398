"""Adapter: execute a report template with papermill and render it to HTML without code."""

import logging
import sys
from pathlib import Path

import jupytext
import nbformat
import papermill
from nbconvert import HTMLExporter

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
exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
html, _ = exporter.from_notebook_node(nbformat.read(snakemake.output.notebook, as_version=4))
Path(snakemake.output.html).write_text(html, encoding="utf-8")
