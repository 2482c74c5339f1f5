"""Proofreading assist (三校): what an editor would notice, and the command line."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from qingting.cli import main
from qingting.core.proofread import KeyDate, Proofreader, WordingRule, parse_key_dates, parse_wording_rules
from qingting.core.proofread.checker import infer_year

MONDAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def checker() -> Proofreader:
    return Proofreader(
        today=MONDAY,
        wording=[WordingRule("国家工商总局", "国家市场监督管理总局", "机构已改名")],
        key_dates=[KeyDate(12, 13, "国家公祭日")],
    )


def kinds(findings):
    return [(f.kind, f.text, f.suggestion) for f in findings]


def test_weekday_that_does_not_match_the_date(checker):
    text = "定于12月7日（周二）召开会议。"
    (f,) = checker.check(text)
    assert (f.kind, f.text, f.suggestion) == ("weekday", "周二", "周一")
    assert text[f.start : f.end] == "周二"


def test_right_weekday_and_explicit_year_are_left_alone(checker):
    assert checker.check("2026年12月7日（星期一）上午") == []
    # 2027-01-04 is a Monday; without a year, January near December 2026 means 2027
    assert checker.check("1月4日(周一)起施行") == []
    assert kinds(checker.check("2025年12月7日（周一）")) == [("weekday", "周一", "周日")]


def test_impossible_dates():
    p = Proofreader(today=MONDAY, typos=False)
    assert [f.kind for f in p.check("2月30日、13月2日")] == ["date", "date"]
    assert p.check("2028年2月29日") == []  # a leap year


def test_year_inference_picks_the_nearest():
    assert infer_year(1, 3, date(2026, 12, 20)) == 2027
    assert infer_year(12, 1, date(2026, 1, 5)) == 2025
    assert infer_year(6, 1, date(2026, 5, 1)) == 2026


def test_key_date_reminder(checker):
    (f,) = checker.check("拟于12月13日举办文艺晚会。")
    assert f.kind == "key_date" and "国家公祭日" in f.message


def test_organisation_wording(checker):
    (f,) = checker.check("国家工商总局有关负责同志出席。")
    assert (f.kind, f.suggestion, f.message) == ("wording", "国家市场监督管理总局", "机构已改名")


def test_wording_rule_inside_its_own_right_form_is_not_reported():
    p = Proofreader(wording=[WordingRule("市场监管局", "市场监督管理局")], typos=False)
    assert kinds(p.check("县市场监管局")) == [("wording", "市场监管局", "市场监督管理局")]
    p = Proofreader(wording=[WordingRule("监管局", "市场监管局")], typos=False)
    assert p.check("县市场监管局") == []


def test_typos_and_idioms(checker):
    found = kinds(checker.check("对不气，这次会议布署了下一阶段工作。"))
    assert found == [("typo", "气", "起"), ("typo", "布", "部")]
    assert kinds(checker.check("我们要认真贯切落实会议精神。")) == [("idiom", "切", "彻")]
    found = kinds(checker.check("我们要再接再励，一愁莫展不是办法。"))
    assert ("idiom", "励", "厉") in found and ("idiom", "愁", "筹") in found


def test_correct_official_sentences_are_left_alone(checker):
    for text in (
        "我县在推进乡村振兴工作中再接再厉，取得了明显成效。",
        "下一步，我们将迫不及待地推动高质量发展。",
        "会议强调，要按部就班做好部署。",
    ):
        assert checker.check(text) == [], text


def test_numbers_between_title_and_body(checker):
    found = checker.check_document("我县3名干部获表彰", "近日，我县4名干部获得省级表彰，奖励1.50万元。")
    assert [(f.kind, f.field, f.text, f.suggestion) for f in found] == [("number", "title", "3名", "4名")]
    assert checker.check_document("奖励1.5万元", "共奖励1.50万元。") == []


def test_parsers_name_the_bad_line():
    assert parse_wording_rules(["# 注释", "国家工商总局\t国家市场监督管理总局\t改名"])[0].note == "改名"
    with pytest.raises(ValueError, match="line 2"):
        parse_wording_rules(["a => b", "只有一个词"])
    with pytest.raises(ValueError, match="line 1"):
        parse_wording_rules(["相同 => 相同"])
    assert parse_key_dates(["2026-10-01 国庆"])[0].year == 2026
    with pytest.raises(ValueError, match="line 1: key date"):
        parse_key_dates(["13-40 坏日子"])
    with pytest.raises(ValueError, match="line 1: expected"):
        parse_key_dates(["十二月十三日"])


def test_cli_json_one_object_per_line(tmp_path):
    src = tmp_path / "draft.txt"
    src.write_text("定于12月7日（周二）召开会议。\n\n我们要再接再励。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["proofread", str(src), "--json", "--today", "2026-12-07"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3]
    assert rows[0]["findings"][0] == {
        "start": 8,
        "end": 10,
        "text": "周二",
        "suggestion": "周一",
        "kind": "weekday",
        "message": "2026年12月7日是周一",
    }
    assert rows[1]["findings"] == []
    assert rows[2]["findings"][0]["suggestion"] == "厉"


def test_cli_text_and_lists(tmp_path):
    src = tmp_path / "draft.txt"
    src.write_text("国家工商总局于12月13日发文。\n", encoding="utf-8")
    wording = tmp_path / "wording.txt"
    wording.write_text("国家工商总局 => 国家市场监督管理总局\n", encoding="utf-8")
    keys = tmp_path / "keys.txt"
    keys.write_text("12-13 国家公祭日\n", encoding="utf-8")
    args = ["proofread", str(src), "--wording", str(wording), "--key-dates", str(keys), "--today", "2026-12-07"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1:1: [规范表述] 国家工商总局 → 国家市场监督管理总局" in result.stdout
    assert "[敏感节点] 12月13日" in result.stdout


def test_cli_bad_input_is_named(tmp_path):
    src = tmp_path / "gbk.txt"
    src.write_bytes("会议".encode("gbk"))
    result = CliRunner().invoke(main, ["proofread", str(src)])
    assert result.exit_code == 2 and "is not UTF-8" in result.output
    bad = tmp_path / "keys.txt"
    bad.write_text("明天 坏\n", encoding="utf-8")
    ok = tmp_path / "ok.txt"
    ok.write_text("好\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["proofread", str(ok), "--key-dates", str(bad)])
    assert result.exit_code == 2 and "line 1" in result.output
    result = CliRunner().invoke(main, ["proofread", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "cannot read" in result.output
