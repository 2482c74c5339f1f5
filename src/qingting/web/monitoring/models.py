# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""Sources, schemes, items, events, scheme membership and the organisation's engine state.

One engine per organisation (the root unit of a unit tree) places every item the organisation
collects, once: ``Item.event`` / ``Item.duplicate_of`` are that placement and the only answer to
"which event is this item in". Schemes are saved views over it: ``SchemeItem`` says which schemes
match an item, ``SchemeEvent`` which schemes match an event and with how many items (decision 0061).
"""

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
    # A government or official account (政务/官方账号): its first post on an event is the official response.
    official = models.BooleanField(_("official account"), default=False)
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


class BackfillStatus(models.TextChoices):
    IDLE = "", _("Up to date")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Applying to stored items")
    FAILED = "failed", _("Failed")


class Scheme(models.Model):
    """A named watch (监测方案): a saved view — an expression over the items of some sources
    (chosen one by one, or every source of some units), optionally only about some places.

    Matching is cheap and stored (:class:`SchemeItem`, :class:`SchemeEvent`); the engine that
    groups items into events runs once per organisation, not per scheme. Creating a scheme or
    changing its expression or sources queues a backfill over stored items (``backfill_*``).
    """

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="schemes", verbose_name=_("unit"))
    name = models.CharField(_("name"), max_length=200)
    expression = models.TextField(_("rule expression"), blank=True)
    sources = models.ManyToManyField(Source, related_name="schemes", blank=True, verbose_name=_("sources"))
    # Every source of these units and of the units under them, including sources added later.
    units = models.ManyToManyField(
        Unit, related_name="followed_by_schemes", blank=True, verbose_name=_("units followed")
    )
    # Places (an item's ``region``, e.g. 柳湾镇): when any are given, only items about one of them.
    regions = models.JSONField(_("regions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Applying the scheme to stored items (a periodic job does it; the scheme page shows progress).
    backfill_status = models.CharField(max_length=12, choices=BackfillStatus.choices, default="", blank=True)
    backfill_done = models.PositiveBigIntegerField(default=0)
    backfill_total = models.PositiveBigIntegerField(default=0)
    backfill_cursor = models.BigIntegerField(default=0)  # highest Item.pk matched so far
    backfill_started_at = models.DateTimeField(null=True, blank=True)
    backfill_finished_at = models.DateTimeField(null=True, blank=True)
    backfill_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def events(self) -> models.QuerySet[Event]:
        """The events this scheme matches (at least one of their items), through ``SchemeEvent``."""
        return Event.objects.filter(scheme_matches__scheme=self)


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
    """An event (事件) the organisation's engine found: the engine's summary, persisted.

    ``merged_into`` is set when the engine (or an analyst) found it to be part of another event:
    its items moved there and its address redirects there.
    """

    organisation = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="events", verbose_name=_("organisation")
    )
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
    # Mean positivity and share of negative items over the event's stored items as labelled now
    # (the engine's label, an analyst's correction or a re-score's): derived from its places
    # (``EventPlace``) whenever they move, never the engine's in-memory sums (decision 0131).
    sentiment = models.FloatField(_("sentiment"), default=0.5)
    negative_share = models.FloatField(_("negative share"), default=0.0)
    lang = models.CharField(max_length=16, blank=True)
    buckets = models.JSONField(default=list)  # [[bucket start (unix s), count], ...] oldest first
    retired = models.BooleanField(default=False)
    representative = models.ForeignKey("Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged", verbose_name=_("merged into")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "engine_event_id"], name="event_organisation_engine_id")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scheme_label(self) -> str:
        """The names of the schemes that match the event (bulletins, lists), joined."""
        return "、".join(self.scheme_matches.order_by("scheme__name").values_list("scheme__name", flat=True))

    @property
    def sentiment_label(self) -> str:
        """The event's overall mood, from the share of negative items and the mean positivity (both
        over its items' current labels, decision 0131) — over the items a user may see when a
        selector set ``visible_negative_share`` and ``visible_sentiment`` (the event page and the
        API's detail do)."""
        share = getattr(self, "visible_negative_share", None)
        mood = getattr(self, "visible_sentiment", None)
        if (self.negative_share if share is None else share) >= 0.5:
            return SentimentChoice.NEGATIVE
        if (self.sentiment if mood is None else mood) >= 0.6:
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
    # Where the organisation's engine placed the item: THE answer to "which event is this item in"
    # (there is one engine per organisation, so one placement per item). ``pending`` until the
    # engine has seen it; sentiment, the search index and the daily counts are written then.
    pending = models.BooleanField(default=True)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    duplicate_kind = models.CharField(max_length=12, blank=True)
    # The external id of the item this one reposts (same source), for the engine's repost links.
    parent = models.CharField(max_length=200, blank=True)
    sentiment = models.FloatField(_("sentiment"), null=True, blank=True)
    # The matching form of "title\ntext" (``qingting.core.text.fold``: NFKC, lower case,
    # Traditional → Simplified), computed once when the item is stored, so that matching schemes
    # (at ingestion and in a backfill over millions of stored items) never folds it again and the
    # database can pre-select candidates by substring. NULL: not folded yet (rows written by other
    # paths); matchers then fold the text themselves (decision 0062).
    folded = models.TextField(null=True, blank=True, editable=False)
    sentiment_label = models.CharField(
        _("sentiment"), max_length=12, choices=SentimentChoice.choices, blank=True, db_index=True
    )

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="item_source_external_id")]
        indexes = [
            models.Index(fields=["event", "published_at"]),
            models.Index(fields=["source", "published_at"]),
            models.Index(fields=["id"], name="item_pending", condition=models.Q(pending=True)),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:40]


