"""Fixtures for the source connector tests: a real HTTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _loopback import LoopbackServer


@pytest.fixture()
def server() -> Iterator[LoopbackServer]:
    """A fresh loopback HTTP server; set ``server.routes[path]`` before fetching."""
    with LoopbackServer() as s:
        yield s
