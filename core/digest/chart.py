"""The digest's chart: the rate of each department as a PNG, with Chinese labels.

Matplotlib's bundled DejaVu Sans has no CJK glyphs (department names would render as
boxes), and the deployment machine gets only PyPI packages, no system fonts. The font
comes from the PyPI package `pylopdf-fonts-zh-cn`: Noto Sans SC Regular (an .otf, SIL
Open Font License 1.1). It is registered with matplotlib's font manager the first time
a chart is drawn. Without it the chart is still drawn (and a warning logged).

Drawing uses a `Figure` of its own (no pyplot, no global figure state) under a lock,
because matplotlib's font cache is not thread-safe and charts are drawn in a thread so
the bot's event loop is not blocked.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
FALLBACK_FAMILY = "DejaVu Sans"


def cjk_font_path() -> Path | None:
    """The Simplified Chinese font file shipped by the `pylopdf-fonts-zh-cn` package."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


@cache
def register_cjk_font() -> str | None:
    """Add the CJK font to matplotlib once; its family name (None when it is missing)."""
    from matplotlib import font_manager

    path = cjk_font_path()
    if path is None:
        log.warning("no CJK font found (install pylopdf-fonts-zh-cn): chart labels may be boxes")
        return None
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def font_families() -> list[str]:
    family = register_cjk_font()
    return [family, FALLBACK_FAMILY] if family else [FALLBACK_FAMILY]


@dataclass(frozen=True)
class Bar:
    label: str
    done: int
    total: int

    @property
    def rate(self) -> float:
        return self.done / self.total if self.total else 0.0


def build_figure(bars: Sequence[Bar], *, title: str, axis_label: str) -> Figure:
    """A horizontal bar per department, in the order given (the document's order)."""
    from matplotlib.figure import Figure

    families = font_families()
    height = max(3.0, 0.36 * len(bars) + 1.5)
    figure = Figure(figsize=(8.0, height), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(bars)))[::-1]  # the first department at the top
    rates = [bar.rate * 100 for bar in bars]
    axes.barh(positions, rates, color="#3a7d44", height=0.62)
    axes.set_yticks(positions, [bar.label for bar in bars], family=families, fontsize=10)
    axes.set_xlim(0, 112)
    axes.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100"], family=families)
    axes.set_xlabel(axis_label, family=families)
    axes.set_title(title, family=families, fontsize=13)
    for position, bar, rate in zip(positions, bars, rates, strict=True):
        axes.text(
            rate + 1,
            position,
            f"{rate:.1f}% ({bar.done}/{bar.total})",
            va="center",
            fontsize=8,
            family=families,
        )
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", alpha=0.3)
    return figure


def render_chart(bars: Sequence[Bar], *, title: str, axis_label: str) -> bytes:
    """The chart as PNG bytes (call it in a thread: drawing takes a few hundred ms)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with _LOCK:
        figure = build_figure(bars, title=title, axis_label=axis_label)
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
