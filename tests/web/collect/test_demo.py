"""The demo's sources page: intervals and health, one failing feed with its reason; idempotent."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from qingting.web.collect import demo
from qingting.web.collect.health import source_problems
from qingting.web.demo import demo_setup
from qingting.web.monitoring.models import Source


def test_demo_seed_shows_a_failing_source_and_is_idempotent(db: Any) -> None:
    setup = demo_setup()
    line = demo.seed(setup)
    assert "failing" in line
    problems = source_problems(timezone.now())
    assert [(p.source.name, p.kind) for p in problems] == [(demo.FAILING, "failing")]
    assert "Name or service not known" in problems[0].message
    count = Source.objects.count()
    demo.seed(setup)
    assert Source.objects.count() == count
    assert Source.objects.get(name=demo.PUSH).secret.push_token
