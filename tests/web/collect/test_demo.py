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
    assert "网站地址无法解析" in problems[0].message
    count = Source.objects.count()
    demo.seed(setup)
    assert Source.objects.count() == count
    assert Source.objects.get(name=demo.PUSH).secret.push_token


def test_demo_failing_feed_has_one_source_warning(db: Any) -> None:
    """The failing demo feed shows as a Ⅳ source warning at once (not only once the scheduler has
    run), and seeding again raises no second one."""
    from qingting.web.warnings.models import Warning

    setup = demo_setup()
    line = demo.seed(setup)
    assert "Ⅳ source warning" in line, line
    [w] = Warning.objects.filter(kind="source")
    assert (w.source.name, w.tier, w.status, w.unit_id) == (demo.FAILING, 4, "new", setup.office.pk)
    assert "网站地址无法解析" in w.reason
    assert "Ⅳ source warning" in demo.seed(setup)
    assert Warning.objects.filter(kind="source").count() == 1
