"""Reads for releases. Every function applies the one scoping rule (``accounts.selectors.scope``).

``release_counts`` is the contract the reporting app uses for the work report (releases per
channel and 信息准确率).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from qingting.core.proofread.diff import text_diff
from qingting.web.accounts.selectors import scope
from qingting.web.releases.models import Correction, Finding, Release, ReleaseStatus, ReviewAction, Revision


def releases_for(user: Any) -> QuerySet[Release]:
    """Releases of the units the user may see."""
    return scope(Release.objects.select_related("unit", "created_by"), user, unit_field="unit")


def release_list(user: Any, *, status: str = "", q: str = "", unit_id: int | None = None) -> QuerySet[Release]:
    """The release list, newest change first, filtered by status, words in the title and unit."""
    qs = releases_for(user)
    if status:
        qs = qs.filter(status=status)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if q:
        qs = qs.filter(title__icontains=q[:100])
    return qs.order_by("-updated_at", "-id")


def awaiting_me(user: Any) -> QuerySet[Release]:
    """Releases in review whose current step needs one of the user's roles (a superset: the
    service refuses authors and repeat reviewers when they act)."""
    from qingting.web.accounts.models import Membership

    qs = releases_for(user).filter(status=ReleaseStatus.IN_REVIEW).exclude(created_by=user)
    if getattr(user, "is_superuser", False):
        return qs
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    return qs.filter(awaiting_role__in=roles)


def release_get(user: Any, pk: int) -> Release:
    """One release the user may see, else 404 (never 403: do not confirm that it exists)."""
    release = releases_for(user).filter(pk=pk).first()
    if release is None:
        raise Http404("no such release")
    return release


def revisions_of(release: Release) -> list[Revision]:
    return list(Revision.objects.filter(release=release).order_by("-number").select_related("created_by"))


def findings_of(revision: Revision) -> list[Finding]:
    return list(Finding.objects.filter(revision=revision).select_related("decided_by").order_by("field", "start", "id"))


def actions_of(release: Release) -> list[ReviewAction]:
    return list(ReviewAction.objects.filter(release=release).select_related("actor", "revision").order_by("at", "id"))


def corrections_of(release: Release) -> list[Correction]:
    return list(Correction.objects.filter(release=release).select_related("channel", "recorded_by"))


@dataclass(frozen=True)
class Piece:
    """A piece of text for display: plain, or a proofreading finding (``finding`` set)."""

    text: str
    finding: Finding | None = None


def marked_text(text: str, findings: list[Finding]) -> list[Piece]:
    """``text`` cut into pieces so that each finding can be shown inline (overlaps: first wins)."""
    pieces: list[Piece] = []
    pos = 0
    for f in sorted(findings, key=lambda f: (f.start, f.end)):
        if f.start < pos or f.end > len(text) or f.end <= f.start:
            continue
        if f.start > pos:
            pieces.append(Piece(text[pos : f.start]))
        pieces.append(Piece(text[f.start : f.end], f))
        pos = f.end
    if pos < len(text):
        pieces.append(Piece(text[pos:]))
    return pieces


def revision_diff(old: Revision | None, new: Revision) -> dict[str, list[tuple[str, str]]]:
    """Title and body of ``new`` against ``old`` as (op, text) pieces."""
    if old is None:
        return {"title": [("equal", new.title)], "body": [("equal", new.body)]}
    return {"title": text_diff(old.title, new.title), "body": text_diff(old.body, new.body)}


@dataclass(frozen=True)
class ChannelAccuracy:
    """信息准确率 of one channel in a period: releases published, and how many were corrected."""

    channel_id: int
    channel: str
    unit: str
    published: int
    corrected: int

    @property
    def accuracy(self) -> float | None:
        return None if not self.published else (self.published - self.corrected) / self.published

    @property
    def percent(self) -> str:
        return percent(self.published - self.corrected, self.published)


def percent(part: int, whole: int) -> str:
    """``97.5%``; ``—`` when nothing was published."""
    if not whole:
        return "—"
    return f"{100 * part / whole:.1f}".rstrip("0").rstrip(".") + "%"


def release_counts(unit_ids: list[int], start: datetime, end: datetime) -> list[ChannelAccuracy]:
    """Per channel of ``unit_ids``' releases published in ``[start, end)``: published and corrected.

    A release counts on every channel it targets; a correction without a channel counts against
    all of them, one with a channel against that channel only.
    """
    through = Release.channels.through
    rows = (
        through.objects.filter(
            release__unit_id__in=unit_ids,
            release__status=ReleaseStatus.PUBLISHED,
            release__published_at__gte=start,
            release__published_at__lt=end,
        )
        .values("channel_id", "channel__name", "channel__unit__name")
        .annotate(
            published=Count("release_id", distinct=True),
            corrected=Count(
                "release_id",
                # the join is a LEFT JOIN: a release without corrections has a NULL row here
                filter=Q(release__corrections__id__isnull=False)
                & (Q(release__corrections__channel__isnull=True) | Q(release__corrections__channel_id=F("channel_id"))),
                distinct=True,
            ),
        )
        .order_by("channel__unit__name", "channel__name")
    )
    return [
        ChannelAccuracy(r["channel_id"], r["channel__name"], r["channel__unit__name"], r["published"], r["corrected"])
        for r in rows
    ]


def accuracy_for(user: Any, start: datetime, end: datetime) -> list[ChannelAccuracy]:
    """:func:`release_counts` over the units the user may see."""
    from qingting.web.accounts.selectors import units_for

    return release_counts(list(units_for(user).values_list("id", flat=True)), start, end)


def wording_rules_for(unit: Any) -> list[Any]:
    """The standard-wording list (规范表述) of ``unit`` and its ancestors, as the inspection's rules.

    The channels app inspects what a channel published against the same list the proofreader uses.
    """
    from qingting.core.wording import WordingRule
    from qingting.web.releases.models import WordingEntry

    ids = [int(p) for p in unit.path.strip("/").split("/") if p] or [unit.pk]
    return [
        WordingRule(w.wrong, w.right, serious=w.serious, note=w.note)
        for w in WordingEntry.objects.filter(unit_id__in=ids).order_by("id")
        if w.wrong.strip() and w.wrong != w.right
    ]


def release_counts_by_unit(unit_ids: list[int], start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """Per releasing unit: ``(published, corrected)`` summed over its channels, as :func:`release_counts`
    counts them (the assessment's 信息准确率 per assessed unit)."""
    through = Release.channels.through
    rows = (
        through.objects.filter(
            release__unit_id__in=unit_ids,
            release__status=ReleaseStatus.PUBLISHED,
            release__published_at__gte=start,
            release__published_at__lt=end,
        )
        .values("release__unit_id", "channel_id")
        .annotate(
            published=Count("release_id", distinct=True),
            corrected=Count(
                "release_id",
                filter=Q(release__corrections__id__isnull=False)
                & (Q(release__corrections__channel__isnull=True) | Q(release__corrections__channel_id=F("channel_id"))),
                distinct=True,
            ),
        )
    )
    out: dict[int, tuple[int, int]] = {}
    for r in rows:
        p, c = out.get(r["release__unit_id"], (0, 0))
        out[r["release__unit_id"]] = (p + r["published"], c + r["corrected"])
    return out
