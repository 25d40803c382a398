"""Which figures a study gets, and the drawing functions the example study does not reach."""

import numpy as np
import pandas as pd
import pytest

from servqual import plots
from servqual.figures import ALWAYS, figure_names
from servqual.gaps import zone_of_tolerance
from servqual.instrument import instrument_from_config

INSTRUMENT = {
    "scale": {"min": 1, "max": 7},
    "dimensions": [{"id": "a"}, {"id": "b"}],
    "items": [{"id": f"q{j}", "dimension": "ab"[j % 2]} for j in range(4)],
}


@pytest.mark.parametrize(
    ("measures", "options", "extra"),
    [
        ({"expectation": {"pattern": "E{index}"}, "perception": {"pattern": "P{index}"}},
         {"segments": True, "ipa": True}, ["item_gaps", "ipa", "ipa_items", "segments"]),
        ({"perception": {"pattern": "P{index}"}}, {"segments": False, "ipa": False}, []),
        ({"adequate": {"pattern": "A{index}"}, "desired": {"pattern": "D{index}"}, "perception": {"pattern": "P{index}"}},
         {"segments": False, "ipa": True}, ["ipa", "ipa_items", "zone_of_tolerance"]),
    ],
    ids=["servqual", "servperf", "three-column"],
)
def test_figure_set_follows_the_study_definition(measures, options, extra):
    assert figure_names(instrument_from_config(INSTRUMENT, measures), **options) == ALWAYS + extra


def test_zone_of_tolerance_chart_is_written_as_png_and_reproducible_svg(tmp_path):
    rng = np.random.default_rng(1)
    items = ["q0", "q1", "q2", "q3"]
    dims = dict(zip(items, "abab"))
    adequate = pd.DataFrame(rng.integers(2, 5, (60, 4)), columns=items).astype(float)
    desired = (adequate + 2).clip(upper=7)
    perceived = pd.DataFrame(rng.integers(1, 8, (60, 4)), columns=items).astype(float)
    zone = zone_of_tolerance(adequate, desired, perceived, dims)
    rows = zone[zone["level"] == "dimension"]
    for run in ("first", "second"):
        plots.save(plots.zone_chart(rows, pd.Series(["A", "B"]), "zone"), tmp_path / run)
    assert (tmp_path / "first.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "first.svg").read_bytes() == (tmp_path / "second.svg").read_bytes()
