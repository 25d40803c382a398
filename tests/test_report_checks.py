"""The checks of rendered reports (tests/report_checks.py): each one catches a bad synthetic page
and passes a good one; the browser checks lay out and photograph a page of Chinese and Korean
text at 1400 and 800 pixels. The browser tests need Chromium and the Noto CJK fonts (the
``browser`` fixture installs them as root on Debian, else skips with the reason printed)."""

from __future__ import annotations

import pandas as pd
import pytest

import report_checks as rc

GOOD_STYLE = """
  :root { --body: "Noto Sans CJK SC", "Noto Sans CJK KR", "DejaVu Sans", sans-serif; }
  body { font-family: var(--body); margin: 0 auto; max-width: 60rem; padding: 0 1rem; }
  table { border-collapse: collapse; max-width: 100%; }
  td, th { padding: 0.2rem 0.5rem; overflow-wrap: anywhere; }
"""

ZH_KO_PAGE = f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>报告</title><style>{GOOD_STYLE}</style></head>
<body>
<h1>营业厅服务质量研究 · 매장 서비스 품질 조사</h1>
<h2>信度</h2>
<p>感知量表的内部一致性良好（Cronbach α = 0.92，95% CI [0.91, 0.93]；McDonald ω = 0.92）。
验证性因子分析拟合良好：CFI = 0.991，TLI = 0.989，RMSEA = 0.022，SRMR = 0.034。</p>
<h2>신뢰도</h2>
<p>지각 척도의 내적 일관성은 양호하다(Cronbach α = 0.92, 95% CI [0.91, 0.93]). 확인적 요인분석의
적합도도 양호하다: CFI = 0.991, TLI = 0.989, RMSEA = 0.022, SRMR = 0.034. 확신성 격차는
−0.33(p &lt; .001)이다.</p>
<table>
  <caption>维度差距 / 차원별 격차</caption>
  <thead><tr><th scope="col">维度 차원</th><th scope="col">期望 기대</th><th scope="col">感知 지각</th>
  <th scope="col">差距 격차</th></tr></thead>
  <tbody>
    <tr><th scope="row">有形性 유형성</th><td>5.23</td><td>5.27</td><td>0.04</td></tr>
    <tr><th scope="row">可靠性 신뢰성</th><td>6.28</td><td>5.30</td><td>−0.98</td></tr>
    <tr><th scope="row">保证性 확신성</th><td>5.94</td><td>5.61</td><td>—</td></tr>
  </tbody>
</table>
<p><img alt="差距图" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
 width="1" height="1"> <a href="#信度">↑</a></p>
