from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "qingting.web.ledger"
    label = "ledger"
    verbose_name = _("Responsibility ledger")

    def ready(self) -> None:
        from qingting.web import periodic

        # Reminders before a task's deadline and escalation after it (through the warnings outbox),
        # and the equipment self-check tasks: hourly is plenty for deadlines counted in days.
        periodic.register("ledger.deadlines", every=3600, target="qingting.web.ledger.jobs:deadlines")
        periodic.register("ledger.selfchecks", every=3600, target="qingting.web.ledger.jobs:selfchecks")
