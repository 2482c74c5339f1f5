"""Segmentation, FTS5 query building and highlighting (no database needed)."""

from __future__ import annotations

from typing import Any

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


def test_counts_stop_at_the_limit_but_pages_go_on(org: dict[str, Any], engine: str, monkeypatch: Any) -> None:
    from django.test import Client

    from qingting.web.monitoring import selectors, services

    from .conftest import PASSWORD, stream

    source = services.source_create(actor=None, unit=org["east"], name="论坛")
    scheme = services.scheme_create(actor=None, unit=org["east"], name="供水", sources=[source])
    services.ingest_items(scheme=scheme, source=source, records=stream("n", 14))
    monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", 10)
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    page = client.get("/search/", {"q": "停水"}).content.decode()
    assert "More than 10 results" in page or "结果超过 10 条" in page
    api = client.get("/api/items", {"q": "停水", "limit": 5, "offset": 10}).json()
    assert api["count"] == 10 and len(api["items"]) == 4  # past the count, the rest is still there
    monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", 100)
    assert client.get("/api/items", {"q": "停水"}).json()["count"] == 14
