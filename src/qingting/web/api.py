"""The JSON REST API (django-ninja): sources, schemes, events, items.

(No ``from __future__ import annotations`` here: django-ninja reads the annotations at import.)

OpenAPI description at ``/api/openapi.json``, interactive docs at ``/api/docs``. Authentication:
``Authorization: Bearer <token>`` (tokens from :func:`accounts.services.api_token_create`) or the
browser session. Every endpoint reads through the monitoring selectors, so the API is scoped
exactly like the pages. Every error has one shape::

    {"error": {"status": 422, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}
"""

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer, django_auth

from qingting.web.accounts import selectors as account_selectors
from qingting.web.accounts.models import Role
from qingting.web.accounts.services import api_token_authenticate
from qingting.web.monitoring import selectors, services
from qingting.web.monitoring.models import Event, Item, Scheme, Source


class BearerToken(HttpBearer):
    """``Authorization: Bearer qt_...``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Qingting API",
    version="1",
    description="Sources, schemes (监测方案), events and items, scoped to the caller's units.",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


# --- errors: one JSON shape ---------------------------------------------------------------------


def _error(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return api.create_response(request, {"error": body}, status=status)


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters")]
    return ".".join(parts) or "__all__"


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(_field_name(err.get("loc", ())), []).append(str(err.get("msg", "invalid")))
    return _error(request, 422, "invalid", "The request has invalid fields.", fields)


@api.exception_handler(DjangoValidationError)
def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {}
    return _error(request, 422, "invalid", "; ".join(exc.messages), fields or {"__all__": exc.messages})


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "Sign in or send a valid API token.")


@api.exception_handler(AuthorizationError)
@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or "You may not do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(IntegrityError)
def _conflict(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 409, "conflict", "This conflicts with existing data.")


# --- schemas ------------------------------------------------------------------------------------


class SourceOut(Schema):
    id: int
    unit_id: int
    name: str
    kind: str
    url: str
    mainstream: bool
    is_active: bool
    item_count: int
    last_success_at: datetime | None
    last_error_at: datetime | None


class SchemeOut(Schema):
    id: int
    unit_id: int
    name: str
    expression: str
    is_active: bool
    # The sources chosen one by one; the units followed whole (every source of them and of the
    # units under them, present and future); the places it is about (empty: any place).
    source_ids: list[int]
    unit_ids: list[int]
    regions: list[str]

    # Applying the scheme to stored items: status ("" when done, queued, running, failed), done, total.
    backfill: dict[str, Any]

    @staticmethod
    def resolve_source_ids(obj: Scheme) -> list[int]:
        return [s.pk for s in obj.sources.all()]

    @staticmethod
    def resolve_unit_ids(obj: Scheme) -> list[int]:
        return [u.pk for u in obj.units.all()]

    @staticmethod
    def resolve_regions(obj: Scheme) -> list[str]:
        return [str(r) for r in obj.regions or []]

    @staticmethod
    def resolve_backfill(obj: Scheme) -> dict[str, Any]:
        return {"status": obj.backfill_status, "done": obj.backfill_done, "total": obj.backfill_total}


class SchemeIn(Schema):
    unit_id: int
    name: str = Field(min_length=1, max_length=200)
    expression: str = Field(default="", max_length=10_000)
    source_ids: list[int] = Field(default_factory=list, max_length=1000)
    unit_ids: list[int] = Field(default_factory=list, max_length=1000)
    regions: list[str] = Field(default_factory=list, max_length=200)


class EventOut(Schema):
    id: int
    organisation_id: int
    # The schemes (of your units) that match the event, and the items of it you may see.
    scheme_ids: list[int]
    visible_item_count: int
    merged_into_id: int | None
    title: str
    keywords: list[str]
    first_seen: datetime
    last_seen: datetime
    item_count: int
    duplicate_count: int
    source_count: int
    engagement: int
    heat: float
    trend: str
    burst_z: float
    sentiment: float
    negative_share: float
    sentiment_label: str
    buckets: list[list[float]]
    representative_id: int | None

    @staticmethod
    def resolve_scheme_ids(obj: Event, context: Any) -> list[int]:
        user = context["request"].user
        return list(
            selectors.scheme_events_of(obj.pk)
            .filter(scheme__in=selectors.schemes_for(user))
            .values_list("scheme_id", flat=True)
        )

    @staticmethod
    def resolve_visible_item_count(obj: Event, context: Any) -> int:
        return selectors.event_view(context["request"].user, obj).items

    # The event's figures follow its items' current labels, corrections included (decision 0131);
    # the detail sets the figures over what the user sees (decision 0104).
    @staticmethod
    def resolve_negative_share(obj: Event) -> float:
        return float(getattr(obj, "visible_negative_share", obj.negative_share))

    @staticmethod
    def resolve_sentiment(obj: Event) -> float:
        return float(getattr(obj, "visible_sentiment", obj.sentiment))

    @staticmethod
    def resolve_sentiment_label(obj: Event) -> str:
        return str(obj.sentiment_label)


class ItemOut(Schema):
    # The author pseudonym is deliberately absent: the API serves what was said, not who said it.
    id: int
    source_id: int
    external_id: str
    url: str
    title: str
    text: str
    lang: str
    published_at: datetime
    collected_at: datetime
    region: str
    engagement: int
    event_id: int | None
    duplicate_of_id: int | None
    duplicate_kind: str
    sentiment: float | None
    sentiment_label: str


class SourceFilters(Schema):
    kind: str | None = None
    active: bool | None = None


class EventQuery(Schema):
    scheme: int | None = None
    source_kind: str | None = None
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    trend: Literal["new", "rising", "peak", "declining", "dormant"] | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: Literal["heat", "trend", "recent"] = "heat"


class ItemQuery(Schema):
    q: str | None = Field(default=None, max_length=200)
    source: int | None = None
    source_kind: str | None = None
    event: int | None = None
    scheme: int | None = None
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    since: datetime | None = None
    until: datetime | None = None


# --- endpoints ----------------------------------------------------------------------------------


@api.get("/sources", response=list[SourceOut], tags=["sources"])
@paginate(LimitOffsetPagination)
def list_sources(request: HttpRequest, filters: Query[SourceFilters]) -> Any:
    """Sources of your units."""
    qs = selectors.sources_for(request.user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    return qs.order_by("pk")


@api.get("/sources/{source_id}", response=SourceOut, tags=["sources"])
def get_source(request: HttpRequest, source_id: int) -> Source:
    """One source."""
    source = selectors.sources_for(request.user).filter(pk=source_id).first()
    if source is None:
        raise Http404
    return source


@api.get("/schemes", response=list[SchemeOut], tags=["schemes"])
@paginate(LimitOffsetPagination)
def list_schemes(request: HttpRequest) -> Any:
    """Schemes (监测方案) of your units."""
    return selectors.schemes_for(request.user).prefetch_related("sources", "units").order_by("pk")


@api.get("/schemes/{scheme_id}", response=SchemeOut, tags=["schemes"])
def get_scheme(request: HttpRequest, scheme_id: int) -> Scheme:
    """One scheme."""
    scheme = selectors.schemes_for(request.user).filter(pk=scheme_id).first()
    if scheme is None:
        raise Http404
    return scheme


@api.post("/schemes", response={201: SchemeOut}, tags=["schemes"])
def create_scheme(request: HttpRequest, payload: SchemeIn) -> Status[Scheme]:
    """Create a scheme in a unit where you are an administrator or analyst."""
    unit = account_selectors.units_for(request.user).filter(pk=payload.unit_id).first()
    if unit is None:
        raise ValidationError([{"loc": ("body", "payload", "unit_id"), "msg": "No such unit among yours."}])
    if not account_selectors.has_role(request.user, unit, {Role.ADMIN, Role.ANALYST}):
        raise PermissionDenied("Creating schemes needs the administrator or analyst role in this unit.")
    sources = list(selectors.sources_for(request.user).filter(pk__in=payload.source_ids))
    unknown = sorted(set(payload.source_ids) - {s.pk for s in sources})
    if unknown:
        raise ValidationError(
            [{"loc": ("body", "payload", "source_ids"), "msg": f"No such sources among yours: {unknown}"}]
        )
    followed = list(account_selectors.units_for(request.user).filter(pk__in=payload.unit_ids))
    unknown = sorted(set(payload.unit_ids) - {u.pk for u in followed})
    if unknown:
        raise ValidationError(
            [{"loc": ("body", "payload", "unit_ids"), "msg": f"No such units among yours: {unknown}"}]
        )
    try:
        scheme = services.scheme_create(
            actor=request.user,
            unit=unit,
            name=payload.name,
            expression=payload.expression,
            sources=sources,
            units=followed,
            regions=payload.regions,
        )
    except ValueError as exc:
        raise ValidationError([{"loc": ("body", "payload"), "msg": str(exc)}]) from None
    return Status(201, scheme)


@api.get("/events", response=list[EventOut], tags=["events"])
@paginate(LimitOffsetPagination)
def list_events(request: HttpRequest, filters: Query[EventQuery]) -> Any:
    """Events of your schemes, sorted by heat, trend (burst) or recency."""
    qs = selectors.event_board(
        request.user,
        selectors.EventFilters(
            scheme=filters.scheme,
            source_kind=filters.source_kind or "",
            sentiment=filters.sentiment or "",
            trend=filters.trend or "",
            sort=filters.sort,
        ),
    )
    if filters.since:
        qs = qs.filter(last_seen__gte=filters.since)
    if filters.until:
        qs = qs.filter(first_seen__lt=filters.until)
    return qs


@api.get("/events/{event_id}", response=EventOut, tags=["events"])
def get_event(request: HttpRequest, event_id: int) -> Any:
    """One event; an event merged into another redirects to it."""
    event = selectors.event_at(request.user, event_id)
    if event.pk != event_id:
        return HttpResponseRedirect(f"/api/events/{event.pk}")
    view = selectors.event_view(request.user, event)  # the figures over what the user may see
    event.visible_negative_share, event.visible_sentiment = view.negative_share, view.sentiment  # type: ignore[attr-defined]
    return event


@api.get("/items", response=list[ItemOut], tags=["items"])
@paginate(LimitOffsetPagination)
def list_items(request: HttpRequest, filters: Query[ItemQuery]) -> Any:
    """Items of your sources, newest first; ``q`` is a full-text query (all its words must occur)."""
    return selectors.item_search(
        request.user,
        selectors.ItemFilters(
            q=filters.q or "",
            source=filters.source,
            source_kind=filters.source_kind or "",
            sentiment=filters.sentiment or "",
            since=filters.since,
            until=filters.until,
            event=filters.event,
            scheme=filters.scheme,
        ),
    )


@api.get("/items/{item_id}", response=ItemOut, tags=["items"])
def get_item(request: HttpRequest, item_id: int) -> Item:
    """One item."""
    item = selectors.items_for(request.user).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


# --- the other apps' routers (each scoped by its own selectors, errors in the shape above) ------

api.add_router("/warnings", "qingting.web.warnings.api.router", tags=["warnings"])
api.add_router("/cases", "qingting.web.cases.api.router", tags=["cases"])
api.add_router("/reports", "qingting.web.reporting.api.router", tags=["reports"])
api.add_router("/bulletins", "qingting.web.bulletins.api.router", tags=["bulletins"])
api.add_router("/intake", "qingting.web.collect.api.router", tags=["intake"])
api.add_router("/channels", "qingting.web.channels.api.router", tags=["channels"])
api.add_router("/releases", "qingting.web.releases.api.router", tags=["releases"])
api.add_router("/ledger", "qingting.web.ledger.api.router", tags=["ledger"])
api.add_router("/sentiment", "qingting.web.sentiment.api.router", tags=["sentiment"])
