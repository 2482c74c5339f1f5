import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "qingting.web.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from qingting.web import periodic

        # Reminders at 75 % of each limit and escalations at breach, each sent once.
        periodic.register("cases.deadlines", every=60, target="qingting.web.cases.jobs:deadline_alerts")
        # Intake of citizen messages (mailbox, push) lives in the cases-ui helper's module.
        if importlib.util.find_spec("qingting.web.cases.intake") is not None:
            from qingting.web.cases import intake  # type: ignore[attr-defined,unused-ignore]

            intake.connect()
