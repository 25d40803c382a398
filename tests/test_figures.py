"""Which figures a study gets, and the drawing functions the example study does not reach."""

import numpy as np
import pandas as pd
import pytest

from servqual import plots
from servqual.figures import ALWAYS, figure_names
from servqual.gaps import zone_of_tolerance
from servqual.instrument import instrument_from_config

INSTRUMENT = {
    "scale": {"min": 1, "max": 7},
    "dimensions": [{"id": "a"}, {"id": "b"}],
    "items": [{"id": f"q{j}", "dimension": "ab"[j % 2]} for j in range(4)],
}


@pytest.mark.parametrize(
    ("measures", "options", "extra"),
    [
        ({"expectation": {"pattern": "E{index}"}, "perception": {"pattern": "P{index}"}},
         {"segments": True, "ipa": True}, ["item_gaps", "ipa", "ipa_items", "segments"]),
        ({"perception": {"pattern": "P{index}"}}, {"segments": False, "ipa": False}, []),
        ({"adequate": {"pattern": "A{index}"}, "desired": {"pattern": "D{index}"}, "perception": {"pattern": "P{index}"}},
         {"segments": False, "ipa": True}, ["ipa", "ipa_items", "zone_of_tolerance"]),
        ({"perception": {"pattern": "P{index}"}}, {"segments": False, "ipa": False, "structural": True}, ["path_diagram"]),
    ],
    ids=["servqual", "servperf", "three-column", "with-outcomes"],
)
def test_figure_set_follows_the_study_definition(measures, options, extra):
    assert figure_names(instrument_from_config(INSTRUMENT, measures), **options) == ALWAYS + extra


def test_zone_of_tolerance_chart_is_written_as_a_reproducible_png(tmp_path):
    rng = np.random.default_rng(1)
    items = ["q0", "q1", "q2", "q3"]
    dims = dict(zip(items, "abab"))
    adequate = pd.DataFrame(rng.integers(2, 5, (60, 4)), columns=items).astype(float)
    desired = (adequate + 2).clip(upper=7)
    perceived = pd.DataFrame(rng.integers(1, 8, (60, 4)), columns=items).astype(float)
    zone = zone_of_tolerance(adequate, desired, perceived, dims)
    rows = zone[zone["level"] == "dimension"]
    for run in ("first", "second"):
        plots.save(plots.zone_chart(rows, pd.Series(["A", "B"]), "zone"), tmp_path / run)
    assert (tmp_path / "first.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "first.png").read_bytes() == (tmp_path / "second.png").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.png", "second.png"]  # drawn once


def drawn_figure(width: float):
    fig, ax = plots.subplots(figsize=(width, 3))
    ax.plot([0, 1], [0, 1], label="line")
    ax.set_xlabel("x")
    ax.legend()
    fig.suptitle("A title")
    return fig


def test_one_pass_writes_the_picture_savefig_tight_draws_in_two(tmp_path):
    from PIL import Image

    plots.save(drawn_figure(5), tmp_path / "once")
    drawn_figure(5).savefig(tmp_path / "tight.png", dpi=plots.PNG_DPI, bbox_inches="tight")
    with Image.open(tmp_path / "once.png") as once, Image.open(tmp_path / "tight.png") as tight:
        assert once.mode == "RGB" and round(once.info["dpi"][0]) == plots.PNG_DPI
        assert abs(once.width - tight.width) <= 1 and abs(once.height - tight.height) <= 1
        size = (min(once.width, tight.width), min(once.height, tight.height))
        ours, theirs = (np.asarray(im.convert("L").crop((0, 0, *size)), dtype=float) for im in (once, tight))
    assert np.abs(ours - theirs).mean() < 3  # the same picture, give or take a pixel's shift


def test_a_wide_figure_is_drawn_as_wide_as_the_reports_show_it_and_a_text_outside_the_frame_is_kept(tmp_path):
    from PIL import Image

    plots.save(drawn_figure(16), tmp_path / "wide")
    fig = drawn_figure(5)
    fig.text(1.05, 0.5, "beyond the frame")
    plots.save(fig, tmp_path / "beyond")
    with Image.open(tmp_path / "wide.png") as wide, Image.open(tmp_path / "beyond.png") as beyond:
        assert 0.98 * plots.PNG_MAX_WIDTH <= wide.width <= plots.PNG_MAX_WIDTH
        assert beyond.width > 5.5 * plots.PNG_DPI


def test_png_bytes_holds_the_picture_and_its_resolution():
    from io import BytesIO

    from PIL import Image

    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    with Image.open(BytesIO(plots.png_bytes(rgb, 150))) as image:
        assert image.mode == "RGB" and np.array_equal(np.asarray(image), rgb)
        assert [round(v) for v in image.info["dpi"]] == [150, 150]


