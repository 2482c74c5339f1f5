from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "qingting.web.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from qingting.web import periodic
        from qingting.web.monitoring.membership import on_sources_changed
        from qingting.web.monitoring.models import Scheme

        m2m_changed.connect(on_sources_changed, sender=Scheme.sources.through, dispatch_uid="monitoring.scheme_sources")
        m2m_changed.connect(on_sources_changed, sender=Scheme.units.through, dispatch_uid="monitoring.scheme_units")

        # Engines catch up on items stored without them (bulk imports, a crash between storing
        # and analysing, a scheme busy in another worker).
        periodic.register(
            "monitoring.catch_up", every=30, target="qingting.web.monitoring.services:pipeline_catch_up_all"
        )
        # A new or edited scheme is applied to stored items in the background (decision 0061).
        periodic.register(
            "monitoring.scheme_backfill", every=10, target="qingting.web.monitoring.membership:scheme_backfill_run"
        )
