"""No number changes: every table of the example study equals the committed snapshot.

The snapshot (``tests/data/example_tables.json.gz``, written by ``tests/data/example_tables.py``)
holds every table of a run of the example. A change to how the workflow runs (faster imports,
figures drawn once, jobs merged) must leave every table as it was: text equal, numbers to 1e-9.
A change meant to change a table regenerates the snapshot with that script, in the same commit.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_workflow import assert_same_tables, study_tables

sys.path.insert(0, str(Path(__file__).with_name("data")))
from example_tables import read_snapshot

REGENERATE = "if the change is meant to change tables, run python tests/data/example_tables.py and commit the snapshot"


@pytest.mark.slow
def test_every_table_of_the_example_equals_the_snapshot(example):
    expected = {path: pd.read_csv(io.StringIO(text)) for path, text in read_snapshot().items()}
    found = study_tables(example)
    assert sorted(found) == sorted(expected), f"tables added or removed: {REGENERATE}"
    assert_same_tables(expected, found, f"the snapshot ({REGENERATE})")


def test_the_snapshot_holds_the_tables_of_every_wave_and_the_cross_wave_tables():
    paths = list(read_snapshot())
    assert {Path(p).parts[1] for p in paths} == {"wave1", "wave2", "waves"}
    assert "reports/wave1/tables/cfa_parameters.csv" in paths
