"""The demo seeding: an issued bulletin with instructions, a draft, and an adopted 直报 from a township."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_demo_seed_is_complete_and_idempotent(engine: str) -> None:
    from django.utils import timezone

    from qingting.web import demo
    from qingting.web.bulletins import selectors
    from qingting.web.bulletins.demo import seed
    from qingting.web.bulletins.models import Bulletin, BulletinStatus, Submission

    setup = demo.demo_setup()
    demo.demo_ingest(setup, demo.demo_records(days=3, scale=0.2))
    line = seed(setup)
    assert "issued" in line and "直报采用" in line, line
    issued = Bulletin.objects.filter(unit=setup.office, status=BulletinStatus.ISSUED).get()
    assert issued.instructions and issued.archive is not None and issued.issue_label
    assert Bulletin.objects.filter(unit=setup.office, status=BulletinStatus.DRAFT).count() == 1
    s = Submission.objects.get()
    assert s.to_unit == setup.office and s.from_unit.code == "qinghe-liuwan" and s.adoption == "full"
    ids = list(Bulletin.objects.order_by().values_list("unit_id", flat=True).distinct())
    day = timezone.localdate(s.submitted_at)  # local (Asia/Shanghai) days, not UTC dates
    assert selectors.submission_counts([s.from_unit_id], day, day)["adopted_full"] == 1
    assert "already" in seed(setup)
    assert Bulletin.objects.count() == 3 and len(ids) == 2
