"""A check that a text in a CJK language holds no English sentence: no run of three or more
Latin words (names of statistics, authors' citations and the reference list aside)."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: A Latin word: letters, with inner apostrophes or hyphens ("Fornell–Larcker", "Cronbach's").
_WORD = r"[A-Za-z][A-Za-z'’]*(?:[-–][A-Za-z][A-Za-z'’]*)*"
#: Three or more such words separated by spaces only (a list "a, b" or "Bentler & Chou" is not prose).
_RUN = re.compile(rf"{_WORD}(?:[ \t]+{_WORD}){{2,}}")


def latin_runs(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Runs of three or more Latin words in ``text``, after removing the ``allowed`` phrases
    (names, e.g. the study's own labels), "et al." citations and a Markdown reference list.

    >>> latin_runs("信度以克朗巴赫α系数估计（Henseler et al., 2015）。")
    []
    >>> latin_runs("“作答过快”规则无法执行（no duration column is configured）")
    ['no duration column is configured']
    """
    text = re.split(r"\*\*(?:References|参考文献|참고문헌)\*\*", text)[0]
    for phrase in allowed:
        text = text.replace(phrase, " ")
    text = re.sub(r"\bet al\.", " ", text)
    return _RUN.findall(text)
