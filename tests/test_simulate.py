"""The simulator is deterministic and reproduces the bundled example study."""

from pathlib import Path

import pytest

from servqual.instrument import instrument_from_config
from servqual.simulate import main, simulate_survey

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("wave", [1, 2])
def test_commands_in_the_data_readme_reproduce_the_example_waves(wave, tmp_path):
    out = tmp_path / "survey.csv"
    main(["--n", "400", "--wave", str(wave), "--seed", "20260302", "--out", str(out)])
    assert out.read_bytes() == (ROOT / f"data/raw/wave{wave}/survey.csv").read_bytes()


def test_other_scales_keep_the_population_profile():
    """A 5-point instrument gets the 7-point population means mapped to its own bounds, so
    answers spread over the scale instead of piling up at its top."""
    instrument = instrument_from_config(
        {
            "scale": {"min": 1, "max": 5},
            "dimensions": [{"id": "a"}, {"id": "b"}],
            "items": [{"id": f"q{j}", "dimension": "ab"[j % 2]} for j in range(6)],
        },
        {"perception": {"pattern": "Q{index}"}},
    )
    survey = simulate_survey(instrument, 500, seed=3, problems=False)
    answers = survey[[f"Q{j}" for j in range(1, 7)]]
    assert answers.isin(range(1, 6)).all().all()
    assert answers.stack().value_counts(normalize=True).max() < 0.5
    assert 3.0 < answers.stack().mean() < 4.6
