"""Content-Security-Policy on application pages (issue 16, audit finding 5): a nonce per request, no
``unsafe-inline`` scripts, and no template with an inline script or on…= handler outside the nonce.
The browser tests (tests/web/browser.py) fail on any violation Chromium reports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.test import Client

from .conftest import PASSWORD

SRC = Path(__file__).resolve().parents[2] / "src" / "qingting"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def _policy(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def test_pages_send_a_strict_policy_with_a_fresh_nonce(org: dict[str, Any]) -> None:
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    first, second = client.get("/"), client.get("/")
    assert first.status_code == 200
    policy = _policy(first)
    script = policy["script-src"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "http" not in script
    nonces = [re.search(r"'nonce-([^']+)'", _policy(r)["script-src"]).group(1) for r in (first, second)]  # type: ignore[union-attr]
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16
    assert policy["object-src"] == "object-src 'none'" and "default-src" in policy
    # the sign-in page and the JSON API carry it too
    assert "script-src" in Client().get("/accounts/login/")["Content-Security-Policy"]


def test_the_one_inline_script_carries_the_request_nonce(org: dict[str, Any]) -> None:
    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role

    admin = services.user_create(actor=None, username="east_admin", password=PASSWORD)
    services.membership_grant(actor=None, user=admin, unit=org["east"], role=Role.ADMIN)
    client = Client()
    assert client.login(username="east_admin", password=PASSWORD)
    response = client.get("/sources/add/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    inline = INLINE_SCRIPT.findall(response.content.decode())
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)


def test_no_template_has_an_inline_script_without_the_nonce_or_an_event_handler() -> None:
    templates = sorted(SRC.rglob("templates/**/*.html"))
    assert len(templates) > 50
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for tag in INLINE_SCRIPT.findall(text):
            if 'nonce="{{ csp_nonce }}"' not in tag:
                problems.append(f"{path.relative_to(SRC)}: {tag}")
        problems += [f"{path.relative_to(SRC)}: {m.group(0)[-60:]}" for m in HANDLER.finditer(text)]
    assert not problems, "\n".join(problems)


def test_echarts_and_htmx_come_from_our_static_files() -> None:
    vendor = SRC / "web" / "static" / "vendor"
    assert (vendor / "echarts" / "echarts.min.js").stat().st_size > 100_000
    assert (vendor / "htmx" / "htmx.min.js").stat().st_size > 10_000
    for path in SRC.rglob("templates/**/*.html"):
        assert not re.search(r"<(?:script|link)[^>]+(?:src|href)=\"(?:https?:)?//", path.read_text(encoding="utf-8")), (
            path
        )
