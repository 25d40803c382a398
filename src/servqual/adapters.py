"""What every workflow script does first: hand its step to the run's warm worker when there is one,
and send everything the step says to its log.

A Snakemake rule names one log file; a step's logging, its warnings and an uncaught traceback
all belong there, so :func:`begin_step` runs before the script imports anything heavy (an import
error is then in the log too). This module imports only the standard library for that reason.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from servqual.warm_worker import hand_over


def begin_step(log: str | Path, *, capture_warnings: bool = False) -> None:
    """Start a workflow step: run it in the run's warm worker if it can (:mod:`servqual.warm_worker`;
    this process then ends with the step's exit status), then send standard error, the root logger
    (level INFO) and, with ``capture_warnings``, Python warnings to the file ``log``,
    line-buffered so the log is current if the step is killed."""
    hand_over()
    sys.stderr = open(log, "w", buffering=1)  # noqa: SIM115 - open for the life of the step
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, force=True)
    logging.captureWarnings(capture_warnings)
