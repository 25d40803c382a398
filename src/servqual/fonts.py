"""Fonts for the figures: the installed family that covers every character a figure shows.

matplotlib draws each character with the first family of ``font.family`` that has it, and an
empty box (with a "Glyph ... missing" warning) where none has it. Text in plain Latin, Greek or
Cyrillic needs nothing beyond the bundled DejaVu Sans, so English studies never search for more.
Other text (Chinese, Korean, Japanese) needs a CJK family: :func:`families_for` picks the first
installed one of :data:`CJK_FAMILIES` that covers all of it, preferring the glyph forms of the
text's language (Noto Sans CJK SC for Chinese, KR for Korean). A font installed after
matplotlib built its font cache is not in that cache: when fontconfig (``fc-list``) knows a CJK
font matplotlib does not, the cache is rebuilt once. Where no installed font covers the text,
the run says so once, naming the package to install, rather than filling a log with one warning
per glyph.

Coverage is read from the fonts' own character maps (:func:`uncovered`), so a test can check
that a figure's texts have no missing glyph without rendering it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from functools import cache

log = logging.getLogger(__name__)

#: The family for Latin text: bundled with matplotlib, so always installed.
LATIN = "DejaVu Sans"
#: CJK families in order of preference; any one that covers the text will do.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Sans K",
    "Source Han Sans KR",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK HK",
    "Droid Sans Fallback",
)
#: Families to try first for a language's text (Chinese, Korean and Japanese glyph forms differ).
PREFERRED = {
    "zh": ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei"),
    "ko": ("Noto Sans CJK KR", "Source Han Sans K", "Source Han Sans KR"),
    "ja": ("Noto Sans CJK JP",),
}
#: The packages that bring a CJK font, by platform.
PACKAGE_HINT = (
    "install a CJK font, e.g. `apt-get install fonts-noto-cjk` (Debian, Ubuntu), "
    "`dnf install google-noto-sans-cjk-fonts` (Fedora), or `brew install --cask font-noto-sans-cjk` (macOS), "
    "then run again"
)

#: Where the characters are not Chinese, Japanese or Korean.
OTHER_HINT = "install a font that has them, e.g. `apt-get install fonts-noto` (Debian, Ubuntu), then run again"

_warned: set[str] = set()
_refreshed = False


def characters(texts: Iterable[object]) -> set[str]:
    """The characters a reader sees in ``texts`` (white space and control characters left out).

    >>> sorted(characters(["a b", "有形\\n"]))
    ['a', 'b', '形', '有']
    """
    return {c for text in texts for c in str(text) if not c.isspace() and unicodedata.category(c)[0] != "C"}


def _is_cjk(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA", "FULLWIDTH", "IDEOGRAPHIC"))


@cache
def _charmap(fname: str, index: int) -> frozenset[int]:
    from matplotlib import font_manager

    return frozenset(font_manager.get_font(font_manager.FontPath(fname, index)).get_charmap())


def _entry(family: str):
    """matplotlib's regular face of an installed family, or None (no findfont call: that warns)."""
    from matplotlib import font_manager

    entries = [e for e in font_manager.fontManager.ttflist if e.name.lower() == family.lower()]
    regular = [e for e in entries if e.style == "normal" and e.weight in (400, "normal", "regular")]
    return (regular or entries or [None])[0]


def covered(family: str) -> frozenset[int]:
    """Code points the installed ``family`` has glyphs for (empty when it is not installed)."""
    entry = _entry(family)
    return _charmap(entry.fname, getattr(entry, "index", 0)) if entry is not None else frozenset()


def uncovered(texts: Iterable[object], families: Sequence[str]) -> set[str]:
    """Characters of ``texts`` that no family of ``families`` has: what would be drawn as boxes.

    >>> uncovered(["Reliability", "−0.5"], ["DejaVu Sans"])
    set()
    >>> uncovered(["可靠性"], ["DejaVu Sans"]) == {"可", "靠", "性"}
    True
    """
    wanted = characters(texts)
    for family in families:
        have = covered(family)  # once per family: finding it scans matplotlib's font list
        wanted = {c for c in wanted if ord(c) not in have}
        if not wanted:
            break
    return wanted


