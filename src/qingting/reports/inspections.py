"""The quarterly inspection report of a unit's own channels (自有平台季度检查情况通报).

Pure data in, a :class:`~qingting.reports.model.Document` out (DOCX/PDF after GB/T 9704 like the
other reports). The table is the one the inspections use: each channel with its latest verdict
in the quarter, its score, its last update and longest silence, and the faults found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qingting.reports.figures import Letterhead, Period, percent
from qingting.reports.model import Block, Document, DocumentKind, Heading, Paragraph, Table

__all__ = ["ChannelInspectionRow", "InspectionFigures", "build_inspection_report"]

VERDICT_ZH = {"pass": "合格", "fail": "不合格", "undetermined": "无法判定", "": "未检查"}


@dataclass(frozen=True, slots=True)
class ChannelInspectionRow:
    """One channel in the quarter: its latest inspection (``verdict`` "" when none was made)."""

    channel: str
    kind: str  # 微信公众号, 网站, …
    unit: str
    verdict: str  # pass | fail | undetermined | ""
    score: float | None
    last_update: date | None
    longest_silence_days: float | None
    inspections: int  # how many inspections in the quarter
    failed: int  # of which 不合格
    faults: tuple[str, ...] = ()  # the vetoes and deductions of the latest inspection, in Chinese


@dataclass(frozen=True, slots=True)
class InspectionFigures:
    scope: str
    period: Period
    rows: tuple[ChannelInspectionRow, ...]


def build_inspection_report(figures: InspectionFigures, head: Letterhead) -> Document:
    """自有平台检查情况通报 for a quarter (or any period)."""
    f = figures
    counts = {k: sum(1 for r in f.rows if r.verdict == k) for k in VERDICT_ZH}
    checked = len(f.rows) - counts[""]
    body: list[Block] = [Heading(1, "总体情况")]
    if not f.rows:
        body.append(Paragraph(f"{f.period.label}，本单位未登记自有平台。"))
    else:
        sentence = (
            f"依据《政府网站与政务新媒体检查指标》，{f.period.label}对本单位及所属单位{len(f.rows)}个自有平台"
            f"（政府网站、政务新媒体、电子屏）开展检查，检查{checked}个，"
            f"合格{counts['pass']}个，不合格{counts['fail']}个，无法判定{counts['undetermined']}个"
        )
        if checked:
            sentence += f"，合格率{percent(counts['pass'], checked)}"
        if counts[""]:
            sentence += f"；{counts['']}个平台本期未检查"
        body.append(Paragraph(sentence + "。"))
    rows = tuple(
        (
            i,
            r.channel,
            r.kind,
            r.unit,
            r.last_update.isoformat() if r.last_update else "—",
            "—" if r.longest_silence_days is None else f"{r.longest_silence_days:.0f}",
            "—" if r.score is None else f"{r.score:.0f}",
            VERDICT_ZH.get(r.verdict, r.verdict),
        )
        for i, r in enumerate(f.rows, 1)
    )
    if rows:
        body.append(
            Table(
                ("序号", "平台名称", "类型", "主办单位", "最近更新", "最长未更新（天）", "得分", "结论"),
                rows,
                caption="自有平台检查结果",
                note="注：连续14天未更新、出现严重表述错误、留言超过3个月未回复的，单项否决，直接判定为不合格；"
                "得分低于60分的为不合格；因读取失败无法核实更新情况的，判定为无法判定，不计为不合格。",
            )
        )
    faulty = [r for r in f.rows if r.faults]
    if faulty:
        body.append(Heading(1, "发现的主要问题"))
        for r in faulty:
            body.append(Paragraph("；".join(r.faults) + "。", lead=f"{r.channel}："))
    failed = [r for r in f.rows if r.verdict == "fail"]
    body.append(Heading(1, "整改要求"))
    if failed:
        names = "、".join(r.channel for r in failed)
        body.append(
            Paragraph(
                f"请{names}的主办单位对照检查发现的问题，于5个工作日内完成整改，"
                "落实“谁主管谁负责、谁主办谁负责”，明确运维人员和审核人员，确保信息及时更新、表述准确、留言按时回复。"
            )
        )
    else:
        body.append(Paragraph("各平台继续保持常态化更新和信息发布三审三校，确保信息及时、准确。"))
    title = f"{f.scope}{f.period.label}自有平台检查情况通报"
    return head.document(DocumentKind.PERIODIC, title, tuple(body))
