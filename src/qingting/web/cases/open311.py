"""Open311 GeoReport v2 at ``/open311/v2/`` (https://wiki.open311.org/GeoReport_v2).

``discovery``, ``services``, ``services/{code}``, ``requests`` (GET and POST) and
``requests/{id}``, each as ``.json`` or ``.xml``. Errors in the spec's format
(``[{"code": 400, "description": …}]`` / ``<errors><error>…``) with the HTTP status as the code.

Parsing, validation, status mapping and XML come from :mod:`qingting.core.cases.open311`; cases
are created through :func:`qingting.web.cases.services.case_create` (as the system, in the unit
of the client whose ``api_key`` was sent; keys are stored hashed).

What is public (decision 0053): only cases of categories offered through Open311; their summary
(not the full description) and region, the unit responsible, open/closed and the latest public
reply. Never the citizen's contact details, internal notes or, except for requests that came in
through Open311 themselves, the exact address and coordinates.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from qingting.core.cases import open311 as core
from qingting.core.cases.workflow import CaseState
from qingting.web.cases import services
from qingting.web.cases.models import Case, Category, OriginKind

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+08:00"

_CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _render(data: Any, fmt: str, root: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = data if isinstance(data, str) else core.to_xml(data, root)
    else:
        import json

        body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type=_CONTENT_TYPES[fmt])


def _error(err: core.Open311Error, fmt: str) -> HttpResponse:
    return _render(err.as_list(), fmt, "errors", status=err.code)


def _endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Check the format suffix and turn Open311Error into the spec's error answer."""

    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        if fmt not in _CONTENT_TYPES:
            return _error(core.Open311Error(404, f"format {fmt!r} not supported; use .json or .xml"), "json")
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except core.Open311Error as exc:
            return _error(exc, fmt)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(wrapper)


def _method(request: HttpRequest, *allowed: str) -> None:
    if request.method not in allowed:
        raise core.Open311Error(405, f"method {request.method} not allowed; use {' or '.join(allowed)}")


def _services() -> list[core.Service]:
    out = []
    for c in Category.objects.filter(open311=True, is_active=True).order_by("order", "code"):
        attributes = tuple(
            core.Attribute(
                code=str(a["code"]),
                description=str(a.get("description", "")),
                datatype=core.Datatype(a.get("datatype", "string")),
                required=bool(a.get("required", False)),
                variable=bool(a.get("variable", True)),
                order=int(a.get("order", 1)),
                datatype_description=str(a.get("datatype_description", "")),
                values=tuple((str(k), str(n)) for k, n in a.get("values", [])),
            )
            for a in (c.attributes or [])
        )
        out.append(
            core.Service(code=c.code, name=c.name, description=c.description, group=c.group, attributes=attributes)
        )
    return out


