"""The cases REST API: queues and filters, detail with contact for handlers only, create, actions
with versions (409 on conflicts), replies, timeline, figures; scoped by units (404 for others)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from qingting.web.cases import services

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def _post(c: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return c.post(url, json.dumps(body), content_type="application/json", headers=headers)


def _case(people: dict[str, Any], unit: str = "east", **kw: Any) -> Any:
    return services.case_create(
        actor=None,
        unit=people[unit],
        channel="mailbox",
        category="enquiry",
        summary=kw.pop("summary", "咨询办理居住证需要哪些材料"),
        contact={"name": "李四", "email": "lisi@example.org"},
        **kw,
    )


def test_create_act_and_conflict(people: dict[str, Any]) -> None:
    analyst = _client(people["east_analyst"])
    r = _post(
        analyst,
        "/api/cases",
        {
            "unit_id": people["east"].pk,
            "channel": "web",
            "category": "complaint",
            "summary": "小区门口路灯不亮",
            "contact": {"name": "王五", "phone": "13900000000"},
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "received" and body["version"] == 0
    assert body["contact"] is None  # an analyst registers cases but does not see contacts
    case_id = body["id"]

    d = _client(people["dispatcher"])
    r = d.get(f"/api/cases/{case_id}")
    assert r.status_code == 200 and r["ETag"] == '"0"'
    assert r.json()["contact"]["phone"] == "13900000000"
    assert "register" in r.json()["allowed_actions"]

    r = _post(d, f"/api/cases/{case_id}/actions/register", {}, **{"If-Match": '"0"'})
    assert r.status_code == 200 and r.json()["status"] == "registered" and r.json()["version"] == 1
    r = _post(d, f"/api/cases/{case_id}/actions/decline", {"expected_version": 0, "reason": "非本单位职责"})
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "conflict" and "已被他人修改" in err["message"] and err["current_version"] == 1

    r = _post(d, f"/api/cases/{case_id}/actions/close", {"expected_version": 1})
    assert r.status_code == 422 and "不能“办结”" in r.json()["error"]["message"]
    r = _post(d, f"/api/cases/{case_id}/actions/fly", {})
    assert r.status_code == 422 and "未知操作" in json.dumps(r.json(), ensure_ascii=False)
    r = _post(_client(people["east_handler"]), f"/api/cases/{case_id}/actions/decline", {"reason": "x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_scoping_queues_and_filters(people: dict[str, Any]) -> None:
    east = _case(people)
    west = _case(people, unit="west", summary="西街道噪音")
    h = people["east_handler"]
    services.case_act(actor=people["dispatcher"], case_id=east.pk, action="register")
    services.case_act(actor=people["dispatcher"], case_id=east.pk, action="assign", assignee_id=h.pk)
    c = _client(h)
    assert c.get(f"/api/cases/{west.pk}").status_code == 404
    assert c.get(f"/api/cases/{west.pk}/timeline").status_code == 404
    assert _post(c, f"/api/cases/{west.pk}/actions/claim", {}).status_code == 404
    r = c.get("/api/cases?queue=all")
    assert [x["id"] for x in r.json()["items"]] == [east.pk] and r.json()["count"] == 1
    assert [x["id"] for x in c.get("/api/cases?queue=mine").json()["items"]] == [east.pk]
    assert c.get("/api/cases?queue=mine&status=received").json()["count"] == 0
    assert c.get("/api/cases?queue=overdue").json()["count"] == 0
    assert c.get("/api/cases?status=bogus").status_code == 422
    leader = _client(people["leader"])
    assert leader.get("/api/cases?queue=unit").json()["count"] == 2
    assert leader.get(f"/api/cases?unit={people['west'].pk}").json()["count"] == 1
    r = leader.get("/api/cases?limit=1&offset=1")
    assert r.json()["count"] == 2 and len(r.json()["items"]) == 1


def test_replies_timeline_and_figures(people: dict[str, Any]) -> None:
    case = _case(people)
    h = _client(people["east_handler"])
    r = _post(h, f"/api/cases/{case.pk}/replies", {"body": "已电话联系市民", "public": False})
    assert r.status_code == 201 and r.json()["kind"] == "internal"
    replies = h.get(f"/api/cases/{case.pk}/replies").json()
    assert [x["body"] for x in replies] == ["已电话联系市民"]
    steps = h.get(f"/api/cases/{case.pk}/timeline").json()
    assert [s["action"] for s in steps] == ["create", "note"]
    r = _client(people["leader"]).get("/api/cases/figures?start=2020-01-01&end=2099-01-01")
    assert r.status_code == 200
    rows = {x["unit_name"]: x for x in r.json()}
    assert rows["东街道"]["received"] == 1 and rows["*"]["received"] == 1 and rows["*"]["closure_rate"] == 0.0


def test_transfer_answers_even_when_the_case_leaves_your_sight(people: dict[str, Any]) -> None:
    case = _case(people)
    h = people["east_handler"]
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="register")
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="assign", assignee_id=h.pk)
    c = _client(h)
    r = _post(c, f"/api/cases/{case.pk}/actions/transfer", {"unit_id": people["west"].pk, "reason": "属西街道"})
    assert r.status_code == 200 and r.json()["status"] == "transferred" and r.json()["unit_id"] == people["west"].pk
    assert r.json()["contact"] is None  # no longer theirs
    assert c.get(f"/api/cases/{case.pk}").status_code == 404
    west = _client(people["west_handler"]).get(f"/api/cases/{case.pk}")
    assert west.status_code == 200 and west.json()["contact"]["name"] == "李四"
