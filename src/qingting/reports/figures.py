"""Build report documents from figures: the pure half of "every number computed from the data".

The web layer runs its queries, fills one of the figures dataclasses below and calls a builder;
the builder computes every derived figure (totals, shares, rates, peaks, month-on-month change)
and writes the formal Chinese wording around them. Nothing here is typed by hand, and nothing
here talks to a database, so the same builders serve the web view, the command line, scheduled
generation and tests.

* :func:`build_period_report` — 舆情分析报告 (daily … annual) from :class:`PeriodFigures`;
* :func:`build_work_report` — 工作情况报告 from :class:`WorkFigures`;
* :func:`build_bulletin` — 舆情专报 from :class:`BulletinFigures`.

Who issues a document and to whom (the parts an administrator's template sets) is a separate
:class:`Letterhead`, so one set of figures can be issued by different units.

Definitions (written into the work report too): 办结率 = 办结件数 ÷ 受理件数; 按时办结率 = 按时
办结件数 ÷ 办结件数; 办理时长 = 受理至办结, median over closed cases.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from qingting.reports.model import (
    Block,
    Cell,
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
    chinese_number,
    format_date,
)

__all__ = [
    "BULLETIN_SECTIONS",
    "PERIOD_SECTIONS",
    "WORK_SECTIONS",
    "BulletinFigures",
    "ChannelReleases",
    "Count",
    "EventFigure",
    "Letterhead",
    "Period",
    "PeriodFigures",
    "ReportTemplate",
    "RepresentativePost",
    "ResponsibilityFigures",
    "SentimentMix",
    "TimelineEntry",
    "UnitWork",
    "WorkFigures",
    "build_bulletin",
    "build_period_report",
    "build_work_report",
    "mask_personal_data",
    "percent",
]

Count = tuple[str, int]  # (name, count): a source, a region, a warning tier …
NO_DATA = "—"  # a figure the installation has no data source for: never printed as 0

_TREND_ZH = {
    "new": "新出现",
    "rising": "上升",
    "peak": "高峰",
    "declining": "回落",
    "dormant": "平息",
}
# Sentiment colours: positive green, neutral grey, negative red — the reading every office expects.
_SENTIMENT_COLOURS = ("#548235", "#7f7f7f", "#c00000")


# --- shared pieces --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period with its Chinese label; parse one with :meth:`parse`.

    >>> Period.parse("2026-10").label, Period.parse("2026-H1").end
    ('2026年10月', datetime.date(2026, 6, 30))
    """

    start: date
    end: date  # inclusive
    label: str  # 2026年10月
    name: str  # 月度, 半年, 年度, 季度, 周, 日, or 期间 for a free range

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before (for 环比)."""
        if self.name == "月度":
            prev_end = self.start - timedelta(days=1)
            return Period.parse(f"{prev_end.year}-{prev_end.month:02d}")
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, "上一期", self.name)

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026-10-05`` day, ``2026-W41`` ISO week, ``2026-10`` month, ``2026-Q4`` quarter,
        ``2026-H1`` half year, ``2026`` year, or ``2026-10-01..2026-10-15`` a free range."""
        t = text.strip().upper()
        try:
            if ".." in t:
                a, b = (date.fromisoformat(x) for x in t.split("..", 1))
                return cls(a, b, f"{format_date(a)}至{format_date(b)}", "期间")
            if m := re.fullmatch(r"(\d{4})", t):
                y = int(m[1])
                return cls(date(y, 1, 1), date(y, 12, 31), f"{y}年", "年度")
            if m := re.fullmatch(r"(\d{4})-H([12])", t):
                y, h = int(m[1]), int(m[2])
                start, end = (date(y, 1, 1), date(y, 6, 30)) if h == 1 else (date(y, 7, 1), date(y, 12, 31))
                return cls(start, end, f"{y}年{'上' if h == 1 else '下'}半年", "半年")
            if m := re.fullmatch(r"(\d{4})-Q([1-4])", t):
                y, q = int(m[1]), int(m[2])
                last = 3 * q
                return cls(
                    date(y, last - 2, 1),
                    date(y, last, calendar.monthrange(y, last)[1]),
                    f"{y}年第{chinese_number(q)}季度",
                    "季度",
                )
            if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", t):
                y, w = int(m[1]), int(m[2])
                start = date.fromisocalendar(y, w, 1)
                return cls(start, start + timedelta(days=6), f"{y}年第{w}周", "周")
            if m := re.fullmatch(r"(\d{4})-(\d{1,2})", t):
                y, mo = int(m[1]), int(m[2])
                return cls(date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]), f"{y}年{mo}月", "月度")
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
                d = date.fromisoformat(t)
                return cls(d, d, format_date(d), "日")
        except ValueError as exc:
            raise ValueError(f"not a valid period: {text!r} ({exc})") from exc
        raise ValueError(
            f"not a period: {text!r}; use 2026-10-05, 2026-W41, 2026-10, 2026-Q4, 2026-H1, 2026"
            " or 2026-10-01..2026-10-15"
        )


