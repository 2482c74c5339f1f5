"""Segmentation, FTS5 query building and highlighting (no database needed)."""

from __future__ import annotations

from qingting.web.monitoring import search


def test_query_terms_cannot_inject_fts_syntax() -> None:
    expr = search.match_expression('停水 OR "x" NEAR(a b) body:*')
    assert expr is not None
    # Every term is a quoted string joined by AND; quotes inside are doubled.
    for part in expr.split(" AND "):
        assert part.startswith('"') and part.endswith('"')
    assert search.match_expression("   ") is None


def test_highlight_escapes_before_marking() -> None:
    html = search.highlight('<b onmouseover="x">停水</b> 停水了', "停水")
    assert "<b" not in html and "&lt;b onmouseover=&quot;x&quot;&gt;" in html
    assert html.count("<mark>停水</mark>") == 2


def test_highlight_matches_traditional_text_for_a_simplified_query() -> None:
    html = search.highlight("柳灣鎮今天停水，學校放假", "学校")
    if search.segmenter_name() == "core":  # the core folds Traditional to Simplified
        assert "<mark>學校</mark>" in html
    assert "柳灣鎮" in html  # the text is shown as written


def test_highlight_snippet_centres_on_the_first_match() -> None:
    text = "无关内容" * 100 + "道路施工" + "其他" * 100
    html = search.highlight(text, "施工", width=40)
    assert "<mark>施工</mark>" in html and html.startswith("…") and html.endswith("…")
    assert len(html) < 120


def test_index_and_query_use_the_same_tokens() -> None:
    body = search.index_body("柳湾镇停水通知", "全镇今天停水，预计晚上恢复供水")
    for term in search.segment("停水"):
        assert term in body.split()
