"""A readable diff between two revisions of a Chinese text (words are not space-separated).

Lines first, then characters inside the lines that changed, so a long body costs little.
"""

from __future__ import annotations

from difflib import SequenceMatcher

CHAR_DIFF_LIMIT = 4000  # changed blocks longer than this are shown as deleted + inserted


def _chars(old: str, new: str, out: list[tuple[str, str]]) -> None:
    if len(old) + len(new) > CHAR_DIFF_LIMIT:
        _add(out, "delete", old)
        _add(out, "insert", new)
        return
    for op, a0, a1, b0, b1 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            _add(out, "equal", old[a0:a1])
        else:
            _add(out, "delete", old[a0:a1])
            _add(out, "insert", new[b0:b1])


def _add(out: list[tuple[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1][0] == op:
        out[-1] = (op, out[-1][1] + text)
    else:
        out.append((op, text))


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``(op, text)`` pieces, op one of ``"equal"``, ``"delete"``, ``"insert"``, in reading order.

    >>> text_diff("定于12月7日（周二）", "定于12月7日（周一）")
    [('equal', '定于12月7日（周'), ('delete', '二'), ('insert', '一'), ('equal', '）')]
    """
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out: list[tuple[str, str]] = []
    for op, a0, a1, b0, b1 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            _add(out, "equal", "".join(a[a0:a1]))
        else:
            _chars("".join(a[a0:a1]), "".join(b[b0:b1]), out)
    return out