@dataclass(frozen=True, slots=True)
class Letterhead:
    """Who issues the document, to whom, and when: the parts an office's template fixes."""

    issuing_unit: str
    date: date  # 成文日期
    mark: str = ""  # 发文机关标志; empty: "<issuing_unit>文件"
    number: str = ""  # 发文字号, e.g. 青禾舆〔2026〕12号
    signer: str = ""  # 签发人 (上行文)
    addressee: str = ""  # 主送
    signature: str = ""  # 署名; empty: the issuing unit
    note: str = ""  # 附注
    copy_to: tuple[str, ...] = ()  # 抄送
    printer: str = ""  # 印发机关; empty: the issuing unit
    attachments: tuple[str, ...] = ()
    urgency: str = ""  # 特急 / 加急 (a bulletin on a breaking event)
    secrecy: str = ""  # 密级, e.g. 内部 or 秘密★1年

    def document(self, kind: DocumentKind, title: str, body: tuple[Block, ...]) -> Document:
        """A :class:`Document` with this letterhead around ``body``."""
        return Document(
            kind=kind,
            issuing_unit=self.issuing_unit,
            title=title,
            date=self.date,
            body=body,
            mark=self.mark,
            number=self.number,
            signer=self.signer,
            addressee=self.addressee,
            attachments=self.attachments,
            signature=self.signature,
            note=self.note,
            closing=Closing(self.printer or self.issuing_unit, self.date, self.copy_to),
            urgency=self.urgency,
            secrecy=self.secrecy,
        )


@dataclass(frozen=True, slots=True)
class ReportTemplate:
    """What an administrator's template changes, within what the figures allow.

    ``sections`` lists section keys (see :data:`PERIOD_SECTIONS`, :data:`WORK_SECTIONS`,
    :data:`BULLETIN_SECTIONS`) in the order wanted; ``None`` keeps all in the default order.
    ``headings`` renames sections by key. ``title`` replaces the default title; ``{scope}``,
    ``{period}`` and ``{event}`` in it are filled in (plain replacement, not ``str.format``, so a
    template cannot reach into objects). Numbers in sections are never editable.
    """

    sections: tuple[str, ...] | None = None
    headings: tuple[tuple[str, str], ...] = ()
    title: str = ""
    lead: str = ""  # an opening paragraph before the first section (placeholders as in the title)
    closing: str = ""  # a closing paragraph after the last section

    def fill(self, text: str, **values: str) -> str:
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        return text

    def apply_title(self, default: str, **values: str) -> str:
        if not self.title.strip():
            return default
        return self.fill(self.title, **values)


PERIOD_SECTIONS: dict[str, str] = {
    "overview": "总体态势",
    "sentiment": "情感倾向",
    "events": "热点事件",
    "sources": "信息来源",
    "regions": "地域分布",
    "warnings": "预警情况",
    "assessment": "研判与建议",
}
WORK_SECTIONS: dict[str, str] = {
    "figures": "主要工作数据",
    "warnings": "预警情况",
    "units": "各单位办理情况",
    "responsibility": "网络意识形态工作责任制落实情况",
    "summary": "存在问题和下一步工作",
}
BULLETIN_SECTIONS: dict[str, str] = {
    "basic": "基本情况",
    "spread": "传播情况",
    "opinion": "网民观点",
    "assessment": "研判",
    "response": "处置建议",
}


def _apply_template(
    body: list[Block], sections: dict[str, str], template: ReportTemplate | None, **values: str
) -> tuple[Block, ...]:
    """Split ``body`` at its level-1 headings, then keep, order and rename sections per ``template``;
    add the template's lead and closing paragraphs around them."""
    if template is None:
        return tuple(body)
    wanted = template.sections if template.sections is not None else tuple(sections)
    unknown = [k for k in (*wanted, *(k for k, _ in template.headings)) if k not in sections]
    if unknown:
        raise ValueError(f"unknown report sections {unknown}; known: {', '.join(sections)}")
    key_of = {heading: key for key, heading in sections.items()}
    parts: dict[str, list[Block]] = {}
    current: list[Block] | None = None
    for block in body:
        if isinstance(block, Heading) and block.level == 1:
            current = parts.setdefault(key_of[block.text], [])
        if current is not None:
            current.append(block)
    renamed = dict(template.headings)
    out: list[Block] = []
    for key in wanted:
        blocks = parts.get(key, [])  # a section without figures (e.g. no assessment) stays out
        if blocks and key in renamed:
            blocks = [Heading(1, renamed[key]), *blocks[1:]]
        out.extend(blocks)
    lead = [Paragraph(t.strip()) for t in template.fill(template.lead, **values).split("\n") if t.strip()]
    closing = [Paragraph(t.strip()) for t in template.fill(template.closing, **values).split("\n") if t.strip()]
    return (*lead, *out, *closing)


@dataclass(frozen=True, slots=True)
class SentimentMix:
    positive: int
    neutral: int
    negative: int
    model: str = ""  # which sentiment model scored these figures (e.g. 系统默认模型, 本单位模型v3)

    def __post_init__(self) -> None:
        if min(self.positive, self.neutral, self.negative) < 0:
            raise ValueError("sentiment counts cannot be negative")

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative

    def chart(self, title: str = "") -> ChartSpec:
        """A donut of the mix; the title is usually left to the figure's caption (图N …)."""
        values = (float(self.positive), float(self.neutral), float(self.negative))
        return ChartSpec(
            ChartKind.DONUT,
            ("正面", "中性", "负面"),
            (ChartSeries("信息量", values),),
            title,
            colours=_SENTIMENT_COLOURS,
        )

    def sentence(self) -> str:
        """正面信息x条（占y%），中性…，负面…"""
        t = self.total
        return (
            f"正面信息{_n(self.positive)}条（占{percent(self.positive, t)}），"
            f"中性信息{_n(self.neutral)}条（占{percent(self.neutral, t)}），"
            f"负面信息{_n(self.negative)}条（占{percent(self.negative, t)}）"
            + (f"（情感判定：{self.model}，含人工校正）" if self.model else "")
        )


