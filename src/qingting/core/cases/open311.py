"""Open311 GeoReport v2 mapping, pure: statuses, services, requests, filters, errors, XML.

The platform's ``/open311/v2/`` views parse the query with these helpers, call the case services,
and render what these helpers return as JSON (the dicts as they are) or XML (:func:`to_xml`).
Field names, formats and limits follow the GeoReport v2 specification
(https://wiki.open311.org/GeoReport_v2): services list and definition, POST and GET requests,
``open``/``closed`` statuses, w3c datetimes, errors as ``[{"code": 400, "description": …}]``.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from qingting.core.cases.calendar import CHINA_TZ, to_china
from qingting.core.cases.workflow import STATE_KIND, CaseState, StateKind

DEFAULT_WINDOW = timedelta(days=90)
"""GET requests without dates cover the last 90 days (spec)."""
MAX_RESULTS = 1000
"""The most requests one GET returns (spec)."""


class Open311Error(Exception):
    """An error in the spec's format: an HTTP status code and a description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description

    def as_list(self) -> list[dict[str, Any]]:
        """The spec's error body: ``[{"code": 400, "description": "…"}]``."""
        return [{"code": self.code, "description": self.description}]


def public_status(state: CaseState) -> str:
    """A case state as Open311's ``open`` / ``closed``."""
    return "closed" if STATE_KIND[state] is StateKind.CLOSED else "open"


STATUS_NOTES: dict[CaseState, str] = {
    CaseState.RECEIVED: "已接收 / received",
    CaseState.REGISTERED: "已登记 / registered",
    CaseState.ASSIGNED: "已派单 / assigned",
    CaseState.IN_PROGRESS: "办理中 / in progress",
    CaseState.PENDING: "等待补充材料或其他部门 / waiting",
    CaseState.ANSWERED: "已答复 / answered",
    CaseState.CLOSED: "已办结 / closed",
    CaseState.TRANSFERRED: "已转办 / transferred",
    CaseState.NOT_RESPONSIBLE: "不予受理或非本单位职责 / not accepted",
    CaseState.DUPLICATE: "重复诉求，已合并办理 / merged with an earlier request",
    CaseState.REOPENED: "已重新办理 / reopened",
}
"""Default public status notes; the platform adds the public reply where there is one."""


class Datatype(StrEnum):
    """Attribute datatypes of a service definition."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


@dataclass(frozen=True, slots=True)
class Attribute:
    """One extra question of a service (``variable`` false: informational text only)."""

    code: str
    description: str
    datatype: Datatype = Datatype.STRING
    required: bool = False
    variable: bool = True
    order: int = 1
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for the list datatypes


@dataclass(frozen=True, slots=True)
class Service:
    """A service (a case category open to Open311 clients)."""

    code: str
    name: str
    description: str = ""
    group: str = ""
    keywords: tuple[str, ...] = ()
    type: str = "realtime"
    attributes: tuple[Attribute, ...] = ()


def service_list(services: Sequence[Service]) -> list[dict[str, Any]]:
    """``GET /services``: one dict per service, as the spec names the fields."""
    return [
        {
            "service_code": s.code,
            "service_name": s.name,
            "description": s.description,
            "metadata": bool(s.attributes),
            "type": s.type,
            "keywords": ",".join(s.keywords),
            "group": s.group,
        }
        for s in services
    ]


def service_definition(service: Service) -> dict[str, Any]:
    """``GET /services/{code}``: the service's attributes."""
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype.value,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                **({"values": [{"key": k, "name": n} for k, n in a.values]} if a.values else {}),
            }
            for a in sorted(service.attributes, key=lambda a: a.order)
        ],
    }


def find_service(services: Sequence[Service], code: str) -> Service:
    """The service with ``code``; Open311Error 404 otherwise."""
    for s in services:
        if s.code == code:
            return s
    raise Open311Error(404, f"service_code {code!r} not found")


@dataclass(frozen=True, slots=True)
class Contact:
    """The citizen's contact details: stored apart from the case, shown only to its handlers."""

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """A validated ``POST /requests``: what the platform needs to open a case (channel open311)."""

    service_code: str
    description: str
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    address_id: str = ""
    media_url: str = ""
    attributes: dict[str, str | list[str]] = field(default_factory=dict)
    contact: Contact = field(default_factory=Contact)


def _float(params: Mapping[str, Any], key: str, lo: float, hi: float) -> float | None:
    raw = params.get(key)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise Open311Error(400, f"{key} must be a number") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise Open311Error(400, f"{key} out of range")
    return value


