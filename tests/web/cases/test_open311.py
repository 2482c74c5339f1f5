"""Open311 GeoReport v2: GET endpoints through the independent ``georeport`` client against a real
HTTP server on loopback; POST and errors checked against the spec with Django's test client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
import xmltodict
from django.test import Client
from django.utils import timezone

from qingting.core.cases.open311 import w3c
from qingting.web.cases import services
from qingting.web.cases.models import Case, CaseContact

georeport = pytest.importorskip("georeport")


@pytest.fixture
def live(db: Any) -> Iterator[str]:
    """This process's Django app served over real HTTP on 127.0.0.1, sharing the test's database
    connection (so it sees the test's uncommitted data, on SQLite and PostgreSQL alike)."""
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.db import close_old_connections, connections

    class Quiet(WSGIRequestHandler):  # type: ignore[misc,unused-ignore]
        def log_message(self, *args: Any) -> None:
            pass

    conn = connections["default"]
    conn.inc_thread_sharing()
    # Requests must not close the shared connection (it holds the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    httpd = WSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    httpd.set_app(WSGIHandler())

    def serve() -> None:
        connections["default"] = conn
        httpd.serve_forever(poll_interval=0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/open311/v2"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        conn.dec_thread_sharing()


def _mailbox_case_closed(people: dict[str, Any]) -> Case:
    """A citizen's e-mail to the public mailbox, registered, assigned, answered and closed."""
    d, h = people["dispatcher"], people["east_handler"]
    case = services.case_create(
        actor=None,
        unit=people["east"],
        channel="mailbox",
        category="complaint",
        summary="东一社区垃圾清运不及时",
        description="我住在东一社区3栋，电话13812345678，垃圾三天没人收。",
        region="东一社区",
        address="东一社区3栋",
        contact={"name": "赵六", "phone": "13812345678", "email": "zhao@example.org"},
        origin_kind="mailbox",
    )
    for action, kw in [
        ("register", {}),
        ("assign", {"assignee_id": h.pk}),
    ]:
        services.case_act(actor=d, case_id=case.pk, action=action, **kw)
    services.case_act(actor=h, case_id=case.pk, action="claim")
    services.case_act(actor=h, case_id=case.pk, action="answer", reply="已安排环卫所每日清运。")
    return services.case_act(actor=d, case_id=case.pk, action="close")


def test_get_endpoints_with_the_georeport_client(people: dict[str, Any], live: str) -> None:
    closed = _mailbox_case_closed(people)
    open_case = services.case_create(
        actor=None, unit=people["west"], channel="web", category="enquiry", summary="咨询老年卡办理地点"
    )
    hidden = services.case_create(  # "opinion" is not an Open311 service: never public
        actor=None, unit=people["west"], channel="online", category="opinion", summary="网传西街道停水"
    )
    for fmt in ("json", "xml"):
        client = georeport.GeoReport(live, output_format=fmt)
        codes = [s["service_code"] for s in client.get_service_list()]
        assert "complaint" in codes and "enquiry" in codes and "opinion" not in codes
        definition = client.get_service_definition("complaint")
        assert definition["service_code"] == "complaint"
        found = client.get_service_requests()
        found = found if isinstance(found, list) else [found]
        ids = {r["service_request_id"] for r in found}
        assert ids == {str(closed.pk), str(open_case.pk)}, fmt
        one = client.get_service_request(str(closed.pk))
        assert one["status"] == "closed" and "已安排环卫所每日清运" in one["status_notes"]
        assert one["agency_responsible"] == "东街道" and one["service_code"] == "complaint"
        # Contact details and the full description never leave; the exact address neither
        # (the case did not come in through Open311).
        flat = str(found) + str(one)
        assert "13812345678" not in flat and "赵六" not in flat and "zhao@" not in flat and "3栋" not in flat
        only_open = client.get_service_requests(status="open")
        only_open = only_open if isinstance(only_open, list) else [only_open]
        assert [r["service_request_id"] for r in only_open] == [str(open_case.pk)]
        by_code = client.get_service_requests(service_code="complaint")
        by_code = by_code if isinstance(by_code, list) else [by_code]
        assert [r["service_request_id"] for r in by_code] == [str(closed.pk)]
        both = client.get_service_requests(service_request_id=f"{closed.pk},{open_case.pk},{hidden.pk}")
        assert len(both) == 2
        future = timezone.now() + timedelta(days=1)
        window = {"start_date": w3c(future), "end_date": w3c(future + timedelta(days=2))}
        if fmt == "json":
            assert client.get_service_requests(**window) == []  # nothing requested in that window
        else:  # the client cannot read an empty XML list (<service_requests/>); read it directly
            raw = requests.get(f"{live}/requests.xml", params=window, timeout=10)
            assert raw.status_code == 200 and xmltodict.parse(raw.content)["service_requests"] is None
    with pytest.raises(Exception, match="404"):
        georeport.GeoReport(live).get_service_request(str(hidden.pk))


def _post(c: Client, fmt: str = "json", **data: Any) -> Any:
    return c.post(f"/open311/v2/requests.{fmt}", data)


def test_post_request_creates_a_case_and_errors_follow_the_spec(people: dict[str, Any]) -> None:
    issued = services.open311_client_create(actor=people["east_admin"], name="市民App", unit=people["east"])
    assert issued.client.key_hash != issued.api_key and issued.api_key not in issued.client.key_hash
    c = Client()
    ok = {
        "api_key": issued.api_key,
        "service_code": "complaint",
        "lat": "30.1",
        "long": "120.2",
        "address_string": "东街道人民路5号",
        "description": "人民路5号路面塌陷",
        "attribute[repeat]": "yes",
        "first_name": "小",
        "last_name": "明",
        "phone": "13700000000",
    }
    r = _post(c, **ok)
    assert r.status_code == 200, r.content
    body = r.json()
    case = Case.objects.get(pk=int(body[0]["service_request_id"]))
    assert case.channel == "open311" and case.unit == people["east"] and case.origin_id == issued.client.pk
    assert "repeat: yes" in case.description and case.lat == 30.1
    assert CaseContact.objects.get(case=case).phone == "13700000000"
    r = _post(c, "xml", **ok)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/xml")
    assert xmltodict.parse(r.content)["service_requests"]["request"]["service_request_id"].isdigit()
    # The request's own address is public (the citizen posted it for that purpose).
    shown = c.get(f"/open311/v2/requests/{case.pk}.json").json()[0]
    assert shown["address"] == "东街道人民路5号" and shown["lat"] == 30.1 and "13700000000" not in str(shown)

    def error(r: Any, code: int) -> str:
        assert r.status_code == code, r.content
        data = r.json()
        assert isinstance(data, list) and data[0]["code"] == code
        return str(data[0]["description"])

    assert "api_key" in error(_post(c, **{**ok, "api_key": "wrong"}), 403)
    assert "api_key" in error(_post(c, **{k: v for k, v in ok.items() if k != "api_key"}), 403)
    assert "service_code" in error(_post(c, **{**ok, "service_code": "nope"}), 404)
    assert "service_code" in error(_post(c, **{**ok, "service_code": ""}), 400)
    no_place = {k: v for k, v in ok.items() if k not in ("lat", "long", "address_string")}
    assert "location" in error(_post(c, **no_place), 400)
    assert "repeat" in error(_post(c, **{**ok, "attribute[repeat]": "maybe"}), 400)
    assert "status" in error(c.get("/open311/v2/requests.json?status=pending"), 400)
    span = "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"
    assert "90 days" in error(c.get(f"/open311/v2/requests.json?{span}"), 400)
    assert "w3c" in error(c.get("/open311/v2/requests.json?start_date=yesterday"), 400)
    assert "format" in error(c.get("/open311/v2/services.yaml"), 404)
    assert "not found" in error(c.get("/open311/v2/requests/999999.json"), 404)
    r = c.get("/open311/v2/services/nope.xml")
    assert r.status_code == 404
    err = xmltodict.parse(r.content)["errors"]["error"]
    assert err["code"] == "404" and "nope" in err["description"]
    r = c.get("/open311/v2/discovery.json")
    assert r.json()["endpoints"][0]["specification"].endswith("GeoReport_v2")
    assert xmltodict.parse(c.get("/open311/v2/discovery.xml").content)["discovery"]["endpoints"]["endpoint"]
    # Deactivated clients are refused.
    issued.client.is_active = False
    issued.client.save()
    error(_post(c, **ok), 403)
