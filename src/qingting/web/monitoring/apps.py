from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "qingting.web.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from qingting.web import periodic

        # Engines catch up on items stored without them (bulk imports, a crash between storing
        # and analysing, a scheme busy in another worker).
        periodic.register(
            "monitoring.catch_up", every=30, target="qingting.web.monitoring.services:pipeline_catch_up_all"
        )
