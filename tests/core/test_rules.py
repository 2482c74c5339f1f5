"""The scheme expression language: what matches, what does not, and errors that say where."""

from __future__ import annotations

import time

import pytest

from qingting.core.rules import And, Near, Not, Or, ParseError, Term, compile_expression, parse
from qingting.core.types import Item


def m(expr: str, text: str, **kw: str) -> bool:
    return compile_expression(expr).matches(text, **kw)


# -- matching -------------------------------------------------------------------------------------


def test_implicit_and_needs_every_term() -> None:
    assert m("柳湾镇 停水", "柳湾镇今天全镇停水")
    assert not m("柳湾镇 停水", "柳湾镇今天恢复供水")


def test_or_not_and_precedence() -> None:
    expr = "柳湾镇 停水 OR 断水"  # AND binds tighter: (柳湾镇 停水) OR 断水
    assert m(expr, "河口村断水")
    assert not m(expr, "柳湾镇停电")
    assert m("柳湾镇 (停水 OR 断水)", "柳湾镇断水三天")
    assert not m("柳湾镇 (停水 OR 断水)", "河口村断水")


def test_not_and_minus_exclude() -> None:
    assert not m("停水 NOT 演习", "停水演习通知")
    assert not m("停水 -演习", "停水演习通知")
    assert m("停水 -演习", "突然停水")
    # a hyphen inside a word is part of the word
    assert m("covid-19", "new covid-19 cases")
    assert not m("covid-19", "covid cases")


def test_traditional_and_simplified_match_both_ways() -> None:
    assert m("台湾 暴雨", "臺灣暴雨成災")
    assert m("臺灣 暴雨", "台湾暴雨成灾")
    assert m('"恢復供水"', "何时恢复供水")


def test_full_and_half_width_fold() -> None:
    assert m("ＡＢＣ１２３", "abc123 通知")
    assert m("abc123", "ＡＢＣ１２３ 通知")
    # full-width operators and parentheses work too
    assert m("（停水 ＯＲ 断水） 柳湾", "柳湾停水")


def test_quoted_phrase_is_contiguous() -> None:
    assert m('"恢复 供水"', "何时恢复 供水")
    assert not m('"恢复 供水"', "供水恢复")
    assert m("“恢复供水”", "何时恢复供水")  # Chinese quotation marks


def test_english_terms_match_whole_words_only() -> None:
    assert m("art", "an art show")
    assert not m("art", "a party")
    assert m("Water", "WATER cut in town")
    assert not m("5g", "15g of salt")


def test_operators_are_upper_case_only() -> None:
    # lower-case "or" is a word, so both "water" and "or" and "power" must appear
    assert not m("water or power", "water cut")
    assert m("water OR power", "power cut")


def test_near_counts_characters_between_in_either_order() -> None:
    expr = "停水 NEAR/5 柳湾镇"
    assert m(expr, "柳湾镇今天全镇停水")  # 4 characters between
    assert m(expr, "停水了，柳湾镇")
    assert not m(expr, "柳湾镇今天上午开始全镇停水")  # 8 characters between
    assert m("停水 NEAR/0 柳湾镇", "柳湾镇停水")
    assert m("(停水 OR 断水) NEAR/3 柳湾", "柳湾镇断水")
    assert m("water NEAR/10 town", "water cut in town")


def test_region_and_source_filters() -> None:
    assert m("停水 source:weibo", "停水", source="Weibo")
    assert not m("停水 source:weibo", "停水", source="wechat")
    # the region field wins when the item has one; otherwise the text must mention the place
    assert m("停水 region:柳湾镇", "全镇停水", region="青禾县柳湾镇")
    assert not m("停水 region:柳湾镇", "柳湾镇停水", region="河口村")
    assert m("停水 region:柳湾镇", "柳湾镇停水")
    assert m('region:"柳灣鎮"', "柳湾镇停水")


def test_star_matches_everything() -> None:
    assert m("*", "anything")
    assert m("* -广告", "通知")
    assert not m("* -广告", "广告")


