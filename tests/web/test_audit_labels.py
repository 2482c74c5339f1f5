"""Every audit action a service records reads as words on a page, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from qingting.web.audit.labels import ACTION_LABELS, action_label, actor_label

SRC = Path(__file__).resolve().parents[2] / "src" / "qingting" / "web"
CODE = re.compile(r'"([a-z0-9_]+\.[a-z0-9_]+)"')


def recorded_actions() -> set[str]:
    """The action codes written by ``action=…`` (including ``"a.b" if … else "a.c"``) under ``web/``."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or path.name == "labels.py":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"\baction=", line) and "CaseAction" not in line:
                found.update(CODE.findall(line.split("action=", 1)[1]))
    return found


def test_every_recorded_action_has_a_label() -> None:
    actions = recorded_actions()
    assert len(actions) > 40, sorted(actions)  # the scan still finds the services' codes
    # Case actions live in their own timeline (cases.ui), with their own labels.
    missing = sorted(a for a in actions if a not in ACTION_LABELS and not a.startswith("case"))
    assert not missing, f"audit actions without a label in qingting.web.audit.labels: {missing}"


def test_labels_are_translated_and_unknown_codes_are_not_shown_raw() -> None:
    with translation.override("zh-hans"):
        assert action_label("bulletin.create") == "起草"
        assert action_label("warning.acknowledge") == "确认"
        assert action_label("no_such.action") == "记录的变更"
        assert actor_label(type("E", (), {"actor": None, "actor_label": "system"})()) == "系统"
    with translation.override("en"):
        assert action_label("bulletin.sign") == "signed off"
        assert actor_label(type("E", (), {"actor": None, "actor_label": ""})()) == "system"
