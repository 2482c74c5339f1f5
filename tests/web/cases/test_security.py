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


# --- finding 3: case numbers cannot collide -----------------------------------------------------


@pytest.fixture
def liuwan(people: dict[str, Any]) -> dict[str, Any]:
    """柳湾镇 and its community 柳湾镇河西社区, 邻县 and 邻县甲镇: names that begin alike."""
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import UnitKind

    town = accounts.unit_create(
        actor=None, code="liuwan", name="柳湾镇", kind=UnitKind.TOWNSHIP, parent=people["office"]
    )
    hexi = accounts.unit_create(
        actor=None, code="liuwan-hexi", name="柳湾镇河西社区", kind=UnitKind.COMMUNITY, parent=town
    )
    county = accounts.unit_create(actor=None, code="linxian", name="邻县", kind=UnitKind.OFFICE)
    jia = accounts.unit_create(actor=None, code="linxian-jia", name="邻县甲镇", kind=UnitKind.TOWNSHIP, parent=county)
    return {"town": town, "hexi": hexi, "county": county, "jia": jia}


def _register(unit: Any) -> Any:
    return services.case_create(actor=None, unit=unit, channel="web", category="complaint", summary="路灯不亮")


def test_units_whose_names_begin_alike_number_their_cases_apart(liuwan: dict[str, Any]) -> None:
    numbers = [_register(liuwan[u]).number for u in ("town", "hexi", "hexi", "town", "county", "jia", "jia")]
    assert len(set(numbers)) == len(numbers), numbers
    town, hexi = numbers[0], numbers[1]
    assert town.startswith("柳湾〔") and hexi.startswith("柳湾镇河〔")  # not "柳湾镇": that is the town's name
    assert numbers[4].startswith("邻县〔") and numbers[5].startswith("邻县甲〔")
    # a prefix, once chosen, stays: the next case of 河西社区 carries the same one
    assert numbers[2].split("〔")[0] == "柳湾镇河" and numbers[2].endswith("0002号")


def test_both_register_through_the_api(people: dict[str, Any], liuwan: dict[str, Any]) -> None:
    import json

    c = Client()
    assert c.login(username="dispatcher", password=PASSWORD)  # a reviewer at the office above 柳湾镇
    for unit in ("town", "hexi", "town", "hexi"):
        r = c.post(
            "/api/cases",
            json.dumps({"unit_id": liuwan[unit].pk, "channel": "web", "category": "complaint", "summary": "噪音"}),
            content_type="application/json",
        )
        assert r.status_code == 201, r.content


def test_a_new_prefix_avoids_numbers_issued_before_prefixes_were_stored(liuwan: dict[str, Any]) -> None:
    from qingting.web.cases.models import Case, CasePrefix

    old = _register(liuwan["hexi"])  # 河西社区 numbered first and got "柳湾"
    assert old.number.startswith("柳湾〔")
    CasePrefix.objects.all().delete()  # as if the numbers were issued before this release
    new = _register(liuwan["town"])
    assert not new.number.startswith("柳湾〔") and new.number != old.number
    assert Case.objects.filter(number=new.number).count() == 1


def test_the_migration_keeps_existing_prefixes_and_frees_shared_ones(liuwan: dict[str, Any]) -> None:
    import importlib

    from django.apps import apps

    from qingting.web.cases.models import Case, CasePrefix

    town = _register(liuwan["town"])
    hexi = _register(liuwan["hexi"])
    jia = _register(liuwan["jia"])
    # Before this release 柳湾镇河西社区 could number in another year with the same "柳湾".
    Case.objects.filter(pk=hexi.pk).update(number=hexi.number.replace("柳湾镇河", "柳湾").replace("〔20", "〔19"))
    CasePrefix.objects.all().delete()
    importlib.import_module("qingting.web.cases.migrations.0007_number_prefix").fill(apps, None)
    assert dict(CasePrefix.objects.values_list("unit_id", "prefix")) == {liuwan["jia"].pk: jia.number.split("〔")[0]}
    numbers = set(Case.objects.values_list("number", flat=True))
    for unit in ("town", "hexi", "jia"):
        n = _register(liuwan[unit]).number
        assert n not in numbers
        numbers.add(n)
    assert town.number in numbers  # nothing renumbered
