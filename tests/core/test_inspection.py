"""Channel inspection after the national indicators: silence, columns, links, wording, interaction."""

from __future__ import annotations

import pytest

from qingting.core.inspection import (
    DAY,
    FORMAT,
    Column,
    Inspection,
    InspectionPolicy,
    LinkFault,
    Message,
    PageText,
    Post,
    ReadFault,
    SiteFacts,
    TypoHit,
    inspect,
    silence,
)
from qingting.core.wording import WordingRule, check_wording, parse_wording_rules, sentence_at

NOW = 1_796_000_000.0  # 2026-11-30 (China time)


def posts_every(days: float, *, until_days_ago: float, count: int = 40) -> list[Post]:
    return [Post(f"第{k}条", f"https://x/{k}", NOW - (until_days_ago + k * days) * DAY) for k in range(count)]


def codes(result: Inspection) -> list[str]:
    return [f.code for f in result.findings]


def test_a_channel_posting_every_few_days_passes_with_full_marks() -> None:
    result = inspect(posts_every(3, until_days_ago=1, count=40), now=NOW, messages=[])
    assert (result.verdict, result.score, result.verdict_label) == ("pass", 100.0, "合格")
    assert result.days_since_update == 1.0 and result.longest_silence_days == 3.0


def test_fourteen_days_without_a_post_is_a_veto_with_the_last_post_as_evidence() -> None:
    result = inspect(posts_every(3, until_days_ago=21, count=30), now=NOW, messages=[])
    assert result.verdict == "fail" and result.verdict_label == "不合格"
    silent = result.vetoes[0]
    assert silent.code == "silent" and silent.params["days"] == 21
    assert silent.evidence == "第0条" and silent.where == "https://x/0"
    assert "No update for 21 days" in silent.message


def test_ten_days_silent_is_a_note_not_yet_a_failure() -> None:
    result = inspect(posts_every(3, until_days_ago=11), now=NOW, messages=[])
    assert result.verdict == "pass" and "silent_soon" in codes(result)


def test_a_long_silence_inside_the_period_costs_points_once() -> None:
    posts = [
        Post("a", "u1", NOW - 2 * DAY),
        Post("b", "u2", NOW - 40 * DAY),
        *posts_every(2, until_days_ago=41, count=30),
    ]
    result = inspect(posts, now=NOW, messages=[])
    assert result.verdict == "pass" and result.score == 95.0
    (long,) = [f for f in result.findings if f.code == "long_silence"]
    assert long.params["days"] == 38


def test_silence_counts_only_what_the_feed_covers() -> None:
    # A feed listing its last posts: the time before the oldest entry is unknown, not silence.
    s = silence([NOW - 5 * DAY, NOW - 2 * DAY], start=NOW - 90 * DAY, end=NOW, covered_from=NOW - 5 * DAY)
    assert s.longest_days == 3.0
    s = silence([NOW - 5 * DAY, NOW - 2 * DAY], start=NOW - 90 * DAY, end=NOW)
    assert s.longest_days == 85.0


def test_a_feed_without_dates_is_undetermined_never_a_failure() -> None:
    result = inspect([Post("无日期", "u")] * 5, now=NOW, messages=[])
    assert result.verdict == "undetermined" and result.verdict_label == "无法判定"
    assert "no_dates" in codes(result) and not result.vetoes


def test_nothing_read_is_undetermined_with_the_reason() -> None:
    result = inspect([], now=NOW, faults=[ReadFault("https://x/feed", "deadline of 5 s exceeded")], messages=[])
    assert result.verdict == "undetermined"
    assert any("deadline of 5 s exceeded" in f.message for f in result.findings)


def test_undated_posts_do_not_count_as_updates() -> None:
    posts = [Post("undated", "u"), *posts_every(3, until_days_ago=20, count=5)]
    result = inspect(posts, now=NOW, messages=[])
    assert result.verdict == "fail" and "undated" in codes(result)


def test_future_dates_are_not_updates() -> None:
    posts = [Post("明年", "f", NOW + 300 * DAY), *posts_every(3, until_days_ago=20, count=5)]
    result = inspect(posts, now=NOW, messages=[])
    assert result.verdict == "fail" and "future_dated" in codes(result)


def site(**kw: object) -> SiteFacts:
    base: dict[str, object] = {"home": "https://s/", "home_dates": (NOW - 2 * DAY,), "pages": 10}
    base.update(kw)
    return SiteFacts(**base)  # type: ignore[arg-type]


def test_a_site_is_judged_by_its_home_page_and_columns() -> None:
    cols = (
        Column("https://s/news/", "新闻动态", NOW - 20 * DAY, 10, news=True),
        Column("https://s/notice/", "通知公告", NOW - 100 * DAY, 10),
        Column("https://s/empty/", "政策解读", empty=True),
    )
    dead = (LinkFault("https://s/gone", "HTTP 404", "https://s/", "旧链接"),)
    result = inspect([], now=NOW, kind="site", site=site(columns=cols, dead_links=dead), messages=[])
    assert result.verdict == "pass" and result.score == 100 - 2 - 2 - 1
    stale = [f for f in result.findings if f.code == "stale_column"]
    assert [f.params["name"] for f in stale] == ["新闻动态"]  # 通知公告 goes stale after 6 months
    (link,) = [f for f in result.findings if f.code == "dead_link"]
    assert link.evidence == "旧链接" and link.params["url"] == "https://s/gone"