@_endpoint
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """Where the endpoint is and what it speaks."""
    _method(request, "GET")
    base = request.build_absolute_uri("/open311/v2/")
    endpoint = {
        "specification": SPEC_URL,
        "url": base.rstrip("/"),
        "changeset": CHANGESET,
        "type": "production",
    }
    formats = ["text/xml", "application/json"]
    data: dict[str, Any] = {
        "changeset": CHANGESET,
        "contact": "",
        "key_service": "",
        "endpoints": [{**endpoint, "formats": formats}],
    }
    if fmt == "json":
        return _render(data, fmt, "discovery")
    top = ET.Element("discovery")
    for key in ("changeset", "contact", "key_service"):
        ET.SubElement(top, key).text = str(data[key])
    endpoints = ET.SubElement(top, "endpoints")
    node = ET.SubElement(endpoints, "endpoint")
    for key, value in endpoint.items():
        ET.SubElement(node, key).text = value
    listed = ET.SubElement(node, "formats")
    for f in formats:
        ET.SubElement(listed, "format").text = f
    return _render('<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode"), fmt, "discovery")


@_endpoint
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """``GET services``: the categories open to Open311 clients."""
    _method(request, "GET")
    return _render(core.service_list(_services()), fmt, "services")


@_endpoint
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    """``GET services/{code}``: a service's extra questions."""
    _method(request, "GET")
    return _render(core.service_definition(core.find_service(_services(), code)), fmt, "service_definition")


def _public(case: Case, names: dict[str, str]) -> core.PublicCase:
    own = case.origin_kind == OriginKind.OPEN311
    return core.PublicCase(
        service_request_id=str(case.pk),
        state=CaseState(case.status),
        service_code=case.category,
        service_name=names.get(case.category, case.category),
        description=case.summary,
        requested=case.received_at,
        updated=case.updated_at,
        expected=case.close_due if case.is_open else None,
        address=(case.address or case.region) if own else case.region,
        lat=case.lat if own else None,
        lon=case.lon if own else None,
        agency_responsible=case.unit.name,
        public_reply=case.public_reply,
    )


def _public_cases() -> Any:
    codes = list(Category.objects.filter(open311=True).values_list("code", flat=True))
    return Case.objects.select_related("unit").filter(category__in=codes), dict(
        Category.objects.values_list("code", "name")
    )


def _request_ids(raw: tuple[str, ...]) -> list[int]:
    ids = []
    for x in raw:
        if not x.isdigit():
            raise core.Open311Error(400, f"service_request_id {x!r} is not a request id")
        ids.append(int(x))
    return ids


@_endpoint
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """``GET requests`` (filters and limits of the spec) and ``POST requests`` (needs ``api_key``)."""
    _method(request, "GET", "POST")
    if request.method == "POST":
        return _post_request(request, fmt)
    f = core.parse_get_filters(request.GET, now=timezone.now())
    qs, names = _public_cases()
    if f.ids:
        qs = qs.filter(pk__in=_request_ids(f.ids))
    else:
        if f.service_codes:
            qs = qs.filter(category__in=f.service_codes)
        if f.status and len(set(f.status)) == 1:
            qs = qs.filter(is_open=f.status[0] == "open")
        if f.start is not None:
            qs = qs.filter(received_at__gte=f.start)
        if f.end is not None:
            qs = qs.filter(received_at__lte=f.end)
    cases = list(qs.order_by("-received_at", "-pk")[: f.limit])
    return _render([core.request_to_dict(_public(c, names)) for c in cases], fmt, "service_requests")


@_endpoint
def request_detail(request: HttpRequest, request_id: str, *, fmt: str) -> HttpResponse:
    """``GET requests/{id}``: one request, as a one-element list (spec)."""
    _method(request, "GET")
    qs, names = _public_cases()
    case = qs.filter(pk=_request_ids((request_id,))[0]).first()
    if case is None:
        raise core.Open311Error(404, f"service_request_id {request_id} not found")
    return _render([core.request_to_dict(_public(case, names))], fmt, "service_requests")


def _params(request: HttpRequest) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in request.POST:
        values = request.POST.getlist(key)
        out[key] = values if key.endswith("[]") or len(values) > 1 else values[0]
    return out


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    params = _params(request)
    client = services.open311_authenticate(str(params.get("api_key") or ""))
    if client is None:
        raise core.Open311Error(403, "api_key was not provided or is not valid")
    draft = core.parse_post_request(params, _services())
    service = core.find_service(_services(), draft.service_code)
    lines = [draft.description] if draft.description else []
    for code, value in draft.attributes.items():
        lines.append(f"{code}: {', '.join(value) if isinstance(value, list) else value}")
    if draft.media_url:
        lines.append(f"media_url: {draft.media_url}")
    description = "\n".join(lines)
    name = " ".join(x for x in (draft.contact.first_name, draft.contact.last_name) if x)
    summary = (draft.description or service.name).replace("\n", " ")
    try:
        case = services.case_create(
            actor=None,
            unit=client.unit,
            channel="open311",
            category=draft.service_code,
            summary=summary[:120],
            description=description,
            address=draft.address or (f"address_id {draft.address_id}" if draft.address_id else ""),
            lat=draft.lat,
            lon=draft.lon,
            contact={"name": name, "phone": draft.contact.phone, "email": draft.contact.email},
            origin_kind="open311",
            origin_id=client.pk,
        )
    except ValidationError as exc:
        raise core.Open311Error(400, "; ".join(exc.messages)) from exc
    body = [{"service_request_id": str(case.pk), "service_notice": "", "account_id": ""}]
    return _render(body, fmt, "service_requests")
