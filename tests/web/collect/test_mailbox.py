"""The public mailbox end to end against a real dovecot: start from now, items, reply details."""

from __future__ import annotations

from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr
from typing import Any

import pytest
from _dovecot import Mailbox, dovecot

from qingting.web.collect import services
from qingting.web.collect.models import MessageContact
from qingting.web.monitoring.models import Item, Source
from qingting.web.monitoring.services import polling


def _message(n: int, subject: str, body: str, charset: str = "gbk", reply_to: str | None = None) -> bytes:
    msg = MIMEText(body, "plain", charset)
    msg["Subject"] = Header(subject, charset)
    msg["From"] = formataddr((str(Header(f"市民{n}", charset)), f"citizen{n}@example.cn"))
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = f"Sun, 22 Nov 2026 0{n % 10}:00:00 +0800"
    msg["Message-ID"] = f"<m{n}@example.cn>"
    return msg.as_bytes()


@pytest.fixture(scope="module")
def box() -> Any:
    old = [_message(1, "旧信：路灯坏了", "东街道路灯坏了一个月"), _message(2, "旧信：噪音", "夜间施工噪音", "utf-8")]
    with dovecot(old) as running:
        yield running


def _mailbox_source(admins: dict[str, Any], box: Mailbox, name: str, start_from_now: bool) -> Source:
    return services.source_save(
        actor=admins["east_admin"], unit=admins["east"], name=name, connector="imap", scheme=admins["east_scheme"],
        options={"host": "localhost", "port": box.port, "security": "plain", "username": "citizen",
                 "start_from_now": start_from_now},
        secrets={"imap_password": "test-password"},
    )  # fmt: skip


def test_start_from_now_ingests_only_new_mail_with_encrypted_reply_details(
    admins: dict[str, Any], box: Mailbox, allow_loopback: str
) -> None:
    source = _mailbox_source(admins, box, "市长信箱", start_from_now=True)
    first = polling.source_poll(source_id=source.pk)
    assert (first.failed, first.created) == (False, 0), first.errors
    assert Source.objects.get(pk=source.pk).fetch_state["cursor"].endswith(":2")  # UIDNEXT - 1
    box.deliver(
        _message(3, "小区停水三天了", "柳湾镇幸福小区停水三天，请尽快处理", reply_to="张三 <zhangsan@example.cn>"),
        "3.qingting.test",
    )
    second = polling.source_poll(source_id=source.pk)
    assert (second.failed, second.created) == (False, 1), second.errors
    item = Item.objects.get(source=source)
    assert item.title == "小区停水三天了" and "幸福小区" in item.text
    assert "zhangsan" not in f"{item.text}{item.author_pseudonym}{item.title}"
    contact = MessageContact.objects.get(item=item)
    assert (contact.name, contact.address, contact.subject) == ("张三", "zhangsan@example.cn", "小区停水三天了")
    # A re-poll stores nothing and leaves the contact alone.
    third = polling.source_poll(source_id=source.pk)
    assert third.created == 0 and MessageContact.objects.filter(item__source=source).count() == 1


def test_without_start_from_now_the_mailbox_is_read_from_the_start(
    admins: dict[str, Any], box: Mailbox, allow_loopback: str
) -> None:
    source = _mailbox_source(admins, box, "信访邮箱", start_from_now=False)
    report = polling.source_poll(source_id=source.pk)
    assert not report.failed and report.created >= 2
    titles = set(Item.objects.filter(source=source).values_list("title", flat=True))
    assert {"旧信：路灯坏了", "旧信：噪音"} <= titles
    contact = MessageContact.objects.get(item__source=source, item__title="旧信：路灯坏了")
    assert (contact.name, contact.address) == ("市民1", "citizen1@example.cn")


def test_a_wrong_password_is_a_recorded_failure(admins: dict[str, Any], box: Mailbox, allow_loopback: str) -> None:
    source = _mailbox_source(admins, box, "错误密码", start_from_now=True)
    services.source_save(
        actor=admins["east_admin"], unit=admins["east"], name="错误密码", connector="imap", source=source,
        options={"host": "localhost", "port": box.port, "security": "plain", "username": "citizen"},
        secrets={"imap_password": "wrong"},
    )  # fmt: skip
    report = polling.source_poll(source_id=Source.objects.get(name="错误密码").pk)
    assert report.failed and "login refused" in report.errors[0]
    source.refresh_from_db()
    assert source.consecutive_failures == 1 and "login refused" in source.last_error
    assert "wrong" not in source.last_error


def test_an_unreadable_stored_password_is_a_clear_failure(admins: dict[str, Any], settings: Any) -> None:
    source = services.source_save(
        actor=None, unit=admins["east"], name="换了密钥", connector="imap", scheme=admins["east_scheme"],
        options={"host": "mail.example.cn", "username": "szxx"}, secrets={"imap_password": "pw"},
    )  # fmt: skip
    settings.QINGTING_ENCRYPTION_KEY = "another key entirely"
    report = polling.source_poll(source_id=source.pk)
    assert report.failed and "cannot be read" in report.errors[0]


def test_testing_a_mailbox_shows_messages_and_stores_nothing(admins: dict[str, Any], box: Mailbox,
                                                              allow_loopback: str) -> None:  # fmt: skip
    options = {"host": "localhost", "port": box.port, "security": "plain", "username": "citizen"}
    before = (Item.objects.count(), MessageContact.objects.count(), Source.objects.count())
    result = services.source_preview(connector="imap", options=options, password="test-password")
    assert not result.failed and "旧信：路灯坏了" in [i.title for i in result.items]
    assert (Item.objects.count(), MessageContact.objects.count(), Source.objects.count()) == before
    wrong = services.source_preview(connector="imap", options=options, password="nope")
    assert wrong.failed and "login refused" in wrong.errors[0].what
    missing = services.source_preview(connector="imap", options=options)
    assert missing.failed and "password" in missing.errors[0].what