def test_a_silent_home_page_or_five_stale_columns_fail_the_site() -> None:
    result = inspect([], now=NOW, kind="site", site=site(home_dates=(NOW - 15 * DAY,)), messages=[])
    assert [f.code for f in result.vetoes] == ["silent_home"]
    cols = tuple(Column(f"https://s/{k}/", f"动态{k}", NOW - 30 * DAY, 5, news=True) for k in range(5))
    result = inspect([], now=NOW, kind="site", site=site(columns=cols), messages=[])
    assert [f.code for f in result.vetoes] == ["stale_columns"]


def test_an_unreadable_home_page_is_undetermined() -> None:
    result = inspect(
        [], now=NOW, kind="site", site=site(home_read=False, home_dates=()), faults=[ReadFault("https://s/", "x")]
    )
    assert result.verdict == "undetermined"


def test_dead_links_are_capped() -> None:
    dead = tuple(LinkFault(f"https://s/{k}", "HTTP 404", "https://s/") for k in range(50))
    result = inspect([], now=NOW, kind="site", site=site(dead_links=dead), messages=[])
    assert result.score == 80.0 and len([f for f in result.findings if f.code == "dead_link"]) == 50
    assert result.verdict == "pass"


def test_below_sixty_points_fails() -> None:
    policy = InspectionPolicy(dead_link_cap=100.0)
    dead = tuple(LinkFault(f"https://s/{k}", "HTTP 404", "https://s/") for k in range(41))
    result = inspect([], now=NOW, kind="site", site=site(dead_links=dead), policy=policy, messages=[])
    assert result.score == 59.0 and result.verdict == "fail" and not result.vetoes


RULES = [
    WordingRule("县卫计委", "县卫生健康委员会", kind="outdated"),
    WordingRule("张三县长", "张三副县长", kind="title", serious=True),
]


def test_wording_errors_cost_points_and_a_serious_one_fails_with_the_sentence() -> None:
    texts = [PageText("https://x/1", "会议", "昨天，县卫计委召开会议。张三县长出席并讲话。其他内容")]
    result = inspect(posts_every(3, until_days_ago=1), now=NOW, texts=texts, wording_rules=RULES, messages=[])
    assert result.verdict == "fail"
    (serious,) = result.vetoes
    assert serious.evidence == "张三县长出席并讲话。" and serious.where == "https://x/1"
    (minor,) = [f for f in result.findings if f.code == "wording"]
    assert minor.evidence == "昨天，县卫计委召开会议。" and minor.points == 1.0


def test_a_mistake_repeated_on_every_page_is_one_finding() -> None:
    texts = [PageText(f"https://x/{k}", "", "版权所有：县卫计委") for k in range(30)]
    result = inspect(posts_every(3, until_days_ago=1), now=NOW, texts=texts, wording_rules=RULES, messages=[])
    assert len([f for f in result.findings if f.code == "wording"]) == 1


def test_suspected_typos_are_listed_but_cost_nothing() -> None:
    def checker(text: str) -> list[TypoHit]:
        i = text.find("在次")
        return [TypoHit(i, i + 2, "在次", "再次")] if i >= 0 else []

    texts = [PageText("https://x/1", "", "我们在次强调。")]
    result = inspect(posts_every(3, until_days_ago=1), now=NOW, texts=texts, typo_check=checker, messages=[])
    (typo,) = [f for f in result.findings if f.code == "typo"]
    assert typo.points == 0 and typo.evidence == "我们在次强调。" and result.score == 100.0


def test_interaction_late_unanswered_and_ignored_for_three_months() -> None:
    messages = [
        Message("Q-1", NOW - 20 * DAY, due_at=NOW - 10 * DAY, answered_at=NOW - 5 * DAY),  # 5 days late
        Message("Q-2", NOW - 20 * DAY, due_at=NOW - 10 * DAY),  # unanswered, past due
        Message("Q-3", NOW - 5 * DAY, due_at=NOW + 5 * DAY),  # not due yet
        Message("Q-4", NOW - 20 * DAY, due_at=NOW - 10 * DAY, answered_at=NOW - 12 * DAY),  # on time
    ]
    result = inspect(posts_every(3, until_days_ago=1), now=NOW, messages=messages)
    assert sorted(codes(result)) == ["late_answer", "unanswered"] and result.score == 96.0
    result = inspect(
        posts_every(3, until_days_ago=1), now=NOW, messages=[Message("Q-9", NOW - 100 * DAY, NOW - 90 * DAY)]
    )
    assert [f.code for f in result.vetoes] == ["unanswered_long"]


def test_interaction_not_linked_is_said() -> None:
    result = inspect(posts_every(3, until_days_ago=1), now=NOW)
    assert "interaction_unchecked" in codes(result) and result.verdict == "pass"


def test_result_round_trips_through_its_versioned_format() -> None:
    result = inspect(posts_every(3, until_days_ago=21), now=NOW, texts=[], messages=[])
    data = result.as_dict()
    assert data["format"] == FORMAT
    assert Inspection.from_dict(data) == result
    with pytest.raises(ValueError, match="format"):
        Inspection.from_dict({**data, "format": "something/9"})


def test_wording_list_parsing_and_matching() -> None:
    rules = parse_wording_rules(["# list", "青禾日报 => 青禾日报社", "县发改局\t县发展和改革局\tinstitution"])
    assert [(r.wrong, r.kind) for r in rules] == [("青禾日报", "other"), ("县发改局", "institution")]
    assert check_wording("青禾日报社记者", rules) == []
    (hit,) = check_wording("据青禾日报报道", rules)
    assert (hit.start, hit.end, hit.suggestion) == (1, 5, "青禾日报社")
    with pytest.raises(ValueError, match="line 2"):
        parse_wording_rules(["a => b", "only-one-column"], where="list.tsv")
    assert sentence_at("无标点" * 100, 150, 153, limit=20).startswith("…")
