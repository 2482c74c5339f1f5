"""Pages: warnings list and detail, subscriptions, unit settings (channels, key dates, quiet hours,
duty list) and the scheme editor with its live preview.

Function views in the django-htmx pattern; they validate input and call services and selectors.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from typing import Any, TypedDict, cast

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingting.web.accounts.models import Unit, User
from qingting.web.accounts.selectors import has_role, scope, units_for
from qingting.web.exports import writer as exports
from qingting.web.monitoring.models import Item, Scheme, TrendChoice
from qingting.web.monitoring.selectors import backfill_days, scheme_source_ids
from qingting.web.warnings import selectors, services
from qingting.web.warnings.models import (
    ChannelKind,
    DutyMember,
    KeyDate,
    NotificationChannel,
    QuietHours,
    Subscription,
    TierChoice,
    WarningKind,
    WarningRule,
    WarningStatus,
)
from qingting.web.warnings.policy import THRESHOLD_FIELDS

PAGE_SIZE = 25
PREVIEW_ITEMS = 500  # recent items of the scheme's sources the preview looks through
PREVIEW_SHOWN = 20


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _error_text(exc: ValidationError) -> str:
    return "; ".join(str(m) for m in exc.messages)


@login_required
def warning_list(request: HttpRequest) -> HttpResponse:
    tier = _int(request.GET.get("tier"))
    status = request.GET.get("status") or ""
    scheme_id = _int(request.GET.get("scheme"))
    if status and status != "open" and status not in WarningStatus.values:
        status = ""
    kind = WarningKind.SOURCE if request.GET.get("kind") == WarningKind.SOURCE else WarningKind.EVENT
    qs = selectors.warning_list(request.user, tier=tier, status=status or None, scheme_id=scheme_id, kind=kind)
    schemes = list(scope(Scheme.objects.filter(is_active=True).select_related("unit"), request.user))
    fmt = request.GET.get("export", "")
    if fmt in exports.FORMATS:  # the same list, every page of it, as a spreadsheet
        shown = {
            _("List"): _("Source health") if kind == WarningKind.SOURCE else _("Content warnings"),
            _("Tier"): dict(TierChoice.choices).get(tier, "") if tier else "",
            _("Status"): dict([("open", _("Open")), *WarningStatus.choices]).get(status, "") if status else "",
            _("Scheme"): next((s.name for s in schemes if s.pk == scheme_id), "") if scheme_id else "",
        }
        return cast(HttpResponse, _export(request, qs, [(str(k), str(v)) for k, v in shown.items() if v], fmt))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "nav": "warnings",
        "page": page,
        "tiers": TierChoice.choices,
        "statuses": [("open", _("Open")), *WarningStatus.choices],
        "schemes": schemes,
        # Only those who may open the editor get a link to it (no link that answers 403).
        "editable_schemes": {s.pk for s in schemes if has_role(request.user, s.unit, {"admin", "analyst"})},
        "can_create_scheme": bool(_scheme_units(request.user)),
        "f": {"tier": tier, "status": status, "scheme": scheme_id, "kind": kind},
        "open_by_kind": selectors.open_counts_by_kind(request.user),
        "query": params.urlencode(),
        "is_admin": _admin_units(request.user).exists(),
    }
    if getattr(request, "htmx", False):
        return render(request, "warnings/_rows.html", context)
    return render(request, "warnings/list.html", context)


def _export(request: HttpRequest, qs: Any, filters: list[tuple[str, str]], fmt: str) -> Any:
    english = get_language() == "en"
    tiers = {value: str(label) for value, label in TierChoice.choices}
    statuses = {value: str(label) for value, label in WarningStatus.choices}

    def rows() -> Any:
        for w in exports.chunked(qs.select_related("scheme", "source"), 1000):
            reason = w.reason_en if english and w.reason_en else w.reason
            where = w.scheme.name if w.scheme_id else (w.source.name if w.source_id else "")
            yield [tiers.get(w.tier, w.tier), w.title, reason, where, statuses.get(w.status, w.status), w.raised_at]

    return exports.export_response(
        fmt,
        title=_("Warnings"),
        user=request.user,
        filters=filters,
        header=[_("Tier"), _("Warning"), _("Reason"), _("Scheme or source"), _("Status"), _("Raised")],
        rows=rows(),
    )


@login_required
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    w = selectors.warning_get(request.user, pk)
    services.warning_mark_seen(user=request.user, warning=w)
    english = (get_language() or "").startswith("en")
    context = {
        "nav": "warnings",
        "w": w,
        "reason": w.reason_en if english and w.reason_en else w.reason,
        "figures": w.figures,
        "history": selectors.warning_history(w),
        "trend": dict(TrendChoice.choices).get(str(w.figures.get("trend", "")), w.figures.get("trend", "")),
        "can_act": has_role(request.user, w.unit, services.HANDLE_ROLES),
        "cases_available": _cases_available(),
        "notifications": w.notifications.select_related("channel").order_by("pk"),
        "case": _visible_case(request.user, w.case_id),
        "bulletin_url": _bulletin_url(request.user, w),
    }
    return render(request, "warnings/detail.html", context)


def _visible_case(user: Any, case_id: int | None) -> Any:
    """The promoted warning's case when the user may see it (its page would be a 404 otherwise)."""
    if not case_id or not _cases_available():
        return None
    from qingting.web.cases.selectors import cases_for

    return cases_for(user).filter(pk=case_id).only("pk", "number").first()


