from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningsConfig(AppConfig):
    name = "qingting.web.warnings"
    label = "warnings"
    verbose_name = _("Warnings")

    def ready(self) -> None:
        from qingting.web import periodic
        from qingting.web.monitoring.signals import batch_ingested, scheme_backfilled, scheme_deleted
        from qingting.web.warnings import receivers

        batch_ingested.connect(receivers.on_batch_ingested, dispatch_uid="warnings.evaluate")
        scheme_backfilled.connect(receivers.on_scheme_backfilled, dispatch_uid="warnings.backfill")
        scheme_deleted.connect(receivers.on_scheme_deleted, dispatch_uid="warnings.scheme_deleted")
        periodic.register("warnings.deliver", every=5, target="qingting.web.warnings.jobs:deliver")
        periodic.register("warnings.escalate", every=30, target="qingting.web.warnings.jobs:escalate")
        periodic.register("warnings.release_quiet", every=60, target="qingting.web.warnings.jobs:release_quiet")
        periodic.register("warnings.digest", every=600, target="qingting.web.warnings.jobs:digest")
