"""Checks of a rendered HTML report, for the report tests (issue 19): no external URL, no ``NaN``,
no pandas index column, no truncated cell, headings and prose in the report's language, no
character without a glyph in the page's fonts, no horizontal overflow, and screenshots.

Every check returns what it found (a list of offending snippets, empty when the page passes),
so that a test reads ``assert not nan_cells(html), nan_cells(html)`` and its failure names the
cells. The HTML checks parse with BeautifulSoup's ``html.parser`` (beautifulsoup4 comes with
nbconvert), the glyph check reads font files with fontTools (it comes with matplotlib) and asks
fontconfig (``fc-list``, ``fc-match``) where a family's files are; the browser checks drive
Debian's ``/usr/bin/chromium`` headless over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: JSON messages ending in a NUL byte on file descriptors 3 and 4),
so no Python package is added. The ``chromium`` fixture in ``tests/conftest.py`` installs
Chromium and the Noto CJK fonts on a Debian CI machine where they are missing (see
``ensure_browser``).

This lives with the tests, not in ``src/servqual``: it judges the report a pipeline run made and
needs a browser and system fonts, none of which a study's run uses.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

# --------------------------------------------------------------------------------------------
# Parsing helpers

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
BLOCKS = {
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    "br", *HEADINGS,
}
INVISIBLE = {"script", "style", "template", "noscript", "head", "title", "meta", "link"}
# Headings that open a reference list: the list runs to the next heading of the same or a higher
# level. An element whose id or class says references/bibliography is a reference list too.
REFERENCE_HEADINGS = {"references", "reference list", "bibliography", "literature", "参考文献",
                      "參考文獻", "참고문헌", "참고 문헌"}
REFERENCE_MARK = re.compile(r"\b(references?|bibliography|csl-bib-body)\b", re.I)


def soup(html: str | BeautifulSoup) -> BeautifulSoup:
    return html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")


def cell_text(cell: Tag) -> str:
    """A cell's text with white space collapsed."""
    return " ".join(cell.get_text(" ").split())


def _reference_elements(page: BeautifulSoup) -> list[Tag]:
    """Elements that make up reference lists: marked by id/class, or the siblings after a
    'References' heading up to the next heading of the same or a higher level."""
    found: list[Tag] = []
    for el in page.find_all(True):
        marks = " ".join([el.get("id") or "", *(el.get("class") or [])])
        if marks and REFERENCE_MARK.search(marks):
            found.append(el)
    for heading in page.find_all(HEADINGS):
        title = cell_text(heading).rstrip("¶#").strip().lower()
        if title not in REFERENCE_HEADINGS:
            continue
        level = int(heading.name[1])
        # Jupyter wraps a markdown cell's heading and its list in one div; when the heading is
        # the first element of its parent, the rest of the parent is the list.
        for sibling in heading.find_next_siblings():
            if sibling.name in HEADINGS and int(sibling.name[1]) <= level:
                break
            found.append(sibling)
        else:
            parent = heading.parent
            while parent is not None and parent.name != "[document]":
                following = parent.find_next_siblings()
                stop = False
                for sibling in following:
                    inner = sibling if sibling.name in HEADINGS else sibling.find(HEADINGS)
                    if inner is not None and int(inner.name[1]) <= level:
                        stop = True
                        break
                    found.append(sibling)
                if stop or following:
                    break
                parent = parent.parent
    return found


def visible_text(html: str | BeautifulSoup, *, references: bool = True) -> str:
    """The page's visible text, one line per block element (paragraph, cell, heading, item);
    without the reference lists when ``references`` is false. Jupyter's heading anchors (¶) are
    left out."""
    page = soup(str(html)) if not references else soup(html)
    if not references:
        for el in _reference_elements(page):
            if not el.decomposed:
                el.decompose()
    parts: list[str] = []

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not a comment, CDATA or doctype
                    parts.append(str(child))
            elif isinstance(child, Tag):
                if child.name in INVISIBLE or "anchor-link" in (child.get("class") or []):
                    continue
                block = child.name in BLOCKS
                if block:
                    parts.append("\n")
                walk(child)
                if block:
                    parts.append("\n")

    walk(page)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------------------------
# External URLs

# Attributes whose value the browser loads or navigates to (HTML and SVG).
URL_ATTRIBUTES = ("src", "href", "xlink:href", "poster", "data", "action", "formaction",
                  "background", "longdesc", "manifest", "ping", "codebase", "cite")
SRCSET_ATTRIBUTES = ("srcset", "imagesrcset")
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I | re.S)
SCRIPT_URL = re.compile(r"""(['"`])((?:https?:|wss?:|ftp:)?//[^'"`\s]+)\1""", re.I)
# Namespace names look like URLs but are never fetched.
NAMESPACES = re.compile(r"^https?://(www\.w3\.org|purl\.org|ns\.adobe\.com|creativecommons\.org"
                        r"|www\.inkscape\.org|sodipodi\.sourceforge\.net)/", re.I)