def parse_post_request(params: Mapping[str, Any], services: Sequence[Service]) -> RequestDraft:
    """Validate ``POST /requests`` form fields (``api_key`` is checked by the view).

    Attributes arrive as ``attribute[code]``; list values as a list (``attribute[code][]``).
    Raises :class:`Open311Error` 400/404 with the spec's messages.
    """
    code = str(params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    service = find_service(services, code)
    lat, lon = _float(params, "lat", -90, 90), _float(params, "long", -180, 180)
    address = str(params.get("address_string") or "").strip()
    address_id = str(params.get("address_id") or "").strip()
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long must be given together")
    if lat is None and not address and not address_id:
        raise Open311Error(400, "a location is required: lat & long, address_string or address_id")
    attributes: dict[str, str | list[str]] = {}
    for a in service.attributes:
        if not a.variable:
            continue
        raw = params.get(f"attribute[{a.code}]", params.get(f"attribute[{a.code}][]"))
        if raw in (None, "", []):
            if a.required:
                raise Open311Error(400, f"attribute {a.code} is required")
            continue
        attributes[a.code] = _check_attribute(a, raw)
    description = str(params.get("description") or "").strip()
    if not description and not attributes:
        raise Open311Error(400, "description is required")
    contact = Contact(
        **{
            k: str(params.get(k) or "").strip()
            for k in ("email", "first_name", "last_name", "phone", "device_id", "account_id")
        }
    )
    return RequestDraft(
        code, description, lat, lon, address, address_id, str(params.get("media_url") or ""), attributes, contact
    )


def _check_attribute(a: Attribute, raw: Any) -> str | list[str]:
    keys = {k for k, _ in a.values}
    if a.datatype is Datatype.MULTIVALUELIST:
        values = [str(v) for v in (raw if isinstance(raw, list) else str(raw).split(","))]
        bad = [v for v in values if v not in keys]
        if bad:
            raise Open311Error(400, f"attribute {a.code}: unknown value(s) {', '.join(bad)}")
        return values
    value = str(raw[0] if isinstance(raw, list) else raw)
    if a.datatype is Datatype.SINGLEVALUELIST and value not in keys:
        raise Open311Error(400, f"attribute {a.code}: unknown value {value}")
    if a.datatype is Datatype.NUMBER:
        try:
            float(value)
        except ValueError:
            raise Open311Error(400, f"attribute {a.code} must be a number") from None
    if a.datatype is Datatype.DATETIME:
        parse_w3c(value, f"attribute {a.code}")
    return value


def w3c(moment: datetime) -> str:
    """A w3c datetime in China time, e.g. ``2026-03-02T10:00:00+08:00``."""
    return to_china(moment).replace(microsecond=0).isoformat()


def parse_w3c(text: str, what: str = "date") -> datetime:
    """Parse a w3c datetime; a missing zone is taken as China time. Open311Error 400 otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{what} is not a w3c datetime: {text!r}") from None
    return moment.replace(tzinfo=CHINA_TZ) if moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """A validated ``GET /requests`` query."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    status: tuple[str, ...] = ()
    limit: int = MAX_RESULTS


def parse_get_filters(params: Mapping[str, Any], *, now: datetime) -> RequestFilter:
    """Validate ``GET /requests`` parameters.

    ``service_request_id`` (comma-separated) overrides every other filter, as the spec says.
    Without dates the window is the last 90 days; a search may not span more than 90 days;
    results are capped at 1000.
    """
    ids = tuple(x.strip() for x in str(params.get("service_request_id") or "").split(",") if x.strip())
    if ids:
        return RequestFilter(ids=ids, limit=MAX_RESULTS)
    codes = tuple(x.strip() for x in str(params.get("service_code") or "").split(",") if x.strip())
    status = tuple(x.strip().lower() for x in str(params.get("status") or "").split(",") if x.strip())
    if any(s not in ("open", "closed") for s in status):
        raise Open311Error(400, "status must be open or closed")
    start = parse_w3c(str(params["start_date"]), "start_date") if params.get("start_date") else None
    end = parse_w3c(str(params["end_date"]), "end_date") if params.get("end_date") else None
    # The spec caps a search at 90 days; a lone bound opens a 90-day window from it.
    if start is None and end is None:
        start, end = now - DEFAULT_WINDOW, now
    elif end is None:
        assert start is not None
        end = start + DEFAULT_WINDOW
    elif start is None:
        start = end - DEFAULT_WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > DEFAULT_WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return RequestFilter(ids=(), service_codes=codes, start=start, end=end, status=status, limit=MAX_RESULTS)


@dataclass(frozen=True, slots=True)
class PublicCase:
    """What Open311 may show of a case: never the citizen's contact details or internal notes."""

    service_request_id: str
    state: CaseState
    service_code: str
    service_name: str
    description: str
    requested: datetime
    updated: datetime
    expected: datetime | None = None
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    agency_responsible: str = ""
    public_reply: str = ""
    media_url: str = ""


def request_to_dict(case: PublicCase) -> dict[str, Any]:
    """One element of the ``GET /requests`` answer."""
    notes = STATUS_NOTES[case.state]
    if case.public_reply:
        notes = f"{notes}: {case.public_reply}"
    return {
        "service_request_id": case.service_request_id,
        "status": public_status(case.state),
        "status_notes": notes,
        "service_name": case.service_name,
        "service_code": case.service_code,
        "description": case.description,
        "agency_responsible": case.agency_responsible,
        "service_notice": "",
        "requested_datetime": w3c(case.requested),
        "updated_datetime": w3c(case.updated),
        "expected_datetime": w3c(case.expected) if case.expected else "",
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat if case.lat is not None else "",
        "long": case.lon if case.lon is not None else "",
        "media_url": case.media_url,
    }


def matches(case: PublicCase, f: RequestFilter) -> bool:
    """Whether a case passes a GET filter (the platform applies the same in SQL for speed)."""
    if f.ids:
        return case.service_request_id in f.ids
    if f.service_codes and case.service_code not in f.service_codes:
        return False
    if f.status and public_status(case.state) not in f.status:
        return False
    if f.start is not None and case.requested < f.start:
        return False
    return not (f.end is not None and case.requested > f.end)


_XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(parent: ET.Element, data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, list):
            item = _XML_ITEMS.get(key, "item")
            for v in value:
                _fill(ET.SubElement(child, item), v)
        else:
            child.text = _xml_value(value)


def to_xml(data: list[dict[str, Any]] | dict[str, Any], root: str) -> str:
    """Render an answer as the spec's XML: ``root`` is services, service_requests, errors, or
    service_definition (for a dict)."""
    top = ET.Element(root)
    if isinstance(data, dict):
        _fill(top, data)
    else:
        for element in data:
            _fill(ET.SubElement(top, _XML_ITEMS.get(root, "item")), element)
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode")