# -- Figures in the study's language: labels, fonts, no missing glyph ----------------------------

import logging  # noqa: E402
import re  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import yaml  # noqa: E402

from servqual import fonts  # noqa: E402
from servqual.figures import quadrant_name, wave_figures  # noqa: E402
from servqual.i18n import LANGUAGES, catalogue  # noqa: E402
from servqual.labels import dimension_labels, item_labels, outcome_labels, segment_labels  # noqa: E402
from servqual.priorities import QUADRANTS, importance_performance  # noqa: E402

EXAMPLE = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text(encoding="utf-8"))
# Korean labels of the example's dimensions and a few items (the rest fall back to another language).
KOREAN = {
    "tangibles": "유형성", "reliability": "신뢰성", "responsiveness": "대응성", "assurance": "확신성", "empathy": "공감성",
    "tan1": "영업점은 최신 설비를 갖추고 있다.", "rel1": "영업점은 약속한 시간까지 일을 처리한다.",
    "res2": "직원은 신속한 서비스를 제공한다.", "emp5": "직원은 나의 구체적인 요구를 이해한다.",
}


def example_instrument(language: str) -> dict:
    """The example study's instrument, with Korean labels added for ko."""
    instrument = yaml.safe_load(yaml.safe_dump(EXAMPLE["instrument"], allow_unicode=True))
    if language == "ko":
        for dimension in instrument["dimensions"]:
            dimension["label"]["ko"] = KOREAN[dimension["id"]]
        for item in instrument["items"]:
            if item["id"] in KOREAN:
                item["text"]["ko"] = KOREAN[item["id"]]
    return instrument


SEGMENTS = ["branch", {"column": "Kundentyp", "label": "customer_type", "title": {"zh": "客户类型", "ko": "고객 유형"}}]


def wave_tables(instrument: dict, seed: int = 3) -> dict[str, pd.DataFrame]:
    """Tables of one wave, shaped as the analysis steps write them, from random answers."""
    rng = np.random.default_rng(seed)
    items = [i["id"] for i in instrument["items"]]
    dims = {i["id"]: i["dimension"] for i in instrument["items"]}
    dim_ids = [d["id"] for d in instrument["dimensions"]]
    descriptives = []
    for measure in ("expectation", "perception", "gap"):
        for level, keys in (("dimension", dim_ids), ("item", items)):
            mean = rng.uniform(4, 6.5, len(keys)) - (5 if measure == "gap" else 0)
            descriptives.append(pd.DataFrame({
                "level": level, "measure": measure, "dimension": [k if level == "dimension" else dims[k] for k in keys],
                "item": keys if level == "item" else "", "mean": mean, "ci_low": mean - 0.1, "ci_high": mean + 0.1,
                "confidence": 0.95}))
    perceptions = pd.DataFrame(rng.integers(1, 8, (80, len(items))), columns=items).astype(float)
    points = pd.DataFrame(rng.dirichlet(np.ones(len(dim_ids)), 80) * 100, columns=dim_ids)
    reliability = pd.concat([pd.DataFrame({"measure": m, "dimension": [dims[i] for i in items], "item": items,
                                           "item_rest_r": rng.uniform(-0.1, 0.8, len(items))})
                             for m in ("expectation", "perception")])
    parallel = pd.concat([pd.DataFrame({
        "measure": m, "position": np.arange(1, 9), "observed_pc": np.linspace(6, 0.3, 8), "simulated_pc": np.linspace(1.5, 0.7, 8),
        "observed_fa": np.linspace(5.5, -0.2, 8), "simulated_fa": np.linspace(0.6, -0.2, 8),
        "rule": "95th percentile of 100 simulations", "n_iter": 100, "retained_fa": [True] * 5 + [False] * 3})
        for m in ("expectation", "perception")])
    loadings = pd.concat([pd.DataFrame({"measure": m, "item": item, "factor": [f"MR{k + 1}" for k in range(len(dim_ids))],
                                        "loading": rng.uniform(-0.2, 0.9, len(dim_ids)), "factor_label": dim_ids})
                          for m in ("expectation", "perception") for item in items])
    gaps = pd.DataFrame({"item": items, "gap": rng.uniform(-1.5, 0.3, len(items))}).assign(
        gap_ci_low=lambda d: d["gap"] - 0.2, gap_ci_high=lambda d: d["gap"] + 0.2, confidence=0.95)
    segments = pd.concat([pd.DataFrame({"segment": segment, "level_value": level, "target": [*dim_ids, "servqual"],
                                        "mean": rng.uniform(-1.5, 0.3, len(dim_ids) + 1), "tested": level != "small",
                                        "confidence": 0.95})
                          for segment, levels in (("branch", ["Airport", "Central", "small"]),
                                                  ("customer_type", ["business", "individual and family accounts"]))
                          for level in levels]).assign(ci_low=lambda d: d["mean"] - 0.3, ci_high=lambda d: d["mean"] + 0.3)
    predictors = [*dim_ids, "overall"]
    sem_paths = pd.DataFrame({
        "outcome": ["overall"] * len(dim_ids) + ["return_visit"] * len(predictors), "predictor": dim_ids + predictors,
        "std_all": rng.uniform(-0.2, 0.6, len(dim_ids) + len(predictors)),
        "pvalue": rng.uniform(0, 0.2, len(dim_ids) + len(predictors)),
        "r2": [0.6] * len(dim_ids) + [0.4] * len(predictors)})
    summary = pd.DataFrame({"step": ["read", "excluded", "excluded", "excluded", "kept"],
                            "rule": ["rows read", "duplicate_id", "attention_check", "long_string", "respondents kept"],
                            "n": [100, 3, 5, 2, 90]})
    return {
        "descriptives": pd.concat(descriptives, ignore_index=True), "item_reliability": reliability,
        "parallel_analysis": parallel, "efa_loadings": loadings, "gaps_items": gaps, "segments": segments,
        "ipa": importance_performance(perceptions, dims, importance=points), "cleaning_summary": summary,
        "sem_fit": pd.DataFrame({"status": ["ok"], "mediator": ["overall"]}), "sem_paths": sem_paths,
    }


