"""The reasons a model version was not activated, in the reader's language.

Services store the reason in English in ``ModelVersion.message`` (it is also in the audit trail);
pages show it through :func:`reason_text`.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"needs at least (?P<min>\d+) corrections, has (?P<n>\d+)"), "too_few"),
    (re.compile(r"needs corrections of both polarities"), "polarity"),
    (re.compile(r"no corrections held back to evaluate on yet"), "no_held_back"),
    (re.compile(r"held-back accuracy (?P<new>[\d.]+) is below the active model's (?P<old>[\d.]+)"), "worse"),
    (re.compile(r"self-training needs at least (?P<min>\d+) distinct Chinese items, has (?P<n>\d+)"), "stream"),
    (re.compile(r"fewer than 10 held-back corrections"), "candidate"),
    (re.compile(r"no new corrections"), "nothing_new"),
]


def reason_text(message: str) -> str:
    """``message`` (a service's English reason) translated; unknown text is returned as it is."""
    for pattern, code in _PATTERNS:
        m = pattern.search(message or "")
        if m is None:
            continue
        p = m.groupdict()
        if code == "too_few":
            return _("needs at least %(min)s corrections, has %(n)s") % p
        if code == "polarity":
            return _("needs corrections of both polarities (positive and negative) to learn from")
        if code == "no_held_back":
            return _("no corrections held back to evaluate on yet")
        if code == "worse":
            return _("accuracy on the held-back corrections %(new)s is below the active model's %(old)s") % p
        if code == "stream":
            return _("self-training needs at least %(min)s distinct Chinese items, has %(n)s") % p
        if code == "candidate":
            return _("fewer than 10 held-back corrections to compare on: an administrator may activate it")
        return _("no new corrections")
    return message


def model_label(name: str) -> str:
    """``"default"`` → the shipped default's name; ``"v3"`` stays."""
    return _("shipped default") if not name or name == "default" else name
