"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import report_checks
from references import read_data
from studies import CONSOLE, STUDY, WORKFLOW, copy_tree, snakemake


@pytest.fixture(scope="session")
def hs() -> pd.DataFrame:
    """The Holzinger-Swineford data (lavaan's copy), which the reliability, CFA and SEM tests fit."""
    return read_data("holzinger_swineford")


@pytest.fixture(scope="session")
def sim() -> pd.DataFrame:
    """400 simulated respondents to 16 items in four dimensions, with planted misfit
    (tests/data/cfa_sim4_generate.py), which the CFA and invariance tests fit."""
    return read_data("cfa_sim4")


@pytest.fixture(scope="session")
def example(tmp_path_factory) -> Path:
    """The repository's workflow and example study, copied and run once for the session."""
    root = tmp_path_factory.mktemp("example")
    copy_tree(WORKFLOW + STUDY, root)
    result = snakemake(cwd=root)
    assert result.returncode == 0, result.stderr[-5000:]
    CONSOLE[root] = result.stdout + result.stderr
    return root


@pytest.fixture(scope="session")
def browser(request):
    """Headless Chromium (``report_checks.Chromium``) for the whole session, with the Noto CJK
    fonts. On a Debian machine where we are root (CI) missing packages are installed with
    apt-get first; elsewhere without them the tests that use it are skipped, the reason printed."""
    path, message = report_checks.ensure_browser()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if path is None:
        if reporter is not None:
            reporter.write_line(f"\nbrowser tests SKIPPED: {message}")
        pytest.skip(message)
    if message != "installed" and reporter is not None:
        reporter.write_line(f"\nbrowser tests: {message}")
    with report_checks.Chromium(path) as chromium:
        yield chromium
