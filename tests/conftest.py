"""Shared fixtures."""

from __future__ import annotations

import pytest

import report_checks


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