<h2>参考文献</h2>
<ul><li>Parasuraman, A., Zeithaml, V. A., &amp; Berry, L. L. (1988). SERVQUAL: A multiple-item scale
for measuring consumer perceptions of service quality. Journal of Retailing, 64(1), 12–40.
https://doi.org/10.1016/0022-4359(88)90031-9</li></ul>
</body></html>
"""


# ------------------------------------------------------------------------------------------
# External URLs


@pytest.mark.parametrize("bad, where", [
    ('<script src="https://cdn.example.org/require.js"></script>', "script src"),
    ('<link rel="stylesheet" href="http://fonts.example.org/css?family=Noto">', "link href"),
    ('<link rel="preconnect" href="//fonts.example.org">', "link href"),
    ('<img alt="x" src="data:image/png;base64,AA" srcset="https://img.example.org/a.png 2x">', "img srcset"),
    ('<style>body { background: url("//img.example.org/bg.png") }</style>', "style"),
    ("<style>@import 'https://fonts.example.org/noto.css';</style>", "style"),
    ('<div style="background-image: url(https://img.example.org/a.png)">x</div>', "div style"),
    ('<iframe src="https://maps.example.org/embed"></iframe>', "iframe src"),
    ('<svg><image xlink:href="https://img.example.org/a.png"/></svg>', "image xlink:href"),
    ('<meta http-equiv="refresh" content="0; url=https://example.org/">', "meta refresh"),
    ('<script type="module">import m from "https://cdn.example.org/mermaid.mjs";</script>', "script text"),
    ('<a href="https://doi.org/10.1016/0022-4359(88)90031-9">doi</a>', "a href"),
])
def test_external_urls_finds_every_reference_to_another_host(bad, where):
    found = rc.external_urls(f"<html><body><p>ok</p>{bad}</body></html>")
    assert len(found) == 1 and found[0].startswith(where), found


def test_external_urls_passes_a_self_contained_page_with_a_doi_in_its_references():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           '<use xlink:href="#dot"/></svg>')
    assert rc.external_urls(ZH_KO_PAGE + svg) == []
    # A clickable link is navigation, not a resource: allowed on request.
    assert rc.external_urls('<a href="https://doi.org/10.1/x">doi</a>', links=False) == []


# ------------------------------------------------------------------------------------------
# Table cells

def test_nan_cells_finds_missing_values_as_pandas_prints_them():
    frame = pd.DataFrame({"gap": [0.1, float("nan")], "when": [pd.Timestamp("2026-03-02"), pd.NaT],
                          "n": pd.array([3, None], dtype="Int64"), "note": ["Nan Yang", None]})
    found = rc.nan_cells(frame.to_html(index=False))
    assert found == ["table 1, row 3: NaN", "table 1, row 3: NaT", "table 1, row 3: <NA>",
                     "table 1, row 3: NaN"]
    printed = "<table><tr><td>None</td><td>inf</td><td>-inf</td><td>null</td><td>None of them</td></tr></table>"
    assert rc.nan_cells(printed) == ["table 1, row 1: None", "table 1, row 1: inf", "table 1, row 1: -inf",
                                     "table 1, row 1: null"]
    assert rc.nan_cells(frame.style.format(na_rep="—").hide(axis="index").to_html()) == []
    assert rc.nan_text("<p>The mean gap was nan.</p><table><tr><td>—</td></tr></table>") == [
        "The mean gap was nan."]
    assert rc.nan_cells(ZH_KO_PAGE) == [] and rc.nan_text(ZH_KO_PAGE) == []


def test_index_columns_finds_a_pandas_index_and_passes_row_headers_made_on_purpose():
    frame = pd.DataFrame({"gap": [0.1, -0.9, 0.2], "n": [360, 361, 359]})
    assert rc.index_columns(frame.to_html()), "DataFrame.to_html with its RangeIndex"
    assert rc.index_columns(frame.style.to_html()), "Styler with its index"
    named = frame.set_index(pd.Index(["tan", "rel", "res"], name="dimension"))
    assert any("index names" in f for f in rc.index_columns(named.to_html()))
    assert any("Unnamed: 0" in f for f in rc.index_columns(
        pd.read_csv(__import__("io").StringIO(frame.to_csv())).to_html(index=False)))
    assert any("row numbers" in f for f in rc.index_columns(frame.reset_index().to_html(index=False)))
    assert rc.index_columns(frame.to_html(index=False)) == []
    assert rc.index_columns(frame.style.hide(axis="index").to_html()) == []
    assert rc.index_columns(ZH_KO_PAGE) == []  # <th scope="row"> with a header above it


def test_truncated_cells_finds_elided_rows_cut_texts_and_pandas_footers():
    long = pd.DataFrame({"item": [f"tan{i}" for i in range(40)], "mean": range(40)})
    assert rc.truncated_cells(long.to_html(max_rows=6, index=False))[0] == "table 1, row 5: ..."
    assert rc.truncated_cells(long.to_html(max_rows=6, index=False, show_dimensions=True))[-1] == (
        "text: 40 rows × 2 columns")
    cut = "<table><tr><td>E_rel5 (1), E_emp4 (1), P_res2 (1)…</td></tr></table>"
    assert rc.truncated_cells(cut) == ["table 1, row 1: E_rel5 (1), E_emp4 (1), P_res2 (1)…"]
    whole = "<table><tr><td>1 ... 7 (scale)</td><td>5.2</td></tr></table><p>Wait...</p>"
    assert rc.truncated_cells(whole) == [] and rc.truncated_cells(ZH_KO_PAGE) == []


# ------------------------------------------------------------------------------------------
# Language

@pytest.mark.parametrize("language, sentence", [
    ("zh", "感知量表的内部一致性良好（Cronbach α = 0.92，95% CI [0.91, 0.93]；McDonald ω = 0.92）。"),
    ("zh", "验证性因子分析拟合良好：CFI = 0.991，TLI = 0.989，RMSEA = 0.022，SRMR = 0.034。"),
    ("zh", "Wilcoxon 符号秩检验（Holm 校正）：保证性差距 −0.33，p < .001，n = 367。"),
    ("zh", "SERVQUAL 与 SERVPERF 的对比见 reports/wave1/tables/gaps.csv（tan1–tan4）。"),
    ("zh", "顾客说：“The queue was far too long today, nobody helped us.”"),
    ("ko", "지각 척도의 내적 일관성은 양호하다(Cronbach α = 0.92, 95% CI [0.91, 0.93])."),
    ("ko", "확인적 요인분석 적합도: CFI = 0.991, TLI = 0.989, RMSEA = 0.022, SRMR = 0.034."),
    ("ko", "확신성 격차는 −0.33(p < .001, n = 367)이며 HTMT와 AVE 기준을 충족한다."),
    ("ko", "IPA 사분면에서 대응성은 ‘집중 개선’ 영역에 있다(oblimin 회전, minres 추정)."),
])
def test_latin_sentences_passes_chinese_and_korean_sentences_with_symbols(language, sentence):
    assert rc.latin_sentences(sentence, language) == []


@pytest.mark.parametrize("language, sentence, found", [
    ("zh", "保证性差距为 -0.33, which is larger than expected。", "which is larger than expected"),
    ("zh", "可靠性：Reliability of the whole perception scale: alpha 0.92 [0.91, 0.93]。",
     "Reliability of the whole perception scale"),
    ("zh", "The mean gap was -0.52 for tangibles", "The mean gap was -0.52 for tangibles"),
    ("ko", "대응성 격차: values outside the scale set missing (8).", "values outside the scale set missing"),
    ("ko", "요약\nWhat to fix first, by the shortfall of perceptions", "What to fix first, by the shortfall of perceptions"),
])
def test_latin_sentences_finds_english_in_chinese_and_korean_text(language, sentence, found):
    assert rc.latin_sentences(sentence, language) == [found]


def test_latin_sentences_allows_names_the_caller_lists_and_reference_lists():
    title = "Telecom service hall service-quality study"
    assert rc.latin_sentences(f"{title} 第一轮调查报告", "zh") == [title]
    assert rc.latin_sentences(f"{title} 第一轮调查报告", "zh", allow=[title]) == []
    assert rc.latin_sentences("Parasuraman, Zeithaml and Berry 提出的模型", "zh",
                              allow=["Parasuraman", "Zeithaml", "Berry"]) == []
    text = rc.visible_text(ZH_KO_PAGE, references=False)
    assert "Journal of Retailing" not in text and "有形性" in text
    assert rc.latin_sentences(text, "zh") == [] and rc.latin_sentences(text, "ko") == []
    assert rc.latin_sentences("The mean gap was large.", "en") == []
    # An allowed name is a whole word: "Berry" does not allow "Berryman".
    assert rc.latin_sentences("Berryman and Smith wrote, after Berry, 一文", "zh", allow=["Berry"]) == [
        "Berryman and Smith wrote, after"]


def test_reference_lists_end_at_the_next_heading_also_across_notebook_cells():
    cells = ('<div class="cell"><div class="md"><h2>References<a class="anchor-link" href="#r">¶</a></h2>'
             '<ul><li>Zeithaml, V. A. (1988). Consumer perceptions of price, quality, and value.</li></ul>'
             '</div></div><div class="cell"><div class="md"><p>Horn, J. L. (1965). A rationale and test.</p>'
             '</div></div><div class="cell"><div class="md"><h2>Provenance</h2><p>Made by the pipeline.</p>'
             '</div></div>')
    text = rc.visible_text(cells, references=False)
    assert text.splitlines() == ["References", "Provenance", "Made by the pipeline."]  # the heading stays
    marked = '<section id="references"><p>Berry, L. L. (1995). On great service.</p></section><p>正文</p>'
    assert rc.visible_text(marked, references=False) == "正文"


def test_foreign_headings_and_script():
    zh = "<h2>信度 Reliability</h2><table><tr><th>item</th><th>Cronbach α</th><th>tan1</th><th>n</th></tr></table>"
    assert rc.foreign_headings(zh, "zh") == ["h2: 信度 Reliability", "th: item"]
    ko = "<h2>신뢰도</h2><table><tr><th>营业厅</th><th>평균</th></tr></table>"
    assert rc.foreign_headings(ko, "ko") == ["th: 营业厅"]
    assert rc.foreign_headings("<h2>Reliability</h2><table><tr><th>维度</th></tr></table>", "en") == ["th: 维度"]
    assert rc.foreign_headings("<h2>信度</h2><table><tr><th>投诉编号</th></tr></table>", "en",
                               allow=["投诉编号"]) == ["h2: 信度"]
    assert rc.foreign_script("확신성\n“柜台的小姑娘态度很好”\n营业厅", "ko") == ["营业厅"]
    assert rc.foreign_headings(ZH_KO_PAGE, "zh", allow=["매장 서비스 품질 조사"]) == [
        "h2: 신뢰도", "caption: 维度差距 / 차원별 격차", "th: 维度 차원", "th: 期望 기대", "th: 感知 지각",
        "th: 差距 격차", "th: 有形性 유형성", "th: 可靠性 신뢰성", "th: 保证性 확신성"]


# ------------------------------------------------------------------------------------------
# Fonts and glyphs


@pytest.fixture(scope="module")
def cjk_fonts(browser):
    """The Noto CJK fonts (installed with the browser)."""
    return rc.CJK_FAMILIES


def test_font_families_resolves_custom_properties():
    assert rc.font_families(ZH_KO_PAGE) == ["Noto Sans CJK SC", "Noto Sans CJK KR", "DejaVu Sans", "sans-serif"]


@pytest.mark.slow
def test_missing_glyphs_finds_characters_no_named_font_has(cjk_fonts):
    text = "营业厅服务质量 매장 서비스 품질 α = 0.92 −0.33"
    assert rc.missing_glyphs(text, rc.font_families(ZH_KO_PAGE)) == []
    latin_only = rc.missing_glyphs(text, ["DejaVu Sans"])
    assert "营 U+8425 CJK UNIFIED IDEOGRAPH-8425" in latin_only
    assert any(f.startswith("매 ") for f in latin_only) and not any(f.startswith("α ") for f in latin_only)
    # An Egyptian hieroglyph and a private-use character: no font of the stack has them.
    assert rc.missing_glyphs("质量 \U00013000 \ue000", rc.font_families(ZH_KO_PAGE)) == [
        "\U00013000 U+13000 EGYPTIAN HIEROGLYPH A001", "\ue000 U+E000 ?"]
    assert rc.missing_glyphs("质量", ["No Such Font"]) == ["质 U+8D28 CJK UNIFIED IDEOGRAPH-8D28",
                                                         "量 U+91CF CJK UNIFIED IDEOGRAPH-91CF"]


# ------------------------------------------------------------------------------------------
# Browser: layout and screenshots

WIDE_PAGE = f"""<!doctype html><html lang="ko"><head><meta charset="utf-8"><style>{GOOD_STYLE}
  body {{ max-width: none }}  .wide {{ width: 1000px }}
  .fixed {{ table-layout: fixed; width: 20rem }}
  .cut {{ width: 6rem; overflow: hidden; white-space: nowrap; text-overflow: ellipsis }}</style></head>
