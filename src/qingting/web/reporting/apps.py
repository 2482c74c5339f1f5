from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "qingting.web.reporting"
    label = "reporting"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from django.conf import settings

        from qingting.web import periodic

        periodic.register(
            "reporting.schedules",
            every=getattr(settings, "QINGTING_REPORTS_SCHEDULE_EVERY", 300.0),
            target="qingting.web.reporting.jobs:run_schedules",
        )
