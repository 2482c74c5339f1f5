"""Issue 6, done when: a citizen's email to the public mailbox becomes a case, is assigned, answered
on time and closed — visibly and auditably, in the UI, through the API and through Open311.

The email goes to a real IMAP server (Debian's dovecot on loopback, the fixture of
``tests/sources/test_sources_imap.py``), is fetched by the mailbox connector and stored the way the
poller stores it (``ingest_items`` and, where the collect app has it, the reply details in the same
transaction). The intake turns it into a case on commit. The dispatcher assigns it through the
REST API (a stale version there gets 409), the handler claims, replies and answers on the pages,
the reviewer closes it on the page; the timeline, the API, the audit trail and Open311 (JSON and
XML) all tell the same story.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path
from typing import Any

from django.db import transaction
from django.test import Client
from django.urls import reverse

from qingting.sources.types import FetchState
from qingting.web.accounts import services as accounts
from qingting.web.cases.models import Case, CaseAction
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import SourceKind

from ..conftest import PASSWORD

# The dovecot fixture lives with the connector's own tests; load it from there (one copy).
_IMAP_TESTS = Path(__file__).resolve().parents[2] / "sources" / "test_sources_imap.py"
if str(_IMAP_TESTS.parent) not in sys.path:
    sys.path.append(str(_IMAP_TESTS.parent))  # its helper module tests_shared
_spec = importlib.util.spec_from_file_location("qingting_tests_sources_imap", _IMAP_TESTS)
assert _spec is not None and _spec.loader is not None
_imap = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
if not hasattr(_imap, "mailbox"):
    _spec.loader.exec_module(_imap)
mailbox = _imap.mailbox  # the module-scoped fixture: a real dovecot with the real-world sample mails

SUBJECT = "关于东街道夜间施工噪音的投诉"


def _email() -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr(("王女士", "wang.citizen@example.org"))
    msg["To"] = "mayor-mailbox@example.gov"
    msg["Subject"] = SUBJECT
    msg["Date"] = formatdate(time.time(), localtime=True)
    msg["Message-ID"] = "<e2e-case-1@example.org>"
    msg.set_content(
        "尊敬的领导：\n东街道和平路工地每晚施工到凌晨两点，噪音很大，老人孩子无法休息。\n恳请尽快处理。\n王女士"
    )
    return bytes(msg)


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _store(source: Any, scheme: Any, fetched: list[Any]) -> None:
    """Store fetched mail as the poller does: items and reply details in one transaction."""
    try:
        from qingting.web.monitoring.services.polling import contacts_store  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # the sources branch (collect.MessageContact) is not merged here
        contacts_store = None  # type: ignore[assignment,unused-ignore]
    with transaction.atomic():
        result = monitoring.ingest_items(scheme=scheme, source=source, records=[i.as_record() for i in fetched])
        if contacts_store is not None:
            contacts_store(source, fetched)
    assert result.created == len(fetched), result.errors


def test_a_citizens_email_is_handled_on_time_visibly_and_auditably(
    people: dict[str, Any], engine: str, mailbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    east, dispatcher, handler = people["east"], people["dispatcher"], people["east_handler"]
    reviewer = accounts.user_create(actor=None, username="east_reviewer", password=PASSWORD)
    accounts.membership_grant(actor=None, user=reviewer, unit=east, role="reviewer")
    box = monitoring.source_create(actor=None, unit=east, name="东街道书记信箱", kind=SourceKind.MAILBOX)
    scheme = monitoring.scheme_create(actor=None, unit=east, name="东街道", sources=[box])

    # 1. The citizen writes; the public mailbox (a real IMAP server) receives it; we fetch it.
    mailbox.deliver(_email(), "e2e-case-1.eml")
    fetched = mailbox.connector(max_messages=1000).fetch(FetchState())
    ours = [i for i in fetched.items if i.title == SUBJECT]
    assert len(ours) == 1, [i.title for i in fetched.items][-5:]
    with django_capture_on_commit_callbacks(execute=True):
        _store(box, scheme, ours)

    # 2. It is a case, once, in the mailbox's unit, with the subject as summary.
    case = Case.objects.get()
    assert case.channel == "mailbox" and case.origin_kind == "mailbox" and case.unit == east
    assert case.summary == SUBJECT and case.category == "complaint" and case.status == "received"
    assert "和平路工地" in case.description
    has_contact = importlib.util.find_spec("qingting.web.collect.models") is not None and hasattr(
        importlib.import_module("qingting.web.collect.models"), "MessageContact"
    )

    # 3. The dispatcher registers it on the page and assigns it through the REST API.
    pages = {u: _client(u) for u in (dispatcher, handler, reviewer)}

    def act(user: Any, action: str, **data: Any) -> Any:
        version = Case.objects.get(pk=case.pk).version
        return pages[user].post(reverse("cases:act", args=[case.pk, action]), {"version": version, **data})

    assert act(dispatcher, "register").status_code == 302
    _token, key = accounts.api_token_create(actor=None, user=dispatcher, name="e2e")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    stale = api.post(
        f"/api/cases/{case.pk}/actions/assign",
        json.dumps({"expected_version": 0, "assignee_id": handler.pk}),
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    assigned = api.post(
        f"/api/cases/{case.pk}/actions/assign",
        json.dumps({"expected_version": 1, "assignee_id": handler.pk, "reason": "请东街道处理"}),
        content_type="application/json",
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["status"] == "assigned"

    # 4. The handler finds it in their queue, sees the citizen's reply address, claims, replies, answers.
    queue = pages[handler].get(reverse("cases:queue")).content.decode()
    assert case.number in queue
    detail = pages[handler].get(reverse("cases:detail", args=[case.pk])).content.decode()
    if has_contact:
        assert "wang.citizen@example.org" in detail
    assert act(handler, "claim").status_code == 302
    reply = "王女士您好：已责令施工单位即日起22时后停止施工，并安排夜间巡查。感谢您的监督。"
    assert act(handler, "answer", reply=reply).status_code == 302

    # 5. The reviewer closes it; it was on time.
    assert act(reviewer, "close", reason="已电话回访，群众满意").status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and not case.is_open and case.on_time is True

    # Visible: the case page tells the whole story.
    page = pages[reviewer].get(reverse("cases:detail", args=[case.pk])).content.decode()
    timeline = page[page.index('id="timeline"') :]
    for text in ("已接收", "登记", "派单", "认领", "公开答复", "答复", "办结", "请东街道处理", "已电话回访"):
        assert text in timeline, text
    assert reply in page and "按时完成" in page
    if has_contact:
        assert "wang.citizen@example.org" not in pages[reviewer].get(reverse("cases:queue")).content.decode()

    # Auditable: one audit row per step, by the right people, in order, versions without gaps.
    trail = list(CaseAction.objects.filter(case=case).order_by("pk").values_list("action", "actor__username"))
    assert trail == [
        ("create", None),
        ("register", "dispatcher"),
        ("assign", "dispatcher"),
        ("claim", "east_handler"),
        ("answer", "east_handler"),
        ("close", "east_reviewer"),
    ]
    versions = [v for v in CaseAction.objects.filter(case=case).values_list("version", flat=True) if v is not None]
    assert versions == list(range(len(versions)))

    # Through the API: the case and its timeline.
    got = api.get(f"/api/cases/{case.pk}").json()
    assert got["status"] == "closed" and got["on_time"] is True and got["public_reply"] == reply
    steps = [a["action"] for a in api.get(f"/api/cases/{case.pk}/timeline").json()]
    assert steps == [a for a, _ in trail]

    # Through Open311 (no sign-in: the public view): closed, with the public reply, never the contact.
    public = Client().get(f"/open311/v2/requests/{case.pk}.json")
    assert public.status_code == 200
    (request,) = public.json()
    assert request["status"] == "closed" and reply in request["status_notes"]
    assert request["service_code"] == "complaint" and request["description"] == SUBJECT
    assert "wang.citizen" not in public.content.decode()
    xml = ET.fromstring(Client().get(f"/open311/v2/requests/{case.pk}.xml").content)
    assert xml.tag == "service_requests" and xml.findtext("request/status") == "closed"
    listed = Client().get("/open311/v2/requests.json", {"status": "closed", "service_code": "complaint"}).json()
    assert str(case.pk) in {r["service_request_id"] for r in listed}