def percent(part: float, whole: float, digits: int = 1) -> str:
    """``part`` as a percentage of ``whole``: "25.3%"; "—" when ``whole`` is zero (no 0/0 figures)."""
    if whole == 0:
        return "—"
    return f"{100.0 * part / whole:.{digits}f}%"


def _n(value: int) -> str:
    """Counts as offices print them: 1,234,567 (thousands separators from five digits on)."""
    return f"{value:,}" if abs(value) >= 10000 else str(value)


def _day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _moment(t: datetime) -> str:
    """10月5日9时30分 (minutes only when not on the hour)."""
    text = f"{t.month}月{t.day}日{t.hour}时"
    return text + (f"{t.minute}分" if t.minute else "")


def _trend(state: str) -> str:
    return _TREND_ZH.get(state, state)


def _count_table(header: tuple[str, str], counts: tuple[Count, ...], caption: str, *, limit: int = 0) -> Table:
    """A (name, count, share) table with a 合计 row; share of the total of all rows given."""
    total = sum(c for _, c in counts)
    shown = counts[:limit] if limit else counts
    rows: list[tuple[str | int, ...]] = [(name, count, percent(count, total)) for name, count in shown]
    if limit and len(counts) > limit:
        rest = sum(c for _, c in counts[limit:])
        rows.append(("其他", rest, percent(rest, total)))
    rows.append(("合计", total, percent(total, total) if total else "—"))
    return Table((*header, "占比"), tuple(rows), caption=caption)


def _sorted_counts(counts: tuple[Count, ...]) -> tuple[Count, ...]:
    return tuple(sorted(counts, key=lambda c: (-c[1], c[0])))


_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_personal_data(text: str) -> str:
    """Mask mobile numbers, ID card numbers and e-mail addresses quoted in a post.

    A bulletin goes up the hierarchy and into archives; the person who posted is not its subject.

    >>> mask_personal_data("电话13812345678，身份证110101199001011234")
    '电话138****5678，身份证110101********1234'
    """
    text = _ID_CARD.sub(lambda m: m[1] + "*" * 8 + m[2], text)
    text = _PHONE.sub(lambda m: m[1] + "****" + m[2], text)
    return _EMAIL.sub(lambda m: m[1] + "***" + m[2], text)


