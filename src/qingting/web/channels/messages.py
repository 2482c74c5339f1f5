"""The inspection's findings in Chinese: the same templates as :data:`qingting.core.inspection.MESSAGES`, by code.

Pages show a finding in the user's language (Chinese by default); reports are always Chinese.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

from qingting.core.inspection import MESSAGES

ZH: dict[str, str] = {
    "silent": "已{days}天未更新（最近一次{last}），连续{limit}天未更新即为不合格（单项否决）",
    "silent_home": "首页最新信息停留在{last}（{days}天），首页连续{limit}天未更新即为不合格（单项否决）",
    "silent_soon": "已{days}天未更新（最近一次{last}），满{limit}天即为不合格",
    "long_silence": "检查期内最长{days}天未更新（{start}至{end}）",
    "undated": "{total}条信息中有{count}条没有发布日期，不计为更新",
    "future_dated": "{count}条信息的日期在未来（最晚{last}），不计入",
    "no_dates": "无法读取发布日期：{total}条信息均无日期",
    "no_posts": "未读取到任何已发布的信息",
    "unreadable": "无法读取{where}：{what}",
    "no_home_dates": "首页未找到日期",
    "dead_link": "{page}上的链接{url}无法访问（{what}）",
    "stale_column": "栏目“{name}”{days}天未更新（最近一次{last}，时限{limit}天）",
    "stale_columns": "{count}个栏目未按时更新：达到{limit}个即为不合格（单项否决）",
    "empty_column": "栏目“{name}”为空",
    "empty_columns": "{count}个空白栏目：达到{limit}个即为不合格（单项否决）",
    "wording": "表述不规范“{text}”，应为“{suggestion}”",
    "wording_serious": "严重表述错误“{text}”，应为“{suggestion}”（单项否决）",
    "typo": "疑似错别字“{text}”，建议“{suggestion}”",
    "late_answer": "留言{ref}超期{days}天答复",
    "unanswered": "留言{ref}未答复，已超期{days}天",
    "unanswered_long": "留言{ref}已{days}天未答复：超过{limit}天即为不合格（单项否决）",
    "crawl_budget": "抓取达到{limit}上限后停止（已抓取{pages}页），{unchecked}个链接未检查",
    "interaction_unchecked": "未检查互动回应：未关联留言来源",
    "typos_unchecked": "未检查错别字：{what}",
    "typo_budget": "错别字仅检查了前{limit}个字符，另有{skipped}个字符未检查",
}
assert set(ZH) == set(MESSAGES), "every finding needs its Chinese text"


def finding_text(finding: Any, *, lang: str | None = None) -> str:
    """A finding (``qingting.core.inspection.Finding``) as a sentence in ``lang`` (default: the active one)."""
    lang = lang or get_language() or "zh-hans"
    template = ZH.get(finding.code) if lang.lower().startswith("zh") else MESSAGES.get(finding.code)
    if template is None:
        return str(finding.message)
    try:
        return template.format(**finding.params)
    except (KeyError, IndexError, ValueError):
        return str(finding.message)