def _bulletin_url(user: Any, w: Any) -> str:
    """The bulletin composer with the warning's event ticked, for users who may write bulletins."""
    if w.event_id is None:
        return ""
    try:
        from qingting.web.bulletins.services import ANALYST
    except ImportError:  # pragma: no cover - bulletins not installed
        return ""
    if not has_role(user, w.unit, {ANALYST}):  # an analyst of the warning's unit or above
        return ""
    return f"{reverse('bulletins:new')}?event={w.event_id}"


def _cases_available() -> bool:
    try:
        cases = importlib.import_module("qingting.web.cases.services")
    except ImportError:  # pragma: no cover
        return False
    return hasattr(cases, "case_create")


@login_required
@require_POST
def warning_act(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action")
    try:
        if action == "acknowledge":
            services.warning_acknowledge(actor=request.user, warning_id=pk)
            messages.success(request, _("Warning acknowledged."))
        elif action == "dismiss":
            services.warning_dismiss(actor=request.user, warning_id=pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("Warning dismissed."))
        elif action == "promote":
            case = services.warning_promote(actor=request.user, warning_id=pk)
            messages.success(request, _("Case %(number)s opened from this warning.") % {"number": case})
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    return redirect("warnings:detail", pk=pk)


# --- subscriptions ---------------------------------------------------------------------------------


class AuthenticatedHttpRequest(HttpRequest):
    """A request that passed ``login_required`` (django-stubs' documented pattern)."""

    user: User


@login_required
def subscriptions(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("op") == "delete":
                services.subscription_delete(actor=request.user, subscription_id=_int(request.POST.get("id")) or 0)
                messages.success(request, _("Subscription removed."))
            else:
                services.subscription_add(
                    actor=request.user,
                    channel_id=_int(request.POST.get("channel")) or 0,
                    scheme_id=_int(request.POST.get("scheme")),
                    min_tier=_int(request.POST.get("min_tier")) or 3,
                    digest=bool(request.POST.get("digest")),
                )
                messages.success(request, _("Subscribed."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("warnings:subscriptions")
    context = {
        "nav": "warnings",
        "subs": Subscription.objects.filter(user=request.user).select_related("scheme", "channel"),
        "channels": scope(NotificationChannel.objects.filter(is_active=True), request.user),
        "schemes": scope(Scheme.objects.filter(is_active=True), request.user),
        "tiers": TierChoice.choices,
    }
    return render(request, "warnings/subscriptions.html", context)


# --- unit settings (admins) ------------------------------------------------------------------------


def _admin_units(user: Any) -> Any:
    return units_for(user).filter(pk__in=[u.pk for u in units_for(user) if has_role(user, u, {"admin"})])


def _parse_date(value: str | None, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")}) from None


def _parse_time(value: str | None, field: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value or "")
    except ValueError:
        raise ValidationError({field: _("Enter a time as HH:MM.")}) from None


@login_required
def unit_settings(request: HttpRequest) -> HttpResponse:
    units = _admin_units(request.user)
    if not units.exists():
        raise PermissionDenied("only administrators edit warning settings")
    unit_id = _int(request.POST.get("unit") or request.GET.get("unit"))
    unit = units.filter(pk=unit_id).first() if unit_id else units.first()
    if unit is None:
        raise Http404("no such unit")
    if request.method == "POST":
        try:
            _apply_setting(request, unit)
            messages.success(request, _("Saved."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        except ValueError as exc:
            messages.error(request, str(exc))
        return redirect(f"{request.path}?unit={unit.pk}")
    User = get_user_model()
    context = {
        "nav": "warnings",
        "unit": unit,
        "units": units,
        "channels": NotificationChannel.objects.filter(unit=unit),
        "channel_kinds": ChannelKind.choices,
        "key_dates": KeyDate.objects.filter(unit=unit),
        "quiet": QuietHours.objects.filter(unit=unit).first(),
        "duty": DutyMember.objects.filter(unit=unit).select_related("user"),
        "people": User.objects.filter(memberships__unit__in=units_for(request.user), is_active=True)
        .distinct()
        .order_by("username"),
        "schemes": Scheme.objects.filter(unit=unit, is_active=True),
        "tiers": TierChoice.choices,
    }
    return render(request, "warnings/settings.html", context)


def _apply_setting(request: HttpRequest, unit: Unit) -> None:
    p = request.POST
    op = p.get("op")
    if op == "channel_add":
        services.channel_save(
            actor=request.user, unit=unit, name=p.get("name", ""), kind=p.get("kind", ""), url=p.get("url", ""),
            secret=p.get("secret", ""), smtp_host=p.get("smtp_host", ""), smtp_port=_int(p.get("smtp_port")) or 25,
            smtp_username=p.get("smtp_username", ""), smtp_password=p.get("smtp_password", ""),
            smtp_sender=p.get("smtp_sender", ""), smtp_starttls=bool(p.get("smtp_starttls")),
        )  # fmt: skip
    elif op == "channel_delete":
        services.channel_delete(actor=request.user, channel_id=_int(p.get("id")) or 0)
    elif op in ("channel_enable", "channel_disable"):
        services.channel_set_active(
            actor=request.user, channel_id=_int(p.get("id")) or 0, active=op == "channel_enable"
        )
    elif op == "keydate_add":
        try:
            factor = float(p.get("factor") or 0.5)
        except ValueError:
            raise ValidationError({"factor": _("The factor is a number between 0 and 1.")}) from None
        services.key_date_add(
            actor=request.user, unit=unit, label=p.get("label", ""), start=_parse_date(p.get("start"), "start"),
            end=_parse_date(p.get("end"), "end"), factor=factor, annual=bool(p.get("annual")),
            watch_24h=bool(p.get("watch_24h")),
        )  # fmt: skip
    elif op == "keydate_delete":
        services.key_date_delete(actor=request.user, key_date_id=_int(p.get("id")) or 0)
    elif op == "quiet_set":
        if p.get("clear"):
            services.quiet_hours_set(actor=request.user, unit=unit)
        else:
            services.quiet_hours_set(
                actor=request.user, unit=unit, start=_parse_time(p.get("start"), "start"),
                end=_parse_time(p.get("end"), "end"), min_tier=_int(p.get("min_tier")) or 2,
            )  # fmt: skip
    elif op == "duty_set":
        User = get_user_model()
        names = [n.strip() for n in (p.get("users") or "").replace("，", ",").split(",") if n.strip()]
        found = {u.username: u for u in User.objects.filter(username__in=names)}
        missing = [n for n in names if n not in found]
        if missing:
            raise ValidationError({"users": _("Unknown user: %(names)s") % {"names": ", ".join(missing)}})
        services.duty_set(actor=request.user, unit=unit, users=[found[n] for n in names])
    else:
        raise ValidationError(_("Unknown action."))


# --- scheme editor ---------------------------------------------------------------------------------


def _scheme_for(request: HttpRequest, pk: int) -> Scheme:
    scheme = scope(Scheme.objects.filter(is_active=True).select_related("unit"), request.user).filter(pk=pk).first()
    if scheme is None:
        raise Http404("no such scheme")
    if not has_role(request.user, scheme.unit, {"admin", "analyst"}):
        raise PermissionDenied("only analysts and administrators edit schemes")
    return scheme


def _scheme_units(user: Any) -> list[Unit]:
    """Units where the user may create schemes (an admin or analyst there)."""
    return [u for u in units_for(user) if has_role(user, u, {"admin", "analyst"})]


class _SchemeValues(TypedDict):
    """What the new-scheme form shows back (as typed)."""

    name: str
    unit: str
    expression: str
    sources: list[str]
    units: list[str]
    regions: str


_PLACE_SEPARATORS = re.compile(r"[,，、;；\s]+")


def _scope_choices(user: Any, units: list[Unit]) -> dict[str, Any]:
    """What a scheme's scope may be made of, for this user: the sources of the units where they
    create schemes, those units to follow whole, and the places the organisation knows."""
    from qingting.web.monitoring.models import Source

    sources = scope(Source.objects.filter(unit__in=units).select_related("unit"), user).order_by("unit__path", "name")
    places = [u.name for u in units]
    example = "、".join(places[-2:]) or "某某镇"  # the user's own places, never another organisation's
    return {"scope_sources": list(sources), "scope_units": units, "scope_places": places, "places_example": example}


def _scope_from_post(request: HttpRequest, choices: dict[str, Any]) -> tuple[list[Any], list[Unit], list[str]]:
    """The sources, units and places posted, kept to what :func:`_scope_choices` offered."""
    picked_sources = set(request.POST.getlist("sources"))
    picked_units = set(request.POST.getlist("units"))
    sources = [s for s in choices["scope_sources"] if str(s.pk) in picked_sources]
    units = [u for u in choices["scope_units"] if str(u.pk) in picked_units]
    places = [p for p in _PLACE_SEPARATORS.split(request.POST.get("regions", "")) if p][:200]
    return sources, units, places


@login_required
def scheme_new(request: HttpRequest) -> HttpResponse:
    """A new scheme (监测方案): a name, a unit, an expression and the unit's sources to follow.

    Admins and analysts of the unit only (the link is shown only to them); it is applied to stored
    items in the background, then the editor opens for its rules and preview.
    """
    from qingting.web.monitoring.services import scheme_create

    units = _scheme_units(request.user)
    if not units:
        raise PermissionDenied(_("Only analysts and administrators create schemes."))
    error = ""
    choices = _scope_choices(request.user, units)
    values: _SchemeValues = {
        "name": "",
        "unit": str(units[0].pk),
        "expression": "",
        "sources": [],
        "units": [],
        "regions": "",
    }
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", "").strip()[:100],
            "unit": request.POST.get("unit", ""),
            "expression": request.POST.get("expression", "").strip(),
            "sources": request.POST.getlist("sources"),
            "units": request.POST.getlist("units"),
            "regions": request.POST.get("regions", "").strip()[:2000],
        }
        unit = next((u for u in units if str(u.pk) == values["unit"]), None)
        if unit is None:
            error = _("Choose one of your units.")
        elif not values["name"]:
            error = _("Give the scheme a name.")
        else:
            try:
                from qingting.core.rules import parse

                if values["expression"]:
                    parse(values["expression"])
            except ValueError as exc:
                error = _parse_error_text(exc)
        if not error and unit is not None:
            sources, followed, places = _scope_from_post(request, choices)
            scheme = scheme_create(
                actor=request.user,
                unit=unit,
                name=values["name"],
                expression=values["expression"],
                sources=sources,
                units=followed,
                regions=places,
            )
            messages.success(
                request, _("Scheme “%(name)s” created; it is being applied to stored items.") % {"name": scheme.name}
            )
            return redirect("warnings:scheme", pk=scheme.pk)
    context = {"nav": "warnings", "units": units, "values": values, "error": error, **choices}
    return render(request, "warnings/scheme_new.html", context, status=400 if error else 200)


def _rules_from_post(request: HttpRequest) -> list[dict[str, Any]]:
    p = request.POST
    tiers = p.getlist("tier")
    columns = {name: p.getlist(name) for name in THRESHOLD_FIELDS}
    rules = []
    for i, tier in enumerate(tiers):
        if not tier:
            continue
        rule: dict[str, Any] = {"tier": _int(tier)}
        for name, values in columns.items():
            raw = values[i].strip() if i < len(values) else ""
            if raw == "":
                rule[name] = None
                continue
            try:
                rule[name] = float(raw) if name in ("min_velocity", "min_burst_z", "min_negative_share") else int(raw)
            except ValueError:
                raise ValidationError(
                    {"rules": _("Rule %(n)s: %(value)s is not a number.") % {"n": i + 1, "value": raw}}
                ) from None
        raw_trends = p.getlist("trends")[i] if i < len(p.getlist("trends")) else ""
        # Trend states are typed in the user's words (上升、高峰) or as codes (rising,peak).
        words = {**{str(label): code for code, label in TrendChoice.choices}, **{c: c for c in TrendChoice.values}}
        typed = [t.strip() for t in re.split(r"[,，、;；\s]+", raw_trends) if t.strip()]
        unknown = [t for t in typed if t not in words]
        if unknown:
            known = "、".join(str(label) for _code, label in TrendChoice.choices)
            raise ValidationError(
                {"rules": _("Rule %(n)s: unknown trend state %(value)s; use %(known)s.")
                 % {"n": i + 1, "value": "、".join(unknown), "known": known}}
            )  # fmt: skip
        rule["trends"] = [words[t] for t in typed]
        rules.append(rule)
    return rules


@login_required
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme_for(request, pk)
    is_admin = has_role(request.user, scheme.unit, {"admin"})
    if request.method == "GET" and request.GET.get("part") == "backfill":  # the progress, polled
        return render(request, "warnings/_backfill.html", {"scheme": scheme, "backfill_days": backfill_days()})
    if request.method == "POST":
        from qingting.web.monitoring.services import scheme_update

        try:
            if request.POST.get("op") == "rules":
                if not is_admin:
                    raise PermissionDenied("only administrators change warning rules")
                services.rules_set(actor=request.user, scheme=scheme, rules=_rules_from_post(request))
            elif request.POST.get("op") == "settings":
                if not is_admin:
                    raise PermissionDenied("only administrators change warning settings")
                p = request.POST
                services.scheme_settings_set(
                    actor=request.user,
                    scheme=scheme,
                    window_seconds=int(float(p.get("window_minutes") or 60) * 60),
                    cooldown_seconds=int(float(p.get("cooldown_hours") or 6) * 3600),
                    min_tier=_int(p.get("min_tier")) or 4,
                    ack_timeouts={
                        t: (int(float(p[f"ack_{t}"]) * 60) if p.get(f"ack_{t}", "").strip() else None)
                        for t in (1, 2, 3, 4)
                    },
                )
            elif request.POST.get("op") == "scope":
                choices = _scope_choices(request.user, _scheme_units(request.user))
                sources, followed, places = _scope_from_post(request, choices)
                # What the scheme follows outside this editor's units stays as it is.
                offered_sources = {s.pk for s in choices["scope_sources"]}
                offered_units = {u.pk for u in choices["scope_units"]}
                sources += [s for s in scheme.sources.all() if s.pk not in offered_sources]
                followed += [u for u in scheme.units.all() if u.pk not in offered_units]
                scheme_update(actor=request.user, scheme=scheme, sources=sources, units=followed, regions=places)
            else:
                scheme_update(actor=request.user, scheme=scheme, expression=request.POST.get("expression", ""))
            messages.success(request, _("Saved."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        except PermissionDenied:
            messages.error(request, _("Your role does not allow this."))
        except ValueError as exc:
            messages.error(request, _parse_error_text(exc))
        return redirect("warnings:scheme", pk=scheme.pk)
    rules = list(WarningRule.objects.filter(scheme=scheme))
    if not rules:  # show the defaults the scheme uses now
        from qingting.core.warnings import default_rules
        from qingting.web.warnings.policy import from_core_tier

        rules = [
            WarningRule(tier=from_core_tier(r.tier), **{n: getattr(r, n) for n in THRESHOLD_FIELDS})
            for r in default_rules()
        ]
    context = {
        "nav": "warnings",
        "scheme": scheme,
        "rules": [*rules, WarningRule()],  # one empty row to add a rule
        "trend_words": dict(TrendChoice.choices),
        "uses_defaults": not WarningRule.objects.filter(scheme=scheme).exists(),
        "rule_fields": THRESHOLD_FIELDS,
        "tiers": TierChoice.choices,
        "is_admin": is_admin,
        "preview": _preview(scheme, scheme.expression),
        "settings": _settings_view(scheme),
        "backfill_days": backfill_days(),
        **_scope_choices(request.user, _scheme_units(request.user)),
        "values": {
            "sources": [str(pk) for pk in scheme.sources.values_list("pk", flat=True)],
            "units": [str(pk) for pk in scheme.units.values_list("pk", flat=True)],
            "regions": "、".join(scheme.regions or []),
        },
    }
    return render(request, "warnings/scheme.html", context)


@login_required
def scheme_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a scheme, after a confirmation page that says what goes and what stays (decision 0108).

    The unit's administrators only: the link is shown to them alone, anyone else gets a 403.
    """
    from qingting.web.monitoring.models import SchemeEvent
    from qingting.web.monitoring.services import scheme_delete as delete

    scheme = _scheme_for(request, pk)
    if not has_role(request.user, scheme.unit, {"admin"}):
        raise PermissionDenied(_("Only the unit's administrators delete its schemes."))
    if request.method == "POST":
        if request.POST.get("confirm") != scheme.name:
            messages.error(request, _("Type the scheme's name to confirm."))
            return redirect("warnings:scheme_delete", pk=scheme.pk)
        delete(actor=request.user, scheme=scheme)
        messages.success(
            request, _("The scheme “%(name)s” was deleted; its warnings are kept.") % {"name": scheme.name}
        )
        return redirect("warnings:list")
    context = {
        "nav": "warnings",
        "scheme": scheme,
        "warnings": scheme.warnings.count(),
        "events": SchemeEvent.objects.filter(scheme=scheme).count(),
        "sources": len(scheme_source_ids([scheme.pk])[scheme.pk]),
        "subscriptions": Subscription.objects.filter(scheme=scheme).count(),
    }
    return render(request, "warnings/scheme_delete.html", context)


def _settings_view(scheme: Scheme) -> dict[str, Any]:
    from qingting.web.warnings.policy import policy_for

    policy = policy_for(scheme)
    timeouts = {
        t: (None if v is None else round(v / 60)) for t, v in ((5 - int(k), v) for k, v in policy.ack_timeouts.items())
    }
    return {
        "window_minutes": round(policy.window_seconds / 60),
        "cooldown_hours": round(policy.cooldown_seconds / 3600, 2),
        "min_tier": 5 - int(policy.min_tier),
        "acks": [(t, label, timeouts.get(t)) for t, label in TierChoice.choices],
    }


def _parse_error_text(exc: Exception) -> str:
    english = (get_language() or "").startswith("en")
    if hasattr(exc, "message_zh"):
        return str(exc.message_en if english else exc.message_zh)  # type: ignore[attr-defined]
    return str(exc)


def highlight(text: str, spans: list[Any]) -> SafeString:
    """``text`` escaped, with the matched spans in ``<mark>`` (spans index the original text)."""
    out: list[str] = []
    at = 0
    for s in spans:
        if s.start < at:
            continue
        out.append(escape(text[at : s.start]))
        out.append(f"<mark>{escape(text[s.start : s.end])}</mark>")
        at = s.end
    out.append(escape(text[at:]))
    return mark_safe("".join(out))


def _preview(scheme: Scheme, expression: str) -> dict[str, Any]:
    expression = (expression or "").strip()
    from qingting.core.text import fold

    shown = Item.objects.filter(source_id__in=sorted(scheme_source_ids([scheme.pk])[scheme.pk]))
    if scheme.regions:  # the places as stored and as folded (Traditional/Simplified alike)
        shown = shown.filter(region__in=sorted({*scheme.regions, *(fold(r) for r in scheme.regions)}))
    items = list(shown.select_related("source").order_by("-published_at", "-pk")[:PREVIEW_ITEMS])
    if not expression or expression == "*":
        rows = [{"item": it, "html": highlight(it.text[:300], [])} for it in items[:PREVIEW_SHOWN]]
        return {"error": None, "rows": rows, "matched": len(items), "looked": len(items), "expression": expression}
    from qingting.core.rules import ParseError, compile_expression

    try:
        matcher = compile_expression(expression)
    except ParseError as exc:
        return {
            "error": _parse_error_text(exc),
            "position": exc.position,
            "before": expression[: exc.position],
            "after": expression[exc.position :],
            "rows": [],
            "matched": 0,
            "looked": len(items),
            "expression": expression,
        }
    rows = []
    matched = 0
    for it in items:
        text = f"{it.title}\n{it.text}" if it.title else it.text
        if not matcher.matches(text, source=it.source.name, region=it.region):
            continue
        matched += 1
        if len(rows) < PREVIEW_SHOWN:
            body = it.text[:300]
            rows.append(
                {
                    "item": it,
                    "title_html": highlight(it.title, matcher.spans(it.title)) if it.title else "",
                    "html": highlight(body, matcher.spans(body)),
                }
            )
    return {"error": None, "rows": rows, "matched": matched, "looked": len(items), "expression": expression}


@login_required
def scheme_preview(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme_for(request, pk)
    expression = request.POST.get("expression", request.GET.get("expression", ""))
    return render(request, "warnings/_preview.html", {"preview": _preview(scheme, expression[:2000])})
