"""Deleting a scheme in the UI (issue 15, decision 0108): the unit's administrators only, after a
confirmation page; audited; its matches and source links removed, its subscriptions dropped, its
warnings kept with their history; gone from the lists and the API; the link hidden for others."""

from __future__ import annotations

from typing import Any

from django.test import Client, TestCase

from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role
from qingting.web.monitoring import membership
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Scheme, SchemeEvent, SchemeItem, SourceKind

from .conftest import PASSWORD

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_an_admin_deletes_a_scheme_its_warnings_stay(org: dict[str, Any], engine: str) -> None:
    from qingting.web.audit.models import AuditEntry
    from qingting.web.warnings import services as warnings
    from qingting.web.warnings.models import Subscription, Warning

    admin = accounts.user_create(actor=None, username="east_admin", password=PASSWORD)
    accounts.membership_grant(actor=None, user=admin, unit=org["east"], role=Role.ADMIN)
    west_admin = accounts.user_create(actor=None, username="west_admin", password=PASSWORD)
    accounts.membership_grant(actor=None, user=west_admin, unit=org["west"], role=Role.ADMIN)
    source = monitoring.source_create(actor=None, unit=org["east"], name="东论坛", kind=SourceKind.FORUM)
    water = monitoring.scheme_create(actor=None, unit=org["east"], name="供水", expression="停水", sources=[source])
    other = monitoring.scheme_create(actor=None, unit=org["east"], name="全部", sources=[source])
    for scheme in (water, other):
        warnings.rules_set(actor=admin, scheme=scheme, rules=[{"tier": 4, "min_window_items": 5}])
        membership.scheme_backfill(scheme=scheme)
    posts = [
        {"id": f"e-{i}", "text": f"柳湾镇停水，什么时候恢复供水（第{i}条）", "time": START + 20 * i} for i in range(10)
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        monitoring.ingest_items(source=source, records=posts)
    raised = Warning.objects.filter(scheme=water)
    assert raised.exists() and SchemeItem.objects.filter(scheme=water).count() == 10
    channel = warnings.channel_save(actor=admin, unit=org["east"], name="值班群", kind="webhook",
                                    url="https://hooks.example.org/x")  # fmt: skip
    warnings.subscription_add(actor=admin, channel_id=channel.pk, scheme_id=water.pk)

    # The analyst edits schemes but does not delete them: no link, and a 403 if they try.
    analyst = _client(org["east_analyst"])
    editor = analyst.get(f"/warnings/schemes/{water.pk}/")
    assert editor.status_code == 200 and f"/warnings/schemes/{water.pk}/delete/" not in editor.content.decode()
    assert analyst.get(f"/warnings/schemes/{water.pk}/delete/").status_code == 403
    assert analyst.post(f"/warnings/schemes/{water.pk}/delete/", {"confirm": "供水"}).status_code == 403
    # Another township's administrator does not even see it.
    assert _client(west_admin).post(f"/warnings/schemes/{water.pk}/delete/", {"confirm": "供水"}).status_code == 404

    client = _client(admin)
    page = client.get(f"/warnings/schemes/{water.pk}/").content.decode()
    assert f"/warnings/schemes/{water.pk}/delete/" in page and "删除此方案" in page
    confirm = client.get(f"/warnings/schemes/{water.pk}/delete/").content.decode()
    assert "预警全部保留" in confirm and "删除其预警订阅 1 个" in confirm
    # A wrong name deletes nothing.
    client.post(f"/warnings/schemes/{water.pk}/delete/", {"confirm": "供"})
    assert Scheme.objects.get(pk=water.pk).is_active
    done = client.post(f"/warnings/schemes/{water.pk}/delete/", {"confirm": "供水"}, follow=True)
    assert done.status_code == 200 and "已删除方案“供水”" in done.content.decode()

    water.refresh_from_db()
    assert not water.is_active and water.name == "供水"
    assert (
        not SchemeItem.objects.filter(scheme=water).exists() and not SchemeEvent.objects.filter(scheme=water).exists()
    )
    assert not water.sources.exists() and not Subscription.objects.filter(scheme=water).exists()
    assert Warning.objects.filter(scheme=water).count() == raised.count() > 0  # kept, with their history
    assert SchemeItem.objects.filter(scheme=other).count() == 10  # the other scheme is untouched
    entry = AuditEntry.objects.filter(action="scheme.delete").get()
    assert entry.actor_id == admin.pk and entry.new["items"] == 10
    # Gone from the lists, the filters and the API; its editor is a 404; the warning page still opens.
    listing = client.get("/warnings/").content.decode()
    assert f"/warnings/schemes/{water.pk}/" not in listing and f"/warnings/schemes/{other.pk}/" in listing
    assert client.get(f"/warnings/schemes/{water.pk}/").status_code == 404
    assert water.pk not in {s["id"] for s in client.get("/api/schemes").json()["items"]}
    assert client.get(f"/warnings/{raised.first().pk}/").status_code == 200
    # New posts are no longer matched by it.
    more = [{"id": f"f-{i}", "text": f"柳湾镇又停水了（第{i}条）", "time": START + 900 + 20 * i} for i in range(3)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        monitoring.ingest_items(source=source, records=more)
    assert not SchemeItem.objects.filter(scheme=water).exists()