# --- periodic analysis report ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventFigure:
    """One event as the report lists it (from the event board)."""

    title: str
    items: int
    heat: float
    trend: str  # a TrendState value ("rising" …) or Chinese text
    first_seen: date
    negative_share: float | None = None  # 0–1


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What a periodic analysis report shows, all computed by the caller's queries.

    ``volume`` is one (day, items) pair per day of the period, zero days included;
    ``previous_total`` is the previous period's total (for 环比), ``None`` when unknown.
    """

    scope: str  # 青禾县, a scheme's name, or a unit's name
    period: Period
    volume: tuple[tuple[date, int], ...]
    sentiment: SentimentMix
    top_events: tuple[EventFigure, ...] = ()
    sources: tuple[Count, ...] = ()
    regions: tuple[Count, ...] = ()
    warnings_by_tier: tuple[Count, ...] | None = ()  # None: the installation has no warning data
    previous_total: int | None = None
    assessment: tuple[str, ...] = ()  # the analyst's 研判 and 建议, paragraphs
    source_kinds: tuple[Count, ...] = ()  # items per kind of source (新闻网站, 社交媒体 …)

    def __post_init__(self) -> None:
        for day, n in self.volume:
            if not self.period.start <= day <= self.period.end:
                raise ValueError(f"volume for {day} lies outside the period {self.period.label}")
            if n < 0:
                raise ValueError("volume counts cannot be negative")

    @property
    def total(self) -> int:
        return sum(n for _, n in self.volume)


def _change(now: int, before: int | None) -> str:
    if before is None:
        return ""
    if before == 0:
        return "（上一期无相关信息）" if now else ""
    delta = (now - before) / before * 100
    if abs(delta) < 0.05:
        return "，与上一期持平"
    return f"，环比{'上升' if delta > 0 else '下降'}{abs(delta):.1f}%"


def build_period_report(figures: PeriodFigures, head: Letterhead, template: ReportTemplate | None = None) -> Document:
    """舆情分析报告 for a period: volume trend, sentiment, top events, sources, regions, warnings.

    Sections without data say so in one sentence rather than show an empty table.
    """
    f = figures
    p = f.period
    total = f.total
    span = f"{format_date(p.start)}至{format_date(p.end)}" if p.days > 1 else format_date(p.start)
    body: list[Block] = [Heading(1, "总体态势")]
    if total == 0:
        body.append(Paragraph(f"{p.label}（{span}），未监测到{f.scope}相关网络信息。"))
    else:
        peak_day, peak = max(f.volume, key=lambda v: (v[1], -v[0].toordinal()))
        text = (
            f"{p.label}（{span}），共监测到{f.scope}相关网络信息{_n(total)}条，"
            f"日均{total / p.days:.1f}条{_change(total, f.previous_total)}。"
        )
        if p.days > 1:
            text += f"信息量最高的是{_day(peak_day)}，当日{_n(peak)}条。"
        body.append(Paragraph(text))
        if len(f.volume) > 1:
            labels = tuple(_day(d) for d, _ in f.volume)
            values = tuple(float(n) for _, n in f.volume)
            body.append(
                Figure(
                    ChartSpec(ChartKind.LINE, labels, (ChartSeries("信息量", values),), y_label="信息量（条）"),
                    caption="信息量走势",
                )
            )
    body.append(Heading(1, "情感倾向"))
    if f.sentiment.total == 0:
        body.append(Paragraph("本期无可供分析情感倾向的信息。"))
    else:
        body.append(Paragraph(f"从情感倾向看，{f.sentiment.sentence()}。"))
        body.append(Figure(f.sentiment.chart(), caption="情感倾向分布"))
    body.append(Heading(1, "热点事件"))
    if not f.top_events:
        body.append(Paragraph("本期未形成热点事件。"))
    else:
        events = sorted(f.top_events, key=lambda e: (-e.heat, -e.items, e.title))
        first = events[0]
        body.append(
            Paragraph(
                f"本期共梳理热点事件{len(events)}起，热度最高的是“{first.title}”，"
                f"相关信息{_n(first.items)}条，目前处于{_trend(first.trend)}阶段。"
            )
        )
        rows = tuple(
            (
                i,
                e.title,
                e.items,
                f"{e.heat:.1f}",
                _trend(e.trend),
                _day(e.first_seen),
                "—" if e.negative_share is None else percent(e.negative_share, 1),
            )
            for i, e in enumerate(events, 1)
        )
        body.append(Table(("序号", "事件", "信息量", "热度", "趋势", "首发日期", "负面占比"), rows, caption="热点事件"))
    body.append(Heading(1, "信息来源"))
    if not f.sources:
        body.append(Paragraph("本期无来源统计。"))
    else:
        sources = _sorted_counts(f.sources)
        src_total = sum(c for _, c in sources)
        top_name, top_count = sources[0]
        body.append(
            Paragraph(
                f"从来源看，信息主要来自{top_name}（{_n(top_count)}条，占{percent(top_count, src_total)}）"
                + (f"，其次为{sources[1][0]}（{_n(sources[1][1])}条）" if len(sources) > 1 else "")
                + "。"
            )
        )
        if len(f.source_kinds) > 1:
            kinds = _sorted_counts(f.source_kinds)
            kinds_total = sum(c for _, c in kinds)
            body.append(
                Paragraph(
                    "按来源类型统计，"
                    + "，".join(f"{n}{_n(c)}条（占{percent(c, kinds_total)}）" for n, c in kinds)
                    + "。"
                )
            )
        body.append(_count_table(("来源", "信息量"), sources, "信息来源分布", limit=10))
        shown = sources[:8]
        body.append(
            Figure(
                ChartSpec(
                    ChartKind.BAR,
                    tuple(n for n, _ in shown),
                    (ChartSeries("信息量", tuple(float(c) for _, c in shown)),),
                    y_label="信息量（条）",
                ),
                caption="主要来源信息量",
            )
        )
    body.append(Heading(1, "地域分布"))
    if not f.regions:
        body.append(Paragraph("本期信息未标注地域。"))
    else:
        regions = _sorted_counts(f.regions)
        body.append(Paragraph(f"按发布地域统计，{'、'.join(n for n, _ in regions[:3])}位居前列。"))
        body.append(_count_table(("地域", "信息量"), regions, "地域分布", limit=10))
    body.append(Heading(1, "预警情况"))
    warn_total = sum(c for _, c in f.warnings_by_tier or ())
    if f.warnings_by_tier is None:
        body.append(Paragraph(f"本期预警次数：{NO_DATA}（本系统尚未接入预警数据）。"))
    elif warn_total == 0:
        body.append(Paragraph("本期未发出预警。"))
    else:
        parts = "，".join(f"{tier}{_n(c)}次" for tier, c in f.warnings_by_tier)
        body.append(Paragraph(f"本期共发出预警{_n(warn_total)}次，其中{parts}。"))
        body.append(_count_table(("预警等级", "次数"), f.warnings_by_tier, "预警分级统计"))
    if f.assessment:
        body.append(Heading(1, "研判与建议"))
        body.extend(Paragraph(text) for text in f.assessment)
    title = f"{f.scope}{p.label}网络舆情分析报告"
    if template is not None:
        title = template.apply_title(title, scope=f.scope, period=p.label)
    return head.document(
        DocumentKind.PERIODIC, title, _apply_template(body, PERIOD_SECTIONS, template, scope=f.scope, period=p.label)
    )


# --- work report ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitWork:
    """Case handling figures of one responsible unit."""

    unit: str
    received: int
    closed: int
    on_time: int
    median_hours: float | None = None
    due: int | None = None  # cases due in the period: when given, 按时办结率 = on_time ÷ due

    def __post_init__(self) -> None:
        limit = self.closed if self.due is None else self.due
        if not 0 <= self.on_time <= limit:
            raise ValueError(f"{self.unit}: on-time cases ({self.on_time}) must lie within {limit}")
        if self.received < 0 or self.closed < 0:
            raise ValueError(f"{self.unit}: counts cannot be negative")


@dataclass(frozen=True, slots=True)
class ChannelReleases:
    """Releases published on one of the organisation's own channels, and how many were corrected."""

    channel: str
    published: int
    corrected: int

    def __post_init__(self) -> None:
        if not 0 <= self.corrected <= self.published:
            raise ValueError(f"{self.channel}: corrected ({self.corrected}) must lie within published")


