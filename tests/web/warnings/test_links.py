"""Links from a warning to the other apps: its case (cases:detail) and the bulletin composer.

Each link renders for those who may follow it and is absent (not a dead link) for those who may not.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingting.web.warnings import services
from qingting.web.warnings.models import Warning

from ..conftest import PASSWORD
from .conftest import burst, ingest

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.fixture
def raised(setup: dict[str, Any]) -> dict[str, Any]:
    ingest(setup, burst("l", 8))
    return {**setup, "w": Warning.objects.get()}


def test_promoted_warning_links_to_its_case_for_those_who_see_it(raised: dict[str, Any]) -> None:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role
    from qingting.web.cases import services as cases

    w = raised["w"]
    page = reverse("warnings:detail", args=[w.pk])
    assert 'data-test="case-link"' not in _client(raised["analyst"]).get(page).content.decode()  # not promoted yet
    case = services.warning_promote(actor=raised["analyst"], warning_id=w.pk)
    url = reverse("cases:detail", args=[case.pk])
    for user in (raised["analyst"], raised["office_leader"]):
        c = _client(user)
        html = c.get(page).content.decode()
        assert f'<a href="{url}" data-test="case-link">{case.number}</a>' in html
        assert c.get(url).status_code == 200  # the link leads somewhere
    # the case moves to the west township: the east analyst still sees the warning, not the case
    dispatcher = accounts.user_create(actor=None, username="dispatcher", password=PASSWORD)
    accounts.membership_grant(actor=None, user=dispatcher, unit=raised["office"], role=Role.REVIEWER)
    cases.case_act(actor=dispatcher, case_id=case.pk, action="register")
    cases.case_act(actor=dispatcher, case_id=case.pk, action="transfer", unit_id=raised["west"].pk, reason="属西街道")
    c = _client(raised["analyst"])
    html = c.get(page).content.decode()
    assert url not in html and case.number not in html and f"#{case.pk}" in html
    assert c.get(url).status_code == 404
    assert url in _client(raised["office_leader"]).get(page).content.decode()
    assert _client(raised["west_analyst"]).get(page).status_code == 404  # the warning is east's


def test_warning_links_to_the_bulletin_composer_for_its_event(raised: dict[str, Any]) -> None:
    w = raised["w"]
    assert w.event is not None
    page = reverse("warnings:detail", args=[w.pk])
    composer = f"{reverse('bulletins:new')}?event={w.event_id}"
    c = _client(raised["analyst"])  # analysts write bulletins
    assert f'href="{composer}" data-test="bulletin-link"' in c.get(page).content.decode()
    ticked = c.get(composer).content.decode()
    assert f'value="{w.event_id}"' in ticked and w.event.title in ticked
    # a handler on duty may see the warning but does not write bulletins: no link
    assert 'data-test="bulletin-link"' not in _client(raised["duty2"]).get(page).content.decode()


def test_source_warning_has_no_bulletin_link(setup: dict[str, Any]) -> None:
    from django.utils import timezone

    w = services.source_warning_raise(source=setup["source"], reason="连续失败", now=timezone.now())
    assert w is not None and w.event_id is None
    html = _client(setup["analyst"]).get(reverse("warnings:detail", args=[w.pk])).content.decode()
    assert 'data-test="bulletin-link"' not in html and "连续失败" in html
