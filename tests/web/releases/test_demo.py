"""The demo seeding: releases at each step, one returned, one corrected — through the services."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_demo_seed_is_complete_and_idempotent() -> None:
    from qingting.web import demo
    from qingting.web.releases.demo import seed
    from qingting.web.releases.models import Correction, Release, ReleaseStatus

    setup = demo.demo_setup()
    line = seed(setup)
    assert "7 demo releases" in line, line
    by_status = {}
    for r in Release.objects.filter(unit=setup.office):
        by_status.setdefault(r.status, []).append(r)
    steps = sorted(r.current_step["name"] for r in by_status[ReleaseStatus.IN_REVIEW])
    assert steps == ["初审", "复审", "终审"]
    assert len(by_status[ReleaseStatus.RETURNED]) == 1 and len(by_status[ReleaseStatus.DRAFT]) == 1
    assert len(by_status[ReleaseStatus.PUBLISHED]) == 2
    assert Correction.objects.count() == 1
    draft = by_status[ReleaseStatus.DRAFT][0]
    kinds = set(draft.revisions.get().findings.values_list("kind", flat=True))
    assert "wording" in kinds  # 县工商局 (the weekday finding depends on the year the demo runs in)
    assert "already" in seed(setup)
