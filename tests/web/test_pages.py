"""Pages: scoping, escaping of outside text, search with highlights, HTMX fragments, i18n."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingting.web.monitoring.models import Event, Item

from .conftest import HOSTILE, PASSWORD


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _pages(event: Event) -> list[str]:
    return [
        reverse("monitoring:dashboard"),
        reverse("monitoring:events"),
        reverse("monitoring:event", args=[event.pk]),
        reverse("monitoring:search") + "?q=停水",
        reverse("collect:list"),
    ]


def test_a_unit_cannot_see_another_units_data_on_pages(monitored: dict[str, Any]) -> None:
    west_event = Event.objects.filter(scheme_matches__scheme=monitored["west_scheme"]).first()
    east_event = Event.objects.filter(scheme_matches__scheme=monitored["east_scheme"]).first()
    assert west_event is not None and east_event is not None
    east = _client("east_analyst")
    board = east.get(reverse("monitoring:events")).content.decode()
    assert east_event.title in board
    assert "招生" not in board and "west-方案" not in board
    # Another unit's event is "not found", not "forbidden": its existence is not confirmed.
    assert east.get(reverse("monitoring:event", args=[west_event.pk])).status_code == 404
    assert "家长" not in east.get(reverse("monitoring:search") + "?q=招生").content.decode()
    assert "家长" in _client("west_analyst").get(reverse("monitoring:search") + "?q=招生").content.decode()
    assert "west-论坛" not in east.get(reverse("collect:list")).content.decode()
    # Passing another unit's scheme id as a filter is refused, not obeyed.
    response = east.get(reverse("monitoring:events"), {"scheme": monitored["west_scheme"].pk})
    assert "招生" not in response.content.decode()
    # The office leader sees both townships.
    leader_board = _client("office_leader").get(reverse("monitoring:events")).content.decode()
    assert "招生" in leader_board and east_event.title[:6] in leader_board


def test_every_page_renders(monitored: dict[str, Any]) -> None:
    east = _client("east_analyst")
    event = Event.objects.filter(scheme_matches__scheme=monitored["east_scheme"]).first()
    assert event is not None
    for url in _pages(event):
        assert east.get(url).status_code == 200, url


def test_hostile_post_is_escaped_on_every_page(monitored: dict[str, Any]) -> None:
    evil = Item.objects.get(external_id="evil")
    assert evil.event is not None
    # Make the hostile text the event's title and keyword too, as an engine might.
    Event.objects.filter(pk=evil.event.pk).update(title=HOSTILE, keywords=[HOSTILE], representative=evil)
    Item.objects.filter(pk=evil.pk).update(region=HOSTILE)
    east = _client("east_analyst")
    for url in [
        *_pages(evil.event),
        reverse("monitoring:search") + "?q=script",
        reverse("monitoring:search") + "?q=停水+alert",
    ]:
        html = east.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "<img" not in html, url  # our pages have no images: any <img> came from outside
    event_html = east.get(reverse("monitoring:event", args=[evil.event.pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in event_html
    search_html = east.get(reverse("monitoring:search") + "?q=script").content.decode()
    assert "&lt;<mark>script</mark>&gt;" in search_html


def test_search_highlights_matches(monitored: dict[str, Any]) -> None:
    html = _client("east_analyst").get(reverse("monitoring:search"), {"q": "停水"}).content.decode()
    assert "<mark>停水</mark>" in html
    nothing = _client("east_analyst").get(reverse("monitoring:search"), {"q": "火星基地"}).content.decode()
    assert "<mark>" not in nothing


def test_htmx_request_gets_only_the_fragment(monitored: dict[str, Any]) -> None:
    east = _client("east_analyst")
    full = east.get(reverse("monitoring:events")).content.decode()
    part = east.get(reverse("monitoring:events"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" in full and "<html" not in part
    assert "<table" in part


def test_bad_filter_input_shows_field_errors(monitored: dict[str, Any]) -> None:
    html = (
        _client("east_analyst")
        .get(reverse("monitoring:events"), {"date_from": "2026-02-10", "date_to": "2026-02-01", "sentiment": "bogus"})
        .content.decode()
    )
    assert 'class="fielderror"' in html


@pytest.mark.parametrize(
    ("language", "expected", "absent"), [("en", "Dashboard", "仪表盘"), ("zh-hans", "仪表盘", ">Dashboard<")]
)
def test_language_switch(monitored: dict[str, Any], language: str, expected: str, absent: str) -> None:
    east = _client("east_analyst")
    response = east.post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    html = east.get(reverse("monitoring:dashboard")).content.decode()
    assert expected in html and absent not in html
    assert f'lang="{language}"' in html


def test_chinese_is_the_default_language(monitored: dict[str, Any]) -> None:
    html = _client("east_analyst").get(reverse("monitoring:dashboard")).content.decode()
    assert 'lang="zh-hans"' in html and "仪表盘" in html


def test_search_finds_traditional_text_with_a_simplified_query(monitored: dict[str, Any]) -> None:
    from qingting.web.monitoring import search, services

    if search.segmenter_name() != "core":
        pytest.skip("Traditional→Simplified folding comes from qingting.core.text")
    services.ingest_items(
        scheme=monitored["east_scheme"],
        source=monitored["east_source"],
        records=[{"id": "hant", "text": "東街道學校門口又在施工，噪音很大", "time": 1_767_230_000}],
    )
    html = _client("east_analyst").get(reverse("monitoring:search"), {"q": "学校施工"}).content.decode()
    assert "<mark>學校</mark>" in html and "<mark>施工</mark>" in html


def test_search_scope_and_filters_inside_the_index(monitored: dict[str, Any]) -> None:
    from qingting.web.accounts.models import Unit
    from qingting.web.monitoring import selectors, services

    # A source of a community two levels below the office: the office leader finds its items
    # (indexed with every ancestor unit), the west township does not.
    community: Unit = monitored["east_community"]
    source = services.source_create(actor=None, unit=community, name="社区信箱", kind="mailbox")
    services.ingest_items(
        scheme=monitored["east_scheme"],
        source=source,
        records=[{"id": "m1", "text": "社区路灯坏了好几天，晚上不安全", "time": 1_767_240_000}],
    )
    found = selectors.item_search(monitored["office_leader"], selectors.ItemFilters(q="路灯"))
    assert [i.external_id for i in found[0:10]] == ["m1"] and found.count() == 1
    assert selectors.item_search(monitored["west_analyst"], selectors.ItemFilters(q="路灯")).count() == 0
    kind = selectors.item_search(monitored["office_leader"], selectors.ItemFilters(q="路灯", source_kind="forum"))
    assert kind.count() == 0
    label = Item.objects.get(external_id="m1").sentiment_label
    same = selectors.item_search(monitored["office_leader"], selectors.ItemFilters(q="路灯", sentiment=label))
    other = "positive" if label != "positive" else "negative"
    assert same.count() == 1
    assert (
        selectors.item_search(monitored["office_leader"], selectors.ItemFilters(q="路灯", sentiment=other)).count() == 0
    )


def test_an_english_browser_still_gets_chinese_until_switching(monitored: dict[str, Any]) -> None:
    east = _client("east_analyst")
    html = east.get(reverse("monitoring:dashboard"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "仪表盘" in html
    east.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Dashboard" in east.get(reverse("monitoring:dashboard")).content.decode()
