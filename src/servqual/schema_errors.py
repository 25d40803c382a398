"""Readable messages for a study definition (config, waves sheet) that breaks its JSON Schema.

jsonschema reports a fault with the schema it broke and the whole offending value (a oneOf over
five forms of a measure prints all five); Snakemake's ``validate`` raises only the first fault,
with the whole schema. A researcher needs one line per fault: where it is (``instrument.items[3]``,
list positions counted from 0), and what is allowed there (``'fr' is not one of en, zh, ko``,
``unknown key 'wording' (allowed: id, dimension, text, reverse)``).

The workflow parses the study at every start, so this module imports nothing heavy (jsonschema,
which Snakemake's own validation imports anyway, is imported when faults are looked for).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

#: JSON Schema types in the words of a YAML or sheet author.
TYPE_WORDS = {
    "object": "a mapping (key: value)",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
#: Longest text of a value quoted in a message.
SHOWN_CHARS = 40
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class SchemaFault:
    """One fault: ``path`` to the value (keys and list positions) and ``text`` saying what is wrong."""

    path: tuple[str | int, ...]
    text: str

    @property
    def where(self) -> str:
        """The path as written in messages: ``instrument.items[3].text``; empty for the top level."""
        return format_path(self.path)


def format_path(path: Iterable[str | int]) -> str:
    """``('instrument', 'items', 3, 'text')`` -> ``'instrument.items[3].text'``.

    Examples
    --------
    >>> format_path(["columns", "segments", 0, "values", "1 day"])
    "columns.segments[0].values['1 day']"
    """
    out = ""
    for key in path:
        if isinstance(key, int):
            out += f"[{key}]"
        elif _NAME.match(key):
            out += f".{key}" if out else key
        else:
            out += f"[{key!r}]"
    return out


def show(value: Any) -> str:
    """A value as a message quotes it: text in quotes (shortened), YAML's null/true/false, and
    mappings and long lists by what they are rather than their whole content.

    Examples
    --------
    >>> show("fr"), show(None), show(True), show([1, 2]), show({"a": 1, "b": 2})
    ("'fr'", 'null', 'true', '[1, 2]', 'a mapping with keys a, b')
    """
    if isinstance(value, str):
        return repr(value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 3] + "...")
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, Mapping):
        keys = ", ".join(str(k) for k in list(value)[:5]) + (", ..." if len(value) > 5 else "")
        return f"a mapping with keys {keys}" if value else "an empty mapping"
    if isinstance(value, Sequence):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= SHOWN_CHARS else f"a list of {len(value)}"
    return str(value)


def _choices(options: Iterable[Any]) -> str:
    """Enum options as a plain list; the empty text is written ``(empty)``."""
    return ", ".join("(empty)" if o == "" else o if isinstance(o, str) else show(o) for o in options)


def _types(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(TYPE_WORDS.get(name, name) for name in names)


def schema_faults(instance: Any, schema: Mapping[str, Any], key_word: str = "key") -> list[SchemaFault]:
    """Every fault of ``instance`` against ``schema`` (JSON Schema 2020-12), in the order of the
    instance, one per unknown key.

    Parameters
    ----------
    instance
        The parsed config (or one row of a sheet, as a mapping of column to text).
    schema
        The parsed JSON Schema; ``$ref`` within it (``#/definitions/...``) is resolved.
    key_word
        What a mapping's keys are called in messages: ``"key"`` for a config, ``"column"`` for
        a sheet's row.

    Returns
    -------
    list of SchemaFault
        Empty when the instance is valid.

    Examples
    --------
    >>> schema = {"type": "object", "additionalProperties": False,
    ...           "properties": {"language": {"enum": ["en", "zh", "ko"]}}}
    >>> [f"{f.where}: {f.text}" for f in schema_faults({"language": "fr"}, schema)]
    ["language: 'fr' is not one of en, zh, ko"]
    """
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(dict(schema))
    faults: list[SchemaFault] = []
    for error in validator.iter_errors(instance):
        for fault in describe(error, key_word):
            if fault not in faults:
                faults.append(fault)
    return faults


def fault_lines(instance: Any, schema: Mapping[str, Any], source: str) -> list[str]:
    """One line per fault, each starting with ``source`` (the file), then where and what.

    Examples
    --------
    >>> schema = {"type": "object", "properties": {"study": {"type": "object", "additionalProperties": False,
    ...           "properties": {"title": {}, "language": {}}}}}
    >>> fault_lines({"study": {"langauge": "en"}}, schema, "config/config.yaml")
    ["config/config.yaml: study: unknown key 'langauge' (allowed: title, language; did you mean 'language'?)"]
    """
    return [
        f"{source}: {fault.where}: {fault.text}" if fault.path else f"{source}: {fault.text}"
        for fault in schema_faults(instance, schema)
    ]


#: What a value that breaks a keyword is told, by keyword: ``{value}`` shown shortened, ``{rule}``
#: the keyword's value (the choices of an enum, the types of a type, in words).
_FAULT_TEXT = {
    "enum": "{value} is not one of {rule}",
    "type": "{value} is not {rule}",
    "const": "{value} is not {rule}",
    "pattern": "{value} does not match {rule}",
    "minimum": "{value} is below the minimum, {rule}",
    "maximum": "{value} is above the maximum, {rule}",
    "exclusiveMinimum": "{value} is not above {rule}",
    "exclusiveMaximum": "{value} is not below {rule}",
    "minItems": "{value} has fewer than {rule} entries",
    "maxItems": "{value} has more than {rule} entries",
    "minLength": "{value} is shorter than {rule} characters",
    "uniqueItems": "{value} lists an entry twice",
}


def describe(error: ValidationError, key_word: str = "key") -> list[SchemaFault]:
    """The faults one jsonschema error stands for (several for unknown keys, the faults of the
    form meant for a value that matches none of a ``oneOf``)."""
    path = tuple(error.absolute_path)
    kind, value, rule = error.validator, error.instance, error.validator_value
    if kind == "additionalProperties" and rule is False and isinstance(value, Mapping):
        return _unknown_keys(path, value, error.schema, key_word)
    if kind in ("oneOf", "anyOf"):
        return _alternatives(error, key_word)
    if kind == "required":
        missing = [key for key in rule if key not in value]
        return [SchemaFault(path, f"missing {key_word} {key!r} (required)") for key in missing]
    if kind == "minLength" and rule == 1:
        text = "is empty"
    elif kind in _FAULT_TEXT:
        words = {"enum": _choices, "type": _types, "const": show}.get(kind, str)
        text = _FAULT_TEXT[kind].format(value=show(value), rule=words(rule))
    else:
        # Other keywords: jsonschema's own sentence, the offending value shortened.
        text = error.message.replace(repr(value), show(value))
    return [SchemaFault(path, text)]


def _unknown_keys(
    path: tuple[str | int, ...], value: Mapping[str, Any], schema: Mapping[str, Any], key_word: str
) -> list[SchemaFault]:
    allowed = list(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    listed = ", ".join(allowed + [f"keys matching {p.pattern}" for p in patterns])
    faults = []
    for key in value:
        if key in allowed or any(p.search(str(key)) for p in patterns):
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        faults.append(SchemaFault(path, f"unknown {key_word} {key!r} (allowed: {listed or 'none'}{hint})"))
    return faults


def _alternatives(error: ValidationError, key_word: str) -> list[SchemaFault]:
    """A value that matches none (or, for oneOf, several) of the allowed forms.

    The form meant is the one whose type the value has: its faults are the value's. A value of
    no allowed type gets the list of types; a mapping that must hold exactly one of several keys
    (forms that only differ in a required key) is told which.
    """
    from jsonschema.exceptions import best_match

    path = tuple(error.absolute_path)
    forms: list[Mapping[str, Any]] = error.validator_value
    only_required = all(set(form) == {"required"} for form in forms)
    if not error.context:  # oneOf: valid under more than one form
        if only_required:
            keys = ", ".join(key for form in forms for key in form["required"])
            return [SchemaFault(path, f"give only one of the {key_word}s {keys}")]
        return [SchemaFault(path, f"{show(error.instance)} fits more than one of the allowed forms")]
    by_form: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        by_form.setdefault(sub.relative_schema_path[0], []).append(sub)
    if only_required:
        keys = ", ".join(key for form in forms for key in form["required"])
        return [SchemaFault(path, f"needs one of the {key_word}s {keys}")]
    fitting = [
        errors
        for errors in by_form.values()
        if not any(sub.validator == "type" and not sub.relative_path for sub in errors)
    ]
    if not fitting:
        types = [form.get("type") for form in forms]
        if all(types):
            names = list(dict.fromkeys(t for form_type in types for t in ([form_type] if isinstance(form_type, str)
                                                                          else form_type)))
            return [SchemaFault(path, f"{show(error.instance)} is not {_types(names)}")]
        return [SchemaFault(path, f"{show(error.instance)} is none of the allowed forms")]
    if len(fitting) == 1:
        errors = fitting[0]
    else:
        errors = [best_match(sub for errors in fitting for sub in errors)]
    faults: list[SchemaFault] = []
    for sub in errors:
        faults.extend(fault for fault in describe(sub, key_word) if fault not in faults)
    return faults
