"""Push intake: token, HMAC signature, replay refusal, per-item results, idempotence — via the test
client and over real HTTPS on loopback (a self-signed certificate made with openssl)."""

from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from qingting.sources.push import SIGNATURE_HEADER, sign
from qingting.web.collect import services
from qingting.web.collect.models import MessageContact, PushReceipt, SourceSecret
from qingting.web.monitoring.models import Item, Source

from .conftest import serve_django


@pytest.fixture()
def push(admins: dict[str, Any]) -> dict[str, Any]:
    source = services.source_save(actor=admins["east_admin"], unit=admins["east"], name="12345热线推送",
                                  connector="push", scheme=admins["east_scheme"])  # fmt: skip
    secret = SourceSecret.objects.get(source=source)
    return {**admins, "push_source": source, "token": secret.push_token, "secret": secret.push_secret.encode()}


def _post(client: Client, push: dict[str, Any], body: bytes, *, token: str | None = None, t: int | None = None,
          signature: str | None = None, content_type: str = "application/json") -> Any:  # fmt: skip
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token if token is not None else push['token']}"}
    if signature is None:
        signature = sign(push["secret"], body, int(time.time()) if t is None else t)
    if signature:
        headers["HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")] = signature
    url = f"/api/intake/{push['push_source'].pk}/items"
    if not content_type:  # no Content-Type header at all
        return client.generic("POST", url, body, **headers)
    return client.post(url, data=body, content_type=content_type, **headers)


def _items(*items: dict[str, Any]) -> bytes:
    return json.dumps({"items": list(items)}, ensure_ascii=False).encode()


def test_a_batch_answers_per_item_and_a_resend_stores_nothing_twice(push: dict[str, Any]) -> None:
    client = Client()
    body = _items(
        {"id": "h-1", "title": "小区停水", "text": "柳湾镇小区停水三天", "author": "13800000000",
         "contact": {"name": "李女士", "address": "13800000000"}},
        {"id": "h-2", "text": "路灯不亮", "time": "2026-11-20T08:00:00+08:00"},
        {"id": "h-3"},  # no text
        {"id": "h-1", "text": "again in the same batch"},
        {"id": "h-4", "text": "bad url", "url": "javascript:alert(1)"},
    )  # fmt: skip
    response = _post(client, push, body)
    assert response.status_code == 207, response.content
    answer = response.json()
    statuses = [(r["id"], r["status"]) for r in answer["results"]]
    assert statuses == [("h-1", "stored"), ("h-2", "stored"), ("h-3", "error"), ("h-1", "duplicate"), ("h-4", "error")]
    assert answer["results"][2]["field"] == "text" and answer["results"][4]["field"] == "url"
    assert (answer["stored"], answer["duplicate"], answer["error"]) == (2, 1, 2)
    stored = Item.objects.get(source=push["push_source"], external_id="h-1")
    assert "13800000000" not in f"{stored.text}{stored.author_pseudonym}"  # only a keyed pseudonym
    contact = MessageContact.objects.get(item=stored)
    assert (contact.name, contact.address, contact.subject) == ("李女士", "13800000000", "小区停水")
    # The same items again, newly signed (a retry): nothing stored twice.
    again = _post(client, push, _items({"id": "h-1", "text": "x"}, {"id": "h-2", "text": "y"}))
    assert again.status_code == 200
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert Item.objects.filter(source=push["push_source"]).count() == 2
    assert Source.objects.get(pk=push["push_source"].pk).last_success_at is not None


def test_bad_token_bad_missing_or_stale_signature_and_replays_are_refused(push: dict[str, Any]) -> None:
    client = Client()
    body = _items({"id": "r-1", "text": "停水"})
    cases = [
        (_post(client, push, body, token="wrong"), 401, "token"),
        (_post(client, push, body, signature=""), 401, "missing"),
        (_post(client, push, body, signature=sign(b"another secret", body, int(time.time()))), 401, "does not match"),
        (_post(client, push, body, t=int(time.time()) - 3600), 401, "replay"),
        (_post(client, push, b'{"items": [', ), 400, "not valid JSON"),
    ]  # fmt: skip
    for response, status, words in cases:
        assert response.status_code == status, response.content
        error = response.json()["error"]
        assert error["status"] == status and words in error["message"] and error["fields"]
    assert not Item.objects.filter(source=push["push_source"]).exists()
    # A signed request replayed verbatim within the tolerance is refused too.
    signature = sign(push["secret"], body, int(time.time()))
    assert _post(client, push, body, signature=signature).status_code == 200
    replay = _post(client, push, body, signature=signature)
    assert replay.status_code == 409 and "replay" in replay.json()["error"]["message"]
    assert PushReceipt.objects.filter(source=push["push_source"]).count() == 1