def test_match_item_searches_title_and_source() -> None:
    matcher = compile_expression("通报 停水 source:news")
    assert matcher.match_item(Item("1", "全镇停水", title="县水务局通报", source="news"))
    assert not matcher.match_item(Item("2", "全镇停水", title="县水务局通报", source="weibo"))


def test_parse_tree_shape() -> None:
    tree = parse("a b OR NOT c")
    assert isinstance(tree, Or)
    assert isinstance(tree.children[0], And)
    assert isinstance(tree.children[1], Not)
    near = parse("a NEAR/3 b")
    assert isinstance(near, Near) and near.distance == 3
    assert parse("臺灣") == Term("台湾", 0)


# -- spans for highlighting -----------------------------------------------------------------------


def test_spans_point_into_the_original_text() -> None:
    text = "臺灣 ＡＢＣ 暴雨，台湾暴雨"
    matcher = compile_expression("台湾 abc -演习")
    got = [text[s.start : s.end] for s in matcher.spans(text)]
    assert got == ["臺灣", "ＡＢＣ", "台湾"]


def test_spans_skip_negated_terms_and_merge_overlaps() -> None:
    text = "恢复供水演习"
    matcher = compile_expression("恢复供水 OR 供水 -演习")
    spans = matcher.spans(text)
    assert [(s.start, s.end) for s in spans] == [(0, 4)]


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "code", "position"),
    [
        ("(停水 OR 断水", "missing_rparen", 9),
        ("停水 OR 断水)", "unexpected_rparen", 8),
        ("停水 OR", "missing_operand", 5),
        ("停水 AND OR 断水", "missing_operand", 7),
        ("OR 停水", "misplaced_operator", 0),
        ("停水 NOT", "missing_operand", 6),
        ('"恢复供水', "unclosed_quote", 5),
        ("停水 NEAR/x 柳湾", "near_distance", 8),
        ("停水 NEAR/5 NOT 柳湾", "near_operand", 10),
        ("(停水 断水) NEAR/5 柳湾", "near_operand", 1),
        ("region: 停水", "field_value", 7),
        ("()", "empty_parens", 1),
        ("   ", "empty", 0),
        ('""', "empty_term", 0),
    ],
)
def test_malformed_expressions_name_the_position(expr: str, code: str, position: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(expr)
    e = info.value
    assert (e.code, e.position) == (code, position)
    assert f"第 {position + 1} 个字符" in e.message_zh
    assert f"character {position + 1}" in e.message_en
    assert e.message_en in str(e) and e.message_zh in str(e)


def test_missing_parenthesis_message_says_what_is_missing() -> None:
    with pytest.raises(ParseError) as info:
        parse("柳湾镇 (停水 OR 断水")
    assert "缺少右括号" in info.value.message_zh
    assert "missing ')'" in info.value.message_en


def test_deep_nesting_is_refused_not_crashing() -> None:
    with pytest.raises(ParseError) as info:
        parse("(" * 500 + "a" + ")" * 500)
    assert info.value.code == "too_deep"


def test_matching_many_items_is_fast() -> None:
    matcher = compile_expression('(停水 OR 断水 OR "没有水") 柳湾 -演习 -广告')
    texts = [f"第{i}条：河口村今天天气晴朗，居民生活正常，没有特别的事情发生。" for i in range(20_000)]
    t0 = time.perf_counter()
    hits = sum(matcher.matches_folded(t) for t in texts)
    elapsed = time.perf_counter() - t0
    assert hits == 0
    assert elapsed < 1.0  # ~1 µs per item on an idle core; generous for a shared machine


def test_preview_lists_matches_with_highlights() -> None:
    matcher = compile_expression("停水 -演习")
    items = [
        Item("1", "柳灣鎮停水了"),
        Item("2", "停水演习"),
        Item("3", "天气晴"),
        Item("4", "又停水"),
        Item("5", "停水第三天"),
    ]
    got = matcher.preview(items, limit=2)
    assert [(it.id, [(s.start, s.end) for s in spans]) for it, spans in got] == [("1", [(3, 5)]), ("4", [(1, 3)])]
