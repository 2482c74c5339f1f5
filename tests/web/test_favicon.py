"""Browsers ask every site for /favicon.ico; it must not answer 404 on every page (issue 15)."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.test import Client


def test_favicon_leads_to_our_icon(db: Any) -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("qingting/favicon.svg")
    assert finders.find("qingting/favicon.svg"), "the icon is one of our static files"
