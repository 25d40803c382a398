"""Every word a reader sees, in the study's language: one message catalogue per language.

The catalogues are YAML files in ``servqual/messages/<language>/<domain>.yaml`` (``report``,
``cautions``, ``methods``, ``figures``, ``exports``...). A message is looked up as
``"<domain>.<key>"`` (a nested mapping as ``"<domain>.<key>.<sub>"``, as the data dictionary's
``meaning``, ``unit`` and ``method`` of a column) and filled with :meth:`str.format` fields, so that a sentence keeps its own
word order in each language. A new language is one folder of catalogues plus the labels of the
study's dimensions and items in its config; :func:`catalogue_differences` lists every message
that one catalogue has and another lacks, or whose fields differ, and a test keeps that list
empty.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

import yaml

#: Languages with a complete catalogue; the first is the reference for the others.
LANGUAGES = ("en", "zh", "ko")
# libyaml's safe loader where PyYAML was built with it: the catalogues are read at the start of
# most jobs, and the pure-Python parser took a second for them (same data either way).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every message of ``language`` as ``"<domain>.<key>" -> template``.

    >>> catalogue("en")["report.language_name"]
    'English'
    """
    if language not in LANGUAGES:
        raise ValueError(f"No message catalogue for language {language!r}; available: {', '.join(LANGUAGES)}.")
    folder = resources.files("servqual") / "messages" / language
    messages: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            domain = entry.name.removesuffix(".yaml")
            loaded = yaml.load(entry.read_text(encoding="utf-8"), Loader=_LOADER) or {}
            messages.update(_flattened(domain, loaded))
    return messages


def _flattened(prefix: str, entries: dict) -> dict[str, str]:
    """``{key: text}`` and nested ``{key: {sub: text}}`` as ``{"prefix.key[.sub]": text}``."""
    flat: dict[str, str] = {}
    for key, value in entries.items():
        if isinstance(value, dict):
            flat.update(_flattened(f"{prefix}.{key}", value))
        else:
            flat[f"{prefix}.{key}"] = str(value)
    return flat


def text(language: str, key: str, /, **values: object) -> str:
    """The message ``key`` in ``language`` with its fields filled in.

    >>> text("en", "report.wave", wave="wave1")
    'Wave: wave1'
    >>> text("zh", "report.wave", wave="wave1")
    '调查轮次：wave1'
    """
    try:
        template = catalogue(language)[key]
    except KeyError:
        raise KeyError(f"Message {key!r} is missing from the {language!r} catalogue.") from None
    return template.format(**values)


class Messages:
    """The catalogue of one language bound for repeated look-ups: ``t = Messages("zh"); t("report.wave", wave=w)``."""

    def __init__(self, language: str) -> None:
        self.language = language
        catalogue(language)

    def __call__(self, key: str, /, **values: object) -> str:
        return text(self.language, key, **values)

    def __contains__(self, key: str) -> bool:
        return key in catalogue(self.language)


def fields(template: str) -> set[str]:
    """Names of the format fields of a message.

    >>> sorted(fields("{n} of {total:.0f} respondents"))
    ['n', 'total']
    """
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def catalogue_differences() -> list[str]:
    """Every message missing from a catalogue, or with other fields than the reference language's.

    >>> catalogue_differences()
    []
    """
    reference = catalogue(LANGUAGES[0])
    problems = []
    for language in LANGUAGES[1:]:
        other = catalogue(language)
        problems += [f"{key}: in {LANGUAGES[0]}, missing from {language}" for key in reference.keys() - other.keys()]
        problems += [f"{key}: in {language}, missing from {LANGUAGES[0]}" for key in other.keys() - reference.keys()]
        problems += [
            f"{key}: fields {sorted(fields(other[key]))} in {language}, {sorted(fields(reference[key]))} in {LANGUAGES[0]}"
            for key in reference.keys() & other.keys()
            if fields(reference[key]) != fields(other[key])
        ]
    return sorted(problems)