def is_external(url: str) -> bool:
    """Whether a URL reaches another host: an absolute URL with a network scheme, or a
    protocol-relative ``//host/...``. data:, blob:, about:, javascript:, in-page anchors and
    relative paths are not external.

    >>> [is_external(u) for u in ["https://cdn.x/a.js", "//cdn.x/a.js", "data:image/png;base64,AA", "#gaps", "figures/a.png"]]
    [True, True, False, False, False]
    """
    url = url.strip()
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)) and not url.lower().startswith(
        ("file:", "data:", "blob:", "about:"))


def _css_urls(css: str) -> Iterator[str]:
    for match in CSS_URL.finditer(css):
        yield match.group(2) if match.group(2) is not None else match.group(4)


def external_urls(html: str | BeautifulSoup, *, links: bool = True) -> list[str]:
    """Every reference in the page to another host, as ``"<where>: <url>"``.

    Looked at: the URL attributes of every element (``src``, ``href``, ``xlink:href``,
    ``poster``, ``data``, ``action``, ...), ``srcset``, ``<meta http-equiv="refresh">``, CSS
    ``url()`` and ``@import`` in ``<style>`` elements and ``style`` attributes, and absolute or
    protocol-relative URLs quoted in inline scripts (a script may load them; namespace names such
    as ``http://www.w3.org/2000/svg`` are left out). Not looked at: text. A DOI or web address
    written in a reference list or a sentence is content, not a resource, and is allowed.
    ``<a href>`` to another host is reported too (a report is read offline and behind firewalls);
    pass ``links=False`` to allow clickable links and report only what the page loads.

    >>> external_urls('<script src="https://cdn.example.org/x.js"></script><a href="#top">top</a>')
    ['script src: https://cdn.example.org/x.js']
    """
    page = soup(html)
    found: list[str] = []
    for el in page.find_all(True):
        if el.name == "a" and not links:
            continue
        for attr in URL_ATTRIBUTES:
            value = el.get(attr)
            if isinstance(value, str) and is_external(value) and not NAMESPACES.match(value):
                found.append(f"{el.name} {attr}: {value.strip()}")
        for attr in SRCSET_ATTRIBUTES:
            value = el.get(attr)
            for candidate in (value or "").split(","):
                url = candidate.strip().split(" ")[0]
                if url and is_external(url):
                    found.append(f"{el.name} {attr}: {url}")
        if el.name == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            url = re.sub(r"^.*?url\s*=\s*", "", el.get("content") or "", flags=re.I).strip("'\" ")
            if is_external(url):
                found.append(f"meta refresh: {url}")
        for url in _css_urls(el.get("style") or ""):
            if is_external(url):
                found.append(f"{el.name} style: {url}")
        if el.name == "style":
            found += [f"style: {url}" for url in _css_urls(el.get_text()) if is_external(url)]
        if el.name == "script" and not el.get("src"):
            found += [f"script text: {m.group(2)}" for m in SCRIPT_URL.finditer(el.get_text())
                      if is_external(m.group(2)) and not NAMESPACES.match(m.group(2))]
    return found


# --------------------------------------------------------------------------------------------
# Table cells: NaN, index columns, truncation

# Missing values as Python, numpy and pandas print them, whole words (so "Nan", a surname in
# pinyin, and "nano" pass).
NAN_WORD = re.compile(r"(?<![A-Za-z])(?:nan|NaN|NAN|NaT|<NA>|-?inf|-?Infinity)(?![A-Za-z])")
# Whole-cell only: these are English words in prose.
NAN_CELL = {"None", "null", "NA", "N/A", "undefined"}


def nan_cells(html: str | BeautifulSoup) -> list[str]:
    """Table cells that show a missing or infinite value as the software printed it (``NaN``,
    ``nan``, ``NaT``, ``<NA>``, ``inf``, ``None``, ``null``, ``NA``, ``undefined``), as
    ``"table <i>, row <r>: <cell>"``, and captions that do (``"table <i>, caption: ..."``). A
    report shows a missing value as empty, a dash or words.

    >>> nan_cells('<table><tr><td>0.81</td><td>NaN</td><td>Nan Yang</td></tr></table>')
    ['table 1, row 1: NaN']
    """
    found = []
    for t, table in enumerate(soup(html).find_all("table"), 1):
        caption = table.find("caption")
        if caption is not None and NAN_WORD.search(caption.get_text(" ", strip=True)):
            found.append(f"table {t}, caption: {caption.get_text(' ', strip=True)}")
        for r, row in enumerate(table.find_all("tr"), 1):
            for cell in row.find_all(["td", "th"]):
                text = cell_text(cell)
                if text in NAN_CELL or NAN_WORD.search(text):
                    found.append(f"table {t}, row {r}: {text}")
    return found


