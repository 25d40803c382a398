"""The interview codebook: codes tied to SERVQUAL dimensions, provider gaps and a valence, and
the keyword dictionary that suggests codes (for interview units and complaint texts alike).

Every code names the SERVQUAL dimensions it bears on (Parasuraman, Zeithaml & Berry 1988,
J. Retailing 64(1)), the provider gaps of the Gaps Model behind it (1 knowledge, 2 standards,
3 delivery, 4 communication; Zeithaml, Berry & Parasuraman 1988, J. Marketing 52(2)) and a
valence (problem or strength).

Codebook YAML::

    dimensions: [tangibles, reliability, responsiveness, assurance, empathy]   # optional
    codes:
      queue_wait:
        label: Long queues               # optional
        meaning: Customer waits long before being served.
        dimensions: [responsiveness]
        provider_gaps: [2, 3]
        valence: problem                 # problem | strength
    keywords:                            # optional, for suggestion coding
      dimensions:
        responsiveness: {en: [queue, waiting], zh: [排队, 等待]}
      provider_gaps:
        3: {en: [training, understaffed], zh: [培训, 人手]}
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from servqual.study_files import StudyFileError, load_study_yaml

SERVQUAL_DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
PROVIDER_GAPS = {1: "knowledge", 2: "standards", 3: "delivery", 4: "communication"}
VALENCES = ("problem", "strength")


@dataclass(frozen=True)
class Codebook:
    """A validated codebook.

    Attributes
    ----------
    codes
        ``code``, ``label``, ``meaning``, ``dimensions`` (tuple), ``provider_gaps`` (tuple of
        int), ``valence``.
    keywords
        ``kind`` (``dimension`` or ``provider_gap``), ``key`` (dimension id or gap number as
        text), ``language`` (``en``/``zh``/...), ``keyword``.
    dimensions
        The dimension ids in report order.
    """

    codes: pd.DataFrame
    keywords: pd.DataFrame
    dimensions: tuple[str, ...] = SERVQUAL_DIMENSIONS


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else list(value) if isinstance(value, list | tuple) else [value]


def _code_row(code: str, spec: Any, dimensions: tuple[str, ...]) -> dict[str, Any]:
    where = f"codebook: code {code!r}"
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a mapping with meaning, dimensions, provider_gaps, valence.")
    unknown = set(spec) - {"label", "meaning", "dimensions", "provider_gaps", "valence"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    dims = tuple(str(d) for d in _as_list(spec.get("dimensions")))
    bad = [d for d in dims if d not in dimensions]
    if bad:
        raise ValueError(f"{where} key 'dimensions': {', '.join(bad)} not among {', '.join(dimensions)}.")
    try:
        gaps = tuple(int(g) for g in _as_list(spec.get("provider_gaps")))
    except (TypeError, ValueError):
        raise ValueError(f"{where} key 'provider_gaps': use numbers 1 to 4.") from None
    if any(g not in PROVIDER_GAPS for g in gaps):
        raise ValueError(f"{where} key 'provider_gaps': {list(gaps)} outside 1 (knowledge) .. 4 (communication).")
    if not dims and not gaps:
        raise ValueError(f"{where}: give at least one of 'dimensions' or 'provider_gaps'.")
    valence = spec.get("valence")
    if valence not in VALENCES:
        raise ValueError(f"{where} key 'valence': {valence!r} is not one of {', '.join(VALENCES)}.")
    if not str(spec.get("meaning") or "").strip():
        raise ValueError(f"{where} key 'meaning': say what the code means (one sentence).")
    label = spec.get("label") or code
    # A label by language (for reports in each language) keeps its English text in the codebook table.
    if isinstance(label, Mapping):
        label = label.get("en") or next(iter(label.values()), code)
    return {"code": str(code), "label": str(label), "meaning": str(spec["meaning"]).strip(),
            "dimensions": dims, "provider_gaps": gaps, "valence": valence}


def _keyword_rows(spec: Any, dimensions: tuple[str, ...]) -> list[dict[str, str]]:
    if spec is None:
        return []
    if not isinstance(spec, Mapping) or set(spec) - {"dimensions", "provider_gaps"}:
        raise ValueError("codebook key 'keywords': expected a mapping with 'dimensions' and/or 'provider_gaps'.")
    rows = []
    for kind, allowed in (("dimensions", dimensions), ("provider_gaps", tuple(PROVIDER_GAPS))):
        for key, languages in (spec.get(kind) or {}).items():
            if key not in allowed and str(key) not in map(str, allowed):
                raise ValueError(f"codebook keywords.{kind}: {key!r} is not one of {', '.join(map(str, allowed))}.")
            if not isinstance(languages, Mapping):
                raise ValueError(f"codebook keywords.{kind}.{key}: expected language -> list of words.")
            rows += [{"kind": kind[:-1], "key": str(key), "language": str(lang), "keyword": str(word).strip()}
                     for lang, words in languages.items() for word in _as_list(words) if str(word).strip()]
    return rows


def load_codebook(source: str | Path | Mapping[str, Any]) -> Codebook:
    """Load and validate a codebook (YAML file or an already parsed mapping).

    Errors name the code and the key (``codebook: code 'queue_wait' key 'valence': 'bad' is
    not one of problem, strength``).
    """
    if isinstance(source, str | Path):
        try:
            return load_codebook(load_study_yaml(source))
        except StudyFileError:
            raise
        except ValueError as err:  # name the file, not "codebook"
            raise ValueError(f"{source}: {str(err).removeprefix('codebook: ')}") from None
    spec = source
    if not isinstance(spec, Mapping) or not isinstance(spec.get("codes"), Mapping) or not spec["codes"]:
        raise ValueError("codebook: expected a mapping with a non-empty 'codes' mapping (code -> definition).")
    unknown = set(spec) - {"codes", "keywords", "dimensions", "version", "description"}
    if unknown:
        raise ValueError(f"codebook: unknown top-level key(s) {', '.join(sorted(unknown))}.")
    dimensions = tuple(str(d) for d in spec.get("dimensions") or SERVQUAL_DIMENSIONS)
    codes = pd.DataFrame([_code_row(c, s, dimensions) for c, s in spec["codes"].items()])
    keywords = pd.DataFrame(_keyword_rows(spec.get("keywords"), dimensions),
                            columns=["kind", "key", "language", "keyword"])
    return Codebook(codes, keywords, dimensions)


@functools.lru_cache(maxsize=1)
def _tokenizer() -> tuple[Any, set[str]]:
    """A private jieba tokenizer (the global one is left alone) and the keywords added to it.

    Each keyword is added once: jieba's ``add_word`` re-segments the word and raises its count
    and the dictionary's total on every call, so adding the same keywords for every text cost
    time and let the dictionary drift with the number of texts coded before.

    The prefix dictionary is built here from jieba's own word list: jieba's ``initialize`` would
    read and write a cache in the system's temporary folder, outside the study and shared with
    other users (a planted cache would change the coding), for no gain (0.52 s from the cache
    against 0.56 s built)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    with tokenizer.get_dict_file() as words:
        tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(words)
    tokenizer.initialized = True
    return tokenizer, set()


