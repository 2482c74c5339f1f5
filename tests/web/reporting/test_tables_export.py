"""An issued report's figures tables as xlsx/CSV (issue 15): as issued, the report's kind, period,
unit and issue time in the first rows, only for those who may see the report."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from qingting.web.reporting import selectors
from qingting.web.reporting.services import report_issue


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_a_reports_tables_download_as_issued_with_the_report_first(seeded: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    issued = report_issue(actor=None, kind="monthly", unit=seeded["east"], period_label="2026-01", with_pdf=False)
    tables = selectors.report_tables(issued)
    assert tables, "a monthly report has figures tables"
    assert all(t["caption"].startswith("表") and t["header"] for t in tables)
    assert all(len(r) == len(t["header"]) for t in tables for r in t["rows"])
    east = _client(seeded["east_analyst"])
    page = east.get(f"/reports/{issued.pk}/").content.decode()
    assert "下载报告中的统计表" in page and "?export=xlsx" in page

    rows = _csv(east.get(f"/reports/{issued.pk}/", {"export": "csv"}))
    assert rows[0] == [f"《{issued.title}》统计表"] and rows[1][0] == "导出时间"
    assert (
        rows[2] == ["筛选条件：类型", "舆情月报"]
        and rows[3][1] == "2026-01"
        and rows[4] == ["筛选条件：单位", "东街道"]
    )
    assert rows[5][0] == "筛选条件：签发时间" and rows[6] == []
    body = rows[rows.index([]) + 1 :]
    first = tables[0]
    at = body.index([first["caption"]])
    assert body[at + 1] == first["header"]
    assert body[at + 2] == [str(v) for v in first["rows"][0]]  # the figures as the report shows them
    for table in tables:
        assert [table["caption"]] in body

    book = load_workbook(io.BytesIO(b"".join(east.get(f"/reports/{issued.pk}/", {"export": "xlsx"}).streaming_content)))
    values = [[c.value for c in r if c.value is not None] for r in book.active.iter_rows()]
    numbers = [v for t in tables for r in t["rows"] for v in r if isinstance(v, int | float)]
    assert numbers, "numeric cells come back as numbers"
    cells = [v for r in values for v in r]
    assert all(n in cells for n in numbers) and first["caption"] in cells


def test_another_units_report_tables_are_not_found(seeded: dict[str, Any]) -> None:
    west = report_issue(actor=None, kind="monthly", unit=seeded["west"], period_label="2026-01", with_pdf=False)
    assert _client(seeded["east_analyst"]).get(f"/reports/{west.pk}/", {"export": "csv"}).status_code == 404
    assert _client(seeded["office_leader"]).get(f"/reports/{west.pk}/", {"export": "csv"}).status_code == 200


def test_the_report_archive_downloads_scoped_with_its_filters(seeded: dict[str, Any]) -> None:
    east_report = report_issue(actor=None, kind="monthly", unit=seeded["east"], period_label="2026-01", with_pdf=False)
    west_report = report_issue(actor=None, kind="monthly", unit=seeded["west"], period_label="2026-01", with_pdf=False)
    east = _client(seeded["east_analyst"])
    page = east.get("/reports/", {"kind": "monthly"}).content.decode()
    assert "下载此列表" in page and "kind=monthly&amp;export=xlsx" in page
    rows = _csv(east.get("/reports/", {"kind": "monthly", "export": "csv"}))
    assert rows[0] == ["报告归档"] and rows[2] == ["筛选条件：类型", "舆情月报"] and rows[3] == []
    assert rows[5:] == [[east_report.title, "舆情月报", "2026-01", "东街道", east_report.issuer, rows[5][5]]]
    office = {r[0] for r in _csv(_client(seeded["office_leader"]).get("/reports/", {"export": "csv"}))[4:]}
    assert {east_report.title, west_report.title} <= office
    assert west_report.title not in {r[0] for r in rows if r}