def nan_text(html: str | BeautifulSoup) -> list[str]:
    """Lines of the visible text outside tables with ``NaN``, ``nan``, ``NaT``, ``<NA>`` or
    ``inf`` in them (a sentence such as "the mean gap was nan")."""
    page = soup(str(html))
    for table in page.find_all("table"):
        table.decompose()
    return [line for line in visible_text(page).splitlines() if NAN_WORD.search(line)]


def _rows(section: Tag | None) -> list[list[Tag]]:
    if section is None:
        return []
    return [row.find_all(["td", "th"], recursive=False) for row in section.find_all("tr")]


def _is_sequence(values: Sequence[str]) -> bool:
    """0, 1, ..., n-1 or 1, 2, ..., n (a range index), at least two rows."""
    if len(values) < 2 or not all(re.fullmatch(r"\d+", v) for v in values):
        return False
    numbers = [int(v) for v in values]
    return numbers in (list(range(len(numbers))), list(range(1, len(numbers) + 1)))


def index_columns(html: str | BeautifulSoup) -> list[str]:
    """Tables that show a pandas index, as ``"table <i>: <why>"``.

    A table has an index column when
    - its body rows open with a ``<th>`` that has no ``scope="row"`` (pandas' ``to_html`` and
      ``Styler`` write the index so; a row-header column made on purpose says ``scope="row"``);
    - its header has a row of index names (a first cell with text and every other cell empty);
    - its top-left header cell is empty and the first column holds 0..n-1 or 1..n;
    - its first column, whatever its tags, holds 0..n-1 (a RangeIndex written as data);
    - a header says ``Unnamed: 0`` (an index read back from a CSV) or ``index``/``level_0``
      (``reset_index``), or it carries pandas' classes (``row_heading``, ``index_name``, ``blank``).

    >>> index_columns('<table><thead><tr><th></th><th>gap</th></tr></thead><tbody><tr><th>0</th><td>0.1</td></tr><tr><th>1</th><td>0.2</td></tr></tbody></table>')
    ['table 1: body rows open with <th> (pandas index): 0, 1', 'table 1: blank top-left header and rows numbered 0, 1']
    """
    found = []
    for t, table in enumerate(soup(html).find_all("table"), 1):
        head_rows = _rows(table.find("thead"))
        body = table.find("tbody")
        body_rows = _rows(body) if body is not None else [
            r for r in _rows(table) if r and not all(c.name == "th" for c in r)]
        if body is None and not head_rows:
            head_rows = [r for r in _rows(table) if r and all(c.name == "th" for c in r)][:1]
        first = [row[0] for row in body_rows if row]
        labels = [cell_text(c) for c in first]
        row_headers = [c for c in first if c.name == "th" and (c.get("scope") or "").lower() != "row"]
        if first and len(row_headers) == len(first):
            found.append(f"table {t}: body rows open with <th> (pandas index): {', '.join(labels[:5])}")
        for row in head_rows:
            texts = [cell_text(c) for c in row]
            if len(texts) > 1 and texts[0] and not any(texts[1:]):
                found.append(f"table {t}: header row of index names: {texts[0]}")
        if head_rows and head_rows[0] and not cell_text(head_rows[0][0]) and _is_sequence(labels):
            found.append(f"table {t}: blank top-left header and rows numbered {', '.join(labels[:5])}")
        elif labels and labels[0] == "0" and _is_sequence(labels) and not row_headers:
            found.append(f"table {t}: first column holds the row numbers {', '.join(labels[:5])}")
        headers = {cell_text(c) for row in head_rows for c in row}
        odd = sorted(h for h in headers if re.fullmatch(r"Unnamed: \d+(_level_\d+)?|index|level_\d+", h))
        if odd:
            found.append(f"table {t}: header {', '.join(odd)}")
        if table.find(class_=["row_heading", "index_name", "blank"]):
            found.append(f"table {t}: pandas Styler index classes")
    return found


ELLIPSIS = re.compile(r"(…|\.\.\.|⋯)\s*\)?$")
PANDAS_SHAPE = re.compile(r"\b\d[\d,]*\s+rows?\s*[×x]\s*\d[\d,]*\s+columns?\b")


