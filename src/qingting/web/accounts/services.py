"""Writes about the organisation: units, users, memberships, sign-in throttling, API tokens.

Every function here is a complete unit of work: it validates, writes in one transaction, and
appends its audit entry in that same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from qingting.web.accounts.models import ApiToken, LoginFailure, Membership, Role, Unit, UnitKind, User
from qingting.web.audit.services import audit_record


@transaction.atomic
def unit_create(*, actor: Any, code: str, name: str, kind: str, parent: Unit | None = None) -> Unit:
    """Create a unit under ``parent`` (``None`` for a root office)."""
    if kind not in UnitKind.values:
        raise ValueError(f"unknown unit kind {kind!r}; expected one of {', '.join(UnitKind.values)}")
    unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent)
    # The path needs the new primary key, hence the second write.
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit_record(actor=actor, action="unit.create", obj=unit, new={"code": code, "name": name, "kind": kind})
    return unit


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user; the password must pass the configured password policy (raises ``ValidationError``)."""
    user = User(username=username, display_name=display_name, email=email)
    user.is_staff = is_staff
    user.is_superuser = is_superuser
    validate_password(password, user)
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        new={"username": username, "is_staff": is_staff, "is_superuser": is_superuser},
    )
    return user


@transaction.atomic
def membership_grant(*, actor: Any, user: User, unit: Unit, role: str, reason: str = "") -> Membership:
    """Give ``user`` the ``role`` over ``unit`` and its descendants (idempotent)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(Role.values)}")
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if created:
        audit_record(
            actor=actor,
            action="membership.grant",
            obj=membership,
            new={"user": user.username, "unit": unit.code, "role": role},
            reason=reason,
        )
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership, reason: str = "") -> None:
    """Remove a membership."""
    old = {"user": membership.user.username, "unit": membership.unit.code, "role": membership.role}
    audit_record(actor=actor, action="membership.revoke", obj=membership, old=old, reason=reason)
    membership.delete()


# --- sign-in throttling -------------------------------------------------------------------------


def login_locked_for(*, username: str, ip: str) -> int:
    """Seconds a sign-in as ``username`` from ``ip`` stays refused, 0 when it may try.

    Three counts over the last ``QINGTING_LOGIN_WINDOW_SECONDS``, each locking for
    ``QINGTING_LOGIN_LOCK_SECONDS`` after its latest failure once it reaches its limit:
    the pair (``QINGTING_LOGIN_MAX_FAILURES``: someone guessing one password), the address
    (``QINGTING_LOGIN_MAX_FAILURES_PER_ADDRESS``, any usernames: one machine trying one password on
    many accounts), and the account (``QINGTING_LOGIN_MAX_FAILURES_PER_ACCOUNT``, any addresses:
    guesses spread over many machines). A limit of 0 turns that count off.
    """
    now = timezone.now()
    since = now - timedelta(seconds=settings.QINGTING_LOGIN_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    counts = [
        (recent.filter(username=username.lower(), ip=ip), int(settings.QINGTING_LOGIN_MAX_FAILURES)),
        (recent.filter(ip=ip), int(settings.QINGTING_LOGIN_MAX_FAILURES_PER_ADDRESS)),
        (
            recent.filter(username=username.lower()),
            int(settings.QINGTING_LOGIN_MAX_FAILURES_PER_ACCOUNT),
        ),
    ]
    locked = 0
    for failures, limit in counts:
        if limit <= 0:
            continue
        latest = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
        if len(latest) < limit:
            continue
        unlock = latest[0] + timedelta(seconds=settings.QINGTING_LOGIN_LOCK_SECONDS)
        if unlock > now:
            locked = max(locked, int((unlock - now).total_seconds()) + 1)
    return locked


@transaction.atomic
def login_failure_record(*, username: str, ip: str, locked: bool = False) -> None:
    """Count a failed sign-in (not counted again while locked) and audit it."""
    if not locked:
        LoginFailure.objects.create(username=username.lower(), ip=ip, at=timezone.now())
    audit_record(
        actor=None,
        actor_label=username[:150],
        action="auth.login_locked" if locked else "auth.login_failed",
        object_type="accounts.user",
        ip=ip,
    )


@transaction.atomic
def login_success_record(*, user: User, ip: str) -> None:
    """Clear the failure count of this pair and audit the sign-in."""
    LoginFailure.objects.filter(username=user.get_username().lower(), ip=ip).delete()
    audit_record(actor=user, action="auth.login", obj=user, ip=ip)


# --- API tokens ---------------------------------------------------------------------------------


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Any, user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; returns the row and the plaintext token (shown once)."""
    key = "qt_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=_hash_token(key), prefix=key[:8])
    audit_record(actor=actor, action="api_token.create", obj=token, new={"user": user.username, "name": name})
    return token, key


def api_token_authenticate(key: str) -> User | None:
    """The active user a bearer token belongs to, or ``None``."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Only touch the row once a minute: a busy client must not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def client_ip(request: Any) -> str:
    """The address a request came from (``REMOTE_ADDR``; a proxy must set it correctly)."""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]
