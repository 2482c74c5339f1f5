# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""Sources, schemes, items, events and the per-scheme pipeline state."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qingting.web.accounts.models import Unit


class SourceKind(models.TextChoices):
    NEWS = "news", _("News site")
    SOCIAL = "social", _("Social media")
    FORUM = "forum", _("Forum")
    MAILBOX = "mailbox", _("Public mailbox")
    HOTLINE = "hotline", _("Hotline")
    IMPORT = "import", _("File import")
    OTHER = "other", _("Other")


class Source(models.Model):
    """Where items come from (信息源). Owned by a unit; who sees the unit sees the source."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="sources", verbose_name=_("unit"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    mainstream = models.BooleanField(_("mainstream media"), default=False)
    config = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Health: what the last collection run did.
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error_at = models.DateTimeField(_("last error"), null=True, blank=True)
    last_error = models.TextField(_("last error message"), blank=True)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Polling (workers): how often, when next, how many polls in a row failed, and the
    # connector's conditional-GET state (etag, last_modified, cursor) carried between polls.
    poll_interval = models.PositiveIntegerField(_("poll interval (seconds)"), default=900)
    next_run_at = models.DateTimeField(_("next poll"), null=True, blank=True, db_index=True)
    consecutive_failures = models.PositiveIntegerField(_("failed polls in a row"), default=0)
    fetch_state = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Scheme(models.Model):
    """A named watch (监测方案): which sources a unit follows; the engine runs once per scheme."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="schemes", verbose_name=_("unit"))
    name = models.CharField(_("name"), max_length=200)
    expression = models.TextField(_("rule expression"), blank=True)
    sources = models.ManyToManyField(Source, related_name="schemes", blank=True, verbose_name=_("sources"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrendChoice(models.TextChoices):
    NEW = "new", _("New")
    RISING = "rising", _("Rising")
    PEAK = "peak", _("Peak")
    DECLINING = "declining", _("Declining")
    DORMANT = "dormant", _("Dormant")


class SentimentChoice(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class Event(models.Model):
    """An event (事件) the engine found in one scheme's stream: the engine's summary, persisted."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="events", verbose_name=_("scheme"))
    engine_event_id = models.BigIntegerField()
    title = models.CharField(_("title"), max_length=300)
    keywords = models.JSONField(_("keywords"), default=list)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    source_count = models.PositiveIntegerField(_("sources"), default=0)
    mainstream_count = models.PositiveIntegerField(default=0)
    engagement = models.BigIntegerField(default=0)
    heat = models.FloatField(_("heat"), default=0.0, db_index=True)
    trend = models.CharField(_("trend"), max_length=12, choices=TrendChoice.choices, default=TrendChoice.NEW)
    burst_z = models.FloatField(default=0.0)
    sentiment = models.FloatField(_("sentiment"), default=0.5)
    negative_share = models.FloatField(_("negative share"), default=0.0)
    lang = models.CharField(max_length=16, blank=True)
    buckets = models.JSONField(default=list)  # [[bucket start (unix s), count], ...] oldest first
    retired = models.BooleanField(default=False)
    representative = models.ForeignKey("Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [models.UniqueConstraint(fields=["scheme", "engine_event_id"], name="event_scheme_engine_id")]

    def __str__(self) -> str:
        return self.title

    @property
    def sentiment_label(self) -> str:
        """The event's overall mood, from the share of negative items."""
        if self.negative_share >= 0.5:
            return SentimentChoice.NEGATIVE
        if self.sentiment >= 0.6:
            return SentimentChoice.POSITIVE
        return SentimentChoice.NEUTRAL


class Item(models.Model):
    """One post, article or message (信息). Unique by (source, external id).

    The author is stored only as ``author_pseudonym``, a keyed HMAC of the handle; the handle itself
    is never stored.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="items", verbose_name=_("source"))
    external_id = models.CharField(max_length=200)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    text = models.TextField(_("text"))
    lang = models.CharField(_("language"), max_length=16, blank=True)
    published_at = models.DateTimeField(_("published"), db_index=True)
    collected_at = models.DateTimeField(_("collected"), auto_now_add=True)
    author_pseudonym = models.CharField(max_length=32, blank=True, db_index=True)
    engagement = models.PositiveIntegerField(_("engagement"), default=0)
    region = models.CharField(_("region"), max_length=100, blank=True, db_index=True)
    # Where the FIRST scheme's engine placed the item (kept for links and older readers); the
    # placement in every scheme is in :class:`ItemEvent`. Sentiment is the item's own (it depends
    # on the text only), filled by the first engine run that sees the item.
    scheme = models.ForeignKey(Scheme, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    duplicate_kind = models.CharField(max_length=12, blank=True)
    # The external id of the item this one reposts (same source), for the engine's repost links.
    parent = models.CharField(max_length=200, blank=True)
    sentiment = models.FloatField(_("sentiment"), null=True, blank=True)
    sentiment_label = models.CharField(
        _("sentiment"), max_length=12, choices=SentimentChoice.choices, blank=True, db_index=True
    )

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="item_source_external_id")]
        indexes = [models.Index(fields=["event", "published_at"]), models.Index(fields=["source", "published_at"])]

    def __str__(self) -> str:
        return self.title or self.text[:40]


class ItemEvent(models.Model):
    """An item as one scheme's engine saw it: its event and duplicate link in that scheme.

    Storing an item adds one row per scheme following its source with ``pending`` set; the
    scheme's engine takes pending rows in ``item`` order, places them and clears ``pending`` in
    the same transaction as the events and its snapshot (see ``services.pipeline_catch_up``). The
    same item can so belong to an event in each scheme, and no scheme misses an item of its
    sources whichever scheme's batch brought it in.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="placements")
    event = models.ForeignKey(Event, null=True, on_delete=models.SET_NULL, related_name="placements", db_index=False)
    # Not indexed: items are never deleted in normal operation (Source protects them).
    duplicate_of = models.ForeignKey(Item, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    duplicate_kind = models.CharField(max_length=12, blank=True)
    pending = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "item"], name="itemevent_scheme_item")]
        indexes = [
            models.Index(fields=["event", "item"], name="itemevent_event_item"),
            models.Index(fields=["scheme", "item"], name="itemevent_pending", condition=models.Q(pending=True)),
        ]


class DailyCount(models.Model):
    """Items per (source, local day, sentiment, region): the dashboard reads these, not the items.

    Maintained by ingestion in the same transaction as the items, so the figures always agree
    with the items and the dashboard costs the same at a thousand items as at ten million.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="daily_counts")
    day = models.DateField()
    sentiment_label = models.CharField(max_length=12, blank=True)
    region = models.CharField(max_length=100, blank=True)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "day", "sentiment_label", "region"], name="dailycount_key")
        ]
        indexes = [models.Index(fields=["day"])]


class PipelineState(models.Model):
    """The engine's state for one scheme: its snapshot and how far ingestion has got.

    Saved in the same transaction as the items and events of each batch, so after a crash the
    snapshot always matches what the database holds and a restart continues the same events.
    """

    scheme = models.OneToOneField(Scheme, on_delete=models.CASCADE, related_name="pipeline_state")
    snapshot = models.BinaryField(null=True, blank=True)
    version = models.PositiveBigIntegerField(default=0)  # one step per persisted batch
    last_item_id = models.BigIntegerField(default=0)  # highest Item.pk the engine has seen
    items_ingested = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pipeline state")