NAMES = ["cleaning_flow", "dimension_means", "snake_plot", "radar", "item_rest", "parallel_analysis", "efa_loadings",
         "item_gaps", "ipa", "ipa_items", "segments", "path_diagram"]
OUTCOMES = [{"id": "return_visit", "label": {"en": "intention to return", "zh": "再次光顾意愿", "ko": "재방문 의향"}}]


def draw(language: str) -> dict[str, plt.Figure]:
    instrument = example_instrument(language)
    return wave_figures(wave_tables(instrument), NAMES, dimension_labels(instrument, language),
                        item_labels(instrument, language), "w1", language=language,
                        segment_labels=segment_labels(SEGMENTS, language),
                        outcome_labels=outcome_labels(OUTCOMES, language))


def shown(fig: plt.Figure) -> list[str]:
    return [t.get_text() for t in fonts.figure_texts(fig)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_figures_draw_without_missing_glyph_or_font_warnings(language, tmp_path, caplog):
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("always")
        for name, fig in draw(language).items():
            plots.save(fig, tmp_path / name)
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if re.search(r"Glyph \d+|missing from font|findfont", m)]
    assert len(list(tmp_path.glob("*.png"))) == len(NAMES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_character_of_every_figure_has_a_glyph(language):
    for name, fig in draw(language).items():
        texts = shown(fig)
        families = fonts.apply(fig)
        assert fonts.uncovered(texts, families) == set(), name
        if language == "en":
            assert families == [fonts.LATIN]
        plt.close(fig)


@pytest.mark.parametrize("language", ["zh", "ko"])
def test_the_example_studys_texts_have_a_font_in_chinese_and_korean(language):
    instrument = example_instrument(language)
    texts = [*catalogue(language).values(), *dimension_labels(instrument, language).values(),
             *item_labels(instrument, language).values()]
    families = fonts.families_for(texts)
    assert families[0] != fonts.LATIN
    assert fonts.uncovered(texts, families) == set()


def test_english_figures_never_look_for_cjk_fonts(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("looked for CJK fonts")

    monkeypatch.setattr(fonts, "_fontconfig_cjk_files", forbidden)
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ())
    for fig in draw("en").values():
        assert fonts.apply(fig) == [fonts.LATIN]
        plt.close(fig)


def test_readers_see_no_identifiers():
    """No snake_case names (customer_type, duplicate_id, importance_kind) in any English figure."""
    for name, fig in draw("en").items():
        assert not [t for t in shown(fig) if re.search(r"[a-z]_[a-z]", t)], name
        plt.close(fig)


def test_quadrants_are_named_inside_the_grid_in_the_same_colour_in_every_figure():
    figures = draw("zh")
    for name in ("ipa", "ipa_items"):
        ax = figures[name].axes[0]
        names = {t.get_text(): t for t in ax.texts}
        for quadrant, colour in plots.QUADRANT_COLOURS.items():
            label = names[quadrant_name(quadrant, "zh")]
            assert matplotlib.colors.same_color(label.get_color(), colour)
        points = ax.collections[-1].get_facecolors()
        table = wave_tables(example_instrument("zh"))["ipa"]
        rows = table[table["level"] == ("dimension" if name == "ipa" else "item")]
        for point, quadrant in zip(points, rows["quadrant"]):
            assert matplotlib.colors.same_color(point, plots.QUADRANT_COLOURS[quadrant])
    plt.close("all")


def test_every_quadrant_key_of_the_tables_has_a_name_in_every_language():
    for language in LANGUAGES:
        names = {quadrant_name(q, language) for q in QUADRANTS.values()}
        assert len(names) == 4
        assert not names & set(QUADRANTS.values()), "a table key shown as it is"
    assert quadrant_name("concentrate here", "en") == "Concentrate here"


def test_item_grid_names_the_importance_it_uses():
    rng = np.random.default_rng(5)
    perceptions = pd.DataFrame(rng.integers(1, 8, (60, 4)), columns=["q0", "q1", "q2", "q3"]).astype(float)
    dims = dict(zip(perceptions.columns, "abab"))
    rated = pd.DataFrame(rng.integers(1, 8, (60, 4)), columns=perceptions.columns).astype(float)
    ipa = importance_performance(perceptions, dims, item_importance=rated)
    items = ipa[ipa["level"] == "item"]
    fig = plots.ipa_grid(items, items["item"], "t", key=pd.Series({"q0": "zero", "q1": "one", "q2": "two", "q3": "three"}))
    assert fig.axes[0].get_ylabel() == "Importance (mean importance rating)"
    # Each item at its own rated importance, not its dimension's.
    assert items["importance"].nunique() == 4
    assert not [t for t in shown(fig) if "share its importance" in t]
    plt.close(fig)


def test_legends_cover_neither_titles_nor_data():
    figures = draw("en")
    for name in ("dimension_means", "segments", "parallel_analysis", "radar"):
        fig = figures[name]
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        titles = [fig._suptitle, *[ax.title for ax in fig.axes]]
        legends = [*fig.legends, *[ax.get_legend() for ax in fig.axes if ax.get_legend()]]
        assert legends, name
        for legend in legends:
            box = legend.get_window_extent(renderer)
            assert not [t for t in titles if t and t.get_text() and box.overlaps(t.get_window_extent(renderer))], name
            assert not [ax for ax in fig.axes if ax.name != "polar" and box.overlaps(ax.get_window_extent(renderer))
                        and legend.axes is not None and legend.axes is not ax], name
    plt.close("all")


@pytest.mark.parametrize(
    ("label", "width"),
    [("responsiveness", 12), ("The hall's physical facilities are visually appealing.", 18),
     ("营业厅承诺在某时间内完成的事情能按时做到。", 10), ("영업점은 약속한 시간까지 일을 처리한다.", 12),
     ("individual and family accounts", 18)],
)
def test_labels_wrap_between_words_never_inside_one(label, width):
    lines = plots.wrap(label, width).split("\n")
    assert "".join("".join(lines).split()) == "".join(label.split())
    words = set(label.split())
    for line in lines:
        if " " in label and not re.search(r"[\u4e00-\u9fff]", label):
            assert set(line.split()) <= words
    assert not [line for line in lines if line[:1] in "，。、）"]


def test_missing_fonts_are_named_once_with_the_package_to_install(monkeypatch, caplog):
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Sans",))
    monkeypatch.setattr(fonts, "PREFERRED", {"zh": (), "ko": (), "ja": ()})
    monkeypatch.setattr(fonts, "refresh_cache", lambda: False)
    monkeypatch.setattr(fonts, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="servqual.fonts"):
        for _ in range(3):
            assert fonts.families_for(["有形性"]) == [fonts.LATIN]
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and "apt-get install fonts-noto-cjk" in warned[0]


def test_font_cache_is_rebuilt_once_when_fontconfig_knows_a_cjk_font_matplotlib_lacks(monkeypatch):
    from matplotlib import font_manager

    rebuilt = []
    monkeypatch.setattr(fonts, "_refreshed", False)
    monkeypatch.setattr(fonts, "_fontconfig_cjk_files", lambda: {"/fonts/NewCJK-Regular.otf"})
    monkeypatch.setattr(font_manager, "_load_fontmanager", lambda **kw: rebuilt.append(kw) or font_manager.fontManager)
    assert fonts.refresh_cache() is True
    assert fonts.refresh_cache() is False
    assert rebuilt == [{"try_read_cache": False}]


def test_the_path_diagram_names_the_outcomes_in_the_studys_words_and_draws_nothing_of_an_improper_model():
    tables = wave_tables(example_instrument("en"))
    labels = dimension_labels(example_instrument("en"), "en")
    fig = draw("en")["path_diagram"]
    boxes = [" ".join(t.split()) for t in shown(fig)]
    assert "Overall satisfaction R² = .600" in boxes and "Intention to return R² = .400" in boxes
    plt.close(fig)
    tables["sem_fit"] = pd.DataFrame({"status": ["not_converged"], "mediator": ["overall"]})
    fig = wave_figures(tables, ["path_diagram"], labels, {}, "w1")["path_diagram"]
    assert not [c for c in fig.axes[0].get_children() if isinstance(c, matplotlib.text.Annotation)]
    plt.close(fig)
