"""Pages and API: scoping by unit and role, escaping of hostile text, the unread badge, actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingting.web.warnings.models import Warning

from ..conftest import HOSTILE, PASSWORD
from .conftest import burst, ingest

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.fixture
def raised(setup: dict[str, Any]) -> dict[str, Any]:
    ingest(setup, burst("h", 8, text=f"停水 {HOSTILE}"))
    return {**setup, "w": Warning.objects.get()}


def test_list_shows_tier_as_text_and_colour_and_filters(raised: dict[str, Any]) -> None:
    c = _client(raised["analyst"])
    page = c.get(reverse("warnings:list")).content.decode()
    link = reverse("warnings:detail", args=[raised["w"].pk])
    assert "tier-blue" in page and "Ⅳ" in page and link in page
    assert link not in c.get(reverse("warnings:list"), {"tier": 1}).content.decode()
    fragment = c.get(reverse("warnings:list"), {"status": "open"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "warning-table" in fragment


def test_hostile_item_text_is_escaped_on_the_warning_page(raised: dict[str, Any]) -> None:
    page = _client(raised["analyst"]).get(reverse("warnings:detail", args=[raised["w"].pk])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "onerror=alert(1)>" not in page


def test_other_units_cannot_see_or_act(raised: dict[str, Any]) -> None:
    west = _client(raised["west_analyst"])
    assert west.get(reverse("warnings:detail", args=[raised["w"].pk])).status_code == 404
    assert reverse("warnings:detail", args=[raised["w"].pk]) not in west.get(reverse("warnings:list")).content.decode()
    west.post(reverse("warnings:act", args=[raised["w"].pk]), {"action": "acknowledge"})
    raised["w"].refresh_from_db()
    assert raised["w"].status == "new"
    api = west.get(f"/api/warnings/{raised['w'].pk}")
    assert api.status_code == 404 and api.json()["error"]["status"] == 404


def test_a_leader_above_sees_it_and_the_badge_counts_unread(raised: dict[str, Any]) -> None:
    leader = _client(raised["office_leader"])
    page = leader.get(reverse("monitoring:dashboard")).content.decode()
    assert 'class="badge"' in page and ">1</span>" in page
    leader.get(reverse("warnings:detail", args=[raised["w"].pk]))
    page = leader.get(reverse("monitoring:dashboard")).content.decode()
    assert 'class="badge"' not in page  # seen now


def test_acknowledge_and_dismiss_through_the_page(raised: dict[str, Any]) -> None:
    c = _client(raised["analyst"])
    url = reverse("warnings:act", args=[raised["w"].pk])
    c.post(url, {"action": "acknowledge"})
    raised["w"].refresh_from_db()
    assert raised["w"].status == "acknowledged" and raised["w"].acknowledged_by == raised["analyst"]
    page = c.post(url, {"action": "dismiss", "reason": "  "}, follow=True).content.decode()
    raised["w"].refresh_from_db()
    assert raised["w"].status == "acknowledged" and "reason" in page  # a reason is required
    c.post(url, {"action": "dismiss", "reason": "已核实为演习"})
    raised["w"].refresh_from_db()
    assert (raised["w"].status, raised["w"].dismiss_reason) == ("dismissed", "已核实为演习")
    history = c.get(reverse("warnings:detail", args=[raised["w"].pk])).content.decode()
    assert 'data-action="warning.acknowledge"' in history and 'data-action="warning.dismiss"' in history


def test_api_list_detail_and_actions(raised: dict[str, Any]) -> None:
    c = _client(raised["analyst"])
    body = c.get("/api/warnings", {"status": "open"}).json()
    assert body["count"] == 1 and body["items"][0]["tier"] == 4 and body["items"][0]["colour"] == "blue"
    r = c.post(f"/api/warnings/{raised['w'].pk}/acknowledge", content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    r = c.post(f"/api/warnings/{raised['w'].pk}/acknowledge", content_type="application/json")
    assert r.status_code == 422  # not new any more
    r = c.post(f"/api/warnings/{raised['w'].pk}/dismiss", {"reason": "误报"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["dismiss_reason"] == "误报"


def test_settings_are_for_admins_only(setup: dict[str, Any]) -> None:
    assert _client(setup["analyst"]).get(reverse("warnings:settings")).status_code == 403
    admin = _client(setup["admin"])
    assert admin.get(reverse("warnings:settings")).status_code == 200
    admin.post(
        reverse("warnings:settings"),
        {"unit": setup["east"].pk, "op": "channel_add", "name": "群", "kind": "dingtalk",
         "url": "https://oapi.dingtalk.com/robot/send?access_token=x", "secret": "SECxyz"},
    )  # fmt: skip
    from django.db import connection

    from qingting.web.warnings.models import NotificationChannel

    ch = NotificationChannel.objects.get()
    assert ch.secret == "SECxyz"
    with connection.cursor() as cur:
        cur.execute("SELECT secret FROM warnings_notificationchannel")
        assert cur.fetchone()[0].startswith("enc1:")  # encrypted at rest
    page = admin.post(
        reverse("warnings:settings"), {"unit": setup["east"].pk, "op": "keydate_add", "label": "x", "start": "bad"},
        follow=True,
    ).content.decode()  # fmt: skip
    assert "YYYY-MM-DD" in page


def test_scheme_preview_highlights_escaped_matches_and_locates_errors(setup: dict[str, Any]) -> None:
    ingest(setup, burst("p", 3, text=f"柳湾镇停水 {HOSTILE}"))
    ingest(setup, burst("q", 2, text="天气很好"))
    c = _client(setup["analyst"])
    url = reverse("warnings:preview", args=[setup["scheme"].pk])
    html = c.post(url, {"expression": "停水 OR script"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<mark>停水</mark>" in html
    assert "<script>" not in html and "&lt;<mark>script</mark>&gt;" in html
    assert html.count('class="post"') == 3
    bad = c.post(url, {"expression": "(停水 OR 断水"}).content.decode()
    assert 'id="preview-error"' in bad and "第 10 个字符" in bad
    west = _client(setup["west_analyst"])
    assert west.post(url, {"expression": "停水"}).status_code == 404


def test_scheme_editor_saves_the_expression_and_refuses_a_malformed_one(setup: dict[str, Any]) -> None:
    c = _client(setup["analyst"])
    url = reverse("warnings:scheme", args=[setup["scheme"].pk])
    assert c.get(url).status_code == 200
    c.post(url, {"op": "expression", "expression": "停水 -演习"})
    setup["scheme"].refresh_from_db()
    assert setup["scheme"].expression == "停水 -演习"
    page = c.post(url, {"op": "expression", "expression": "停水 AND"}, follow=True).content.decode()
    setup["scheme"].refresh_from_db()
    assert setup["scheme"].expression == "停水 -演习" and "字符" in page
    c.post(url, {"op": "rules", "tier": ["4"], "min_window_items": ["3"]})  # analysts may not change rules
    from qingting.web.warnings.policy import policy_for

    assert sorted(r.min_window_items or 0 for r in policy_for(setup["scheme"]).rules) == [5, 20, 60]


def test_admin_edits_rules_with_trends_and_scheme_settings(setup: dict[str, Any]) -> None:
    from qingting.web.warnings.policy import policy_for

    admin = _client(setup["admin"])
    url = reverse("warnings:scheme", args=[setup["scheme"].pk])
    admin.post(url, {"op": "rules", "tier": ["3", ""], "min_window_items": ["12", ""], "trends": ["rising,peak", ""]})
    [rule] = policy_for(setup["scheme"]).rules
    assert (rule.min_window_items, [t.value for t in rule.trends]) == (12, ["rising", "peak"])
    page = admin.post(url, {"op": "rules", "tier": ["3"], "trends": ["soaring"]}, follow=True).content.decode()
    assert "soaring" in page and len(policy_for(setup["scheme"]).rules) == 1  # refused, unchanged
    admin.post(
        url,
        {"op": "settings", "window_minutes": "30", "cooldown_hours": "2", "min_tier": "3", "ack_1": "5", "ack_2": ""},
    )
    policy = policy_for(setup["scheme"])
    assert (policy.window_seconds, policy.cooldown_seconds, policy.min_tier.name) == (1800, 7200, "III")
    assert (
        policy.ack_timeouts[policy.min_tier.__class__.I] == 300
        and policy.ack_timeouts[policy.min_tier.__class__.II] is None
    )
    assert 'value="30"' in admin.get(url).content.decode()
    analyst = _client(setup["analyst"])
    analyst.post(url, {"op": "settings", "window_minutes": "5"})
    assert policy_for(setup["scheme"]).window_seconds == 1800


def test_promote_through_the_api_and_a_leader_may_not(raised: dict[str, Any]) -> None:
    leader = _client(raised["office_leader"])
    r = leader.post(f"/api/warnings/{raised['w'].pk}/promote", content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["status"] == 403  # leaders do not register cases
    r = _client(raised["analyst"]).post(f"/api/warnings/{raised['w'].pk}/promote", content_type="application/json")
    assert r.status_code == 200
    body = r.json()
    assert body["warning"]["status"] == "promoted" and body["warning"]["case_id"] == body["case_id"]
