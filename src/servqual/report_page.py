"""The HTML page of a report: title, table of contents, numbered sections, one style sheet, no
external resource.

A report notebook displays HTML fragments (headings from :class:`Outline`, paragraphs, APA tables,
figures from :func:`figure_html`); :func:`assemble` joins the fragments of the executed notebook
into one self-contained page. Everything the page needs is inside it: the style sheet inline, the
figures as ``data:`` URIs, no script, and fonts from the reader's own machine, so it opens offline
and tells no third party that it was opened. A print style sheet makes it print to PDF with the
contents on the first page and each section on a new page.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from servqual.i18n import Messages

_HEADING = re.compile(r'<h([23]) id="([^"]+)"><span class="num">([^<]*)</span>(.*?)</h\1>', re.S)


class Outline:
    """Numbers the sections and subsections of a report as the notebook displays them.

    >>> outline = Outline()
    >>> outline.section("gaps", "Gaps")
    '<h2 id="gaps"><span class="num">1</span>Gaps</h2>'
    >>> outline.subsection("zone", "Zone of tolerance")
    '<h3 id="gaps-zone"><span class="num">1.1</span>Zone of tolerance</h3>'
    """

    def __init__(self) -> None:
        self._section = 0
        self._subsection = 0
        self._current = ""

    def section(self, key: str, title: str) -> str:
        self._section += 1
        self._subsection = 0
        self._current = key
        return f'<h2 id="{key}"><span class="num">{self._section}</span>{html.escape(title)}</h2>'

    def subsection(self, key: str, title: str) -> str:
        self._subsection += 1
        anchor = f"{self._current}-{key}"
        number = f"{self._section}.{self._subsection}"
        return f'<h3 id="{anchor}"><span class="num">{number}</span>{html.escape(title)}</h3>'


def figure_html(path: str | Path, caption: str, alt: str | None = None) -> str:
    """A PNG figure inlined as a ``data:`` URI with its caption; nothing where the step drew none
    (the step draws only the figures its tables support)."""
    path = Path(path)
    if not path.exists():
        return ""
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{html.escape(alt or caption, quote=True)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def style_sheet() -> str:
    """The report's style sheet (screen and print)."""
    return (resources.files("servqual") / "assets" / "report.css").read_text(encoding="utf-8")


def table_of_contents(body: str, messages: Messages) -> str:
    """The contents list, built from the numbered headings of ``body``."""
    items: list[str] = []
    open_sub = False
    for level, anchor, number, title in _HEADING.findall(body):
        link = f'<a href="#{anchor}">{number} {title}</a>'
        if level == "2":
            if open_sub:
                items.append("</ol></li>")
                open_sub = False
            elif items:
                items.append("</li>")
            items.append(f"<li>{link}")
        else:
            items.append(("" if open_sub else "<ol>") + f"<li>{link}</li>")
            open_sub = True
    if items:
        items.append("</ol></li>" if open_sub else "</li>")
    return f'<nav class="toc"><h2>{html.escape(messages("report.contents"))}</h2><ol>{"".join(items)}</ol></nav>'


def assemble(fragments: Iterable[str], *, title: str, subtitle: str, messages: Messages) -> str:
    """One self-contained HTML page from a report's fragments, in the report's language; the
    contents follow the summary where the first fragment is one.

    >>> page = assemble(['<h2 id="a"><span class="num">1</span>Gaps</h2><p>x</p>'], title="Study",
    ...                 subtitle="Wave 1", messages=Messages("en"))
    >>> '<html lang="en">' in page, '<a href="#a">1 Gaps</a>' in page, "http" in page
    (True, True, False)
    """
    fragments = list(fragments)
    body = "\n".join(fragments)
    # A manager reads the summary first: the contents follow it.
    leading = 1 if fragments and fragments[0].startswith('<section class="summary">') else 0
    summary, rest = "\n".join(fragments[:leading]), "\n".join(fragments[leading:])
    return (
        f'<!DOCTYPE html>\n<html lang="{messages.language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)} · {html.escape(subtitle)}</title>\n<style>\n{style_sheet()}</style>\n</head>\n"
        f'<body>\n<main>\n<header class="title"><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>\n'
        f"{summary}{table_of_contents(body, messages)}\n{rest}\n</main>\n</body>\n</html>\n"
    )


#: MIME type of the page's title and subtitle, which a report notebook displays first.
PAGE_MIME = "application/vnd.servqual.page+json"


def page_header(title: str, subtitle: str) -> dict[str, dict[str, str]]:
    """What a notebook displays (``display(page_header(...), raw=True)``) to title its page."""
    return {PAGE_MIME: {"title": title, "subtitle": subtitle}}


def notebook_page(notebook: dict, messages: Messages) -> str:
    """The page of an executed report notebook: its title output, then its HTML fragments."""
    heads = [o["data"][PAGE_MIME] for c in notebook.get("cells", []) for o in c.get("outputs", [])
             if PAGE_MIME in o.get("data", {})]
    if not heads:
        raise ValueError("The report notebook displayed no page title (servqual.report_page.page_header).")
    return assemble(notebook_fragments(notebook), title=heads[0]["title"], subtitle=heads[0]["subtitle"],
                    messages=messages)


def notebook_fragments(notebook: dict) -> list[str]:
    """The HTML outputs of an executed notebook, in order (everything else it printed is in its log)."""
    fragments = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                value = data["text/html"]
                fragments.append("".join(value) if isinstance(value, list) else value)
    return fragments
