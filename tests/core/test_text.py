"""Core text processing: normalisation, matching form, language identification, tokenisation."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from pathlib import Path

import pytest

from qingting.core.text import (
    EN_STOPWORDS,
    MAX_MATCH_CHARS,
    ZH_STOPWORDS,
    Normalized,
    detect_language,
    fold,
    normalize,
    tokenize,
)

# --- fold: the matching form -------------------------------------------------------------------


def test_fold_traditional_and_simplified_taiwan_match() -> None:
    assert fold("臺灣") == fold("台湾") == "台湾"
    assert fold("颱風來襲，臺北停班停課") == fold("台风来袭，台北停班停课")


def test_fold_full_width_letters_digits_and_punctuation() -> None:
    assert fold("ＡＢＣ１２３") == "abc123"
    assert fold("价格：１００元！") == "价格:100元!"


def test_fold_phrase_level_conversion_keeps_names() -> None:
    # 乾 is 干 in 乾淨 but stays 乾 in the emperor's name 乾隆: OpenCC works on phrases.
    assert fold("乾淨") == "干净"
    assert fold("乾隆") == "乾隆"
    assert fold("頭髮") == "头发"


def test_fold_collapses_whitespace_and_drops_invisible_characters() -> None:
    assert fold("  台\u200b湾\u3000\t 暴雨\n\n新闻  ") == "台湾 暴雨 新闻"
    assert fold("a\x00b") == "a b"  # a NUL separates words, it does not join them


def test_fold_lower_cases_and_keeps_mentions_for_search() -> None:
    assert fold("iPhone @人民日报") == "iphone @人民日报"


# --- normalize: own content, entities, repost chains -------------------------------------------


def test_weibo_repost_chain_is_reduced_to_own_content() -> None:
    n = normalize("说得对！//@王五:转发理由//@新华社:臺風「海葵」今晚登陸")
    assert n.is_repost
    assert n.own == "说得对！"
    assert n.match == "说得对!"
    assert n.repost_of_text == "臺風「海葵」今晚登陸"
    assert n.mentions == ()  # the chain's names are not this poster's mentions


def test_pure_repost_without_comment_has_empty_own_content() -> None:
    for text in ("转发微博", "转发微博。", "轉發微博", "//@新华社:台风登陆"):
        n = normalize(text)
        assert n.is_repost, text
        assert n.own == "" and n.match == "", text


def test_default_repost_text_with_only_an_emoticon_counts_as_repost() -> None:
    n = normalize("转发微博 [哈哈]")
    assert n.is_repost
    assert n.match == ""
    assert n.emoticons == ("哈哈",)


def test_boilerplate_inside_a_post_is_dropped_from_match_but_kept_in_own() -> None:
    n = normalize("#宋茜生日快乐# 转发微博 生日快乐")
    assert n.own == "#宋茜生日快乐# 转发微博 生日快乐"
    assert n.match == "宋茜生日快乐 生日快乐"


def test_twitter_retweet_is_a_repost() -> None:
    n = normalize("So true RT @bbc: Flooding closes M5 motorway")
    assert n.is_repost
    assert n.own == "So true"
    assert n.repost_of_text == "Flooding closes M5 motorway"


def test_entities_are_extracted_and_removed_from_match() -> None:
    n = normalize("@人民日报 #暴雨预警# 北京暴雨[泪][加油]😭 详见 http://t.cn/zWynY5R 和 www.gov.cn/x")
    assert n.mentions == ("人民日报",)
    assert n.topics == ("暴雨预警",)
    assert n.emoticons == ("泪", "加油")
    assert n.emoji == ("😭",)
    assert n.urls == ("http://t.cn/zWynY5R", "www.gov.cn/x")
    assert n.match == "暴雨预警 北京暴雨 详见 和"
    assert not n.is_repost


def test_reply_prefix_is_a_mention_not_content() -> None:
    n = normalize("回复@青梅竹马羽:无知者无畏！")
    assert n.mentions == ("青梅竹马羽",)
    assert n.match == "无知者无畏!"
    assert n.own == "回复@青梅竹马羽:无知者无畏！"


def test_mentions_next_to_each_other_and_email_addresses() -> None:
    n = normalize("@海衣@肖志瑶 @我爱史努比Snoopy 请写信到 office@example.com")
    assert n.mentions == ("海衣", "肖志瑶", "我爱史努比Snoopy")
    assert "office@example.com" in n.match  # an e-mail address is not a mention


def test_hashtags_in_english_and_truncated_weibo_links() -> None:
    n = normalize("Road closed #flood #London2024 http:")
    assert n.topics == ("flood", "London2024")
    assert n.urls == ("http:",)
    assert n.match == "road closed flood london2024"


def test_bracket_emoticons_in_traditional_fold_to_the_simplified_name() -> None:
    assert normalize("好難過[淚]").emoticons == ("泪",)
    assert normalize("好難過[淚]").match == normalize("好难过[泪]").match == "好难过"


def test_zwj_emoji_sequence_is_one_emoji() -> None:
    n = normalize("一家人👨\u200d👩\u200d👧真好👍🏽")
    assert n.emoji == ("👨\u200d👩\u200d👧", "👍🏽")
    assert n.match == "一家人 真好"


def test_full_width_entities_are_recognised() -> None:
    n = normalize("＠新华社 ＃台风＃ ＡＢＣ１２３")
    assert n.mentions == ("新华社",)
    assert n.topics == ("台风",)
    assert n.match == "台风 abc123"


def test_normalized_is_frozen_and_keeps_the_original() -> None:
    text = "臺灣ＡＢＣ //@x:y"
    n = normalize(text)
    assert isinstance(n, Normalized)
    assert n.original == text
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.match = "x"  # type: ignore[misc]


# --- bad input -----------------------------------------------------------------------------------


def test_empty_and_whitespace_text() -> None:
    for text in ("", "   ", "\n\t"):
        n = normalize(text)
        assert n.match == "" and not n.is_repost and not n.truncated
        assert detect_language(text) == "und"
        assert tokenize(n.match, "zh") == []


def test_huge_text_is_capped_and_flagged() -> None:
    text = "台湾暴雨。" * 2_000_000  # 10 M characters
    n = normalize(text)
    assert n.truncated
    assert n.original is text
    assert len(n.match) <= MAX_MATCH_CHARS
    assert n.match.startswith("台湾暴雨。台湾暴雨。")
    assert len(fold(text)) <= MAX_MATCH_CHARS
    assert detect_language(text) == "zh"
    assert "暴雨" in tokenize(n.match, "zh")


@pytest.mark.parametrize(
    "text",
    ["转发" + " " * 9990 + "x", "#a" + " b" * 5000, "@" * 10_000, "//@" * 3000, "[" * 10_000, "😀\u200d" * 5000],
)
def test_pathological_long_inputs_take_linear_time(text: str) -> None:
    # A regex that backtracks quadratically takes seconds on these; linear work takes milliseconds.
    detect_language("Il pleut beaucoup à Paris aujourd'hui")  # lingua loads its models once
    start = time.perf_counter()
    n = normalize(text)
    tokenize(n.match, detect_language(text))
    fold(text)
    assert time.perf_counter() - start < 0.5


def test_lone_surrogates_controls_and_binary_junk() -> None:
    junk = "台\ud800湾\udfff\x00\x01\x7f暴雨" + bytes(range(256)).decode("latin-1")
    n = normalize(junk)
    assert "台湾" in n.match and "暴雨" in n.match
    n.match.encode("utf-8")  # no lone surrogate survives: the result can always be stored
    n.own.encode("utf-8")
    assert detect_language(junk) in ("zh", "und")
    tokenize(n.match, detect_language(n.match))


def test_non_str_input_is_converted_not_raised() -> None:
    assert normalize(b"\xe5\x8f\xb0\xe6\xb9\xbe\xff").match == "台湾\ufffd"  # type: ignore[arg-type]
    assert normalize(None).match == ""  # type: ignore[arg-type]
    assert fold(123) == "123"  # type: ignore[arg-type]
    assert detect_language(None) == "und"  # type: ignore[arg-type]
    assert tokenize(None, "zh") == []  # type: ignore[arg-type]


def test_unknown_scripts_pass_through() -> None:
    text = "𓀀𓀁𓀂 ꦲꦏ꧀ꦱꦫ"  # Egyptian hieroglyphs, Javanese
    assert normalize(text).match == text
    assert detect_language(text) == "und"


# --- language identification -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("今天北京下了很大的雨，地铁停运了", "zh"),
        ("臺灣今天颱風來襲，各縣市停班停課", "zh"),
        ("iPhone 15 真的很好用，推荐", "zh"),
        ("今日は東京で大雨が降りました。電車が止まっています。", "ja"),
        ("오늘 서울에 큰 비가 내렸습니다", "ko"),
        ("The flood closed the main road into the city this morning", "en"),
        ("Сегодня в Москве прошёл сильный дождь, метро закрыто", "ru"),
        ("Aujourd'hui il pleut beaucoup à Paris et le métro est fermé", "fr"),
        ("Heute regnet es in Berlin sehr stark und die Straßen sind gesperrt", "de"),
        ("วันนี้ฝนตกหนักมากในกรุงเทพ", "th"),
        ("Σήμερα βρέχει πολύ στην Αθήνα", "el"),
        ("666", "und"),
        ("😀😀👍", "und"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_emoticons_alone_leave_no_language() -> None:
    assert detect_language(normalize("[哈哈][哈哈]😀").match) == "und"


def test_english_sentence_with_a_chinese_place_name_is_english() -> None:
    assert detect_language("The delegation visited 上海 and met officials from the city") == "en"


# --- tokenisation --------------------------------------------------------------------------------


def test_tokenize_chinese_drops_punctuation_numbers_and_function_words() -> None:
    match = normalize("今天的北京暴雨，地铁1号线停运了！！！2018").match
    tokens = tokenize(match, "zh")
    assert tokens == ["今天", "北京", "暴雨", "地铁", "号线", "停运"]
    assert not set(tokens) & ZH_STOPWORDS


def test_tokenize_mixed_chinese_english() -> None:
    assert tokenize(fold("新款iPhone的电池续航太差了"), "zh") == ["新款", "iphone", "电池", "续航", "太差"]


def test_tokenize_keeps_content_single_characters() -> None:
    assert tokenize("房子塌了", "zh") == ["房子", "塌"]
    assert tokenize("他被狗咬了", "zh") == ["狗", "咬"]


def test_tokenize_english_lower_cases_and_drops_stopwords() -> None:
    tokens = tokenize(fold("The Floods have CLOSED the M5 motorway, it's 2024 & 3.5 m deep"), "en")
    assert tokens == ["floods", "closed", "m5", "motorway", "deep"]
    assert not set(tokens) & EN_STOPWORDS


def test_tokenize_without_stopword_removal_keeps_negation() -> None:
    assert tokenize("我不喜欢这个服务", "zh", drop_stopwords=False) == ["我", "不", "喜欢", "这个", "服务"]
    assert tokenize("我不喜欢这个服务", "zh") == ["喜欢", "服务"]


def test_tokenize_traditional_and_simplified_give_the_same_tokens() -> None:
    a = tokenize(normalize("臺灣颱風造成嚴重災情").match, "zh")
    b = tokenize(normalize("台湾台风造成严重灾情").match, "zh")
    assert a == b and "台风" in a


# --- real Weibo posts ----------------------------------------------------------------------------


def test_real_weibo_posts(shared_data: Path) -> None:
    """On 2,000 labelled Weibo posts: Chinese is recognised, words come out, nothing is lost."""
    lines = (shared_data / "weibo2018" / "train.txt").read_text(encoding="utf-8").splitlines()[:2000]
    langs: Counter[str] = Counter()
    with_words = 0
    for line in lines:
        text = line.split(",", 2)[-1]
        n = normalize(text)
        assert n.original == text
        assert normalize(n.match).match == n.match
        lang = detect_language(n.match)
        langs[lang] += 1
        if lang == "zh":
            tokens = tokenize(n.match, lang)
            with_words += bool(tokens)  # "我是谁，我在哪" is all function words
            assert not set(tokens) & ZH_STOPWORDS
    assert langs["zh"] >= 0.99 * len(lines)
    assert with_words >= 0.98 * langs["zh"]


def test_tokenize_other_alphabetic_languages_with_the_regex_tokenizer() -> None:
    text = normalize("Сегодня в Москве прошёл сильный дождь, метро закрыто").match
    assert tokenize(text, "ru") == ["сегодня", "москве", "прошёл", "сильный", "дождь", "метро", "закрыто"]


def test_tokenize_japanese_keeps_kanji_words_and_drops_single_kana() -> None:
    text = normalize("東京で大雨が降りました").match
    tokens = tokenize(text, "ja")
    assert "大雨" in tokens
    assert not any(len(t) == 1 and "\u3040" <= t <= "\u30ff" for t in tokens)


def test_stopword_lists_are_in_matching_form_and_hold_no_content_words() -> None:
    # tokenize compares against the matching form: a Traditional or upper-case entry never matches.
    assert all(fold(word) == word for word in ZH_STOPWORDS | EN_STOPWORDS)
    assert not {"疫苗", "暴雨", "拆迁", "学校", "医院", "政府", "不满"} & ZH_STOPWORDS
    assert {"的", "了", "是", "我们", "因为"} <= ZH_STOPWORDS
    assert {"the", "and", "it's", "you"} <= EN_STOPWORDS


@pytest.mark.parametrize("module", ["", ".normalization", ".language", ".tokens"])
def test_docstring_examples_hold(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module("qingting.core.text" + module))
    assert result.attempted > 0 and result.failed == 0
