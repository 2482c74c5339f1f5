"""Proofreading assist (三校): what an editor should look at again before a release goes out.

Pure Python, no Django, nothing downloaded at run time. :class:`Proofreader` finds

- ``typo`` — suspected wrong characters (错别字) with a suggestion (:mod:`.typos`: a confusion set
  of same-sound and similar-shape characters, scored with the word frequencies of jieba's
  dictionary);
- ``idiom`` — a four-character idiom (成语) with one character replaced by a confusable one;
- ``wording`` — a violation of the organisation's own standard-wording list (规范表述: outdated
  institution names, officials' titles), passed in as :class:`WordingRule` s;
- ``date`` / ``weekday`` — an impossible date (2月30日) or a weekday that does not match the date
  (``12月7日（周二）`` when the 7th is a Monday); a date without a year takes the year that puts it
  nearest to the reference day;
- ``key_date`` — a date that falls on a sensitive day (敏感节点) of the calendar passed in;
- ``number`` — a number in the title that the body gives differently (title 3名, body 4名).

Dead links need the network and are checked by the web layer with the safe fetcher.

>>> from datetime import date
>>> p = Proofreader(today=date(2026, 12, 7))
>>> [(f.kind, f.text, f.suggestion) for f in p.check("定于12月7日（周二）召开会议。")]
[('weekday', '周二', '周一')]
"""

from __future__ import annotations

from qingting.core.proofread.checker import (
    Finding,
    KeyDate,
    Proofreader,
    WordingRule,
    parse_key_dates,
    parse_wording_rules,
)

__all__ = ["Finding", "KeyDate", "Proofreader", "WordingRule", "parse_key_dates", "parse_wording_rules"]
