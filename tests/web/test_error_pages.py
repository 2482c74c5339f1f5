"""403/404 pages in the user's language and the site's layout, with a way back — not bare English."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_not_found_in_chinese_with_the_layout(org: dict[str, Any]) -> None:
    c = Client()
    assert c.login(username="east_analyst", password=PASSWORD)
    r = c.get("/events/999999999/")
    assert r.status_code == 404
    page = r.content.decode()
    assert "页面不存在" in page and 'class="mainnav"' in page and 'href="/"' in page
    assert "Not Found" not in page
    c.cookies["django_language"] = "en"
    page = c.get("/no/such/page/").content.decode()
    assert "Page not found" in page


def test_csrf_failure_is_explained_in_chinese(org: dict[str, Any]) -> None:
    c = Client(enforce_csrf_checks=True)
    assert c.login(username="east_analyst", password=PASSWORD)
    r = c.post("/accounts/logout/")
    assert r.status_code == 403
    page = r.content.decode()
    assert "表单已失效" in page and "Forbidden" not in page


def test_server_error_page_renders_without_a_request_context() -> None:
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "出错了" in html and "<script" not in html
