from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectConfig(AppConfig):
    name = "qingting.web.collect"
    label = "collect"
    verbose_name = _("Collection")

    def ready(self) -> None:
        from qingting.web import periodic

        periodic.register("collect.prune", every=3600, target="qingting.web.collect.jobs:prune")
        periodic.register("collect.imports_interrupted", every=300,
                          target="qingting.web.collect.jobs:imports_interrupted")  # fmt: skip
        periodic.register("collect.source_warnings", every=300, target="qingting.web.collect.jobs:source_warnings")