def truncated_cells(html: str | BeautifulSoup) -> list[str]:
    """Cut content, as ``"table <i>, row <r>: <cell>"`` or ``"text: <line>"``: cells that end in
    "…" or "..." (a list or a text cut short) or consist of it (pandas' elided rows and columns),
    and pandas' "<n> rows × <m> columns" footers. (Text clipped by CSS is not in the HTML: the
    browser check ``layout`` reports it as ``clipped``.)

    >>> truncated_cells('<table><tr><td>E_rel5 (1), P_res2 (1)...</td><td>5.2</td></tr></table><p>40 rows × 6 columns</p>')
    ['table 1, row 1: E_rel5 (1), P_res2 (1)...', 'text: 40 rows × 6 columns']
    """
    page = soup(html)
    found = []
    for t, table in enumerate(page.find_all("table"), 1):
        for r, row in enumerate(table.find_all("tr"), 1):
            for cell in row.find_all(["td", "th"]):
                text = cell_text(cell)
                if ELLIPSIS.search(text):
                    found.append(f"table {t}, row {r}: {text}")
    found += [f"text: {line}" for line in visible_text(page).splitlines() if PANDAS_SHAPE.search(line)]
    return found


# --------------------------------------------------------------------------------------------
# Language: Latin-script sentences in Chinese and Korean reports, foreign headings

# Symbols and abbreviations of statistics and of the SERVQUAL literature, and names of methods
# and their authors that a Chinese or Korean report writes in Latin script. Tokens of up to six
# capitals (KMO, ICC, IPA, SD) and single letters (p, n, M, t, F, r) count as symbols anyway.
STAT_TERMS = frozenset("""
    df vs et al Cronbach McDonald Krippendorff Wilcoxon Pratt Holm Bonferroni Benjamini Hochberg
    Kruskal Wallis Mann Whitney Likert Cohen Hedges Cliff Tukey Welch Spearman Pearson Kendall
    Kaiser Bartlett Horn Satorra Bentler Yuan Fornell Larcker Henseler Olkin Meyer
    SERVQUAL SERVPERF RMSEA SRMR HTMT oblimin varimax promax geomin minres Gaps Model
    alpha omega kappa lambda chi Python Snakemake pandas semopy lavaan numpy scipy
    Byrne Shavelson Muthén Savalei Brosseau Liard Rensvold Widaman Reise Terwee Rhemtulla Preacher Selig
    Efron Estabrook Mplus
""".split())
SCRIPT_BREAK = re.compile(r"[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3130-\u318f"
                          r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\n]")
LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’-][A-Za-z\u00c0-\u024f]+)*")
EDGE_PUNCTUATION = "()[]{}\"'“”‘’,.;:!?*"


def _is_word(chunk: str) -> bool | None:
    """True: a word; False: breaks a run (an allowed term, an identifier, a path); None: neutral
    (numbers, operators, punctuation)."""
    core = chunk.strip(EDGE_PUNCTUATION)
    if not core or not re.search(r"[A-Za-z\u00c0-\u024f]", core):
        return None
    if not LATIN_WORD.fullmatch(core):
        return False  # tan1, gaps.csv, reports/wave1, E_rel5, α=0.8
    if core in STAT_TERMS or len(core) == 1:
        return False
    if core.isupper() and len(core) <= 6:
        return False
    return True


# Quotations (interview quotes, a respondent's words) stay in the speaker's language.
QUOTED = re.compile(r"“[^”\n]*”|「[^」\n]*」|『[^』\n]*』|«[^»\n]*»")


def _without(text: str, allow: Iterable[str]) -> str:
    """``text`` with the ``allow`` phrases and the quotations in typographic quotes taken out,
    each replaced by a break."""
    text = QUOTED.sub("\x00", text)
    for phrase in sorted({a.strip() for a in allow if a.strip()}, key=len, reverse=True):
        # Whole words only: allowing "Berry" leaves "Berryman" a word.
        text = re.sub(rf"(?<![A-Za-z\u00c0-\u024f]){re.escape(phrase)}(?![A-Za-z\u00c0-\u024f])", "\x00", text)
    return text


def latin_sentences(text: str, language: str, allow: Iterable[str] = (), *, min_words: int = 3) -> list[str]:
    """Runs of at least ``min_words`` Latin-script words in a ``zh`` or ``ko`` text: English left
    in a Chinese or Korean report. Always empty for other languages.

    The rule: ``allow`` phrases (the study title, author names, item wording kept in English) and
    quotations in typographic quotes (“...”, 「...」: a participant's words stay in their
    language) are taken out of the text first, each becoming a break. The text is then cut at every
    Han, kana, Hangul or full-width character and at line ends (block boundaries of
    ``visible_text``), and the pieces split at white space. A piece is a *word* when, trimmed of
    punctuation, it is Latin letters (with inner hyphens or apostrophes), two or more of them, not
    all capitals of up to six letters (an abbreviation: KMO, IPA), and not a statistics or method
    term of ``STAT_TERMS``; such terms, identifiers and paths (``tan1``,
    ``gaps.csv``, ``E_rel5``) break a run; numbers, operators and punctuation neither count nor
    break (so "the mean gap was -0.52 for tangibles" is one run). Apply it to
    ``visible_text(html, references=False)``: reference lists are left out.

    >>> latin_sentences("信度良好（Cronbach α = 0.86，CFI = 0.95，RMSEA = 0.04，p < .001）。", "zh")
    []
    >>> latin_sentences("保证性差距为 -0.33, which is larger than expected。", "zh")
    ['which is larger than expected']
    """
    if language not in ("zh", "ko"):
        return []
    found = []
    for piece in SCRIPT_BREAK.split(_without(text, allow)):
        for segment in piece.split("\x00"):
            run: list[tuple[str, bool]] = []
            words = 0
            for chunk in segment.split() + [""]:
                kind = _is_word(chunk) if chunk else False
                if kind is False:
                    if words >= min_words:  # from its first word to its last
                        first = next(i for i, (_, w) in enumerate(run) if w)
                        last = max(i for i, (_, w) in enumerate(run) if w)
                        found.append(" ".join(c for c, _ in run[first:last + 1]).strip(EDGE_PUNCTUATION))
                    run, words = [], 0
                else:
                    run.append((chunk, bool(kind)))
                    words += bool(kind)
    return found


HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
KANA = re.compile(r"[\u3040-\u30ff]")


def foreign_script(text: str, language: str, allow: Iterable[str] = ()) -> list[str]:
    """Lines of ``text`` in another language's script: Han, Hangul or kana in an ``en`` text;
    Hangul or kana in ``zh``; Han or kana in ``ko`` (Korean reports do not use Hanja, so Han in a
    ``ko`` report is Chinese wording that fell back). ``allow`` phrases (raw column names of a
    Chinese export, names) and quotations in typographic quotes are taken out first.

    >>> foreign_script("신뢰성 평균\\n营业厅拥有现代化的设备。", "ko")
    ['营业厅拥有现代化的设备。']
    """
    scripts = {"en": [HAN, HANGUL, KANA], "zh": [HANGUL, KANA], "ko": [HAN, KANA]}.get(language, [])
    return [line for line in _without(text, allow).splitlines()
            if any(s.search(line) for s in scripts)]


def foreign_headings(html: str | BeautifulSoup, language: str, allow: Iterable[str] = ()) -> list[str]:
    """Headings, table headers and captions not in ``language``, as ``"<tag>: <text>"``: in a
    ``zh`` or ``ko`` report one Latin-script word is enough (by the word rule of
    ``latin_sentences``: symbols, abbreviations, identifiers and ``allow`` phrases pass); in any
    report a script of another language (``foreign_script``).

    >>> foreign_headings('<h2>信度</h2><table><tr><th>item</th><th>Cronbach α</th><th>tan1</th></tr></table>', "zh")
    ['th: item']
    """
    found = []
    for el in soup(html).find_all([*HEADINGS, "th", "caption", "figcaption", "summary"]):
        text = visible_text(str(el)).replace("\n", " ").rstrip("¶").strip()
        if text and (latin_sentences(text, language, allow, min_words=1)
                     or foreign_script(text, language, allow)):
            found.append(f"{el.name}: {text}")
    return found


# --------------------------------------------------------------------------------------------
# Fonts and glyphs

GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui",
                    "ui-serif", "ui-sans-serif", "ui-monospace", "ui-rounded", "math", "emoji",
                    "fangsong"}
FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;}]+)", re.I)
CUSTOM_PROPERTY = re.compile(r"(--[\w-]+)\s*:\s*([^;}]+)")
VAR = re.compile(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*))?\)")


def font_families(html: str | BeautifulSoup) -> list[str]:
    """Families the page's CSS names in ``font-family`` (style elements and attributes, with
    ``var(--x)`` resolved from the page's custom properties), in order of first mention,
    without duplicates; generic families (``sans-serif``) included.

    >>> font_families('<style>:root{--ui: "Noto Sans CJK SC", sans-serif} body{font-family: var(--ui)}</style>')
    ['Noto Sans CJK SC', 'sans-serif']
    """
    page = soup(html)
    css = "\n".join([s.get_text() for s in page.find_all("style")]
                    + [el["style"] for el in page.find_all(style=True)])
    properties = {name: value.strip() for name, value in CUSTOM_PROPERTY.findall(css)}

    def resolve(value: str, depth: int = 0) -> str:
        if depth > 10:
            return value
        return VAR.sub(lambda m: resolve(properties.get(m.group(1), m.group(2) or ""), depth + 1), value)

    families: list[str] = []
    for declaration in FONT_FAMILY.findall(css):
        for name in resolve(declaration).replace("!important", "").split(","):
            name = name.strip().strip("'\"").strip()
            if name and not name.startswith("var(") and name not in families:
                families.append(name)
    return families


def stack_families(stack: str) -> list[str]:
    """The families of a computed ``font-family`` value, unquoted.

    >>> stack_families('"Noto Sans CJK KR", system-ui, sans-serif')
    ['Noto Sans CJK KR', 'system-ui', 'sans-serif']
    """
    return [name.strip().strip("'\"").strip() for name in stack.split(",") if name.strip()]


