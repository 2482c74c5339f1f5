"""The demo ledger: open, overdue and closed tasks; a duty plan through the next key date with one
gap; training; an expert; equipment with one overdue self-check; last year's finished assessment
with a ranking; this year computed on demand."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_demo_ledger_is_complete_and_idempotent(engine: str, tmp_path: Any) -> None:
    from qingting.web import demo
    from qingting.web.bulletins.demo import seed as seed_bulletins
    from qingting.web.ledger import assessment, selectors
    from qingting.web.ledger.demo import seed
    from qingting.web.ledger.models import AssessmentRun, Equipment, Expert, Task, TrainingSession

    setup = demo.demo_setup()
    demo.demo_ingest(setup, demo.demo_records(days=3, scale=0.2))
    seed_bulletins(setup)
    line = seed(setup)
    assert "ledger:" in line and "assessment finished" in line, line
    today = timezone.localdate()
    states = {
        selectors.task_state(t, today)
        for t in Task.objects.filter(
            issuing_unit=setup.office, due__gte=today.replace(day=1) - timezone.timedelta(days=60)
        )
    }
    assert {"overdue", "closed", "in_progress", "not_started"} <= states | {s for s in states}
    assert Task.objects.filter(source="instruction").exists()
    # The duty plan runs through the next key date and shows exactly one day with a gap.
    nxt = selectors.next_key_date(setup.office, today)
    assert nxt is not None
    days = selectors.duty_days(setup.office, today, nxt[0] + timezone.timedelta(days=1))
    assert [d.day for d in days if d.gaps] == [nxt[0]]
    assert TrainingSession.objects.filter(unit=setup.office).count() == 3 and Expert.objects.count() == 1
    overdue = [e for e in Equipment.objects.all() if selectors.check_overdue(e, today)]
    assert len(overdue) == 1
    run = AssessmentRun.objects.get(period=str(today.year - 1))
    assert run.finished_at is not None
    ranks = [c["rank"] for c in run.result["units"]]
    assert ranks == sorted(ranks) and len(ranks) == 7
    assert run.result["units"][-1]["veto"]  # the township that left a holiday night open
    scheme = assessment.scheme_for(setup.office, today.year)
    current = assessment.compute(scheme, str(today.year))
    assert len(current["units"]) == 7
    assert "already" in seed(setup)