<body><h1>신뢰도</h1><div class="wide">항목별 평균 (1000 px)</div>
<table class="fixed"><tr><th>항목</th><td class="cut">매장은 최신 설비를 갖추고 있다.</td><td>5.40</td></tr></table>
<script src="https://cdn.example.org/require.js"></script></body></html>"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    (folder / "good.html").write_text(ZH_KO_PAGE, encoding="utf-8")
    (folder / "wide.html").write_text(WIDE_PAGE, encoding="utf-8")
    return folder


@pytest.mark.slow
def test_layout_finds_a_page_wider_than_800_pixels_clipped_cells_and_requests(browser, pages):
    at_800 = browser.open(pages / "wide.html", 800)
    assert at_800.overflows and at_800.scroll_width > at_800.viewport
    assert at_800.wide[0].startswith('div.wide "항목별 평균 (1000 px)" 16..1016 px')
    assert at_800.clipped == ['td.cut "매장은 최신 설비를 갖추고 있다."']
    assert at_800.requests == ["https://cdn.example.org/require.js"]
    at_1400 = browser.open(pages / "wide.html", 1400)
    assert not at_1400.overflows and at_1400.viewport == 1400
    assert at_1400.clipped  # a cut cell stays cut however wide the window


@pytest.mark.slow
@pytest.mark.parametrize("width", [1400, 800])
def test_a_good_chinese_and_korean_page_passes_every_check_and_is_photographed(browser, pages, width,
                                                                            cjk_fonts, tmp_path_factory):
    layout = browser.open(pages / "good.html", width)
    assert not layout.overflows, layout.wide
    assert layout.clipped == [] and layout.requests == [] and layout.missing_glyphs() == []
    assert set(layout.stacks) == {'"Noto Sans CJK SC", "Noto Sans CJK KR", "DejaVu Sans", sans-serif'}
    png = browser.screenshot(tmp_path_factory.mktemp("shots") / f"good-{width}.png")
    from PIL import Image

    with Image.open(png) as image:
        assert image.size[0] == width and image.size[1] == layout.height
        colours = image.convert("L").getextrema()
    assert colours[0] < 64 and colours[1] > 192  # text drawn on the page, not a blank picture