def _fc(*args: str) -> str:
    if shutil.which(args[0]) is None:
        return ""
    return subprocess.run(list(args), capture_output=True, text=True, check=False).stdout


@lru_cache(maxsize=None)
def font_files(family: str) -> tuple[tuple[str, int], ...]:
    """Installed font files (path, index in a collection) of ``family``: fontconfig's files of
    that family name; for a generic family (``sans-serif``) the file fontconfig picks for it,
    as the browser does. Empty when the family is not installed."""
    if family.lower() in GENERIC_FAMILIES:
        name = {"system-ui": "sans-serif", "ui-sans-serif": "sans-serif", "ui-serif": "serif",
                "ui-monospace": "monospace"}.get(family.lower(), family.lower())
        out = _fc("fc-match", "--format=%{file}|%{index}", name)
        return ((out.split("|")[0], int(out.split("|")[1] or 0)),) if "|" in out else ()
    out = _fc("fc-list", f":family={family}", "--format=%{file}|%{index}\n")
    return tuple(sorted({(line.split("|")[0], int(line.split("|")[1] or 0))
                         for line in out.splitlines() if "|" in line}))


@lru_cache(maxsize=None)
def _coverage(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def covered(families: Iterable[str]) -> frozenset[int]:
    """Code points with a glyph in any installed font of ``families``."""
    points: set[int] = set()
    for family in families:
        for path, index in font_files(family):
            points |= _coverage(path, index)
    return frozenset(points)


def missing_glyphs(text: str, families: Iterable[str]) -> list[str]:
    """Characters of ``text`` that no installed font of ``families`` (the page's font stack,
    e.g. from ``font_families``) has a glyph for, each once, as ``"<char> U+XXXX <name>"``.
    White space, control and format characters (zero-width joiners) are not drawn and not
    checked. The browser would fall back to any installed font, so this is stricter than what
    one machine shows: the page must name fonts that cover its text.

    >>> missing_glyphs("abc", ["DejaVu Sans"]) if font_files("DejaVu Sans") else []
    []
    """
    families = list(families)
    points = covered(families)
    found = []
    for char in dict.fromkeys(text):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            continue
        if ord(char) not in points:
            found.append(f"{char} U+{ord(char):04X} {unicodedata.name(char, '?')}")
    return found


# --------------------------------------------------------------------------------------------
# Chromium

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio",
                  "--remote-debugging-pipe")
# Requests a report page may make: its own file and what it embeds.
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")

# Measured in the page after it loaded and its fonts are ready: the page's width against the
# viewport, the outermost elements that reach past its edges, cells whose content is clipped,
# and the text drawn under each computed font stack.
MEASURE = r"""
(async () => {
  await document.fonts.ready;
  const root = document.documentElement, vw = root.clientWidth;
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].slice(0, 2).join('.');
    const text = (el.innerText || el.textContent || '').trim().replace(/\s+/g, ' ');
    return s + ' "' + text.slice(0, 60) + '"';
  };
  const wide = [], clipped = [], stacks = {};
  const over = new Set();
  for (const el of document.body ? document.body.querySelectorAll('*') : []) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 1 || r.left < -1)) {
      over.add(el);
      if (!over.has(el.parentElement))
        wide.push(describe(el) + ' ' + Math.round(r.left) + '..' + Math.round(r.right) + ' px');
    }
    if ((el.tagName === 'TD' || el.tagName === 'TH') && el.scrollWidth > el.clientWidth + 1
        && style.overflowX !== 'visible')
      clipped.push(describe(el));
    for (const node of el.childNodes) {
      if (node.nodeType === 3 && node.textContent.trim()) {
        const stack = style.fontFamily;
        stacks[stack] = (stacks[stack] || '') + node.textContent;
      }
    }
  }
  return {viewport: vw, scrollWidth: root.scrollWidth, height: root.scrollHeight,
          wide, clipped, stacks};
})()
"""


class ChromiumError(RuntimeError):
    pass


