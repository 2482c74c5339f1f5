from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SentimentConfig(AppConfig):
    name = "qingting.web.sentiment"
    label = "sentiment"
    verbose_name = _("Sentiment corrections and models")

    def ready(self) -> None:
        from qingting.web import periodic

        # Retrain each organisation's model from its new corrections (a no-op without new ones),
        # and advance background re-scoring jobs a slice at a time.
        periodic.register("sentiment.retrain", every=6 * 3600, target="qingting.web.sentiment.jobs:retrain_all")
        periodic.register("sentiment.rescore", every=15, target="qingting.web.sentiment.jobs:rescore_step")
