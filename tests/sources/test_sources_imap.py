"""The public-mailbox connector against a real IMAP server (Debian's dovecot) on loopback.

The server is started from a generated configuration in a temporary directory, listening on
127.0.0.1 on a free port with plain authentication (tests only), and loaded with the real-world
messages of ``shared/data/email``. Without dovecot the tests skip with the reason — except under
``CI=true``, where a missing server is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _dovecot import KEY, Mailbox, dovecot

from qingting.sources.imap import ImapConnector
from qingting.sources.mail import MailLimits, parse_message
from qingting.sources.types import FetchResult, FetchState, SourceError, pseudonymise


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    from tests_shared import shared_email_dir

    files = sorted(p for p in shared_email_dir().rglob("*") if p.suffix in (".eml", ".raw"))
    with dovecot([p.read_bytes() for p in files]) as box:
        box.files = files
        yield box


@pytest.fixture(scope="module")
def full_poll(mailbox: Mailbox) -> FetchResult:
    """One poll over the whole mailbox, shared by the tests that only read it."""
    return mailbox.connector(max_messages=1000).fetch(FetchState())


def test_every_real_message_is_ingested_or_recorded_with_a_clear_error(
    mailbox: Mailbox, full_poll: FetchResult
) -> None:
    r = full_poll
    assert not r.failed, r.errors
    n = len(mailbox.files)
    assert len(r.items) + len(r.errors) == n == 296
    assert r.cursor is not None and r.cursor.endswith(f":{n}")
    by_uid = {int(i.external_id.rsplit(":", 1)[1]): i for i in r.items}
    errors = {int(e.where.split()[1]): e for e in r.errors}
    assert set(by_uid) | set(errors) == set(range(1, n + 1))
    for uid, path in enumerate(mailbox.files, 1):
        name = str(path).split("/email/", 1)[1]
        raw = path.read_bytes()
        # Dovecot sends text lines ending in CRLF whatever the file had (and leaves binary alone):
        # the message read through the server must equal one of the two local readings.
        readings = []
        for variant in (raw, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")):
            try:
                readings.append(parse_message(variant, key=KEY, external_id="x"))
            except SourceError as e:
                readings.append(e)
        if all(isinstance(x, SourceError) for x in readings):
            e = readings[0]
            assert uid in errors, f"{name}: expected the error {e}"
            assert errors[uid].what == e.message and errors[uid].kind == type(e).__name__
            continue
        assert uid in by_uid, f"{name}: {errors.get(uid)}"
        got = by_uid[uid]
        if b"\0" in raw:
            continue  # dovecot rewrites NUL bytes on the way out: the message is in, the bytes differ
        assert any(
            not isinstance(x, SourceError)
            and (got.title, got.text.strip(), got.attachments) == (x.title, x.text.strip(), x.attachments)
            for x in readings
        ), name
    endless = mailbox.files.index(next(p for p in mailbox.files if p.name == "enclosed-endless.eml")) + 1
    assert errors[endless].kind == "MessageRefusedError" and "more than 1000 MIME parts" in errors[endless].what
    assert len(errors) <= 10  # the rest: no headers at all, or nothing to read (see the corpus notes)


def _item(mailbox: Mailbox, items: dict[int, object], suffix: str) -> object:
    uid = mailbox.files.index(next(p for p in mailbox.files if str(p).endswith(suffix))) + 1
    return items[uid]


def test_chinese_html_and_attachments_come_out_right(mailbox: Mailbox, full_poll: FetchResult) -> None:
    r = full_poll
    items = {int(i.external_id.rsplit(":", 1)[1]): i for i in r.items}
    gb = _item(mailbox, items, "flanker/tests/fixtures/messages/charset-gb2312.eml")
    assert gb.title == "提示：您的企业成员暂时无法登录邮件客户端"  # type: ignore[attr-defined]
    assert gb.author_pseudonym == pseudonymise("10000@qq.com", KEY)  # type: ignore[attr-defined]
    big5 = _item(mailbox, items, "parts/chardet-success-big-5.raw")
    assert "顏之推" in big5.text  # type: ignore[attr-defined]
    spam = _item(mailbox, items, "spamscope_mail_parser/tests/mails/mail_test_12.eml")
    assert spam.title == "代开各地增值税发票" and "增值税发票" in spam.text  # type: ignore[attr-defined]
    raw_big5 = _item(mailbox, items, "error_emails/content_transfer_encoding_empty.eml")
    assert "大家說英語" in raw_big5.title  # type: ignore[attr-defined]
    html = _item(mailbox, items, "enmime/testdata/mail/html-only-inline.raw")
    assert html.text and "<" not in html.text  # type: ignore[attr-defined]
    att = _item(mailbox, items, "enmime/testdata/mail/attachment.raw")
    assert att.attachments and all(a.size > 0 and a.content_type for a in att.attachments)  # type: ignore[attr-defined]


def test_re_poll_fetches_only_new_mail_and_big_messages_are_not_downloaded(
    mailbox: Mailbox, full_poll: FetchResult
) -> None:
    c = mailbox.connector(max_messages=1000, limits=MailLimits(max_bytes=2_000_000))
    validity = str(full_poll.cursor).split(":")[0]
    endless = [p.name for p in mailbox.files].index("enclosed-endless.eml") + 1
    first = c.fetch(FetchState(cursor=f"{validity}:{endless - 3}"))  # the last few before it, and the rest
    assert len(first.items) + len(first.errors) == len(mailbox.files) - endless + 3
    refused = [e for e in first.errors if "not downloaded" in e.what]
    assert len(refused) == 1 and "exceeds 2000000" in refused[0].what  # the 3 MB enclosed-endless
    again = c.fetch(first.state)
    assert again.items == () and again.errors == () and again.cursor == first.cursor
    mailbox.deliver(
        "From: 市民 <citizen@example.cn>\r\nSubject: =?UTF-8?B?6Lev54Gv5Z2P5LqG?=\r\n"
        "Content-Type: text/plain; charset=gbk\r\n\r\n".encode()
        + "幸福路的路灯坏了三天。".encode("gbk"),
        "999999.qingting.test",
    )
    third = c.fetch(again.state)
    assert [i.title for i in third.items] == ["路灯坏了"] and third.items[0].text == "幸福路的路灯坏了三天。"
    assert third.requests == 2  # one size query, one message


def test_wrong_password_and_blocked_host_are_clear_failures(mailbox: Mailbox) -> None:
    bad = ImapConnector("localhost", "citizen", "wrong", key=KEY, port=mailbox.port, security="plain",
                        allow_hosts=frozenset({"localhost"}))  # fmt: skip
    r = bad.fetch(FetchState(cursor="1:5"))
    assert r.failed and "login refused" in r.errors[0].what and r.cursor == "1:5"
    blocked = ImapConnector("localhost", "citizen", "test-password", key=KEY, port=mailbox.port, security="plain")
    r = blocked.fetch(FetchState())
    assert r.failed and r.errors[0].kind == "BlockedAddressError"


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_connections_verify_the_server(mailbox: Mailbox, full_poll: FetchResult, security: str) -> None:
    validity = str(full_poll.cursor).split(":")[0]
    state = FetchState(cursor=f"{validity}:{len(mailbox.files) - 2}")
    port = mailbox.tls_port if security == "ssl" else mailbox.port
    common = {"key": KEY, "port": port, "security": security, "allow_hosts": frozenset({"localhost"})}
    ok = ImapConnector("localhost", "citizen", "test-password", ca_file=str(mailbox.ca_file), **common)  # type: ignore[arg-type]
    r = ok.fetch(state)
    assert not r.failed and len(r.items) + len(r.errors) >= 2
    untrusted = ImapConnector("localhost", "citizen", "test-password", **common)  # type: ignore[arg-type]
    bad = untrusted.fetch(state)
    assert bad.failed and "CERTIFICATE_VERIFY_FAILED" in bad.errors[0].what
