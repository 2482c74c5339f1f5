"""Issue 15, words a user reads: trend states typed and shown in Chinese, no link to an editor
that would answer 403, fetch errors as sentences, and who issued a report."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_trend_states_in_the_users_words(setup: dict[str, Any]) -> None:
    from qingting.web.warnings.policy import policy_for

    admin = _client(setup["admin"])
    url = reverse("warnings:scheme", args=[setup["scheme"].pk])
    admin.post(url, {"op": "rules", "tier": ["3", ""], "min_window_items": ["12", ""], "trends": ["上升、高峰", ""]})
    [rule] = policy_for(setup["scheme"]).rules
    assert [t.value for t in rule.trends] == ["rising", "peak"]
    page = admin.get(url).content.decode()
    assert 'value="上升、高峰"' in page and "rising,peak" not in page and 'placeholder="如：上升、高峰"' in page


def test_scheme_links_only_for_those_who_may_edit(setup: dict[str, Any]) -> None:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role

    editor = reverse("warnings:scheme", args=[setup["scheme"].pk])
    assert f'href="{editor}"' in _client(setup["analyst"]).get(reverse("warnings:list")).content.decode()
    handler = setup["duty2"]  # a handler of the same unit reads warnings but does not edit schemes
    page = _client(handler).get(reverse("warnings:list")).content.decode()
    assert setup["scheme"].name in page and f'href="{editor}"' not in page
    leader = accounts.user_create(actor=None, username="east_leader", password=PASSWORD)
    accounts.membership_grant(actor=None, user=leader, unit=setup["east"], role=Role.LEADER)
    assert f'href="{editor}"' not in _client(leader).get(reverse("warnings:list")).content.decode()


def test_fetch_errors_read_as_sentences() -> None:
    from django.utils import translation

    from qingting.web.collect.health import explain_error

    with translation.override("zh-hans"):
        dns = explain_error("https://x.invalid/rss.xml: cannot connect: [Errno -2] Name or service not known")
        assert dns == "网站地址无法解析：请与该网站管理员核对地址"
        assert explain_error("http://x.example/rss: HTTP 503 Service Unavailable") == "网站返回错误（HTTP 503）"
        blocked = explain_error("BlockedAddressError: refused: 127.0.0.1 resolves to a private address")
        assert "内部网络" in blocked and "Errno" not in blocked
        assert explain_error("something odd") == "无法读取该信息源（见技术细节）"


def test_report_issuer_in_words(db: Any) -> None:
    from django.utils import translation

    from qingting.web.reporting.models import IssuedReport as Report

    with translation.override("zh-hans"):
        assert Report(issued_by_label="system (schedule 3)").issuer == "自动生成（定时计划 3）"
        assert Report(issued_by_label="system (demo)").issuer == "自动生成（演示）"
        assert Report(issued_by_label="system").issuer == "自动生成"


def test_new_scheme_from_the_ui_for_those_allowed(setup: dict[str, Any]) -> None:
    from qingting.web.monitoring.models import Scheme

    analyst = _client(setup["analyst"])
    assert reverse("warnings:scheme_new") in analyst.get(reverse("warnings:list")).content.decode()
    malformed = {"name": "路灯", "unit": setup["east"].pk, "expression": "路灯 AND ("}
    bad = analyst.post(reverse("warnings:scheme_new"), malformed)
    assert bad.status_code == 400 and not Scheme.objects.filter(name="路灯").exists()
    made = analyst.post(
        reverse("warnings:scheme_new"),
        {"name": "路灯", "unit": setup["east"].pk, "expression": "路灯 OR 照明", "sources": [setup["source"].pk]},
    )
    scheme = Scheme.objects.get(name="路灯")
    assert made.status_code == 302 and made["Location"] == reverse("warnings:scheme", args=[scheme.pk])
    assert scheme.unit == setup["east"] and list(scheme.sources.all()) == [setup["source"]]
    handler = _client(setup["duty2"])  # a handler: no link, and the page refuses
    assert reverse("warnings:scheme_new") not in handler.get(reverse("warnings:list")).content.decode()
    assert handler.get(reverse("warnings:scheme_new")).status_code == 403