def chromium_path() -> str | None:
    """The Chromium to use: ``$CHROMIUM`` if set, else ``chromium`` or ``chromium-browser`` on
    the PATH (Debian's ``/usr/bin/chromium``)."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Layout:
    """A page as Chromium laid it out at one width.

    ``viewport``: the layout width in CSS pixels without a vertical scroll bar; ``scroll_width``:
    the document's width; ``wide``: the outermost elements reaching past the viewport's edges
    (also inside a scrolling box: the reader has to scroll it); ``clipped``: table cells whose
    content is cut by ``overflow`` (``text-overflow: ellipsis``); ``requests``: every request to
    another host the page made (all blocked); ``stacks``: computed ``font-family`` -> the text
    drawn with it.
    """

    width: int
    viewport: int
    scroll_width: int
    height: int
    wide: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    stacks: dict[str, str] = field(default_factory=dict)

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.viewport or bool(self.wide)

    def missing_glyphs(self) -> list[str]:
        """Characters drawn with a font stack none of whose installed fonts has them, as
        ``"<stack>: <char> U+XXXX <name>"`` (``missing_glyphs`` per computed stack)."""
        return [f"{stack}: {miss}" for stack, text in self.stacks.items()
                for miss in missing_glyphs(text, stack_families(stack))]


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe, with a fresh profile.
    Requests to other hosts are blocked and recorded (the page is judged as read offline).

    >>> with Chromium() as browser:                                      # doctest: +SKIP
    ...     layout = browser.open("reports/wave1/report.html", width=800)
    ...     browser.screenshot("wave1-800.png")
    """

    def __init__(self, executable: str | None = None, timeout: float = 60):
        self.executable = executable or chromium_path()
        if not self.executable:
            raise ChromiumError("no chromium executable (install Debian's chromium or set CHROMIUM)")
        self.timeout = timeout
        self._id = 0
        self._buffer = b""
        self.events: list[dict] = []

    def __enter__(self) -> Chromium:
        self._profile = tempfile.TemporaryDirectory(prefix="report-checks-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self._log = open(Path(self._profile.name) / "chromium.log", "wb")

        def fds_3_and_4() -> None:  # the protocol's fixed descriptors in the child
            # Copies first: the pipe's own numbers may be 3 or 4 already, and dup2 onto itself
            # would leave the descriptor close-on-exec.
            read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._process = subprocess.Popen(
            [self.executable, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile.name}/profile",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            # Python's own descriptors are close-on-exec; dup2 makes 3 and 4 inheritable.
            preexec_fn=fds_3_and_4, close_fds=False)
        os.close(to_browser_r)
        os.close(from_browser_w)
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for method in ("Page.enable", "Network.enable", "Runtime.enable"):
            self.send(method, session=True)
        self.send("Network.setBlockedURLs", session=True,
                  urls=["http://*", "https://*", "ws://*", "wss://*", "ftp://*"])
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._process.poll() is None:
                self._write({"id": 0, "method": "Browser.close"})
                self._process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        finally:
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._log.close()
            self._profile.cleanup()

    # -- protocol
    def _write(self, message: dict) -> None:
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            chunk = os.read(self._from_browser, 1 << 20) if ready else b""
            if not chunk:
                raise ChromiumError(("timed out" if not ready else "chromium exited") + self._log_tail())
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _log_tail(self) -> str:
        self._log.flush()
        text = (Path(self._profile.name) / "chromium.log").read_text(errors="replace")
        return ": " + " | ".join(text.strip().splitlines()[-5:])

    def send(self, method: str, session: bool = False, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._write(message)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, event: str) -> dict:
        deadline = time.monotonic() + self.timeout
        for i, seen in enumerate(self.events):
            if seen["method"] == event:
                return self.events.pop(i)
        while True:
            reply = self._read(deadline)
            if reply.get("method") == event:
                return reply
            if "method" in reply:
                self.events.append(reply)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise ChromiumError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    # -- pages
    def open(self, html_path: str | Path, width: int, height: int = 900) -> Layout:
        """Load ``html_path`` in a viewport ``width`` CSS pixels wide and measure its layout."""
        self.send("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.events.clear()
        self.send("Page.navigate", session=True, url=Path(html_path).resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        measured = self.evaluate(MEASURE)
        requests = sorted({e["params"]["request"]["url"] for e in self.events
                           if e["method"] == "Network.requestWillBeSent"
                           and not e["params"]["request"]["url"].startswith(LOCAL_SCHEMES)})
        return Layout(width=width, viewport=measured["viewport"], scroll_width=measured["scrollWidth"],
                      height=measured["height"], wide=measured["wide"], clipped=measured["clipped"],
                      requests=requests, stacks=measured["stacks"])

    def screenshot(self, out_png: str | Path) -> Path:
        """The whole page as it is laid out now (its full height), as PNG."""
        metrics = self.send("Page.getLayoutMetrics", session=True)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        data = self.send("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        out = Path(out_png)
        out.write_bytes(base64.b64decode(data["data"]))
        return out


def layout(html_path: str | Path, width: int) -> Layout:
    """``html_path`` laid out by headless Chromium at ``width`` CSS pixels."""
    with Chromium() as browser:
        return browser.open(html_path, width)


def horizontal_overflow(html_path: str | Path, width: int) -> bool:
    """Whether the page is wider than a ``width``-pixel window: the document scrolls sideways
    (``scrollWidth > clientWidth``) or an element reaches past the viewport's edges. For the
    offending elements use ``layout(...).wide``."""
    return layout(html_path, width).overflows


def screenshot(html_path: str | Path, width: int, out_png: str | Path) -> Path:
    """A PNG of the whole page laid out at ``width`` CSS pixels (scale 1)."""
    with Chromium() as browser:
        browser.open(html_path, width)
        return browser.screenshot(out_png)


# --------------------------------------------------------------------------------------------
# All checks of one report


def check_report(html_path: str | Path, language: str, allow: Iterable[str] = (), *,
                 widths: Sequence[int] = (1400, 800), browser: Chromium | None = None,
                 screenshots: str | Path | None = None) -> dict[str, list[str]]:
    """Every check of ``html_path`` (a report in ``language``), as check name -> findings; a
    report passes when every list is empty. ``allow``: phrases that may stay in another language
    (study title, names, raw column names, file names). With ``browser`` (or a Chromium it
    starts) the page is also laid out at each of ``widths`` (overflow, clipped cells, requests
    to other hosts, missing glyphs of the computed font stacks) and, with ``screenshots`` (a
    folder), photographed as ``<stem>-<width>.png``."""
    path = Path(html_path)
    page = soup(path.read_text(encoding="utf-8"))
    allow = list(allow)
    text = visible_text(page, references=False)
    found = {
        "external_urls": external_urls(page),
        "nan_cells": nan_cells(page),
        "nan_text": nan_text(page),
        "index_columns": index_columns(page),
        "truncated_cells": truncated_cells(page),
        "latin_sentences": latin_sentences(text, language, allow),
        "foreign_script": foreign_script(text, language, allow),
        "foreign_headings": foreign_headings(page, language, allow),
        "missing_glyphs": missing_glyphs(visible_text(page), font_families(page)),
    }
    owned = browser is None
    chromium = Chromium() if owned else browser
    try:
        if owned:
            chromium.__enter__()
        for width in widths:
            laid_out = chromium.open(path, width)
            found[f"overflow_{width}"] = ([f"page {laid_out.scroll_width} px wide in {laid_out.viewport} px"]
                                          if laid_out.scroll_width > laid_out.viewport else []) + laid_out.wide
            found[f"clipped_{width}"] = laid_out.clipped
            found[f"requests_{width}"] = laid_out.requests
            found[f"rendered_glyphs_{width}"] = laid_out.missing_glyphs()
            if screenshots is not None:
                Path(screenshots).mkdir(parents=True, exist_ok=True)
                chromium.screenshot(Path(screenshots) / f"{path.stem}-{width}.png")
    finally:
        if owned:
            chromium.__exit__(None, None, None)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """``python tests/report_checks.py REPORT.html [--language zh] [--allow PHRASE ...]
    [--screenshots DIR]``: every check, the first findings of each; exit 1 when any."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("report")
    parser.add_argument("--language", default="en")
    parser.add_argument("--allow", nargs="*", default=[])
    parser.add_argument("--screenshots")
    parser.add_argument("--show", type=int, default=8, help="findings shown per check")
    args = parser.parse_args(argv)
    found = check_report(args.report, args.language, args.allow, screenshots=args.screenshots)
    for check, items in found.items():
        print(f"{check}: {len(items)}")
        for item in items[: args.show]:
            print(f"    {item[:200]}")
    return int(any(found.values()))


# --------------------------------------------------------------------------------------------
# Installing the browser on CI



CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK KR")


def browser_missing() -> list[str]:
    """Debian packages the browser checks need that this machine lacks: ``chromium`` when no
    Chromium is found (``CHROMIUM``, or ``chromium`` on the PATH), ``fonts-noto-cjk`` when
    fontconfig knows no Noto Sans CJK SC or KR."""
    need = [] if chromium_path() else ["chromium"]
    if not all(font_files(family) for family in CJK_FAMILIES):
        need.append("fonts-noto-cjk")
    return need


def ensure_browser() -> tuple[str | None, str]:
    """Chromium and the Noto CJK fonts, installed with apt-get when missing and we are root on
    Debian (as on CI, a fresh Debian machine; as ``tests/test_slurm.py`` does). Returns
    (chromium path, message): the path is None when they cannot be had, and the message says
    why (the skip reason)."""
    missing = browser_missing()
    if not missing:
        return chromium_path(), "installed"
    if os.name != "posix" or shutil.which("apt-get") is None or not Path("/etc/debian_version").exists():
        return None, f"needs {' and '.join(missing)} (Debian packages; no apt-get here to install them)"
    if os.geteuid() != 0:
        return None, f"needs {' and '.join(missing)} (apt-get install as root)"
    start = time.perf_counter()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]):
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
            return None, f"apt-get could not install {' '.join(missing)}: {tail}"
    font_files.cache_clear()
    if browser_missing():
        return None, f"still missing after apt-get install: {' and '.join(browser_missing())}"
    return chromium_path(), f"installed {' '.join(missing)} in {time.perf_counter() - start:.0f} s"


if __name__ == "__main__":
    raise SystemExit(main())