def test_limits_unknown_and_disabled_sources(push: dict[str, Any], settings: Any) -> None:
    client = Client()
    settings.QINGTING_PUSH_MAX_ITEMS = 3
    big = _items(*({"id": f"b-{i}", "text": "x"} for i in range(4)))
    response = _post(client, push, big)
    assert response.status_code == 413 and "exceeds" in response.json()["error"]["message"]
    response = client.post("/api/intake/999999/items", data=b"{}", content_type="application/json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    services.source_set_active(actor=None, source=push["push_source"], active=False)
    assert _post(client, push, _items({"id": "d-1", "text": "x"})).status_code == 409
    assert not Item.objects.filter(source=push["push_source"]).exists()


# --- over real HTTPS -----------------------------------------------------------------------------


@pytest.fixture()
def https_server(push: dict[str, Any], tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for port in serve_django(context):
        yield port, cert


def test_push_over_https_with_a_verified_certificate(push: dict[str, Any], https_server: tuple[int, Path],
                                                     settings: Any) -> None:  # fmt: skip
    settings.ALLOWED_HOSTS = ["localhost"]
    port, cert = https_server
    body = _items({"id": "tls-1", "text": "东街道路面塌陷"}, {"id": "tls-2", "text": ""})
    context = ssl.create_default_context(cafile=str(cert))  # verifies the server, as a sender would

    def send(payload: bytes, signature: str) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
        conn.request("POST", f"/api/intake/{push['push_source'].pk}/items", body=payload, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {push['token']}",
            SIGNATURE_HEADER: signature})  # fmt: skip
        response = conn.getresponse()
        data = json.loads(response.read())
        conn.close()
        return response.status, data

    status, data = send(body, sign(push["secret"], body, int(time.time())))
    assert status == 207 and [r["status"] for r in data["results"]] == ["stored", "error"]
    assert Item.objects.filter(source=push["push_source"], external_id="tls-1").exists()
    status, data = send(body, sign(b"wrong", body, int(time.time())))
    assert status == 401 and data["error"]["code"] == "unauthenticated"
    # A client that does not trust the certificate cannot even connect.
    with pytest.raises(ssl.SSLError):
        plain = http.client.HTTPSConnection("localhost", port, context=ssl.create_default_context(), timeout=5)
        plain.request("GET", "/")


def test_an_oversized_body_is_refused_in_the_api_shape(push: dict[str, Any], settings: Any) -> None:
    settings.QINGTING_PUSH_MAX_BYTES = 1000
    body = _items({"id": "big", "text": "停水" * 600})
    response = _post(Client(), push, body)
    error = response.json()["error"]
    assert response.status_code == 413 and error["code"] == "too_large" and "body" in error["fields"]
    assert not Item.objects.filter(source=push["push_source"]).exists()


# --- issue 16, audit finding 7 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/xml"],
)
def test_a_wrong_content_type_is_415_and_stores_nothing(push: dict[str, Any], content_type: str) -> None:
    response = _post(Client(), push, _items({"id": "ct-1", "text": "停水"}), content_type=content_type)
    assert response.status_code == 415, response.content
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type" and "application/json" in error["message"]
    assert not Item.objects.filter(source=push["push_source"]).exists()
    # with a charset it is still JSON
    ok = _post(Client(), push, _items({"id": "ct-2", "text": "停水"}), content_type="application/json; charset=utf-8")
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("body", "says"),
    [(b'"hello"', "a string"), (b"{}", "empty object"), (b"42", "a number"), (b"null", "a null"),
     (b'{"items": "x"}', "'items' is a string"), (b'["a", "b"]', "no objects"), (b"true", "a boolean")],
)  # fmt: skip
def test_a_body_that_is_not_items_is_400(push: dict[str, Any], body: bytes, says: str) -> None:
    response = _post(Client(), push, body)
    assert response.status_code == 400, response.content
    assert says in response.json()["error"]["message"]
    assert not Item.objects.filter(source=push["push_source"]).exists()
