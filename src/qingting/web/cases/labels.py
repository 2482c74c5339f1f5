"""Labels of case actions, shared by the services (their messages) and the pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

ACTION_LABELS: dict[str, Any] = {
    "register": gettext_lazy("Register"),
    "assign": gettext_lazy("Assign"),
    "claim": gettext_lazy("Claim"),
    "pend": gettext_lazy("Put on hold"),
    "resume": gettext_lazy("Resume"),
    "sign_off": gettext_lazy("Sign off (签批)"),
    "answer": gettext_lazy("Answer"),
    "return": gettext_lazy("Send back (退回)"),
    "close": gettext_lazy("Close"),
    "transfer": gettext_lazy("Transfer"),
    "decline": gettext_lazy("Decline (not ours)"),
    "merge": gettext_lazy("Merge as duplicate"),
    "reopen": gettext_lazy("Reopen"),
    "extend": gettext_lazy("Extend the time limit"),
    "create": gettext_lazy("Received"),
    "reply": gettext_lazy("Public reply"),
    "note": gettext_lazy("Internal note"),
    "attach": gettext_lazy("File attached"),
    "remind": gettext_lazy("Reminder: three quarters of the time used"),
    "escalate": gettext_lazy("Escalated: time limit passed"),
    "task_complete": gettext_lazy("Joint task done"),
    "complete_task": gettext_lazy("Joint task done"),
    "add_task": gettext_lazy("Add a unit handling jointly"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
