"""The cross-wave report's invariance section, written from the tables of a ladder where scalar
invariance holds only partially (Holzinger-Swineford by school: the intercepts of x3 and x7 differ)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from references import HS_DIMS

from servqual.i18n import Messages
from servqual.invariance import invariance_ladder
from servqual.report_context import ReportContext
from servqual.waves_report import invariance_section


@pytest.fixture(scope="module")
def tables(hs) -> dict[str, pd.DataFrame]:
    result = invariance_ladder(hs, HS_DIMS, hs["school"])
    named = {"invariance": result.levels, "invariance_released": result.released, "latent_means": result.latent_means}
    return {name: t.assign(grouping="school", measure="perception") for name, t in named.items()}


def section_text(tables: dict[str, pd.DataFrame], language: str) -> str:
    ctx = ReportContext(Messages(language), tables, {"textual": "Textual"}, {"x3": "Item 3", "x7": "Item 7"},
                        Path("."), segments={"school": "School"})
    return html.unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", invariance_section(ctx))))


def test_partial_invariance_names_the_items_and_compares_latent_means(tables):
    text = section_text(tables, "en")
    assert ("Perception, School: scalar invariance holds only with the intercept of Item 3 (largest difference "
            "in Grant-White), the intercept of Item 7 (largest difference in Grant-White) free (partial "
            "invariance)") in text
    assert "Latent means that differ from Pasteur (95% CI): Textual in Grant-White 0.58 [0.35, 0.81]." in text
    assert "Latent mean differences between groups where means can be compared" in text
    assert "scalar (equal intercepts) (partial)" in text


@pytest.mark.parametrize("language", ["zh", "ko"])
def test_partial_invariance_is_written_in_every_language(tables, language):
    text = section_text(tables, language)
    assert "Grant-White" in text and "0.58" in text and "Item 3" in text


def test_means_not_compared_where_scalar_invariance_fails(tables):
    levels = tables["invariance"].assign(means_comparable=False)
    means = tables["latent_means"].iloc[:0]
    text = section_text({**tables, "invariance": levels, "latent_means": means}, "en")
    assert "scalar invariance is rejected even with constraints released, so the means cannot be compared" in text
    assert "Latent mean differences between groups" not in text


def test_other_groups_with_a_significant_test_are_named(tables):
    released = tables["invariance_released"].assign(groups="Grant-White;Third")
    text = section_text({**tables, "invariance_released": released}, "en")
    assert "the intercept of Item 3 (largest difference in Grant-White; also different in Third)" in text


def test_fiml_rejection_says_no_constraint_was_released(tables):
    levels = tables["invariance"].assign(means_comparable=False, missing_policy="ml")
    text = section_text({**tables, "invariance": levels, "latent_means": tables["latent_means"].iloc[:0]}, "en")
    assert "no constraint was released (the score tests need complete data)" in text


def test_one_released_item_is_spoken_of_in_the_singular(tables):
    released = tables["invariance_released"]
    one = released[released["item"] == "x3"]
    partial = tables["invariance"]["partial"].astype(str).eq("True")
    levels = tables["invariance"].assign(released=lambda d: d["released"].where(~partial, "intercepts:x3"))
    singular = {**tables, "invariance": levels, "invariance_released": one}
    text = section_text(singular, "en")
    assert ("the intercept of Item 3 (largest difference in Grant-White) free (partial invariance); "
            "that item works") in text
    assert "those items" not in text
    assert "이 문항은" in section_text(singular, "ko") and "该题项" in section_text(singular, "zh")
    assert "those items work" in section_text(tables, "en")
