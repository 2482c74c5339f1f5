"""The ledger API: tasks (bad input names the field, nothing stored), the duty of a day, and an
assessment's scorecards — scoped like the pages."""

from __future__ import annotations

from typing import Any

from django.test import Client

from qingting.web.ledger.models import Task

from ..conftest import PASSWORD
from .test_assessment import year  # noqa: F401  (the seeded year is a fixture)


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_tasks_duty_and_assessment_through_the_api(year: dict[str, Any]) -> None:  # noqa: F811
    leader = _client(year["office_leader"])
    before = Task.objects.count()
    bad = leader.post(
        "/api/ledger/tasks",
        {"unit_id": year["east"].pk, "issuing_unit_id": year["office"].pk, "assignee_id": year["east_handler"].pk,
         "title": "整改", "start": "2026-10-10", "due": "2026-10-01"},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 422 and "due" in bad.json()["error"]["fields"]
    assert Task.objects.count() == before
    made = leader.post(
        "/api/ledger/tasks",
        {"unit_id": year["east"].pk, "issuing_unit_id": year["office"].pk, "assignee_id": year["east_handler"].pk,
         "title": "整改", "start": "2026-09-28", "working_days": 3, "source": "document"},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["due"] > "2026-10-07"  # three working days jump the National Day holiday
    tid = made.json()["id"]
    assert leader.post(f"/api/ledger/tasks/{tid}/close", {}, content_type="application/json").status_code == 422
    listing = _client(year["east_handler"]).get("/api/ledger/tasks?state=open").json()
    assert tid in [t["id"] for t in listing["items"]]
    assert _client(year["west_analyst"]).get(f"/api/ledger/tasks/{tid}").status_code == 404
    duty = leader.get(f"/api/ledger/duty?date=2026-10-01&unit={year['east'].pk}").json()
    assert duty["requires_24h"] and duty["gaps"] == [] and duty["shifts"]
    result = leader.get(f"/api/ledger/assessment/{year['scheme'].pk}/2026").json()
    assert result["stored"] is False and result["units"][0]["rank"] == 1
    assert {c["unit"] for c in result["units"]} >= {"东街道", "西街道"}  # units, never people
    assert _client(year["west_analyst"]).get(f"/api/ledger/assessment/{year['scheme'].pk}/2026").status_code == 404
