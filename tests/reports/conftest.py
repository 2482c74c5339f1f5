"""A realistic bulletin shared by the report tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from qingting.reports.model import (
    ChartKind,
    ChartSeries,
    ChartSpec,
    Closing,
    Document,
    DocumentKind,
    Figure,
    Heading,
    ListBlock,
    Paragraph,
    Table,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _need_tool(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install libreoffice-writer-nogui poppler-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def need_tool() -> Callable[..., None]:
    """Skip when a command-line tool is missing, except under CI=true where that is a failure."""
    return _need_tool


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/reports: files kept for a person to look at."""
    path = ARTIFACTS / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def bulletin() -> Document:
    return Document(
        kind=DocumentKind.BULLETIN,
        issuing_unit="青禾县委网信办",
        mark="青禾县委网信办舆情专报",
        number="青禾舆〔2026〕12号",
        title="关于青禾大道道路施工引发网民关注的舆情专报",
        addressee="县委办公室",
        body=(
            Heading(1, "基本情况"),
            Paragraph("10月5日起，青禾大道道路施工引发网民集中讨论，共监测到相关信息1,234条，其中负面信息312条。"),
            Heading(2, "传播情况"),
            Table(
                ("来源", "信息量", "占比"),
                (("微博", 800, "64.8%"), ("新闻网站", 300, "24.3%"), ("论坛", 134, "10.9%")),
                caption="信息来源分布",
            ),
            Heading(2, "情感倾向"),
            Figure(
                ChartSpec(ChartKind.DONUT, ("正面", "中性", "负面"), (ChartSeries("情感", (200.0, 722.0, 312.0)),)),
                caption="情感分布",
            ),
            Heading(3, "主要观点"),
            ListBlock(("施工期间绕行标识不清。", "夜间施工噪声扰民。"), numbered=True),
            Heading(1, "研判与建议"),
            Paragraph("及时发布施工进度和绕行方案。", lead="一是主动回应。"),
        ),
        attachments=("监测信息摘录", "网民代表性观点"),
        date=date(2026, 10, 6),
        note="联系人：王芳，电话：0000-1234567",
        closing=Closing("青禾县委网信办", date(2026, 10, 6), ("县委宣传部", "县住建局")),
    )