@dataclass(frozen=True, slots=True)
class ResponsibilityFigures:
    """The responsibility system in a period (责任清单与台账, 会议, 值班, 培训, 登记, 考核), from the ledger.

    Every count is of rows in the ledger's tables; the web layer's
    ``reporting.figures.responsibility_figures`` says which rows.
    """

    tasks_created: int
    tasks_due: int  # tasks whose deadline falls in the period
    tasks_done_on_time: int  # of those, completed by their deadline
    tasks_overdue: int  # of those, completed late or still open past it
    tasks_closed: int  # closed (销号) in the period
    meetings: tuple[tuple[str, int], ...]  # (联席会议 / 舆情会商研判 / 专题研究会, count)
    meeting_decisions: int
    duty_required_days: int  # key dates and holidays needing 24-hour duty, up to today
    duty_gap_days: int  # of those, days with a gap in the plan
    handovers: int
    drills: int
    trainings: int
    training_hours: float
    training_participants: int
    experts: int
    equipment: int
    equipment_overdue: int
    # (rank, unit, total, grade) of assessments finished in the period: units, never people
    assessment: tuple[tuple[int, str, float, str], ...] = ()
    assessment_title: str = ""
    channels: tuple[int, int, int] | None = None  # own channels by latest verdict: 合格, 不合格, 无法判定

    def __post_init__(self) -> None:
        if not 0 <= self.tasks_done_on_time + self.tasks_overdue <= self.tasks_due:
            raise ValueError("tasks done on time and overdue must lie within tasks due")
        if not 0 <= self.duty_gap_days <= self.duty_required_days:
            raise ValueError("duty gap days must lie within the required days")

    @property
    def completion_rate(self) -> str:
        """完成率 = 按期完成 ÷ 期内到期."""
        return percent(self.tasks_done_on_time, self.tasks_due) if self.tasks_due else NO_DATA


def _responsibility_section(r: ResponsibilityFigures) -> list[Block]:
    out: list[Block] = [Heading(1, "网络意识形态工作责任制落实情况")]
    pending = r.tasks_due - r.tasks_done_on_time - r.tasks_overdue
    out.append(
        Paragraph(
            f"对照责任清单建立任务台账，本期新建任务{_n(r.tasks_created)}项；期内到期{_n(r.tasks_due)}项，"
            f"按期完成{_n(r.tasks_done_on_time)}项，完成率{r.completion_rate}，逾期{_n(r.tasks_overdue)}项"
            + (f"，{_n(pending)}项尚未到期" if pending else "")
            + f"；销号{_n(r.tasks_closed)}项。",
            lead="（一）责任清单和任务台账。",
        )
    )
    held = [(k, c) for k, c in r.meetings if c]
    if held:
        meetings = "、".join(f"{k}{_n(c)}次" for k, c in held)
        text = f"召开{meetings}，形成决定事项{_n(r.meeting_decisions)}项。"
    else:
        text = "本期未召开联席会议、舆情会商研判会或专题研究会。"
    out.append(Paragraph(text, lead="（二）会议研究。"))
    covered = r.duty_required_days - r.duty_gap_days
    gaps = (
        "均已排班，无缺口" if r.duty_gap_days == 0 else f"{_n(covered)}天排班完整，{_n(r.duty_gap_days)}天排班存在缺口"
    )
    out.append(
        Paragraph(
            f"重要时间节点和节假日共{_n(r.duty_required_days)}天需落实24小时在线值班，{gaps}；"
            f"记录交接班{_n(r.handovers)}次，开展应急演练{_n(r.drills)}次。",
            lead="（三）值班值守。",
        )
    )
    out.append(
        Paragraph(
            f"组织学习培训{_n(r.trainings)}次，共{r.training_hours:g}学时，参训{_n(r.training_participants)}人次。",
            lead="（四）学习培训。",
        )
    )
    out.append(
        Paragraph(
            f"专家库在册专家{_n(r.experts)}名；登记网络和终端设备{_n(r.equipment)}台（套），"
            + (f"其中{_n(r.equipment_overdue)}台（套）未按期自查。" if r.equipment_overdue else "均按期自查。"),
            lead="（五）基础台账。",
        )
    )
    if r.channels is not None and sum(r.channels) > 0:
        ok, bad, unknown = r.channels
        out.append(
            Paragraph(
                f"对{_n(ok + bad + unknown)}个自有平台开展检查，合格{_n(ok)}个，不合格{_n(bad)}个"
                + (f"，{_n(unknown)}个因无法读取未能判定" if unknown else "")
                + "。",
                lead="（六）自有平台管理。",
            )
        )
    if r.assessment:
        best = r.assessment[0]
        out.append(
            Paragraph(
                f"{r.assessment_title}完成，{len(r.assessment)}个单位参加，{best[1]}得分最高（{best[2]:g}分）。",
                lead="（七）考核。",
            )
        )
        out.append(
            Table(
                ("名次", "单位", "得分", "等次"),
                tuple((rank, unit, f"{total:g}", grade) for rank, unit, total, grade in r.assessment),
                caption="年度考核结果",
            )
        )
    rows: tuple[tuple[str | int, ...], ...] = (
        ("台账任务（项，期内新建）", r.tasks_created),
        ("期内到期（项）", r.tasks_due),
        ("按期完成（项）", r.tasks_done_on_time),
        ("完成率", r.completion_rate),
        ("逾期（项）", r.tasks_overdue),
        ("销号（项）", r.tasks_closed),
        *((f"{k}（次）", c) for k, c in r.meetings),
        ("需24小时值班（天）", r.duty_required_days),
        ("值班缺口（天）", r.duty_gap_days),
        ("应急演练（次）", r.drills),
        ("学习培训（次）", r.trainings),
        ("培训学时", f"{r.training_hours:g}"),
        ("参训（人次）", r.training_participants),
        ("专家（名）", r.experts),
        ("设备（台/套）", r.equipment),
        ("未按期自查设备（台/套）", r.equipment_overdue),
    )
    out.append(
        Table(
            ("指标", "数值"),
            rows,
            caption="责任制落实主要指标",
            note="注：完成率＝期内到期且按期完成的任务数÷期内到期任务数；值班天数计至本报告生成之日。",
        )
    )
    return out


