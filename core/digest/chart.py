"""The digest's chart: each department's items stacked by state, as a PNG, with Chinese labels.

Each bar is one department's items as shares: accepted, awaiting review, in progress,
blocked, not started (the states of `core.oversight.overview.effective_status`, in the
dashboard's colours), labelled with the accepted rate. Early in the year, when little is
accepted yet, the bars still show what is moving instead of a row of empty bars.

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
import unicodedata
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


# Segment order and colours: the dashboard's (bot/webapp/static/app.css).
SEGMENTS = ("done", "pending_review", "in_progress", "blocked", "not_started")
SEGMENT_COLOURS = {
    "done": "#2e7d32",
    "pending_review": "#8e44ad",
    "in_progress": "#1e88e5",
    "blocked": "#e65100",
    "not_started": "#b0b7c3",
}


@dataclass(frozen=True)
class Bar:
    label: str
    done: int  # accepted
    total: int
    pending_review: int = 0
    in_progress: int = 0
    blocked: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def not_started(self) -> int:
        return max(
            0, self.total - self.done - self.pending_review - self.in_progress - self.blocked
        )

    def share(self, segment: str) -> float:
        """Percent of the department's items in this state."""
        return 100 * getattr(self, segment) / self.total if self.total else 0.0


def label_inches(text: str, points: float) -> float:
    """About how wide `text` is at `points`: CJK and other wide characters take a full
    em, the rest about half of one."""
    em = points / 72
    return sum(em if unicodedata.east_asian_width(ch) in "WF" else em * 0.55 for ch in text)


def build_figure(
    bars: Sequence[Bar],
    *,
    title: str,
    axis_label: str,
    legend: dict[str, str] | None = None,
) -> Figure:
    """A horizontal bar per department, in the order given, stacked by state; `legend`
    names the states (SEGMENTS) in the reader's language."""
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    families = font_families()
    height = max(3.0, 0.36 * len(bars) + 2.0)
    figure = Figure(figsize=(8.0, height), dpi=100)
    # Margins in inches, set here rather than by a layout engine (which lays every label
    # out twice, a quarter of the drawing): room for the longest name on the left, the
    # title above, the axis label and the legend below.
    longest = max((label_inches(bar.label, 10) for bar in bars), default=0.5)
    figure.subplots_adjust(
        left=min(0.45, (longest + 0.25) / 8.0),
        right=0.98,
        top=1 - 0.55 / height,
        bottom=1.05 / height,
    )
    axes = figure.add_subplot()
    positions = list(range(len(bars)))[::-1]  # the first department at the top
    # One collection of rectangles per state rather than a patch per bar and state
    # (barh): the chart is drawn in a third of the time.
    half = 0.31
    left = [0.0] * len(bars)
    handles = []
    for segment in SEGMENTS:
        widths = [bar.share(segment) for bar in bars]
        colour = SEGMENT_COLOURS[segment]
        rectangles = [
            ((x, y - half), (x + w, y - half), (x + w, y + half), (x, y + half))
            for y, x, w in zip(positions, left, widths, strict=True)
            if w > 0
        ]
        axes.add_collection(PolyCollection(rectangles, facecolors=colour, edgecolors="none"))
        handles.append(Patch(facecolor=colour, label=(legend or {}).get(segment, segment)))
        left = [a + b for a, b in zip(left, widths, strict=True)]
    axes.set_ylim(-0.6, len(bars) - 0.4)
    axes.set_yticks(positions, [bar.label for bar in bars], family=families, fontsize=10)
    axes.set_xlim(0, 122)
    axes.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100"], family=families)
    axes.set_xlabel(axis_label, family=families)
    axes.set_title(title, family=families, fontsize=13)
    for position, bar in zip(positions, bars, strict=True):
        axes.text(
            101,
            position,
            f"{bar.rate * 100:.1f}% ({bar.done}/{bar.total})",
            va="center",
            fontsize=8,
            family=families,
        )
    # Below the chart, under the axis label, in the margin kept for it.
    figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.02 / height),
        ncols=len(SEGMENTS),
        frameon=False,
        prop={"family": families, "size": 9},
    )
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", alpha=0.3)
    return figure


def render_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    axis_label: str,
    legend: dict[str, str] | None = None,
) -> bytes:
    """The chart as PNG bytes (call it in a thread: drawing takes a few hundred ms)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with _LOCK:
        figure = build_figure(bars, title=title, axis_label=axis_label, legend=legend)
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