class SchemeItem(models.Model):
    """The scheme matches the item (its source is one of the scheme's and its text the expression).

    Written when the organisation's engine has placed the item, and by a scheme's backfill over
    stored items. The item's event is ``item.event``: never copied here, so a merge moves it once.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="scheme_matches")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "item"], name="schemeitem_scheme_item")]


class SchemeEvent(models.Model):
    """The scheme matches ``matched`` of the event's items: the figures its warning rules read.

    ``buckets`` counts the matching items per 30-minute bucket (``{"unix start": n}``), as the
    warning rules need. Recomputed for the events a batch, a backfill or a merge touched.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="event_matches", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="scheme_matches")
    matched = models.PositiveIntegerField(default=0)
    buckets = models.JSONField(default=dict)
    first_seen = models.DateTimeField(null=True)
    last_seen = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "event"], name="schemeevent_scheme_event")]


class EventPlace(models.Model):
    """``n`` of the event's items come from ``source`` and are about ``region``: who may see the
    event; ``negative`` of them are labelled negative and their positivities sum to ``positivity``.

    An event is visible to a unit's users when any of its items is (decision 0061): an item of
    one of their sources, or about one of their places. These rows answer that for every event
    list without reading the items (decision 0109): a user sees the events with a row of one of
    their sources or naming one of their places. Kept in the engine's batch transaction (items
    placed are added; events whose items moved — merges, an analyst's merge or split — are
    recounted from their items); ``services.event_places_rebuild`` recomputes them all.

    The sentiment columns follow the items' current labels (the engine's, an analyst's
    correction, a re-score's) and ``Event.negative_share`` / ``Event.sentiment`` are derived
    from them whenever they move (decision 0131), so an event's figures always agree with its
    items, and a user who sees a subset of an event reads the figures of that subset here too.
    """

    # Indexed by the key (event first) and by eventplace_source (source first).
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="places", db_index=False)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+", db_index=False)
    region = models.CharField(max_length=100, blank=True)
    n = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)  # of the n, labelled negative now
    positivity = models.FloatField(default=0.0)  # the n items' positivities (Item.sentiment), summed

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "source", "region"], name="eventplace_key"),
        ]
        indexes = [
            models.Index(fields=["source", "event"], name="eventplace_source"),
            models.Index(fields=["region", "event"], name="eventplace_region", condition=~models.Q(region="")),
        ]


class SourceHour(models.Model):
    """Items of ``source`` published in the hour starting at ``hour`` (UTC), counted when stored.

    The sources' health asks "how many items in the last 24 hours" on every administrator's page:
    and the dashboard "items today up to now, against the same hours of the previous 14 days":
    these rows answer both without reading the items (decision 0110, ``monitoring.hours``). Only
    the last ``hours.SOURCE_HOURS_KEPT`` hours are kept; ``services.source_hours_rebuild``
    recomputes them.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+", db_index=False)
    hour = models.DateTimeField()
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "hour"], name="sourcehour_key")]


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
    """The engine's state for one organisation: its last checkpoint and how far it has got.

    The checkpoint is written every few thousand items or minutes, not every batch; ``replay``
    lists the batches (item ids in the order the engine saw them) placed since, in the same
    transaction as each batch. After a crash the engine restores the checkpoint and replays
    those batches (their placements are already stored), so nothing is lost or counted twice.
    """

    organisation = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="pipeline_state")
    snapshot = models.BinaryField(null=True, blank=True)
    replay = models.JSONField(default=list, blank=True)  # [[item id, …], …] since the checkpoint
    checkpoint_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveBigIntegerField(default=0)  # one step per persisted batch
    last_item_id = models.BigIntegerField(default=0)  # highest Item.pk the engine has seen
    items_ingested = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pipeline state")
