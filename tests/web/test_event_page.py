"""The event page at the point of use (issue 12 item 6, issue 15): sentiment over time with the
official response marked, the storyline (脉络), the event's warnings, cases and bulletins — over
what the viewing user may see, with the analysts' corrected labels winning over the engine's.
Real database, real engine, real views."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client, TestCase

from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role
from qingting.web.bulletins import services as bulletins
from qingting.web.cases import services as cases
from qingting.web.monitoring import membership
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Event, Item, Source, SourceKind
from qingting.web.sentiment import services as sentiment
from qingting.web.warnings import services as warnings

from .conftest import PASSWORD

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC = 08:00 in Asia/Shanghai
HOUR = 3600.0
TEXT = "东街道停水，什么时候恢复供水"
# Posts per hour about 东街道 (region set: the township sees them): a rise, a peak at hour 2, a fall.
PER_HOUR = [1, 3, 6, 2, 1, 1]


def _ingest(source: Any, records: list[dict[str, Any]]) -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return monitoring.ingest_items(source=source, records=records)


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _chart(body: str) -> dict[str, Any]:
    m = re.search(r'<script id="sentiment-time-data" type="application/json">(.*?)</script>', body, re.S)
    assert m, "the page embeds the chart's data"
    return dict(json.loads(m.group(1)))


@pytest.fixture
def story(org: dict[str, Any], engine: str) -> dict[str, Any]:
    """A county forum's story about 东街道 (13 posts over six hours, 2 of them not about the
    township), a county news outlet (mainstream) and the water bureau's account (official)."""
    analyst = accounts.user_create(actor=None, username="county_analyst", password=PASSWORD)
    accounts.membership_grant(actor=None, user=analyst, unit=org["office"], role=Role.ANALYST)
    admin = accounts.user_create(actor=None, username="county_admin", password=PASSWORD)
    accounts.membership_grant(actor=None, user=admin, unit=org["office"], role=Role.ADMIN)
    forum = monitoring.source_create(actor=None, unit=org["office"], name="县论坛", kind=SourceKind.FORUM)
    news = monitoring.source_create(
        actor=None, unit=org["office"], name="县日报", kind=SourceKind.NEWS, mainstream=True
    )
    bureau = monitoring.source_create(actor=None, unit=org["office"], name="县水务局官方微博", kind=SourceKind.SOCIAL)
    Source.objects.filter(pk=bureau.pk).update(official=True)  # an administrator marked it official
    scheme = monitoring.scheme_create(actor=None, unit=org["office"], name="全县", sources=[forum, news, bureau])
    warnings.rules_set(actor=admin, scheme=scheme, rules=[{"tier": 4, "min_total_items": 5}])
    membership.scheme_backfill(scheme=scheme)  # nothing stored yet: done at once
    records, i = [], 0
    for h, n in enumerate(PER_HOUR):
        for k in range(n):
            records.append(
                {"id": f"f-{i}", "text": f"{TEXT}（第{i}条）", "time": START + h * HOUR + 60 * k, "region": "东街道"}
            )
            i += 1
    records.append({"id": "x-0", "text": f"{TEXT}（外地网友）", "time": START + 2 * HOUR + 1800})  # no region
    records.append({"id": "x-1", "text": f"{TEXT}（外地网友二）", "time": START + 3 * HOUR + 1800})
    _ingest(forum, records)
    _ingest(news, [{"id": "n-0", "text": f"{TEXT}？记者探访", "time": START + HOUR + 1200, "region": "东街道"}])
    _ingest(bureau, [{"id": "o-0", "text": f"{TEXT}：今晚恢复供水（通报）", "time": START + 3 * HOUR + 600}])
    event = Event.objects.get(pk=Item.objects.get(external_id="f-0").event_id)
    assert set(Item.objects.filter(event=event).values_list("external_id", flat=True)) >= {"f-0", "n-0", "o-0", "x-1"}
    return {**org, "analyst": analyst, "event": event, "forum": forum, "news": news, "bureau": bureau, "scheme": scheme}


def test_the_event_page_shows_sentiment_over_time_and_the_storyline(story: dict[str, Any]) -> None:
    event = story["event"]
    body = _client(story["office_leader"]).get(f"/events/{event.pk}/").content.decode()
    chart = _chart(body)
    total = Item.objects.filter(event=event).count()
    assert sum(chart["totals"]) == total
    assert chart["labels"][0] == "01-01 08:00"  # local hours (Asia/Shanghai)
    # Every bucket with scored items splits into shares that add up to 100 %.
    for i, n in enumerate(chart["totals"]):
        shares = [chart["shares"][k][i] for k in ("negative", "neutral", "positive")]
        assert (n == 0 and shares == [None] * 3) or abs(sum(shares) - 100) < 0.5
    # The official response (the bureau's post, 11:10 local) and the first mainstream report are marked.
    assert {m["at"] for m in chart["marks"]} == {"01-01 11:00", "01-01 09:00"}
    assert "官方回应" in {m["name"] for m in chart["marks"]}
    assert 'id="response-effect"' in body and "官方回应 01-01 11:10" in body
    # The storyline, in time order: first post, first mainstream report, peak, official response, decline.
    kinds = re.findall(r'class="moment moment-(\w+)"', body)
    assert kinds == ["first_post", "first_mainstream", "peak", "official_response", "decline"]
    assert "县水务局官方微博" in body and "首条信息" in body and "高峰" in body


