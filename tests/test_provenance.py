"""The methods paragraph says what the configuration did; checksums and commit are recorded."""

import hashlib
from pathlib import Path

import pandas as pd
import yaml

from servqual.provenance import input_checksums, methods_paragraph, software_versions, workflow_commit

ROOT = Path(__file__).resolve().parents[1]
FLOW = pd.DataFrame(
    {
        "step": ["read", "excluded", "excluded", "kept"],
        "rule": ["rows read", "speeder", "straightlining", "respondents kept"],
        "n": [100, 4, 0, 96],
    }
)


def example_config() -> dict:
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    config["reliability"]["n_boot"] = 1234
    config["efa"]["rotation"] = "promax"
    return config


def test_methods_paragraph_states_the_options_used():
    text = methods_paragraph(example_config(), FLOW, {"servqual": "9.9", "numpy": "1.0"})
    assert "Of 100 responses, 96 were analysed; 4 were excluded" in text
    assert "speeder (4)" in text and "straightlining (" not in text  # rules that excluded no one are not listed
    assert "1234 resamples" in text and "promax rotation" in text
    assert "servqual 9.9 (numpy 1.0)" in text
    assert "Peter, J. P., Churchill" in text  # the difference-score critique, cited for P - E


def test_large_waves_name_the_bag_of_little_bootstraps():
    small = methods_paragraph(example_config(), FLOW, {"servqual": "9.9"})
    assert "little bootstraps" not in small and "Kleiner" not in small
    large_flow = FLOW.assign(n=[100_000, 4, 0, 99_996])
    text = methods_paragraph(example_config(), large_flow, {"servqual": "9.9"})
    assert "1234 resamples; for scales with more than 50,000 complete respondents by the bag of little " in text
    assert "Kleiner, A., Talwalkar" in text


def test_perception_only_studies_cite_servperf_and_skip_gap_tests():
    config = example_config()
    config["measures"]["expectation"] = None
    text = methods_paragraph(config, FLOW, software_versions(["numpy"]))
    assert "SERVPERF" in text and "paired t-tests" not in text and "Cronin, J. J." in text


def test_checksums_and_commit(tmp_path):
    raw = tmp_path / "survey.csv"
    raw.write_bytes(b"a,b\n1,2\n")
    assert input_checksums([raw]) == [{"path": str(raw), "sha256": hashlib.sha256(b"a,b\n1,2\n").hexdigest(), "bytes": 8}]
    assert workflow_commit(tmp_path) == "not a git checkout"
