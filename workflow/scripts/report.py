"""Adapter: execute a report template with papermill and join its HTML into one page."""

from servqual.adapters import begin_step

begin_step(snakemake.log[0])

from pathlib import Path

from servqual.i18n import Messages
from servqual.notebook_run import execute_template
from servqual.report_page import notebook_page

# The template is found beside this script, not named as an input: inputs are recorded by path,
# and the workflow may sit at another path on another machine (its digest is a parameter).
notebooks = Path(snakemake.scriptdir).resolve().parents[1] / "notebooks"
parameters = snakemake.params.parameters
executed = execute_template(notebooks / snakemake.params.template, snakemake.output.notebook, parameters)
page = notebook_page(executed, Messages(parameters["language"]))
Path(snakemake.output.html).write_text(page, encoding="utf-8")
