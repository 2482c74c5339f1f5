"""Reads about the organisation, and THE scoping rule every view and API call goes through.

A user sees the units they are a member of and everything below them; superusers see all. Views
and API endpoints never filter by unit themselves: they call :func:`scope` (or a selector built on
it), so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from qingting.web.accounts.models import Membership, Role, Unit

M = TypeVar("M", bound=Model)

_CACHE_ATTR = "_qingting_visible_unit_ids"


def visible_unit_ids(user: Any) -> frozenset[int] | None:
    """Ids of the units ``user`` may see, or ``None`` meaning "all" (a superuser).

    Anonymous and inactive users see nothing. The answer is cached on the user object, which
    Django builds afresh for every request.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    paths = list(Membership.objects.filter(user=user).values_list("unit__path", flat=True).distinct())
    if not paths:
        ids: frozenset[int] = frozenset()
    else:
        condition = Q()
        for path in paths:
            condition |= Q(path__startswith=path)
        ids = frozenset(Unit.objects.filter(condition).values_list("id", flat=True))
    setattr(user, _CACHE_ATTR, ids)
    return ids


def scope_roots(user: Any) -> frozenset[int] | None:
    """The units the user is a member of (the tops of what they see); ``None`` for a superuser.

    Enough to scope anything indexed with all its ancestors' ids (the full-text index does this).
    """
    ids = visible_unit_ids(user)
    if ids is None:
        return None
    if not ids:
        return frozenset()
    return frozenset(Membership.objects.filter(user=user).values_list("unit_id", flat=True))


def scope(queryset: QuerySet[M], user: Any, *, unit_field: str = "unit") -> QuerySet[M]:
    """Restrict ``queryset`` to rows whose ``unit_field`` (a lookup path to a Unit) the user may see.

    >>> scope(Event.objects.all(), request.user, unit_field="scheme__unit")  # doctest: +SKIP
    """
    ids = visible_unit_ids(user)
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    return queryset.filter(**{f"{unit_field}__in": ids})


def units_for(user: Any) -> QuerySet[Unit]:
    """The units the user may see, in tree order."""
    return scope(Unit.objects.all(), user, unit_field="id")


def has_role(user: Any, unit: Unit, roles: Set[str] | None = None) -> bool:
    """Whether ``user`` holds one of ``roles`` (any role when ``None``) on ``unit`` or an ancestor."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return any(unit.path.startswith(path) for path in memberships.values_list("unit__path", flat=True))


def role_codes(user: Any) -> set[str]:
    """The roles the user holds anywhere (``{"handler", "analyst"}``); a superuser counts as admin."""
    if not getattr(user, "is_authenticated", False):
        return set()
    codes = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    return codes | ({"admin"} if user.is_superuser else set())


def roles_of(user: Any) -> list[tuple[str, str]]:
    """``(unit name, role label)`` pairs for display."""
    labels = dict(Role.choices)
    return [
        (name, str(labels.get(role, role)))
        for name, role in Membership.objects.filter(user=user).select_related("unit").values_list("unit__name", "role")
    ]
