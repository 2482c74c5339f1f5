"""Writes for sources and schemes (监测方案): create, edit; a new or changed expression is applied
to stored items in the background (``membership.scheme_backfill_queue``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from qingting.web.accounts.models import Unit
from qingting.web.audit.services import audit_record
from qingting.web.monitoring import membership
from qingting.web.monitoring.models import Scheme, Source, SourceKind


@transaction.atomic
def source_create(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    kind: str = SourceKind.OTHER,
    url: str = "",
    mainstream: bool = False,
    official: bool = False,
) -> Source:
    """Create a source owned by ``unit``; ``official``: a government account (its posts are official responses)."""
    if kind not in SourceKind.values:
        raise ValueError(f"unknown source kind {kind!r}; expected one of {', '.join(SourceKind.values)}")
    source = Source.objects.create(unit=unit, name=name, kind=kind, url=url, mainstream=mainstream, official=official)
    audit_record(actor=actor, action="source.create", obj=source, new={"name": name, "kind": kind, "url": url})
    return source


def _regions(regions: Sequence[str]) -> list[str]:
    """Place names as typed (``柳湾镇、石桥镇`` split by the caller), trimmed, unique, in order."""
    out: list[str] = []
    for region in regions:
        name = str(region).strip()[:100]
        if name and name not in out:
            out.append(name)
    if len(out) > 200:
        raise ValueError("a scheme names at most 200 places")
    return out


def _check_units(scheme_unit: Unit, units: Sequence[Unit]) -> None:
    """Followed units must belong to the scheme's organisation (one engine places their items)."""
    from qingting.web.monitoring.selectors import organisation_id

    org = organisation_id(scheme_unit)
    strangers = [u.name for u in units if organisation_id(u) != org]
    if strangers:
        raise ValueError(f"units of another organisation cannot be followed: {', '.join(strangers)}")


def _scope(scheme: Scheme) -> dict[str, Any]:
    return {
        "sources": sorted(scheme.sources.values_list("pk", flat=True)),
        "units": sorted(scheme.units.values_list("pk", flat=True)),
        "regions": list(scheme.regions or []),
    }


@transaction.atomic
def scheme_create(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    expression: str = "",
    sources: Sequence[Source] = (),
    units: Sequence[Unit] = (),
    regions: Sequence[str] = (),
) -> Scheme:
    """Create a scheme (监测方案) of ``unit`` following ``sources`` and every source of ``units``
    (and the units under them), about ``regions`` only when any are given; it is applied to
    stored items in the background (``membership.scheme_backfill_run``)."""
    _check_units(unit, units)
    scheme = Scheme.objects.create(unit=unit, name=name, expression=expression, regions=_regions(regions))
    if sources:
        scheme.sources.set(sources)
    if units:
        scheme.units.set(units)
    membership.scheme_backfill_queue_if_needed(scheme)
    audit_record(
        actor=actor, action="scheme.create", obj=scheme, new={"name": name, "expression": expression, **_scope(scheme)}
    )
    return scheme


@transaction.atomic
def scheme_update(
    *,
    actor: Any,
    scheme: Scheme,
    name: str | None = None,
    expression: str | None = None,
    sources: Sequence[Source] | None = None,
    units: Sequence[Unit] | None = None,
    regions: Sequence[str] | None = None,
) -> Scheme:
    """Change a scheme's name, expression or scope (sources, followed units, places); ``None``
    leaves that part as it is. The expression must parse (``ValueError`` names where not).

    A changed expression or scope applies the scheme to stored items again, in the background.
    Permission checks are the caller's (the warnings app lets a unit's admins and analysts edit).
    """
    old = {"name": scheme.name, "expression": scheme.expression, **_scope(scheme)}
    if expression is not None and expression.strip() not in ("", "*"):
        from qingting.core.rules import parse

        parse(expression)  # raises ParseError (a ValueError) with the position
    if name is not None:
        if not name.strip():
            raise ValueError("a scheme needs a name")
        scheme.name = name.strip()[:200]
    if expression is not None:
        scheme.expression = expression.strip()
    if units is not None:
        _check_units(scheme.unit, units)
    if regions is not None:
        scheme.regions = _regions(regions)
    scheme.save(update_fields=["name", "expression", "regions"])
    if sources is not None and set(old["sources"]) != {s.pk for s in sources}:
        scheme.sources.set(sources)
    if units is not None and set(old["units"]) != {u.pk for u in units}:
        scheme.units.set(units)
    new = {"name": scheme.name, "expression": scheme.expression, **_scope(scheme)}
    if any(old[k] != new[k] for k in ("expression", "sources", "units", "regions")):
        membership.scheme_backfill_queue(scheme)  # applied to stored items in the background
    audit_record(actor=actor, action="scheme.update", obj=scheme, old=old, new=new)
    return scheme


@transaction.atomic
def scheme_delete(*, actor: Any, scheme: Scheme) -> dict[str, int]:
    """Delete a scheme (监测方案) from use — a unit administrator's decision, audited.

    The scheme is archived, not erased: it is no longer matched, listed, offered or warned about
    (``is_active`` false, the name kept so that its warnings still say where they came from); its
    memberships (the items and events it matched) and its source links are removed; its warnings
    and their history are kept as they are (a warning may have become a case or a bulletin, and
    the audit trail must still resolve). Receivers of ``scheme_deleted`` drop what hangs on it
    (subscriptions). Returns the counts removed; deleting twice is a no-op.

    >>> scheme_delete(actor=admin, scheme=scheme)  # doctest: +SKIP
    {'items': 1204, 'events': 37, 'sources': 2}
    """
    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from qingting.web.accounts.selectors import has_role
    from qingting.web.monitoring.models import SchemeEvent, SchemeItem
    from qingting.web.monitoring.signals import scheme_deleted

    if not has_role(actor, scheme.unit, {"admin"}):
        raise PermissionDenied("only the unit's administrators delete its schemes")
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if not scheme.is_active:
        return {"items": 0, "events": 0, "sources": 0}
    sources = list(scheme.sources.values_list("pk", flat=True))
    removed = {
        "items": SchemeItem.objects.filter(scheme=scheme).delete()[0],
        "events": SchemeEvent.objects.filter(scheme=scheme).delete()[0],
        "sources": len(sources),
    }
    scheme.sources.clear()
    scheme.units.clear()
    scheme.is_active = False
    scheme.backfill_status = ""  # a queued backfill has nothing left to do (inactive schemes match nothing)
    scheme.backfill_finished_at = timezone.now()
    scheme.save(update_fields=["is_active", "backfill_status", "backfill_finished_at"])
    scheme_deleted.send(sender=Scheme, scheme_id=scheme.pk)
    audit_record(
        actor=actor,
        action="scheme.delete",
        obj=scheme,
        old={"name": scheme.name, "expression": scheme.expression, "sources": sources},
        new=removed,
    )
    return removed