def test_corrected_labels_win_in_the_chart_the_label_the_board_and_search(story: dict[str, Any]) -> None:
    event, analyst = story["event"], story["analyst"]
    leader = _client(story["office_leader"])
    before = _chart(leader.get(f"/events/{event.pk}/").content.decode())
    # The analyst corrects every item of the event to positive.
    for item in Item.objects.filter(event=event):
        sentiment.correct(analyst, item.pk, "positive")
    page = leader.get(f"/events/{event.pk}/").content.decode()
    after = _chart(page)
    assert after["totals"] == before["totals"]
    assert all(s in (100.0, None) for s in after["shares"]["positive"])
    assert all(not s for s in after["shares"]["negative"])
    assert '<span class="sent sent-positive">' in page.split('id="subset-note"')[0].split("</h1>")[1][:600]
    # The board: its sentiment filter and its rows read the corrected figures, not the engine's.
    board = leader.get("/events/", {"sentiment": "positive"}).content.decode()
    assert f"/events/{event.pk}/" in board
    row = re.search(rf'<tr>\s*<td><a href="/events/{event.pk}/".*?</tr>', board, re.S)
    assert row and 'class="sent sent-positive"' in row.group(0)
    assert f"/events/{event.pk}/" not in leader.get("/events/", {"sentiment": "negative"}).content.decode()
    # The API says the same.
    assert leader.get(f"/api/events/{event.pk}").json()["sentiment_label"] == "positive"
    assert leader.get(f"/api/events/{event.pk}").json()["negative_share"] == 0
    assert event.pk in {e["id"] for e in leader.get("/api/events", {"sentiment": "positive"}).json()["items"]}
    # Search: the sentiment filter finds the items by their corrected label.
    found = leader.get("/search/", {"q": "停水", "sentiment": "positive"}).content.decode()
    assert "外地网友" in found
    assert "外地网友" not in leader.get("/search/", {"q": "停水", "sentiment": "negative"}).content.decode()


def test_a_township_user_sees_only_the_figures_of_their_visible_items(story: dict[str, Any]) -> None:
    """The county's story about 东街道: the township's analyst sees the event, with the chart and
    storyline over the 15 items about 东街道 only — not the two posts without a region, nor the
    bureau's post (a county account posting without a region), so no official response for them."""
    event = story["event"]
    visible = Item.objects.filter(event=event, region="东街道").count()
    assert visible == sum(PER_HOUR) + 1 < Item.objects.filter(event=event).count()
    east = _client(story["east_analyst"])
    page = east.get(f"/events/{event.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="subset-note"' in body
    chart = _chart(body)
    assert sum(chart["totals"]) == visible
    assert [m["name"] for m in chart["marks"]] == ["主流媒体首报"]
    assert "外地网友" not in body and "县水务局官方微博" not in body
    assert "在您可见的信息中尚无官方回应" in body
    kinds = re.findall(r'class="moment moment-(\w+)"', body)
    assert "official_response" not in kinds and kinds[:2] == ["first_post", "first_mainstream"]
    # A correction of an item they cannot see changes nothing of theirs.
    hidden = Item.objects.get(external_id="x-0")
    sentiment.correct(story["analyst"], hidden.pk, "negative")
    assert _chart(east.get(f"/events/{event.pk}/").content.decode())["shares"] == chart["shares"]
    assert east.get(f"/events/{event.pk}/").status_code == 200
    assert _client(story["west_analyst"]).get(f"/events/{event.pk}/").status_code == 404


def test_the_event_lists_its_warnings_cases_and_bulletins_within_scope(story: dict[str, Any]) -> None:
    event, office, east = story["event"], story["office"], story["east"]
    dispatcher = accounts.user_create(actor=None, username="dispatcher", password=PASSWORD)
    accounts.membership_grant(actor=None, user=dispatcher, unit=office, role=Role.REVIEWER)
    accounts.membership_grant(actor=None, user=dispatcher, unit=office, role=Role.HANDLER)
    county_case = cases.case_create(
        actor=dispatcher, unit=office, channel="hotline", category="complaint", summary="县城停水投诉", event=event
    )
    east_case = cases.case_create(
        actor=dispatcher, unit=east, channel="hotline", category="complaint", summary="东街道停水投诉", event=event
    )
    # A public reply on the township's case, before the bureau's post: it is the official response.
    reply_at = Item.objects.get(external_id="f-3").published_at
    body = "已联系水务局抢修，今晚恢复。"
    cases.case_reply(actor=dispatcher, case_id=east_case.pk, body=body, public=True, now=reply_at)
    bulletin = bulletins.bulletin_create(actor=story["analyst"], unit=office, events=[event], title="停水专报")
    assert Event.objects.get(pk=event.pk).warnings.exists(), "the story crossed the tier-IV rule"

    leader = _client(story["office_leader"]).get(f"/events/{event.pk}/").content.decode()
    for anchor in (f"/cases/{county_case.pk}/", f"/cases/{east_case.pk}/", f"/bulletins/{bulletin.pk}/"):
        assert anchor in leader
    assert re.search(r'id="event-warnings".*?/warnings/\d+/', leader, re.S)
    assert "已联系水务局抢修" in leader.split('id="storyline"')[1]
    assert "官方回应 01-01 09:0" in leader  # the reply (09:0x local) came before the bureau's post

    # The bulletin names the sentiment model that scored its figures (the shipped default here).
    page = _client(story["office_leader"]).get(f"/bulletins/{bulletin.pk}/").content.decode()
    assert re.search(r'id="sentiment-model">情感判定: 系统默认模型 · 含人工校正', page)

    # The township's analyst sees its own case (and its reply), not the county's case nor the
    # county's bulletin or warning.
    mine = _client(story["east_analyst"]).get(f"/events/{event.pk}/").content.decode()
    assert f"/cases/{east_case.pk}/" in mine and f"/cases/{county_case.pk}/" not in mine
    assert f"/bulletins/{bulletin.pk}/" not in mine
    assert not re.search(r'id="event-warnings".*?/warnings/\d+/.*?id="event-cases"', mine, re.S)
