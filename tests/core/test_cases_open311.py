"""Open311 GeoReport v2 mapping: statuses, services, POST validation, GET filters, errors, XML."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qingting.core.cases.calendar import CHINA_TZ
from qingting.core.cases.open311 import (
    MAX_RESULTS,
    Attribute,
    Datatype,
    Open311Error,
    PublicCase,
    Service,
    matches,
    parse_get_filters,
    parse_post_request,
    public_status,
    request_to_dict,
    service_definition,
    service_list,
    to_xml,
)
from qingting.core.cases.workflow import CaseState

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=CHINA_TZ)
SERVICES = (
    Service(
        "road",
        "道路破损",
        "路面坑洼、井盖缺失",
        group="市政",
        keywords=("道路", "井盖"),
        attributes=(
            Attribute(
                "size", "坑洞大小", Datatype.SINGLEVALUELIST, required=True, order=2, values=(("s", "小"), ("l", "大"))
            ),
            Attribute("note", "请尽量附照片", variable=False, order=1),
        ),
    ),
    Service("noise", "噪声扰民"),
)


def test_public_status_open_or_closed() -> None:
    assert public_status(CaseState.PENDING) == "open"
    assert public_status(CaseState.ANSWERED) == "open"
    assert public_status(CaseState.REOPENED) == "open"
    for s in (CaseState.CLOSED, CaseState.NOT_RESPONSIBLE, CaseState.DUPLICATE):
        assert public_status(s) == "closed"


def test_service_list_and_definition() -> None:
    listing = service_list(SERVICES)
    assert listing[0] == {
        "service_code": "road",
        "service_name": "道路破损",
        "description": "路面坑洼、井盖缺失",
        "metadata": True,
        "type": "realtime",
        "keywords": "道路,井盖",
        "group": "市政",
    }
    assert listing[1]["metadata"] is False
    definition = service_definition(SERVICES[0])
    assert [a["code"] for a in definition["attributes"]] == ["note", "size"]  # by order
    assert definition["attributes"][1]["values"] == [{"key": "s", "name": "小"}, {"key": "l", "name": "大"}]


def test_post_request_validation() -> None:
    ok = parse_post_request(
        {
            "service_code": "road",
            "lat": "30.1",
            "long": "120.2",
            "attribute[size]": "l",
            "description": "人民路口有大坑",
            "email": "a@example.org",
            "phone": "13800000000",
        },
        SERVICES,
    )
    assert (ok.lat, ok.lon, ok.attributes) == (30.1, 120.2, {"size": "l"})
    assert ok.contact.email == "a@example.org" and ok.contact.phone == "13800000000"
    cases = [
        ({}, 400, "service_code was not provided"),
        ({"service_code": "x", "lat": "1", "long": "1"}, 404, "not found"),
        ({"service_code": "noise", "description": "吵"}, 400, "location is required"),
        ({"service_code": "noise", "lat": "91", "long": "1", "description": "吵"}, 400, "lat out of range"),
        ({"service_code": "noise", "lat": "1", "description": "吵"}, 400, "together"),
        ({"service_code": "road", "address_string": "人民路", "description": "坑"}, 400, "attribute size is required"),
        ({"service_code": "road", "address_string": "人民路", "attribute[size]": "xl"}, 400, "unknown value"),
        ({"service_code": "noise", "address_string": "人民路"}, 400, "description is required"),
    ]
    for params, code, message in cases:
        with pytest.raises(Open311Error, match=message) as err:
            parse_post_request(params, SERVICES)
        assert err.value.code == code
        assert err.value.as_list() == [{"code": code, "description": err.value.description}]


def test_get_filters_follow_the_spec() -> None:
    default = parse_get_filters({}, now=NOW)
    assert (default.start, default.end, default.limit) == (NOW - timedelta(days=90), NOW, MAX_RESULTS)
    ids = parse_get_filters({"service_request_id": "A1, A2", "status": "bogus"}, now=NOW)
    assert ids.ids == ("A1", "A2") and ids.status == ()  # ids override every other filter
    f = parse_get_filters(
        {"start_date": "2026-03-01T00:00:00Z", "status": "open,closed", "service_code": "road"}, now=NOW
    )
    assert f.end == f.start + timedelta(days=90) and f.status == ("open", "closed")  # type: ignore[operator]
    for params, message in (
        ({"status": "pending"}, "open or closed"),
        ({"start_date": "yesterday"}, "w3c"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-03-02T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}, "before"),
    ):
        with pytest.raises(Open311Error, match=message):
            parse_get_filters(params, now=NOW)


def _case(state: CaseState, requested: datetime, code: str = "road") -> PublicCase:
    return PublicCase(
        "青禾〔2026〕0012号", state, code, "道路破损", "大坑", requested, requested, public_reply="已修复"
    )


def test_request_dict_and_matching() -> None:
    case = _case(CaseState.CLOSED, datetime(2026, 3, 2, 2, 0, tzinfo=CHINA_TZ))
    d = request_to_dict(case)
    assert d["status"] == "closed" and d["requested_datetime"] == "2026-03-02T02:00:00+08:00"
    assert d["status_notes"].endswith("已修复") and d["expected_datetime"] == ""
    assert "email" not in d and "phone" not in d  # contact details never leave through Open311
    f = parse_get_filters({"status": "open"}, now=NOW)
    assert not matches(case, f)
    assert matches(_case(CaseState.PENDING, case.requested), f)
    assert not matches(_case(CaseState.PENDING, NOW - timedelta(days=100)), f)
    assert not matches(
        _case(CaseState.PENDING, case.requested, "noise"), parse_get_filters({"service_code": "road"}, now=NOW)
    )


def test_xml_reads_back_like_the_georeport_client_reads_it() -> None:
    xmltodict = pytest.importorskip("xmltodict")  # the parser the `georeport` PyPI client uses
    services = xmltodict.parse(to_xml(service_list(SERVICES), "services"))["services"]["service"]
    assert [s["service_code"] for s in services] == ["road", "noise"] and services[0]["metadata"] == "true"
    definition = xmltodict.parse(to_xml(service_definition(SERVICES[0]), "service_definition"))["service_definition"]
    assert definition["attributes"]["attribute"][1]["values"]["value"][0] == {"key": "s", "name": "小"}
    reqs = [request_to_dict(_case(CaseState.CLOSED, NOW)), request_to_dict(_case(CaseState.ASSIGNED, NOW))]
    parsed = xmltodict.parse(to_xml(reqs, "service_requests"))["service_requests"]["request"]
    assert [r["status"] for r in parsed] == ["closed", "open"]
    errors = xmltodict.parse(to_xml(Open311Error(403, "invalid api_key").as_list(), "errors"))["errors"]["error"]
    assert errors == {"code": "403", "description": "invalid api_key"}
