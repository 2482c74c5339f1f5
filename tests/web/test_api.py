"""The JSON API: token auth, scoping, pagination and filters, one error shape, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qingting.web.accounts.services import api_token_create
from qingting.web.monitoring.models import Event, Item, Scheme

from .conftest import PASSWORD


@pytest.fixture
def api(monitored: dict[str, Any]) -> dict[str, Any]:
    out = dict(monitored)
    for name in ("east_analyst", "west_analyst", "office_leader"):
        _, key = api_token_create(actor=None, user=monitored[name], name="test")
        out[f"{name}_token"] = key
    return out


def _get(token: str, path: str, **params: Any) -> Any:
    return Client().get(f"/api{path}", params, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_requests_without_a_valid_token_are_refused_in_the_error_shape(api: dict[str, Any]) -> None:
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer qt_not-a-token"}):
        response = Client().get("/api/events", **headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_api_is_scoped_like_the_pages(api: dict[str, Any]) -> None:
    token = api["east_analyst_token"]
    west_event = Event.objects.filter(scheme_matches__scheme=api["west_scheme"]).first()
    west_item = Item.objects.filter(source=api["west_source"]).first()
    assert west_event is not None and west_item is not None
    events = _get(token, "/events").json()
    assert events["count"] == Event.objects.filter(scheme_matches__scheme=api["east_scheme"]).count()
    assert all(e["scheme_ids"] == [api["east_scheme"].pk] for e in events["items"])
    items = _get(token, "/items", limit=500).json()
    assert {i["source_id"] for i in items["items"]} == {api["east_source"].pk}
    assert _get(token, f"/events/{west_event.pk}").status_code == 404
    assert _get(token, f"/items/{west_item.pk}").status_code == 404
    assert _get(token, f"/sources/{api['west_source'].pk}").status_code == 404
    assert _get(token, f"/schemes/{api['west_scheme'].pk}").status_code == 404
    assert [s["id"] for s in _get(token, "/schemes").json()["items"]] == [api["east_scheme"].pk]
    # Filtering by another unit's ids yields nothing rather than their data.
    assert _get(token, "/items", source=api["west_source"].pk).json()["count"] == 0
    assert _get(api["office_leader_token"], "/items", limit=1).json()["count"] == Item.objects.count()


def test_pagination_and_filters(api: dict[str, Any]) -> None:
    token = api["east_analyst_token"]
    total = Item.objects.filter(source=api["east_source"]).count()
    page = _get(token, "/items", limit=2, offset=0).json()
    assert page["count"] == total and len(page["items"]) == 2
    rest = _get(token, "/items", limit=100, offset=2).json()
    assert len(rest["items"]) == total - 2
    assert not {i["id"] for i in page["items"]} & {i["id"] for i in rest["items"]}
    found = _get(token, "/items", q="停水").json()
    assert found["count"] >= 6 and all("停水" in i["text"] for i in found["items"])
    assert "author_pseudonym" not in found["items"][0]


def test_invalid_input_gets_field_level_errors(api: dict[str, Any]) -> None:
    token = api["east_analyst_token"]
    response = _get(token, "/events", sort="loudest", since="not-a-date")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"sort", "since"}


def test_create_scheme_validates_scopes_and_audits(api: dict[str, Any]) -> None:
    from qingting.web.audit.models import AuditEntry

    headers = {"HTTP_AUTHORIZATION": f"Bearer {api['east_analyst_token']}", "content_type": "application/json"}
    client = Client()
    bad = client.post("/api/schemes", {"unit_id": api["east"].pk, "name": ""}, **headers)
    assert bad.status_code == 422 and "name" in bad.json()["error"]["fields"]
    foreign = client.post("/api/schemes", {"unit_id": api["west"].pk, "name": "越权"}, **headers)
    assert foreign.status_code == 422 and "unit_id" in foreign.json()["error"]["fields"]
    foreign_source = client.post(
        "/api/schemes", {"unit_id": api["east"].pk, "name": "x", "source_ids": [api["west_source"].pk]}, **headers
    )
    assert foreign_source.status_code == 422 and "source_ids" in foreign_source.json()["error"]["fields"]
    ok = client.post(
        "/api/schemes",
        {"unit_id": api["east"].pk, "name": "道路施工", "source_ids": [api["east_source"].pk]},
        **headers,
    )
    assert ok.status_code == 201, ok.content
    created = Scheme.objects.get(pk=ok.json()["id"])
    assert created.unit == api["east"]
    assert AuditEntry.objects.filter(
        action="scheme.create", object_id=str(created.pk), actor=api["east_analyst"]
    ).exists()


def test_openapi_is_served(api: dict[str, Any]) -> None:
    spec = Client().get("/api/openapi.json").json()
    assert {"/api/events", "/api/items", "/api/sources", "/api/schemes"} <= set(spec["paths"])


def test_session_auth_works_for_the_browser(api: dict[str, Any]) -> None:
    client = Client()
    assert client.login(username="west_analyst", password=PASSWORD)
    body = client.get("/api/schemes").json()
    assert [s["id"] for s in body["items"]] == [api["west_scheme"].pk]