@dataclass(frozen=True, slots=True)
class WorkFigures:
    """The figures of a work report (工作情况报告) for a period.


    ``None`` for a figure means the installation has no source for it yet (no warnings or
    cases module): it prints as "—", never as 0.
    """

    scope: str
    period: Period
    items_monitored: int
    warnings_by_tier: tuple[Count, ...] | None
    bulletins: int | None  # 舆情专报 issued
    cases_received: int | None
    cases_closed: int | None
    cases_on_time: int | None
    median_handling_hours: float | None = None
    units: tuple[UnitWork, ...] = ()
    bulletins_adopted: int | None = None  # 直报采用 + 摘报采用 by the parent unit, when tracked
    summary: tuple[str, ...] = ()  # the office's own paragraphs (problems, next steps)
    submitted: int | None = None  # 直报 sent to the parent unit, when tracked
    # Cases due in the period. When given, 按时办结率 = 按时办结 ÷ 期内到期 (the cases module's
    # definition); without it, 按时办结 ÷ 办结.
    cases_due: int | None = None
    # Releases per own channel (三审三校, 信息准确率), when the releases module is installed.
    releases: tuple[ChannelReleases, ...] | None = None
    # The responsibility system (ledger, meetings, duty, training, registers, assessment).
    responsibility: ResponsibilityFigures | None = None

    def __post_init__(self) -> None:
        limit = self.cases_closed if self.cases_due is None else self.cases_due
        if limit is not None and not 0 <= (self.cases_on_time or 0) <= limit:
            raise ValueError("on-time cases must lie within closed (or due) cases")
        counts = (self.items_monitored, self.bulletins, self.cases_received, self.cases_closed)
        if min(c for c in counts if c is not None) < 0:
            raise ValueError("counts cannot be negative")

    @property
    def has_cases(self) -> bool:
        return self.cases_received is not None and self.cases_closed is not None

    @property
    def closure_rate(self) -> str:
        """办结率 = 办结 ÷ 受理."""
        if not self.has_cases:
            return NO_DATA
        return percent(self.cases_closed or 0, self.cases_received or 0)

    @property
    def on_time_rate(self) -> str:
        """按时办结率 = 按时办结 ÷ 办结."""
        if not self.has_cases or self.cases_on_time is None:
            return NO_DATA
        return percent(self.cases_on_time, self.cases_closed or 0 if self.cases_due is None else self.cases_due)


def _hours(h: float | None) -> str:
    return "—" if h is None else f"{h:.1f}"