@pytest.mark.slow
def test_check_report_runs_every_check_and_the_functions_start_their_own_browser(browser, pages, tmp_path):
    found = rc.check_report(pages / "good.html", "zh", allow=["매장 서비스 품질 조사"], browser=browser,
                            screenshots=tmp_path)
    # The good page is bilingual on purpose: only the script check speaks.
    assert {check for check, items in found.items() if items} == {"foreign_script", "foreign_headings"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good-1400.png", "good-800.png"]
    bad = rc.check_report(pages / "wide.html", "ko", widths=[800], browser=browser)
    assert bad["overflow_800"] and bad["clipped_800"] and bad["requests_800"] and bad["external_urls"]
    assert rc.horizontal_overflow(pages / "wide.html", 800) and not rc.horizontal_overflow(pages / "good.html", 800)
    assert rc.screenshot(pages / "good.html", 800, tmp_path / "own.png").stat().st_size > 1000


def test_ensure_browser_says_why_it_cannot_install(monkeypatch):
    monkeypatch.setattr(rc, "browser_missing", lambda: ["chromium", "fonts-noto-cjk"])
    monkeypatch.setattr(rc.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(rc.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(rc.Path, "exists", lambda self: True)
    assert rc.ensure_browser() == (None, "needs chromium and fonts-noto-cjk (apt-get install as root)")
    monkeypatch.setattr(rc.shutil, "which", lambda name: None)
    assert rc.ensure_browser()[1] == (
        "needs chromium and fonts-noto-cjk (Debian packages; no apt-get here to install them)")
    monkeypatch.undo()
    monkeypatch.setenv("CHROMIUM", "/nowhere/chromium")
    assert rc.chromium_path() is None


def test_nan_cells_finds_a_missing_value_in_a_caption():
    assert rc.nan_cells("<table><caption>Effects through nan</caption><tr><td>1</td></tr></table>") == [
        "table 1, caption: Effects through nan"]