def _fontconfig_cjk_files() -> set[str]:
    """Font files fontconfig knows that cover Chinese or Korean ('' when there is no fc-list)."""
    if shutil.which("fc-list") is None:
        return set()
    files = set()
    for lang in ("zh", "ko", "ja"):
        done = subprocess.run(["fc-list", f":lang={lang}", "file"], capture_output=True, text=True, check=False)
        files |= {line.split(":")[0].strip() for line in done.stdout.splitlines() if line.strip()}
    return files


def refresh_cache() -> bool:
    """Rebuild matplotlib's font cache when fontconfig knows a CJK font file it lacks (once per
    process); True when it was rebuilt."""
    global _refreshed
    if _refreshed:
        return False
    _refreshed = True
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    missing = sorted(_fontconfig_cjk_files() - known)
    if not missing:
        return False
    log.info("matplotlib's font cache lacks %d installed CJK font file(s) (%s); rebuilding it", len(missing), missing[0])
    font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
    _charmap.cache_clear()
    return True


def _language_of(chars: Iterable[str]) -> str:
    """The CJK language whose glyph forms to prefer: Korean where there is Hangul, Japanese where
    there is kana, else Chinese."""
    names = [unicodedata.name(c, "") for c in chars]
    if any(n.startswith("HANGUL") for n in names):
        return "ko"
    if any(n.startswith(("HIRAGANA", "KATAKANA")) for n in names):
        return "ja"
    return "zh"


def families_for(texts: Iterable[object]) -> list[str]:
    """The families for ``font.family`` that draw every character of ``texts``.

    ``[LATIN]`` when DejaVu Sans has them all (no other font is looked up). Otherwise the first
    installed CJK family that covers the rest, the glyph forms of the text's language first
    (Korean where it has Hangul, Japanese where it has kana, else Chinese), then ``LATIN`` for
    anything it lacks; the font cache is rebuilt once when fontconfig knows a CJK font
    matplotlib does not. Where no family covers them, a warning (once per set of characters)
    names them and the package to install, and ``[LATIN]`` is returned.

    >>> families_for(["Reliability", "gap P − E (95% CI)"])
    ['DejaVu Sans']
    """
    texts = list(texts)
    rest = uncovered(texts, [LATIN])
    if not rest:
        return [LATIN]
    order = list(dict.fromkeys([*PREFERRED[_language_of(rest)], *CJK_FAMILIES]))
    for attempt in range(2):
        for family in order:
            if covered(family) and not uncovered(rest, [family]):
                return [family, LATIN]
        if attempt == 0 and not refresh_cache():
            break
    sample = "".join(sorted(rest)[:12])
    hint = PACKAGE_HINT if any(_is_cjk(c) for c in rest) else OTHER_HINT
    message = f"No installed font has the characters {sample!r}{'...' if len(rest) > 12 else ''}; {hint}."
    if message not in _warned:
        _warned.add(message)
        log.warning(message)
    return [LATIN]


def figure_texts(fig) -> list:
    """Every text artist of a matplotlib figure (titles, axis titles, tick labels, legends,
    annotations, colour bar labels) that shows something."""
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def apply(fig) -> list[str]:
    """Draw every text of ``fig`` with :func:`families_for` its texts, and return the families.

    Call it before the figure is laid out or saved (the families change the texts' sizes).
    Where no installed font covers the texts, matplotlib's warning per missing glyph is
    silenced: :func:`families_for` has said once which characters and which package.
    """
    artists = figure_texts(fig)
    texts = [t.get_text() for t in artists]
    families = families_for(texts)
    for artist in artists:
        if list(artist.get_fontfamily()) != families:
            artist.set_fontfamily(families)
    if uncovered(texts, families):
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
    return families