def keyword_hits(text: str, keywords: Iterable[str]) -> list[str]:
    """Keywords that occur in ``text`` as whole tokens.

    English (and other space-separated) keywords match whole words, case-insensitively;
    keywords in Chinese script match only where jieba's segmentation puts a token boundary at
    both ends (so 服务 does not fire inside 服务员). The keywords are added to jieba's
    dictionary first, so a keyword is never split.

    Examples
    --------
    >>> keyword_hits("服务员很耐心", ["服务"]), keyword_hits("Queues!", ["queue", "queues"])
    ([], ['queues'])
    """
    keywords = sorted(set(keywords))
    cjk = tuple(k for k in keywords if re.search(r"[\u3400-\u9fff]", k))
    hits = [k for k in keywords if k not in cjk and re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text, re.IGNORECASE)]
    if cjk and re.search(r"[\u3400-\u9fff]", text):
        tokenizer, added = _tokenizer()
        for word in cjk:
            if word not in added:
                tokenizer.add_word(word)
                added.add(word)
        tokens = list(tokenizer.tokenize(text))
        starts, ends = {t[1] for t in tokens}, {t[2] for t in tokens}
        hits += [k for k in cjk if any(m.start() in starts and m.end() in ends for m in re.finditer(re.escape(k), text))]
    return sorted(hits)


