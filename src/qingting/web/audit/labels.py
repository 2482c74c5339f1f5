"""What an audit entry says to a person: the action in the user's language, and who did it.

Entries store stable codes (``bulletin.sign``); pages show ``{{ entry|audit_action }}`` and
``{{ entry|audit_actor }}`` (``qingting_audit`` template library), never the code. Every action a
service records has a label here — ``tests/web/test_audit_labels.py`` finds the codes in ``src``
and fails on one without a label, so a new action cannot reach a page raw.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    # accounts
    "auth.login": _("signed in"),
    "auth.login_failed": _("sign-in failed"),
    "auth.login_locked": _("sign-in locked"),
    "api_token.create": _("API token created"),
    "membership.grant": _("role granted"),
    "membership.revoke": _("role revoked"),
    "unit.create": _("unit created"),
    "user.create": _("user created"),
    # monitoring and sources
    "ingest.batch": _("items ingested"),
    "scheme.create": _("scheme created"),
    "scheme.update": _("scheme updated"),
    "scheme.delete": _("scheme deleted"),
    "event.merge": _("events merged"),
    "event.split": _("event split"),
    "source.create": _("source added"),
    "source.update": _("source updated"),
    "source.enable": _("source enabled"),
    "source.disable": _("source disabled"),
    "source.import": _("items imported"),
    "source.import_interrupted": _("import marked failed (interrupted)"),
    "source.push": _("items pushed"),
    "source.run": _("source run now"),
    "source.poll": _("source polled"),
    # warnings
    "warning.raise": _("raised"),
    "warning.supersede": _("raised to a higher tier"),
    "warning.acknowledge": _("acknowledged"),
    "warning.dismiss": _("dismissed"),
    "warning.promote": _("promoted to a case"),
    "warning.escalate": _("escalated to the next person on duty"),
    "warning_channel.create": _("notification channel added"),
    "warning_channel.delete": _("notification channel removed"),
    "warning_channel.enable": _("notification channel enabled"),
    "warning_channel.disable": _("notification channel disabled"),
    "warning_duty.set": _("duty list set"),
    "warning_keydate.create": _("key date added"),
    "warning_keydate.delete": _("key date removed"),
    "warning_quiet.set": _("quiet hours set"),
    "warning_quiet.clear": _("quiet hours cleared"),
    "warning_rules.set": _("warning rules set"),
    "warning_settings.set": _("warning settings changed"),
    "warning_subscription.create": _("subscribed"),
    "warning_subscription.delete": _("unsubscribed"),
    # bulletins
    "bulletin.create": _("drafted"),
    "bulletin.update": _("edited"),
    "bulletin.submit": _("submitted for sign-off"),
    "bulletin.sign": _("signed off"),
    "bulletin.return": _("returned with comments"),
    "bulletin.issue": _("issued"),
    "bulletin.case_create": _("case opened from the instructions"),
    "submission.create": _("submitted to the parent unit"),
    "submission.decide": _("submission decided"),
    # reporting
    "report.issue": _("report issued"),
    "report_schedule.create": _("report schedule added"),
    "report_schedule.sent": _("scheduled report sent"),
    "report_schedule.failed": _("scheduled report failed"),
    "report_template.create": _("report template created"),
    "report_template.update": _("report template edited"),
    # channels
    "channel.create": _("channel registered"),
    "channel.update": _("channel edited"),
    "channel.state": _("channel state changed"),
    "channel.inspect": _("channel inspected"),
    # releases
    "release.create": _("release drafted"),
    "release.update": _("release revised"),
    "release.submit": _("release submitted for review"),
    "release.approve": _("review passed"),
    "release.return": _("release returned for revision"),
    "release.publish": _("release published"),
    "release.finding": _("proofreading finding handled"),
    "release.correct": _("correction recorded"),
    "release.steps": _("review steps set"),
    # sentiment corrections and models
    "sentiment.correct": _("sentiment corrected"),
    "sentiment.retrain": _("sentiment model retrained"),
    "sentiment.activate": _("sentiment model activated"),
    # ledger
    "ledger_task.create": _("task created"),
    "ledger_task.progress": _("task progress recorded"),
    "ledger_task.close": _("task closed"),
    "ledger_task.reopen": _("task reopened"),
    "ledger_meeting.record": _("meeting recorded"),
    "duty_shift.add": _("duty shift added"),
    "duty_shift.delete": _("duty shift removed"),
    "duty_shift.handover": _("duty handed over"),
    "ledger_drill.record": _("drill recorded"),
    "ledger_training.record": _("training recorded"),
    "ledger_expert.add": _("expert added"),
    "ledger_equipment.add": _("equipment added"),
    "ledger_equipment.check": _("equipment checked"),
    "assessment_scheme.save": _("assessment scheme saved"),
    "assessment.entry": _("assessment entry recorded"),
    "assessment.run": _("assessment run"),
    "assessment.finish": _("assessment finished"),
    # cases
    "open311.client_create": _("Open311 client added"),
}


def register_action_labels(labels: dict[str, str | Promise]) -> None:
    """Add the labels of an app's actions (call from the app's ``AppConfig.ready``)."""
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    """The action in the active language; an unknown code is shown as a generic phrase, not raw."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else gettext("recorded change")


def actor_label(entry: Any) -> str:
    """Who did it: the user's full name or username, or "system" in the active language."""
    actor = getattr(entry, "actor", None)
    if actor is not None:
        return str(actor.get_full_name() or actor.get_username())
    label = getattr(entry, "actor_label", "") or ""
    return gettext("system") if label in ("", "system") else label
