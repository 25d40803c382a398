"""Adapter: execute a report template with papermill and join its HTML into one page."""

import logging
import sys
from pathlib import Path

from servqual.i18n import Messages
from servqual.notebook_run import execute_template
from servqual.report_page import notebook_page

# Everything the step says, tracebacks included, goes to its log.
sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

# The template is found beside this script, not named as an input: inputs are recorded by path,
# and the workflow may sit at another path on another machine (its digest is a parameter).
notebooks = Path(snakemake.scriptdir).resolve().parents[1] / "notebooks"  # noqa: F821
parameters = snakemake.params.parameters  # noqa: F821
executed = execute_template(notebooks / snakemake.params.template, snakemake.output.notebook, parameters)  # noqa: F821
page = notebook_page(executed, Messages(parameters["language"]))
Path(snakemake.output.html).write_text(page, encoding="utf-8")  # noqa: F821
