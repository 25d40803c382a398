"""What every workflow script does first: send everything the step says to its log.

A Snakemake rule names one log file; a step's logging, its warnings and an uncaught traceback
all belong there, so :func:`log_to` runs before the script imports anything heavy (an import
error is then in the log too). This module imports only the standard library for that reason.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def log_to(path: str | Path, *, capture_warnings: bool = False) -> None:
    """Send standard error, the root logger (level INFO) and, with ``capture_warnings``, Python
    warnings to the file ``path``, line-buffered so the log is current if the step is killed."""
    sys.stderr = open(path, "w", buffering=1)  # noqa: SIM115 - open for the life of the step
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, force=True)
    logging.captureWarnings(capture_warnings)
