"""The improvement loop's study definition: the action register and the targets are checked
before any job, each fault one line naming the sheet's line and column (or the config key)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from studies import STUDY, WORKFLOW, copy_tree, snakemake

from servqual.loop_config import action_faults, named_categories, rollout_segments, target_faults

ACTIONS = "config/actions.tsv"
HEADER = "id\ttitle\ttargets\tcomplaint_categories\tprovider_gap\towner\tafter_wave\tsegments\tnotes\n"
GOOD = "queue\tQueue management\tresponsiveness\t\t3\tOperations\twave1\t\t\n"


def row(**cells):
    return {"id": "queue", "title": "Queue", "targets": "responsiveness", "after_wave": "wave1", "segments": ""} | cells


def faults(*rows, categories=()):
    return action_faults(list(enumerate(rows, start=2)), where="actions", dimensions=["responsiveness", "empathy"],
                         items=["res1", "emp1"], waves=["wave1", "wave2"], segments=["branch"], categories=categories)


def test_a_good_register_has_no_fault():
    assert faults(row(), row(id="coach", targets="emp1; res1", segments="branch=North; branch=East")) == []


@pytest.mark.parametrize(
    "cells, expected",
    [
        ({"targets": "speed"}, "actions, line 2, column targets: 'speed' is not a dimension or item"),
        ({"after_wave": "wave9"}, "actions, line 2, column after_wave: 'wave9' is not a wave of the waves sheet (waves: wave1, wave2)."),
        ({"segments": "region=South"}, "actions, line 2, column segments: 'region=South' does not name a segment column"),
        ({"segments": "North"}, "actions, line 2, column segments: 'North' does not name a segment column"),
    ],
)
def test_register_faults_name_line_and_column(cells, expected):
    (fault,) = faults(row(**cells))
    assert fault.startswith(expected)


def test_a_duplicated_id_names_both_lines():
    assert faults(row(), row(title="Again")) == ["actions, line 3, column id: action queue appears twice (first on line 2)."]


def test_complaint_categories_of_the_register_must_be_coded_dimensions_or_recorded_categories():
    assert faults(row(complaint_categories="responsiveness; service"), categories=["billing", "service"]) == []
    assert faults(row(complaint_categories="empathy; servce; queueing"), categories=["billing", "service"]) == [
        ("actions, line 2, column complaint_categories: 'servce' is neither a dimension id nor a category of the "
         "complaint logs (dimensions: responsiveness, empathy; categories: billing, service); did you mean 'service'?"),
        ("actions, line 2, column complaint_categories: 'queueing' is neither a dimension id nor a category of the "
         "complaint logs (dimensions: responsiveness, empathy; categories: billing, service)."),
    ]


def test_complaint_categories_of_the_targets_must_be_coded_dimensions_or_recorded_categories():
    def target(of, measure="complaint_rate"):
        return {"id": of, "measure": measure, "of": of, "direction": "at_most", "value": 5}

    found = target_faults([target("responsivenes"), target("billing", "response_on_time"), target("all"),
                           target("responsiveness", "first_contact_resolution"), target("")],
                          where="config.yaml", dimensions=["responsiveness"], segments=[], categories=["billing"])
    assert found == [
        ("config.yaml: targets[0].of: 'responsivenes' is neither a dimension id nor a category of the complaint logs "
         "(dimensions: responsiveness; categories: billing); did you mean 'responsiveness'?")]
    # Without complaint logs a category as recorded cannot exist: only dimension ids pick complaints.
    assert target_faults([target("billing")], where="c", dimensions=["res"], segments=[]) == [
        ("c: targets[0].of: 'billing' is neither a dimension id nor a category of the complaint logs "
         "(dimensions: res; categories: none).")]


def test_the_categories_named_are_collected_from_targets_and_register():
    targets = [{"measure": "complaint_rate", "of": "billing"}, {"measure": "gap", "of": "responsiveness"},
               {"measure": "response_on_time", "of": ""}]
    rows = [(2, row(complaint_categories="service; billing")), (3, row())]
    assert named_categories(targets, rows) == ["billing", "service"]


def test_rollout_segments():
    assert rollout_segments(" branch = North ;; department=front desk") == [("branch", "North"), ("department", "front desk")]


def test_target_faults():
    found = target_faults(
        [{"id": "a", "measure": "gap", "of": "speed", "direction": "at_least", "value": 0},
         {"id": "a", "measure": "outcome", "of": "loyalty", "direction": "at_least", "value": 5},
         {"id": "b", "measure": "complaint_rate", "of": "", "direction": "at_most", "value": 5,
          "segment": {"column": "customer_type", "level": "senior"}},
         {"id": "c", "measure": "perception", "of": "overall", "direction": "at_least", "value": 5,
          "segment": {"column": "branch", "level": "North"}}],
        where="config.yaml", dimensions=["responsiveness"], segments=["branch", "customer_type"])
    assert found == [
        "config.yaml: targets[0].of: 'speed' is not a dimension id or overall (allowed: responsiveness, overall).",
        "config.yaml: targets[1].id: target a appears twice (first at targets[0]).",
        "config.yaml: targets[1].of: 'loyalty' is not an outcome of the study (allowed: overall).",
        ("config.yaml: targets[2].segment.column: 'customer_type' is not a segment of this measure "
        "(allowed: branch, department, channel)."),
    ]


# ---------------------------------------------------------------------------- in the workflow


@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    copy_tree(WORKFLOW + STUDY, root)
    return root


def refused(study: Path) -> str:
    """The console of a dry run that must stop before any job."""
    result = snakemake("-n", cwd=study, cores=1, timeout=300)
    console = result.stdout + result.stderr
    assert result.returncode != 0, console[-3000:]
    assert "Traceback" not in console and "Job stats" not in console, console[-3000:]
    return console


@pytest.mark.parametrize(
    "line, message",
    [
        ("coach\tCoaching\tcourtesy\t\t3\tHR\twave1\t\t\n",
         f"actions sheet {ACTIONS}, line 3, column targets: 'courtesy' is not a dimension or item of the instrument"),
        ("coach\tCoaching\tempathy\t\t3\tHR\twave3\t\t\n",
         f"actions sheet {ACTIONS}, line 3, column after_wave: 'wave3' is not a wave of the waves sheet (waves: wave1, wave2)."),
        ("queue\tAgain\tempathy\t\t3\tHR\twave1\t\t\n",
         f"actions sheet {ACTIONS}, line 3, column id: action queue appears twice (first on line 2)."),
        ("coach\tCoaching\tempathy\t\t5\tHR\twave1\t\t\n", f"actions sheet {ACTIONS}, line 3, column provider_gap: '5'"),
    ],
    ids=["unknown dimension", "unknown wave", "duplicated id", "provider gap out of range"],
)
def test_a_bad_register_stops_the_run_naming_line_and_column(study, line, message):
    (study / ACTIONS).write_text(HEADER + GOOD + line, encoding="utf-8")
    assert message in refused(study)


def test_every_fault_of_the_register_is_listed(study):
    (study / ACTIONS).write_text(HEADER + GOOD + GOOD.replace("responsiveness", "speed").replace("wave1", "w0"),
                                 encoding="utf-8")
    console = refused(study)
    for column in ("id", "targets", "after_wave"):
        assert f"line 3, column {column}:" in console


def test_a_missing_register_and_a_bad_target_are_named(study):
    (study / ACTIONS).unlink()
    assert f"actions sheet {ACTIONS}: no such file" in refused(study)
    config = yaml.safe_load((study / "config/config.yaml").read_text(encoding="utf-8"))
    config["actions"] = None
    config["targets"][0]["of"] = "loyalty"
    (study / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert "targets[0].of: 'loyalty' is not an outcome of the study (allowed: overall, return, recommend)." in refused(study)


def test_a_misspelt_complaint_category_stops_the_run_with_the_recorded_ones(study):
    """Categories other than dimension ids are checked against the complaint logs' category
    column (wave2's log is GB18030) before any job: no silent rate of 0."""
    (study / ACTIONS).write_text(HEADER + GOOD + "bill\tBilling\tempathy\tbiling\t3\tBilling\twave1\t\t\n",
                                 encoding="utf-8")
    config = yaml.safe_load((study / "config/config.yaml").read_text(encoding="utf-8"))
    config["targets"].append({"id": "service_rate", "measure": "complaint_rate", "of": "servce",
                              "direction": "at_most", "value": 30})
    (study / "config/config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    console = refused(study)
    known = "categories: billing, environment, price, product, service"
    index = len(config["targets"]) - 1
    assert (f"targets[{index}].of: 'servce' is neither a dimension id nor a category of the complaint logs "
            f"(dimensions: tangibles, reliability, responsiveness, assurance, empathy; {known}); did you mean 'service'?"
            ) in console
    assert (f"actions sheet {ACTIONS}, line 3, column complaint_categories: 'biling' is neither a dimension id nor a "
            f"category of the complaint logs") in console and "did you mean 'billing'?" in console


def test_recorded_complaint_categories_pass(study):
    (study / ACTIONS).write_text(HEADER + GOOD + "bill\tBilling\tempathy\tbilling; service\t3\tBilling\twave1\t\t\n",
                                 encoding="utf-8")
    result = snakemake("-n", "reports/waves/tables/action_checks.csv", cwd=study, cores=1, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_a_complaint_log_the_categories_cannot_be_read_from_is_named(study):
    (study / ACTIONS).write_text(HEADER + GOOD + "bill\tBilling\tempathy\tbilling\t3\tBilling\twave1\t\t\n",
                                 encoding="utf-8")
    (study / "data/raw/wave2/complaints.csv").write_text("id,text\n1,slow\n", encoding="utf-8")
    console = refused(study)
    assert ("complaint log data/raw/wave2/complaints.csv (waves sheet, wave wave2): its categories are needed to "
            "check the complaint categories the targets and the action register name (billing)") in console
    assert "lacks column(s)" in console
