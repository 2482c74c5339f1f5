"""The archive contract (report_archive) and period labels (period_bounds)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qingting.web.audit.models import AuditEntry
from qingting.web.reporting.figures import PeriodError, canonical_period, period_bounds
from qingting.web.reporting.models import IssuedReport
from qingting.web.reporting.services import report_archive

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2026-10", datetime(2026, 10, 1, tzinfo=SH), datetime(2026, 11, 1, tzinfo=SH)),
        ("2026-W43", datetime(2026, 10, 19, tzinfo=SH), datetime(2026, 10, 26, tzinfo=SH)),
        ("2026-10-05", datetime(2026, 10, 5, tzinfo=SH), datetime(2026, 10, 6, tzinfo=SH)),
        ("2026-H1", datetime(2026, 1, 1, tzinfo=SH), datetime(2026, 7, 1, tzinfo=SH)),
        ("2026-H2", datetime(2026, 7, 1, tzinfo=SH), datetime(2027, 1, 1, tzinfo=SH)),
        ("2026", datetime(2026, 1, 1, tzinfo=SH), datetime(2027, 1, 1, tzinfo=SH)),
        ("2026-Q4", datetime(2026, 10, 1, tzinfo=SH), datetime(2027, 1, 1, tzinfo=SH)),
    ],
)
def test_period_bounds_are_shanghai_days_half_open(label: str, start: datetime, end: datetime) -> None:
    got = period_bounds(label)
    assert got == (start, end)
    assert got[0].utcoffset() == start.utcoffset()


@pytest.mark.parametrize("label", ["2026-13", "2026-W60", "26-10", "October", "2026-H3", ""])
def test_bad_periods_name_the_label(label: str) -> None:
    with pytest.raises(PeriodError, match="period"):
        period_bounds(label)


def test_canonical_period_checks_the_kind() -> None:
    assert canonical_period("2026-w43", "weekly") == "2026-W43"
    assert canonical_period("2026-1", "monthly") == "2026-01"
    with pytest.raises(PeriodError, match="monthly report needs a period like 2026-10"):
        canonical_period("2026-H1", "monthly")


def test_report_archive_stores_who_and_audits(org: dict[str, Any]) -> None:
    report = report_archive(
        actor=org["office_leader"],
        unit=org["east"],
        kind="bulletin",
        period_label="2026-10-05",
        title="关于东街道停水的舆情专报",
        docx=b"PK-docx",
        pdf=None,
        html="<p>x</p>",
        figures={"total": 3},
    )
    stored = IssuedReport.objects.get(pk=report.pk)
    assert stored.issued_by == org["office_leader"] and stored.issued_by_label == "office_leader"
    assert bytes(stored.docx) == b"PK-docx" and stored.pdf is None and stored.figures == {"total": 3}
    assert AuditEntry.objects.filter(action="report.issue", object_id=str(report.pk)).exists()


def test_report_archive_refuses_other_units_and_bad_input(org: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "kind": "monthly",
        "period_label": "2026-10",
        "title": "t",
        "docx": b"x",
        "pdf": None,
        "html": "",
        "figures": {},
    }
    with pytest.raises(PermissionDenied):
        report_archive(actor=org["east_analyst"], unit=org["west"], **args)
    with pytest.raises(ValidationError, match="unknown report kind"):
        report_archive(actor=None, unit=org["west"], **{**args, "kind": "poem"})
    assert IssuedReport.objects.count() == 0