def build_work_report(figures: WorkFigures, head: Letterhead, template: ReportTemplate | None = None) -> Document:
    """工作情况报告: the figures an office drops into its half-year or annual report."""
    f = figures
    warn_total = sum(c for _, c in f.warnings_by_tier or ())
    tiers = "，".join(f"{tier}{_n(c)}次" for tier, c in f.warnings_by_tier or () if c)
    parts = [f"{f.period.label}，共监测网络信息{_n(f.items_monitored)}条"]
    if f.warnings_by_tier is not None:
        parts.append(f"发出预警{_n(warn_total)}次" + (f"（其中{tiers}）" if tiers else ""))
    if f.bulletins is not None:
        parts.append(f"编发舆情专报{_n(f.bulletins)}期")
    if f.submitted is not None:
        parts.append(f"向上级直报{_n(f.submitted)}期")
    if f.bulletins_adopted is not None:
        parts.append(f"被上级采用{_n(f.bulletins_adopted)}期")
    sentence = "，".join(parts)
    if f.has_cases:
        sentence += (
            f"；受理网民诉求{_n(f.cases_received or 0)}件，办结{_n(f.cases_closed or 0)}件，办结率{f.closure_rate}"
            + (f"，按时办结{_n(f.cases_on_time)}件，按时办结率{f.on_time_rate}" if f.cases_on_time is not None else "")
            + (f"，办理时长中位数{f.median_handling_hours:.1f}小时" if f.median_handling_hours is not None else "")
        )
    sentence += "。"
    body: list[Block] = [Heading(1, "主要工作数据"), Paragraph(sentence)]
    if f.releases is not None:
        published = sum(r.published for r in f.releases)
        corrected = sum(r.corrected for r in f.releases)
        if published:
            body.append(
                Paragraph(
                    f"严格落实信息发布三审三校制度，{len(f.releases)}个自有平台共发布信息{_n(published)}条，"
                    f"更正{_n(corrected)}条，信息准确率{percent(published - corrected, published)}。"
                )
            )
            rows = tuple(
                (r.channel, r.published, r.corrected, percent(r.published - r.corrected, r.published))
                for r in f.releases
            )
            body.append(
                Table(
                    ("平台", "发布（条）", "更正（条）", "信息准确率"),
                    rows,
                    caption="自有平台信息发布情况",
                    note="注：信息准确率＝未更正的发布条数÷发布条数；一条稿件在几个平台发布即计几条。",
                )
            )
        else:
            body.append(Paragraph("本期自有平台未发布经审核的信息。"))

    def shown(value: int | None) -> str | int:
        return NO_DATA if value is None else value

    metrics: tuple[tuple[str | int, ...], ...] = (
        ("监测网络信息（条）", f.items_monitored),
        ("发出预警（次）", NO_DATA if f.warnings_by_tier is None else warn_total),
        ("编发舆情专报（期）", shown(f.bulletins)),
        *((("向上级直报（期）", f.submitted),) if f.submitted is not None else ()),
        *((("专报被采用（期）", f.bulletins_adopted),) if f.bulletins_adopted is not None else ()),
        ("受理网民诉求（件）", shown(f.cases_received)),
        ("办结（件）", shown(f.cases_closed)),
        ("办结率", f.closure_rate),
        *((("期内到期（件）", f.cases_due),) if f.cases_due is not None else ()),
        ("按时办结（件）", shown(f.cases_on_time)),
        ("按时办结率", f.on_time_rate),
        ("办理时长中位数（小时）", _hours(f.median_handling_hours)),
    )
    body.append(
        Table(
            ("指标", "数值"),
            metrics,
            caption="主要工作指标",
            note=(
                "注：办结率＝办结件数÷受理件数；按时办结率＝按时办结件数÷办结件数；办理时长自受理至办结。"
                if f.cases_due is None
                else "注：办结率＝期内受理且于期末前办结件数÷期内受理件数；"
                "按时办结率＝期内到期且按期办结件数÷期内到期件数；办理时长自受理至办结。"
            ),
        )
    )
    body.append(Heading(1, "预警情况"))
    if f.warnings_by_tier is None:
        body.append(Paragraph(f"本期预警次数：{NO_DATA}（本系统尚未接入预警数据）。"))
    elif warn_total == 0:
        body.append(Paragraph("本期未发出预警。"))
    else:
        tiers_given = f.warnings_by_tier
        body.append(_count_table(("预警等级", "次数"), tiers_given, "预警分级统计"))
        body.append(
            Figure(
                ChartSpec(
                    ChartKind.BAR,
                    tuple(t for t, _ in tiers_given),
                    (ChartSeries("预警次数", tuple(float(c) for _, c in tiers_given)),),
                    y_label="次数",
                    colours=("#c00000",),
                ),
                caption="预警分级统计",
            )
        )
    body.append(Heading(1, "各单位办理情况"))
    if not f.has_cases:
        body.append(Paragraph(f"网民诉求办理情况：{NO_DATA}（本系统尚未接入诉求办理数据）。"))
    elif not f.units:
        body.append(Paragraph("本期无分单位办理数据。"))
    else:
        best = max(f.units, key=lambda u: (u.closed / u.received if u.received else -1.0, u.received))
        body.append(
            Paragraph(
                f"本期共有{len(f.units)}个单位承办网民诉求，"
                f"其中{best.unit}办结率最高（{percent(best.closed, best.received)}）。"
            )
        )
        unit_rows: tuple[tuple[Cell, ...], ...] = tuple(
            (
                u.unit,
                u.received,
                u.closed,
                percent(u.closed, u.received),
                u.on_time,
                percent(u.on_time, u.closed if u.due is None else u.due),
                _hours(u.median_hours),
            )
            for u in f.units
        )
        unit_rows += (
            (
                "合计",
                sum(u.received for u in f.units),
                sum(u.closed for u in f.units),
                percent(sum(u.closed for u in f.units), sum(u.received for u in f.units)),
                sum(u.on_time for u in f.units),
                percent(
                    sum(u.on_time for u in f.units),
                    sum(u.closed if u.due is None else u.due for u in f.units),
                ),
                "—",
            ),
        )
        body.append(
            Table(
                ("单位", "受理", "办结", "办结率", "按时办结", "按时办结率", "时长中位数（小时）"),
                unit_rows,
                caption="各单位网民诉求办理情况",
            )
        )
    if f.responsibility is not None:
        body.extend(_responsibility_section(f.responsibility))
    if f.summary:
        body.append(Heading(1, "存在问题和下一步工作"))
        body.extend(Paragraph(text) for text in f.summary)
    title = f"{f.scope}{f.period.label}网络舆情工作情况报告"
    if template is not None:
        title = template.apply_title(title, scope=f.scope, period=f.period.label)
    return head.document(
        DocumentKind.WORK,
        title,
        _apply_template(body, WORK_SECTIONS, template, scope=f.scope, period=f.period.label),
    )


