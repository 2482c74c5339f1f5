"""Charts are PNGs with Chinese drawn in a CJK font."""

from __future__ import annotations

import io

import pytest

from qingting.reports.charts import ChartFontError, cjk_font_path, render_chart
from qingting.reports.model import ChartKind, ChartSeries, ChartSpec


@pytest.fixture()
def font_ok() -> None:
    try:
        cjk_font_path()
    except ChartFontError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("kind", list(ChartKind))
def test_every_chart_kind_renders_a_png(kind: ChartKind, font_ok: None) -> None:
    from PIL import Image

    spec = ChartSpec(kind, ("正面", "中性", "负面"), (ChartSeries("信息量", (10.0, 30.0, 5.0)),), title="情感分布")
    png = render_chart(spec)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width > 800  # 150 mm at 200 dpi
    assert render_chart.__wrapped__(spec) == png  # deterministic, even when drawn again uncached


def test_chinese_labels_use_a_cjk_font_without_missing_glyphs(font_ok: None) -> None:
    from matplotlib.font_manager import FontProperties
    from matplotlib.ft2font import FT2Font

    path = cjk_font_path()
    font = FT2Font(str(path))
    assert all(font.get_char_index(ord(ch)) != 0 for ch in "信息量走势情感分布正面负面")
    assert FontProperties(fname=str(path)).get_name()


def test_missing_glyphs_would_warn(font_ok: None, recwarn: pytest.WarningsRecorder) -> None:
    # matplotlib warns "Glyph … missing from font" when it falls back to boxes; we must not.
    render_chart(ChartSpec(ChartKind.BAR, ("微博", "新闻网站"), (ChartSeries("条数", (3.0, 4.0)),), title="来源"))
    assert not [w for w in recwarn if "missing from" in str(w.message)]
