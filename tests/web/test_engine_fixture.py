"""The web tests fail when the real engine does not load (issue 16): no silent stand-in."""

from __future__ import annotations

import sys

import pytest

from .conftest import real_engine_or_fail


def test_a_broken_engine_fails_the_tests_that_need_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qingting.core.pipeline", None)  # "import qingting.core.pipeline" raises
    with pytest.raises(pytest.fail.Exception, match="does not load or run"):
        real_engine_or_fail()


def test_the_engine_fixture_is_the_real_pipeline(engine: str) -> None:
    import qingting.core.pipeline

    assert engine == "real" and qingting.core.pipeline.__file__.endswith("core/pipeline.py")
