from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "qingting.web.channels"
    label = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from qingting.web import periodic

        # A daily inspection of every live channel from what is stored, and an hourly look for
        # channels going silent (a tier-Ⅳ warning at 10 days, before the 14-day veto).
        periodic.register("channels.inspect", every=3600, target="qingting.web.channels.jobs:inspect_due")
        periodic.register("channels.silence", every=3600, target="qingting.web.channels.jobs:silence_watch")
