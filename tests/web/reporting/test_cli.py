"""``qingting report …`` through CliRunner: files from the database, clear errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from docx import Document as open_docx

from qingting.web.reporting.cli import register
from qingting.web.reporting.figures import period_figures
from qingting.web.reporting.models import IssuedReport


@pytest.fixture
def group() -> click.Group:
    g = click.Group("qingting")
    register(g)
    return g


def test_monthly_docx_for_a_unit(group: click.Group, seeded: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "m.docx"
    result = CliRunner().invoke(group, ["report", "monthly", "--period", "2026-01", "--unit", "east", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = open_docx(io.BytesIO(out.read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    total = period_figures(seeded["east"], "2026-01").total
    assert f"共监测到东街道相关网络信息{total}条" in text
    assert not IssuedReport.objects.exists()


def test_html_for_the_top_unit_and_archive(group: click.Group, seeded: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "w.html"
    args = ["report", "work", "--period", "2026-H1", "-o", str(out), "--archive", "--as", "office_leader"]
    result = CliRunner().invoke(group, args)
    assert result.exit_code == 0, result.output
    assert "区网信办2026年上半年网络舆情工作情况报告" in out.read_text(encoding="utf-8")
    assert IssuedReport.objects.get().issued_by == seeded["office_leader"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["monthly", "--period", "2026-H1", "-o", "{tmp}/x.docx"], "monthly report needs a period like 2026-10"),
        (["monthly", "--period", "2026-13", "-o", "{tmp}/x.docx"], "not a valid period"),
        (["monthly", "--period", "2026-01", "--unit", "nope", "-o", "{tmp}/x.docx"], "no unit with code 'nope'"),
        (["monthly", "--period", "2026-01", "-o", "{tmp}/missing/x.docx"], "does not exist"),
        (["monthly", "--period", "2026-01", "-o", "{tmp}/x.txt"], "cannot tell the format"),
        (["monthly", "--period", "2026-01", "--template", "zz", "-o", "{tmp}/x.docx"], "no monthly template named"),
        (["monthly", "--period", "2026-01", "--archive", "-o", "{tmp}/x.docx"], "--archive needs --as"),
    ],
)
def test_clear_errors(
    group: click.Group, seeded: dict[str, Any], tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(group, ["report", *[a.replace("{tmp}", str(tmp_path)) for a in args]])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_demo_seed_archives_yesterday_when_last_month_is_empty(seeded: dict[str, Any]) -> None:
    from types import SimpleNamespace

    from qingting.web.reporting import demo
    from qingting.web.reporting.jobs import due_period
    from qingting.web.reporting.models import ReportTemplate

    line = demo.seed(SimpleNamespace(office=seeded["office"]))
    again = demo.seed(SimpleNamespace(office=seeded["office"]))
    from datetime import timedelta

    from django.utils import timezone

    # the seeded items are of January 2026, not of last month: no month of zeros, yesterday's daily
    today = timezone.localdate()
    assert line == again and f"archived daily {due_period('daily', today)}" in line
    assert not IssuedReport.objects.filter(kind="monthly").exists()
    assert IssuedReport.objects.filter(kind="daily", period_label=(today - timedelta(days=1)).isoformat()).exists()
    assert ReportTemplate.objects.filter(unit=seeded["office"], is_default=True).exists()
    assert IssuedReport.objects.count() == 2  # idempotent
    assert ReportTemplate.objects.filter(unit__isnull=True, is_default=True).count() == 7  # seeded defaults