# --- bulletin -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    when: datetime
    text: str


@dataclass(frozen=True, slots=True)
class RepresentativePost:
    """A post quoted in a bulletin; the author only ever appears as a pseudonym."""

    source: str
    author_pseudonym: str
    published: datetime
    text: str
    engagement: int = 0  # reposts + comments + likes, when known


@dataclass(frozen=True, slots=True)
class BulletinFigures:
    """What a 舆情专报 on one event shows."""

    event_title: str
    as_of: datetime  # 截至
    summary: str  # what happened, in the analyst's words
    total_items: int
    sentiment: SentimentMix
    trend: str  # TrendState value or Chinese
    heat: float
    first_seen: datetime
    timeline: tuple[TimelineEntry, ...] = ()
    posts: tuple[RepresentativePost, ...] = ()
    sources: tuple[Count, ...] = ()
    volume: tuple[tuple[str, int], ...] = ()  # (hour or day label, items) in time order
    assessment: tuple[str, ...] = ()  # 研判
    recommendations: tuple[str, ...] = ()  # 处置建议, one per item

    def __post_init__(self) -> None:
        if self.total_items < 0:
            raise ValueError("total_items cannot be negative")
        if not self.event_title.strip():
            raise ValueError("a bulletin needs the event's title")


_ORDINAL_LEADS = tuple(f"{chinese_number(i)}是" for i in range(1, 11))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(("。", "！", "？", "；", "”")) else text + "。"


def build_bulletin(figures: BulletinFigures, head: Letterhead, template: ReportTemplate | None = None) -> Document:
    """舆情专报 on one event: summary, timeline, spread, sentiment, trend, voices, assessment, response."""
    f = figures
    neg = f.sentiment.negative
    basic = (
        f"{_sentence(f.summary)}该事件最早于{_moment(f.first_seen)}出现，截至{_moment(f.as_of)}，"
        f"共监测到相关信息{_n(f.total_items)}条，其中负面信息{_n(neg)}条，"
        f"占{percent(neg, f.sentiment.total)}；目前处于{_trend(f.trend)}阶段，热度{f.heat:.1f}。"
    )
    body: list[Block] = [Heading(1, "基本情况"), Paragraph(basic)]
    body.append(Heading(1, "传播情况"))
    if f.timeline:
        body.append(Heading(2, "事件脉络"))
        body.append(
            ListBlock(
                tuple(f"{_moment(e.when)}，{_sentence(e.text)}" for e in sorted(f.timeline, key=lambda e: e.when))
            )
        )
    if f.sources:
        sources = _sorted_counts(f.sources)
        src_total = sum(c for _, c in sources)
        body.append(Heading(2, "传播渠道"))
        body.append(
            Paragraph(
                "相关信息分布在"
                + "、".join(f"{n}（{_n(c)}条，{percent(c, src_total)}）" for n, c in sources[:4])
                + ("等渠道。" if len(sources) > 4 else "。")
            )
        )
        body.append(_count_table(("渠道", "信息量"), sources, "传播渠道分布", limit=8))
    if len(f.volume) > 1:
        peak_label, peak = max(f.volume, key=lambda v: v[1])
        body.append(Heading(2, "传播走势"))
        body.append(Paragraph(f"信息量在{peak_label}达到峰值（{_n(peak)}条），当前处于{_trend(f.trend)}阶段。"))
        body.append(
            Figure(
                ChartSpec(
                    ChartKind.LINE,
                    tuple(label for label, _ in f.volume),
                    (ChartSeries("信息量", tuple(float(n) for _, n in f.volume)),),
                    y_label="信息量（条）",
                ),
                caption="信息量走势",
            )
        )
    body.append(Heading(1, "网民观点"))
    if f.sentiment.total:
        body.append(Heading(2, "情感倾向"))
        body.append(Paragraph(f"{f.sentiment.sentence()}。"))
        body.append(Figure(f.sentiment.chart(), caption="情感倾向分布"))
    if f.posts:
        body.append(Heading(2, "代表性言论"))
        body.append(
            ListBlock(
                tuple(
                    f"网民“{p.author_pseudonym}”（{p.source}，{_moment(p.published)}"
                    + (f"，互动{_n(p.engagement)}次" if p.engagement else "")
                    + f"）：“{mask_personal_data(p.text.strip())}”"
                    for p in f.posts
                ),
                numbered=True,
            )
        )
    if not f.sentiment.total and not f.posts:
        body.append(Paragraph("暂未形成集中的网民观点。"))
    if f.assessment:
        body.append(Heading(1, "研判"))
        body.extend(Paragraph(text) for text in f.assessment)
    if f.recommendations:
        body.append(Heading(1, "处置建议"))
        for i, text in enumerate(f.recommendations):
            lead = _ORDINAL_LEADS[i] if i < len(_ORDINAL_LEADS) else f"第{i + 1}，"
            body.append(Paragraph(_sentence(text), lead=lead))
    title = f.event_title if f.event_title.startswith("关于") else f"关于{f.event_title}的舆情专报"
    if template is not None:
        title = template.apply_title(title, event=f.event_title)
    return head.document(
        DocumentKind.BULLETIN, title, _apply_template(body, BULLETIN_SECTIONS, template, event=f.event_title)
    )
