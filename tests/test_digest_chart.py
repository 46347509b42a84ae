"""The digest's chart: a PNG of sensible size whose Chinese labels are real glyphs.

Matplotlib's own DejaVu Sans has no CJK glyphs; the chart uses Noto Sans SC from the
`pylopdf-fonts-zh-cn` package. The tests check that the font each label is drawn with
is that file, that its character map has every character of every label, that drawing
the chart warns of no missing glyph, and that the glyphs carry ink unlike a missing one.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from PIL import Image

from core.assessment.campaigns import BUNDLED_DOCUMENT
from core.assessment.importer import load_document
from core.digest.chart import Bar, build_figure, cjk_font_path, register_cjk_font, render_chart

TITLE = "各部门完成率 2020-06-02"
AXIS = "完成并通过审核（%）"


def bundled_bars() -> list[Bar]:
    doc = load_document(BUNDLED_DOCUMENT.read_bytes(), BUNDLED_DOCUMENT.name)
    return [Bar(d.name, n % 5, 8 + n) for n, d in enumerate(doc.departments)]


def glyph_bitmap(path: Path | str, char: str) -> np.ndarray:
    font = FT2Font(str(path))
    font.set_size(48, 72)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing glyph warns; here that is the point
        font.set_text(char)
    font.draw_glyphs_to_bitmap()
    return np.asarray(font.get_image())


def test_the_chart_is_a_png_of_sensible_size(tmp_path: Path) -> None:
    bars = bundled_bars()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_chart(bars, title=TITLE, axis_label=AXIS)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    path = tmp_path / "chart.png"
    path.write_bytes(png)
    assert 15_000 < path.stat().st_size < 400_000
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        pixels = np.asarray(image.convert("L"))
    assert width == 800
    assert height == int((0.36 * len(bars) + 2.0) * 100)  # a bar each, and the legend
    assert (pixels < 128).mean() > 0.02  # bars and words, not an empty canvas


def test_every_label_is_drawn_with_the_cjk_font_which_has_all_its_glyphs() -> None:
    family = register_cjk_font()
    path = cjk_font_path()
    assert family == "Noto Sans SC" and path is not None and path.suffix == ".otf"
    bars = bundled_bars()
    figure = build_figure(bars, title=TITLE, axis_label=AXIS)
    axes = figure.axes[0]
    texts = [*axes.get_yticklabels(), axes.title, axes.xaxis.label]
    labels = [t.get_text() for t in texts]
    assert "区农业农村局" in labels and "市生态环境局雨花分局" in labels and TITLE in labels
    cmap = TTFont(str(path), lazy=True).getBestCmap()
    for text in texts:
        used = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        assert Path(used) == path, text.get_text()
        absent = [ch for ch in text.get_text() if ord(ch) not in cmap]
        assert absent == [], text.get_text()


def test_cjk_glyphs_have_ink_unlike_a_missing_glyph() -> None:
    path = cjk_font_path()
    assert path is not None
    missing = glyph_bitmap(path, "\U000f0000")  # a private-use character: no glyph
    characters = sorted({ch for bar in bundled_bars() for ch in bar.label} | set(TITLE))
    characters = [ch for ch in characters if not ch.isspace()]
    seen: dict[bytes, str] = {}
    for char in characters:
        bitmap = glyph_bitmap(path, char)
        assert (bitmap > 0).sum() > 20, char
        assert bitmap.shape != missing.shape or not (bitmap == missing).all(), char
        key = bitmap.tobytes() + bytes(bitmap.shape)
        assert key not in seen, f"{char} looks like {seen.get(key)}"  # no two alike: no boxes
        seen[key] = char
    # The check can fail: matplotlib's own font draws no CJK glyph at all.
    dejavu = font_manager.findfont("DejaVu Sans")
    assert (glyph_bitmap(dejavu, "区") > 0).sum() == 0


def test_the_png_bytes_open_with_matplotlib() -> None:
    from matplotlib import image as mpimg

    png = render_chart([Bar("区商务局", 1, 3)], title=TITLE, axis_label=AXIS)
    array = mpimg.imread(io.BytesIO(png), format="png")
    assert array.shape[1] == 800 and array.shape[0] == 300  # at least 3 inches high


def test_bars_are_stacked_by_state_so_an_early_year_chart_is_not_empty() -> None:
    """Nothing accepted yet, but work under way: the bar shows it (issue 12)."""
    from core.digest.chart import SEGMENT_COLOURS, SEGMENTS

    legend = {s: f"L-{s}" for s in SEGMENTS}
    bars = [
        Bar("区商务局", 0, 10, pending_review=1, in_progress=4, blocked=1),
        Bar("区公安分局", 2, 4),
    ]
    figure = build_figure(bars, title=TITLE, axis_label=AXIS, legend=legend)
    axes = figure.axes[0]
    # One collection of rectangles per state, in SEGMENTS order; the first bar on top.
    widths = {}
    for segment, collection in zip(SEGMENTS, axes.collections, strict=True):
        by_row = {}
        for path in collection.get_paths():
            box = path.get_extents()
            by_row[round((box.y0 + box.y1) / 2)] = round(box.x1 - box.x0)
        widths[segment] = [by_row.get(row, 0) for row in (1, 0)]
    assert widths == {
        "done": [0, 50],
        "pending_review": [10, 0],
        "in_progress": [40, 0],
        "blocked": [10, 0],
        "not_started": [40, 50],
    }
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [legend[s] for s in SEGMENTS]
    assert "0.0% (0/10)" in [t.get_text() for t in axes.texts]
    png = render_chart(bars, title=TITLE, axis_label=AXIS, legend=legend)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    blue = np.array([int(SEGMENT_COLOURS["in_progress"][i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels.astype(int) - blue).sum(axis=1) < 30).sum() > 500
