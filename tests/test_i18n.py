"""Message catalogues: every message in every language, with the same fields."""

import pytest

from servqual.i18n import LANGUAGES, catalogue, catalogue_differences, text


def test_every_message_is_in_every_catalogue_with_the_same_fields():
    assert catalogue_differences() == []


def test_a_message_missing_from_one_catalogue_is_reported(monkeypatch):
    incomplete = {**catalogue("en"), "report.only_in_english": "Only {here}."}
    monkeypatch.setattr("servqual.i18n.catalogue", lambda language: incomplete if language == "en" else {
        **catalogue.__wrapped__(language), "report.wave": "{other}"})
    problems = catalogue_differences()
    assert any("report.only_in_english: in en, missing from zh" in p for p in problems)
    assert any(p.startswith("report.wave: fields ['other'] in ko") for p in problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_fills_its_fields(language):
    assert "w7" in text(language, "report.wave", wave="w7")


def test_an_unknown_language_names_the_available_ones():
    with pytest.raises(ValueError, match="en, zh, ko"):
        catalogue("fr")
