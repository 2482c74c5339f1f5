"""Charts as PNG with matplotlib, Chinese labels in a CJK font found through fontconfig.

matplotlib's default font has no Chinese glyphs and silently draws boxes (豆腐块); we look up an
installed CJK font with ``fc-match``/``fc-list`` (Noto Sans CJK SC first) and refuse to draw rather
than emit boxes when none is installed.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

from qingting.reports.model import ChartKind, ChartSpec

__all__ = ["ChartFontError", "cjk_font_path", "render_chart"]

# Office-like, print-safe palette: first colour is a dark blue, negative sentiment in red.
_COLOURS = ("#1f4e79", "#c00000", "#7f7f7f", "#548235", "#bf9000", "#2e75b6", "#843c0c")
_PREFERRED = ("Noto Sans CJK SC", "Noto Sans CJK TC", "WenQuanYi Zen Hei", "Noto Serif CJK SC", "AR PL UKai CN")


class ChartFontError(RuntimeError):
    """No font with Chinese glyphs is installed; charts would show boxes."""


@functools.cache
def cjk_font_path() -> Path:
    """Path of the CJK font charts use (cached); raises :class:`ChartFontError` when none exists."""
    fc_match = shutil.which("fc-match")
    if fc_match:
        for family in _PREFERRED:
            out = subprocess.run(
                [fc_match, "-f", "%{family}|%{file}", f"{family}:lang=zh-cn"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
            families, _, path = out.partition("|")
            if family in families.split(",") and path and Path(path).is_file():
                return Path(path)
    fc_list = shutil.which("fc-list")
    if fc_list:
        out = subprocess.run(
            [fc_list, ":lang=zh-cn", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        paths = sorted(line.rstrip(":").strip() for line in out.splitlines() if line.strip())
        if paths:
            return Path(paths[0])
    raise ChartFontError(
        "no font with Chinese glyphs found through fontconfig; install fonts-noto-cjk (apt-get install fonts-noto-cjk)"
    )


def _format_value(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


@functools.cache
def _register_font(path: str) -> str:
    """Add the CJK font to matplotlib once (parsing a 20 MB collection costs ~50 ms each time)."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


@functools.lru_cache(maxsize=32)
def render_chart(spec: ChartSpec, *, width_mm: float = 150.0, height_mm: float = 85.0, dpi: int = 200) -> bytes:
    """Draw ``spec`` and return the PNG bytes (deterministic for the same input).

    Cached: the DOCX, PDF and HTML of one report draw each chart once.
    """
    # The object API with the Agg canvas, not pyplot: no GUI backend, no global figure registry
    # (safe in a threaded web worker), and about half a second less to import.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    family = _register_font(str(cjk_font_path()))
    rc: Any = {
        "font.family": [family, "DejaVu Sans"],
        "font.size": 9,
        "axes.unicode_minus": False,  # the CJK font lacks U+2212; use ASCII hyphen-minus
        "svg.hashsalt": "qingting",
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(rc):
        fig = MplFigure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        _draw(ax, spec)
        if spec.title:
            ax.set_title(spec.title, fontsize=11)
        fig.tight_layout()
        buf = io.BytesIO()
        # No timestamp or software metadata, so the same figures give the same bytes.
        # Light compression: zlib at its default level costs more than drawing the chart.
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs={"compress_level": 2})
    return buf.getvalue()


def _draw(ax: object, spec: ChartSpec) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    labels = list(spec.labels)
    palette = spec.colours or _COLOURS
    if spec.kind in (ChartKind.PIE, ChartKind.DONUT):
        values = list(spec.series[0].values)
        total = sum(values)
        if total <= 0:
            ax.text(0.5, 0.5, "无数据", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return
        colours = [palette[i % len(palette)] for i in range(len(values))]
        wedge = {"width": 0.42, "edgecolor": "white"} if spec.kind is ChartKind.DONUT else {"edgecolor": "white"}
        ax.pie(
            values,
            labels=[f"{lab} {v / total:.1%}" for lab, v in zip(labels, values, strict=True)],
            colors=colours,
            startangle=90,
            counterclock=False,
            wedgeprops=wedge,
        )
        if spec.kind is ChartKind.DONUT:
            ax.text(0, 0, f"合计\n{_format_value(total)}", ha="center", va="center", fontsize=10)
        ax.set_aspect("equal")
        return
    x = list(range(len(labels)))
    if spec.kind is ChartKind.LINE:
        for i, s in enumerate(spec.series):
            ax.plot(
                x,
                list(s.values),
                color=palette[i % len(palette)],
                linewidth=1.6,
                marker="o",
                markersize=2.5,
                label=s.name,
            )
    else:
        n = len(spec.series)
        width = 0.8 / n
        for i, s in enumerate(spec.series):
            offs = [xi - 0.4 + width * (i + 0.5) for xi in x]
            bars = ax.bar(offs, list(s.values), width=width, color=palette[i % len(palette)], label=s.name)
            if len(labels) <= 12:
                ax.bar_label(bars, labels=[_format_value(v) for v in s.values], fontsize=7, padding=1)
    # Thin the tick labels of long daily series so they stay legible.
    step = max(1, len(labels) // 12)
    ax.set_xticks(
        x[::step],
        labels[::step],
        rotation=0 if len(labels) <= 12 else 30,
        ha="center" if len(labels) <= 12 else "right",
    )
    # Counts start from zero: a truncated axis makes a 10 % rise look like a surge.
    ax.set_ylim(bottom=0)
    if spec.y_label:
        ax.set_ylabel(spec.y_label)
    ax.grid(axis="y", color="#d9d9d9", linewidth=0.6)
    ax.set_axisbelow(True)
    if len(spec.series) > 1:
        ax.legend(frameon=False)
