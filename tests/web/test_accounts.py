"""Organisation, scoping, passwords, sign-in throttling and the append-only audit log."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from qingting.web.accounts import selectors, services
from qingting.web.audit.models import AuditEntry

from .conftest import PASSWORD


def test_descendants_are_visible_but_siblings_are_not(org: dict[str, Any]) -> None:
    east_ids = selectors.visible_unit_ids(org["east_analyst"])
    assert east_ids == {org["east"].pk, org["east_community"].pk}
    assert org["west"].pk not in east_ids
    leader_ids = selectors.visible_unit_ids(org["office_leader"])
    assert leader_ids is not None
    assert {org["office"].pk, org["east"].pk, org["west"].pk, org["east_community"].pk} <= leader_ids


def test_user_without_membership_sees_nothing(org: dict[str, Any]) -> None:
    from qingting.web.accounts.models import Unit

    loner = services.user_create(actor=None, username="loner", password=PASSWORD)
    assert list(selectors.scope(Unit.objects.all(), loner, unit_field="id")) == []


def test_passwords_are_hashed_with_argon2_and_policy_applies(db: Any) -> None:
    user = services.user_create(actor=None, username="alice", password=PASSWORD)
    assert user.password.startswith("argon2$")
    assert PASSWORD not in user.password
    with pytest.raises(ValidationError):
        services.user_create(actor=None, username="bob", password="12345678")


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_works_and_is_audited(org: dict[str, Any]) -> None:
    client = Client()
    response = _login(client, "east_analyst", PASSWORD)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="auth.login", actor=org["east_analyst"], ip="10.0.0.1").exists()


def test_login_is_throttled_after_repeated_failures(org: dict[str, Any], settings: Any) -> None:
    settings.QINGTING_LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        response = _login(client, "east_analyst", "wrong-password")
        assert response.status_code == 200
    # Locked now: even the right password is refused, with a message that says so.
    response = _login(client, "east_analyst", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.login_locked", actor_label="east_analyst").exists()
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 3
    # Another address is not locked out by someone else's guessing.
    other = Client()
    assert _login(other, "east_analyst", PASSWORD, ip="10.0.0.2").status_code == 302


def test_lock_expires(org: dict[str, Any], settings: Any) -> None:
    from datetime import timedelta

    from qingting.web.accounts.models import LoginFailure

    settings.QINGTING_LOGIN_MAX_FAILURES = 2
    client = Client()
    for _ in range(2):
        _login(client, "east_analyst", "nope")
    assert services.login_locked_for(username="east_analyst", ip="10.0.0.1") > 0
    LoginFailure.objects.update(at=LoginFailure.objects.first().at - timedelta(hours=1))  # type: ignore[union-attr]
    assert services.login_locked_for(username="east_analyst", ip="10.0.0.1") == 0
    assert _login(client, "east_analyst", PASSWORD).status_code == 302


def test_one_address_guessing_many_accounts_is_locked(org: dict[str, Any], settings: Any) -> None:
    """Issue 16, audit finding 8: one wrong password each for 30 usernames from one address."""
    settings.QINGTING_LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    client = Client()
    for n in range(30):
        _login(client, f"guess{n}", "wrong-password", ip="10.9.9.9")
    response = _login(client, "east_analyst", PASSWORD, ip="10.9.9.9")
    assert "_auth_user_id" not in client.session and response.status_code == 200
    assert services.login_locked_for(username="anyone", ip="10.9.9.9") > 0
    # the accounts themselves are not locked for everybody else
    assert _login(Client(), "east_analyst", PASSWORD, ip="10.0.0.2").status_code == 302


def test_one_account_guessed_from_many_addresses_is_locked(org: dict[str, Any], settings: Any) -> None:
    settings.QINGTING_LOGIN_MAX_FAILURES_PER_ACCOUNT = 10
    for n in range(10):
        _login(Client(), "east_analyst", "wrong-password", ip=f"10.1.0.{n}")
    assert _login(Client(), "east_analyst", PASSWORD, ip="10.1.0.200").status_code == 200
    assert _login(Client(), "west_analyst", PASSWORD, ip="10.1.0.200").status_code == 302
    settings.QINGTING_LOGIN_MAX_FAILURES_PER_ACCOUNT = 0  # a count can be turned off
    assert _login(Client(), "east_analyst", PASSWORD, ip="10.1.0.200").status_code == 302


def test_a_session_ends_when_idle_and_at_its_absolute_lifetime(org: dict[str, Any], settings: Any) -> None:
    """Issue 16, audit finding 8: sessions lasted 14 days with no idle timeout."""
    import time

    from qingting.web.config.middleware import AUTH_AT, SEEN_AT

    settings.QINGTING_SESSION_IDLE_SECONDS = 30 * 60
    settings.QINGTING_SESSION_MAX_SECONDS = 12 * 3600
    client = Client()
    assert _login(client, "east_analyst", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200

    def age(**shift: float) -> None:
        session = client.session
        for key, seconds in shift.items():
            session[key] = float(session[key]) - seconds
        session.save()

    age(**{SEEN_AT: 29 * 60})  # 29 minutes idle: still signed in, and the clock restarts
    assert client.get("/").status_code == 200
    assert time.time() - float(client.session[SEEN_AT]) < 5
    age(**{SEEN_AT: 31 * 60})  # 31 minutes idle: signed out, sent to the sign-in page
    response = client.get("/")
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert "_auth_user_id" not in client.session
    # busy all day: still out after 12 hours
    assert _login(client, "east_analyst", PASSWORD).status_code == 302
    age(**{AUTH_AT: 12 * 3600 + 1})
    assert client.get("/").status_code == 302 and "_auth_user_id" not in client.session
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600


def test_audit_log_refuses_update_and_delete_at_the_database(org: dict[str, Any]) -> None:
    entry = AuditEntry.objects.filter(action="membership.grant").first()
    assert entry is not None
    for sql in (
        "UPDATE audit_auditentry SET action = 'tampered' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [entry.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.action == "membership.grant"


def test_writes_that_matter_leave_audit_entries(org: dict[str, Any]) -> None:
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"unit.create", "user.create", "membership.grant"} <= actions
    grant = AuditEntry.objects.filter(action="membership.grant").order_by("id").first()
    assert grant is not None and grant.new == {"user": "east_analyst", "unit": "east", "role": "analyst"}


def test_pages_need_sign_in(db: Any) -> None:
    response = Client().get(reverse("monitoring:dashboard"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
