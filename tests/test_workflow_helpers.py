"""The plain-Python helpers of workflow/rules/common.smk (workflow/rules/servqual_workflow.py),
without running Snakemake: the validators built once per schema fill in exactly what Snakemake's
own ``validate`` fills in (the config's defaults reach the jobs' params, so a difference would
rerun every job), and a code version changes with the code behind its step and nothing else."""

from __future__ import annotations

import copy
import csv
import io
import shutil
import sys
from pathlib import Path

import pytest
from snakemake.utils import validate

from servqual.study_files import load_study_yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "rules"))
import servqual_workflow as helpers  # noqa: E402

SCHEMAS = ROOT / "workflow" / "schemas"


def sheet(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""), delimiter="\t"))


@pytest.mark.parametrize(
    ("schema", "instances"),
    [
        ("config.schema.json", [load_study_yaml(ROOT / "config/config.yaml"), {"waves": "config/waves.tsv"}]),
        ("waves.schema.json", [*sheet(ROOT / "config/waves.tsv"), {"wave": "w1", "survey": "s.csv"}]),
        ("actions.schema.json", sheet(ROOT / "config/actions.tsv")),
    ],
    ids=["config", "waves", "actions"],
)
def test_the_cached_validator_fills_in_what_snakemakes_validate_does(schema: str, instances: list) -> None:
    for instance in instances:
        ours, snakemakes = copy.deepcopy(instance), copy.deepcopy(instance)
        helpers.defaults_validator(schema).validate(ours)
        validate(snakemakes, schema=str(SCHEMAS / schema))
        assert ours == snakemakes


def test_a_default_filled_in_is_each_instances_own() -> None:
    """One validator serves every row and config of a run: a default it fills in is a copy, so
    changing one instance's changes neither the schema nor the next instance's."""
    first, second = {"waves": "a.tsv"}, {"waves": "b.tsv"}
    helpers.defaults_validator("config.schema.json").validate(first)
    first["privacy"]["names"].append("Ada")
    helpers.defaults_validator("config.schema.json").validate(second)
    assert second["privacy"]["names"] == []
    assert helpers.schema("config.schema.json")["properties"]["privacy"]["properties"]["names"]["default"] == []


def test_a_config_fault_stops_the_run_naming_file_and_key() -> None:
    config = load_study_yaml(ROOT / "config/config.yaml")
    config["study"]["langauge"] = "en"
    with pytest.raises(SystemExit) as stopped:
        helpers.validate_config(config, "config/config.yaml")
    assert "config/config.yaml: study: unknown key 'langauge'" in str(stopped.value)


def workflow_copy(target: Path) -> Path:
    for part in ("src/servqual", "workflow/scripts", "notebooks"):
        shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
    return target


#: (script, library modules, template) of a few steps, as their rules declare them.
STEPS = {
    "gaps": ("gaps", "survey", "gaps", "priorities", "segments", "descriptives", "instrument", "outcomes", "tables"),
    "reliability": ("reliability", "reliability", "instrument", "tables"),
    "provenance": ("provenance", "provenance"),
    "report_wave": ("report", "notebook_run", "labels", "wave_report", "apa", "i18n", "report_page"),
}


def versions(root: Path) -> dict[str, str]:
    return {
        step: helpers.code_version(root, *modules, template="wave_report.py" if step == "report_wave" else None)
        for step, modules in STEPS.items()
    }


def test_a_code_version_follows_its_steps_code_and_not_the_workflows_path(tmp_path: Path) -> None:
    """The same code at two paths has the same versions; an edit of servqual.gaps changes the
    versions of the steps that import it, a message's edit those that write through the
    catalogues, a template's edit its report's, and nothing else."""
    original = versions(workflow_copy(tmp_path / "a"))
    assert versions(workflow_copy(tmp_path / "b")) == original
    edits = {
        "src/servqual/gaps.py": {"gaps"},
        # servqual.i18n: the report, and the gap step through servqual.priorities
        "src/servqual/messages/en/methods.yaml": {"gaps", "report_wave"},
        "notebooks/wave_report.py": {"report_wave"},
        "src/servqual/tables.py": {"gaps", "reliability", "report_wave"},
        "workflow/scripts/provenance.py": {"provenance"},
    }
    for number, (path, changed) in enumerate(edits.items()):
        root = workflow_copy(tmp_path / f"edit{number}")
        with (root / path).open("a", encoding="utf-8") as handle:
            handle.write("\n# an edit\n")
        edited = versions(root)
        assert {step for step in STEPS if edited[step] != original[step]} == changed, path
