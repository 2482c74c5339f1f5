"""Import errors stored as a code and its parameters, shown in the reader's language.

An :class:`~qingting.web.collect.models.ImportRun` keeps its first refused records and the reason
it stopped in ``errors``. They are stored as ``{"code": …, **parameters}`` and worded only when
shown (:func:`error_text`), so the administrator's home, the import page and the command line say
the same thing in Chinese or in English. Entries stored before this (plain English strings) are
shown as they are.

The readers below the web layer (``qingting.core.io``, ``qingting.sources.files``,
``monitoring.services.records``) word their refusals in English with a fixed shape; :func:`refusal`
turns one into a code and parameters once, when it is stored. A message of an unknown shape keeps
its text as the ``detail`` parameter, so nothing is lost.

>>> from django.utils import translation
>>> entry = refusal("line 7 (id 12)", "time", "cannot read 'soon' as a time: unknown format")
>>> entry["code"], entry["where"], entry["field"]
('bad_time', {'kind': 'line', 'n': 7, 'id': '12'}, 'time')
>>> with translation.override("en"):
...     error_text(entry)
"line 7 (id 12): time: cannot read 'soon' as a time (unknown format)"
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

# Our field names (the import's mapping and the item's columns), as the user reads them.
_FIELDS = {
    "id": pgettext_lazy("import field", "id"),
    "external_id": pgettext_lazy("import field", "id"),
    "text": pgettext_lazy("import field", "text"),
    "title": pgettext_lazy("import field", "title"),
    "time": pgettext_lazy("import field", "time"),
    "published_at": pgettext_lazy("import field", "time"),
    "engagement": pgettext_lazy("import field", "engagement"),
    "mainstream": pgettext_lazy("import field", "mainstream"),
    "url": pgettext_lazy("import field", "link"),
    "author": pgettext_lazy("import field", "author"),
    "region": pgettext_lazy("import field", "region"),
    "lang": pgettext_lazy("import field", "language"),
    "line": pgettext_lazy("import field", "line"),
}

# (code, pattern of the reader's English message, parameters taken from it)
_SHAPES: list[tuple[str, re.Pattern[str]]] = [
    ("missing", re.compile(r"^missing(?::.*)?$")),
    ("empty_text", re.compile(r"^(?:text: )?empty(?: \(and no title\)|: an item needs a text or a title)$")),
    ("not_text", re.compile(r"^expected a string, got (?P<type>\w+)$")),
    ("bad_time", re.compile(r"^cannot read (?P<value>.*) as a time: (?P<detail>.*)$", re.S)),
    ("not_whole_number", re.compile(r"^(?:expected a whole number(?:: (?P<detail>.*))?|not a whole number)$", re.S)),
    ("too_long", re.compile(r"^longer than (?P<n>\d+) characters$")),
    ("line_too_large", re.compile(r"^record larger than (?P<n>\d+) bytes$")),
    ("bad_utf8", re.compile(r"^invalid UTF-8 at byte (?P<n>\d+)$")),
    ("bad_json", re.compile(r"^not valid JSON: (?P<detail>.*)$", re.S)),
    ("not_object", re.compile(r"^expected a JSON object, got (?P<type>\w+)$")),
    ("bad_row", re.compile(r"^malformed (?P<delimiter>.*)-separated row: (?P<detail>.*)$", re.S)),
    ("short_row", re.compile(r"^row has (?P<n>\d+) of (?P<of>\d+) columns$")),
    ("not_http", re.compile(r"^only http and https addresses are kept$")),
]

_TEXTS = {
    "missing": gettext_lazy("missing"),
    "empty_text": gettext_lazy("empty: an item needs a text or a title"),
    "not_text": gettext_lazy("expected text, found %(type)s"),
    "bad_time": gettext_lazy("cannot read %(value)s as a time (%(detail)s)"),
    "not_whole_number": gettext_lazy("not a whole number"),
    "too_long": gettext_lazy("longer than %(n)s characters"),
    "line_too_large": gettext_lazy("record larger than %(n)s bytes"),
    "bad_utf8": gettext_lazy("not valid UTF-8 (at byte %(n)s)"),
    "bad_json": gettext_lazy("not valid JSON (%(detail)s)"),
    "not_object": gettext_lazy("not a JSON object (found %(type)s)"),
    "bad_row": gettext_lazy("a malformed row (%(detail)s)"),
    "short_row": gettext_lazy("the row has %(n)s of %(of)s columns"),
    "not_http": gettext_lazy("only http and https addresses are kept"),
}

_WHERE = re.compile(r"^(?P<kind>line|row|record) (?P<n>\d+)(?: \(id (?P<id>.*)\))?$", re.S)


def _where(where: str) -> dict[str, Any] | str:
    match = _WHERE.match(where)
    if match is None:
        return where  # an id given by the file
    out: dict[str, Any] = {"kind": match["kind"], "n": int(match["n"])}
    if match["id"] is not None:
        out["id"] = match["id"]
    return out


def refusal(where: str, field: str, message: str) -> dict[str, Any]:
    """A refused record as a code and its parameters: ``where`` (a line, a row or an id),
    ``field`` (our name) and what was wrong."""
    entry: dict[str, Any] = {"where": _where(where), "field": field}
    for code, pattern in _SHAPES:
        match = pattern.match(message)
        if match is not None:
            entry["code"] = code
            entry.update({k: v for k, v in match.groupdict().items() if v is not None})
            return entry
    entry.update(code="refused", detail=message)
    return entry


def file_failed(file_name: str, detail: str) -> dict[str, Any]:
    """The file could not be read on (the reason is the reader's, kept as it is)."""
    return {"code": "file_failed", "file": file_name, "detail": detail}


def interrupted(file_name: str, since: str) -> dict[str, Any]:
    """The import's process stopped (no progress since ``since``, local time as text)."""
    return {"code": "interrupted", "file": file_name, "since": since}


def _where_text(where: Any) -> str:
    if not isinstance(where, dict):
        return str(where or "")
    n = where.get("n")
    label = {
        "line": _("line %(n)s") % {"n": n},
        "row": _("row %(n)s") % {"n": n},
        "record": _("record %(n)s") % {"n": n},
    }.get(str(where.get("kind")), str(n))
    if where.get("id") is not None:
        label = _("%(where)s (id %(id)s)") % {"where": label, "id": where["id"]}
    return label


def error_text(entry: Any) -> str:
    """One stored import error in the active language (a plain string is shown as it is)."""
    if not isinstance(entry, dict):
        return str(entry)
    code = entry.get("code")
    if code == "interrupted":
        return _(
            "%(file)s: interrupted — no progress since %(since)s; import the file again to store the rest "
            "(stored records are skipped)"
        ) % {"file": entry.get("file", ""), "since": entry.get("since", "")}
    if code == "file_failed":
        return _("%(file)s: the file could not be read on: %(detail)s") % {
            "file": entry.get("file", ""),
            "detail": entry.get("detail", ""),
        }
    params = {k: v for k, v in entry.items() if k not in ("code", "where", "field")}
    if code in _TEXTS:
        try:
            what = str(_TEXTS[code]) % params
        except (KeyError, TypeError, ValueError):
            what = str(_TEXTS[code])
    else:
        what = str(entry.get("detail", ""))
    field = str(entry.get("field") or "")
    parts = [p for p in (_where_text(entry.get("where")), str(_FIELDS.get(field, field)), what) if p]
    return pgettext("between the parts of an import error", ": ").join(parts)


def errors_text(entries: Any) -> list[str]:
    """A run's stored errors, each worded by :func:`error_text`."""
    return [error_text(e) for e in entries or []]
