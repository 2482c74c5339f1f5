"""Regression tests for the security audit of issue 16 that concern cases: internal notes reach
only those who may read them, on the pages and through the API alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qingting.web.cases import services

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.fixture
def noted_case(people: dict[str, Any]) -> Any:
    """An east case with a joint task for west, one public reply and one internal note."""
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role

    case = services.case_create(
        actor=None, unit=people["east"], channel="mailbox", category="complaint", summary="夜间施工噪音"
    )
    d = people["dispatcher"]
    services.case_act(actor=d, case_id=case.pk, action="register")
    services.case_act(actor=d, case_id=case.pk, action="add_task", unit_id=people["west"].pk)
    h = people["east_handler"]
    services.case_reply(actor=h, case_id=case.pk, body="已电话联系施工方", public=True)
    services.case_reply(actor=h, case_id=case.pk, body="内部：施工方负责人为区长亲属", public=False)
    west_analyst = accounts.user_create(actor=None, username="west_analyst", password=PASSWORD)
    accounts.membership_grant(actor=None, user=west_analyst, unit=people["west"], role=Role.ANALYST)
    people["west_analyst"] = west_analyst
    return case


@pytest.mark.parametrize(
    ("who", "sees_notes"),
    [
        ("east_analyst", False),  # an analyst of the case's unit
        ("west_analyst", False),  # an analyst of a joint-task unit
        ("east_handler", True),
        ("dispatcher", True),
        ("west_handler", True),  # a handler of a joint-task unit (decision 0059)
    ],
)
def test_internal_notes_only_for_those_who_handle_the_case(
    people: dict[str, Any], noted_case: Any, who: str, sees_notes: bool
) -> None:
    c = _client(people[who])
    r = c.get(f"/api/cases/{noted_case.pk}/replies")
    assert r.status_code == 200
    bodies = [x["body"] for x in r.json()]
    page = c.get(f"/cases/{noted_case.pk}/").content.decode()
    assert "已电话联系施工方" in bodies and "已电话联系施工方" in page
    assert ("内部：施工方负责人为区长亲属" in bodies) is sees_notes
    assert ("内部：施工方负责人为区长亲属" in page) is sees_notes
    assert {x["kind"] for x in r.json()} == ({"public", "internal"} if sees_notes else {"public"})
