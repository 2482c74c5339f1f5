"""Writes for releases (稿件): composing, 三审三校 review, publishing, corrections, configuration.

Each service checks the actor's role on the release's unit, changes rows under a lock, and writes
its audit entry in the same transaction. ``actor=None`` is the system (demo seeding). Workflow:
draft → in_review (step 1 … n) → approved → published, with "returned" back to the author from any
step. A release under review is locked: only the review services touch it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from qingting.core.proofread import Finding as ProofFinding
from qingting.core.proofread import KeyDate, Proofreader, WordingRule
from qingting.web.accounts.models import Role, Unit
from qingting.web.accounts.selectors import has_role, visible_unit_ids
from qingting.web.audit.services import audit_record
from qingting.web.channels.selectors import channels_for
from qingting.web.releases.models import (
    Correction,
    Finding,
    FindingState,
    Release,
    ReleaseStatus,
    ReviewAction,
    ReviewDecision,
    ReviewStep,
    Revision,
    SensitiveDay,
    WordingEntry,
)

COMPOSE_ROLES = {str(Role.ANALYST), str(Role.HANDLER), str(Role.REVIEWER), str(Role.LEADER), str(Role.ADMIN)}
CONFIGURE_ROLES = {str(Role.ADMIN)}
# 初审 editor → 复审 科室负责人 → 终审 分管领导; a sensitive release is signed by the 主要领导 too.
DEFAULT_PLAN: tuple[tuple[str, str, bool], ...] = (
    ("初审", str(Role.REVIEWER), False),
    ("复审", str(Role.REVIEWER), False),
    ("终审", str(Role.LEADER), False),
    ("主要领导签发", str(Role.LEADER), True),
)
TITLE_LIMIT = 200
BODY_LIMIT = 50_000
MAX_CHANNELS = 50


class ReleaseConflict(Exception):
    """The release changed since the form was loaded (stale version) or is in another state."""


# --- helpers -----------------------------------------------------------------------------------


def _visible(actor: Any, unit: Unit) -> bool:
    if actor is None:
        return True
    ids = visible_unit_ids(actor)
    return ids is None or unit.pk in ids


def _require(actor: Any, unit: Unit, roles: set[str], what: str) -> None:
    if actor is None:
        return
    if not has_role(actor, unit, roles):
        names = "/".join(sorted(roles))
        raise PermissionDenied(
            _("%(what)s needs the %(roles)s role in %(unit)s.") % {"what": what, "roles": names, "unit": unit.name}
        )


def _locked(release_id: int, actor: Any) -> Release:
    release = Release.objects.select_for_update().select_related("unit").filter(pk=release_id).first()
    if release is None or not _visible(actor, release.unit):
        raise Http404("no such release")
    return release


def _check_version(release: Release, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != release.version:
        raise ReleaseConflict(
            _("This release was changed by someone else (version %(now)s, your form has %(yours)s); reload it.")
            % {"now": release.version, "yours": expected_version}
        )


def _check_status(release: Release, allowed: Sequence[str], action: str) -> None:
    if release.status not in allowed:
        raise ReleaseConflict(
            _("A release that is %(status)s cannot be %(action)s.")
            % {"status": release.get_status_display(), "action": action}
        )


def _clean(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": limit}]})
    return value


def _channels(actor: Any, unit: Unit, channels: Sequence[Any]) -> list[Any]:
    ids = sorted({c if isinstance(c, int) else int(c.pk) for c in channels})
    if not ids:
        raise ValidationError({"channels": [_("Choose at least one channel.")]})
    if len(ids) > MAX_CHANNELS:
        raise ValidationError({"channels": [_("At most %(n)s channels.") % {"n": MAX_CHANNELS}]})
    if actor is not None:
        qs = channels_for(actor, live_only=True)
    else:  # the system (demo seeding) sees every channel in operation
        qs = channels_for(None).model.objects.filter(state="active")
    found = list(qs.filter(pk__in=ids, unit__path__startswith=unit.path))
    missing = sorted(set(ids) - {c.pk for c in found})
    if missing:
        raise ValidationError(
            {
                "channels": [
                    _("No such channels in operation in %(unit)s: %(ids)s") % {"unit": unit.name, "ids": missing}
                ]
            }
        )
    return found


def _ancestor_ids(unit: Unit) -> list[int]:
    return [int(p) for p in unit.path.strip("/").split("/") if p]


def review_plan(unit: Unit, *, sensitive: bool) -> list[dict[str, str]]:
    """The steps a release of ``unit`` passes: the nearest unit's configuration, or the default."""
    ancestors = _ancestor_ids(unit) or [unit.pk]
    rows = list(ReviewStep.objects.filter(unit_id__in=ancestors).order_by("position"))
    steps: list[tuple[str, str, bool]] = list(DEFAULT_PLAN)
    for uid in reversed(ancestors):  # nearest first
        own = [(s.name, s.role, s.sensitive_only) for s in rows if s.unit_id == uid]
        if own:
            steps = own
            break
    return [{"name": n, "role": r} for n, r, only in steps if sensitive or not only]


def proofreader_for(unit: Unit) -> Proofreader:
    """A proofreader with the wording list and sensitive days of ``unit`` and its ancestors."""
    ids = _ancestor_ids(unit) or [unit.pk]
    wording = [
        WordingRule(w.wrong, w.right, w.note)
        for w in WordingEntry.objects.filter(unit_id__in=ids).order_by("id")
        if w.wrong and w.wrong != w.right
    ]
    days = [KeyDate(d.month, d.day, d.name, d.year) for d in SensitiveDay.objects.filter(unit_id__in=ids)]
    return Proofreader(wording=wording, key_dates=days, today=timezone.localdate())


def _proofread(revision: Revision, unit: Unit) -> list[Finding]:
    found: list[ProofFinding] = proofreader_for(unit).check_document(revision.title, revision.body)
    rows = [
        Finding(
            revision=revision,
            field=f.field,
            start=f.start,
            end=f.end,
            text=f.text[:200],
            suggestion=f.suggestion[:200],
            kind=f.kind,
            message=f.message[:300],
        )
        for f in found
    ]
    return Finding.objects.bulk_create(rows)


def _new_revision(release: Release, actor: Any) -> Revision:
    release.revision_count += 1
    revision = Revision.objects.create(
        release=release,
        number=release.revision_count,
        title=release.title,
        body=release.body,
        attachments=release.attachments,
        created_by=actor,
    )
    findings = _proofread(revision, release.unit)
    previous = Revision.objects.filter(release=release, number=revision.number - 1).first()
    if previous is not None:
        # what the last revision was told and no longer says is fixed by this one
        still = {(f.field, f.kind, f.text, f.suggestion) for f in findings}
        gone = [
            f.pk
            for f in previous.findings.filter(state=FindingState.OPEN)
            if (f.field, f.kind, f.text, f.suggestion) not in still
        ]
        Finding.objects.filter(pk__in=gone).update(
            state=FindingState.FIXED, decided_by=actor, decided_at=timezone.now()
        )
    return revision


def current_revision(release: Release) -> Revision:
    revision = Revision.objects.filter(release=release, number=release.revision_count).first()
    if revision is None:  # pragma: no cover - every release is created with its first revision
        raise ReleaseConflict("release without a revision")
    return revision


def _snapshot(r: Release) -> dict[str, Any]:
    return {"status": r.status, "version": r.version, "step": r.step, "round": r.round, "title": r.title}


# --- releases ----------------------------------------------------------------------------------


def release_create(
    *,
    actor: Any,
    unit: Unit,
    title: str,
    body: str,
    channels: Sequence[Any],
    attachments: str = "",
    sensitive: bool = False,
) -> Release:
    """A draft release of ``unit`` for ``channels`` (in operation, in the unit's tree); revision 1."""
    if not _visible(actor, unit):
        raise ValidationError({"unit": [_("No such unit among yours.")]})
    _require(actor, unit, COMPOSE_ROLES, _("Writing a release"))
    chosen = _channels(actor, unit, channels)
    with transaction.atomic():
        release = Release.objects.create(
            unit=unit,
            title=_clean(title, "title", TITLE_LIMIT, required=True),
            body=_clean(body, "body", BODY_LIMIT, required=True),
            attachments=_clean(attachments, "attachments", 5000),
            sensitive=bool(sensitive),
            created_by=actor,
        )
        release.channels.set(chosen)
        _new_revision(release, actor)
        release.save(update_fields=["revision_count"])
        audit_record(
            actor=actor,
            action="release.create",
            obj=release,
            new={**_snapshot(release), "channels": [c.pk for c in chosen], "sensitive": release.sensitive},
        )
    return release


def release_update(
    *,
    actor: Any,
    release_id: int,
    expected_version: int | None = None,
    title: str | None = None,
    body: str | None = None,
    attachments: str | None = None,
    channels: Sequence[Any] | None = None,
    sensitive: bool | None = None,
) -> Release:
    """Edit a draft or returned release; a changed text is a new revision, proofread again."""
    with transaction.atomic():
        r = _locked(release_id, actor)
        _require(actor, r.unit, COMPOSE_ROLES, _("Editing a release"))
        _check_version(r, expected_version)
        _check_status(r, (ReleaseStatus.DRAFT, ReleaseStatus.RETURNED), _("edited (it is locked while in review)"))
        chosen = _channels(actor, r.unit, channels) if channels is not None else None
        old = {"title": r.title, "sensitive": r.sensitive, "revision": r.revision_count}
        text_before = (r.title, r.body, r.attachments)
        if title is not None:
            r.title = _clean(title, "title", TITLE_LIMIT, required=True)
        if body is not None:
            r.body = _clean(body, "body", BODY_LIMIT, required=True)
        if attachments is not None:
            r.attachments = _clean(attachments, "attachments", 5000)
        if sensitive is not None:
            r.sensitive = bool(sensitive)
        if (r.title, r.body, r.attachments) != text_before:
            _new_revision(r, actor)
        r.version += 1
        r.save()
        if chosen is not None:
            r.channels.set(chosen)
        audit_record(
            actor=actor,
            action="release.update",
            obj=r,
            old=old,
            new={"title": r.title, "sensitive": r.sensitive, "revision": r.revision_count, "version": r.version},
        )
    return r


def release_submit(*, actor: Any, release_id: int, expected_version: int | None = None) -> Release:
    """Send a draft (or a returned release) into review; the unit's plan is frozen into it."""
    with transaction.atomic():
        r = _locked(release_id, actor)
        _require(actor, r.unit, COMPOSE_ROLES, _("Submitting a release"))
        _check_version(r, expected_version)
        _check_status(r, (ReleaseStatus.DRAFT, ReleaseStatus.RETURNED), _("submitted"))
        old = _snapshot(r)
        r.plan = review_plan(r.unit, sensitive=r.sensitive)
        r.step = 0
        r.round += 1
        r.status = ReleaseStatus.IN_REVIEW
        r.awaiting_role = r.plan[0]["role"]
        r.version += 1
        r.save()
        ReviewAction.objects.create(
            release=r, revision=current_revision(r), round=r.round, decision=ReviewDecision.SUBMIT, actor=actor
        )
        audit_record(actor=actor, action="release.submit", obj=r, old=old, new={**_snapshot(r), "plan": r.plan})
    return r


def can_decide(actor: Any, release: Release) -> tuple[bool, str]:
    """Whether ``actor`` may approve or return the release's current step, and why not."""
    step = release.current_step
    if step is None:
        return False, _("The release is not awaiting a review decision.")
    if actor is None:
        return True, ""
    if release.created_by_id is not None and release.created_by_id == actor.pk:
        return False, _("No one reviews their own release.")
    if not has_role(actor, release.unit, {step["role"]}):
        return False, _("The step %(step)s needs the %(role)s role in %(unit)s.") % {
            "step": step["name"],
            "role": step["role"],
            "unit": release.unit.name,
        }
    if ReviewAction.objects.filter(
        release=release, round=release.round, decision=ReviewDecision.APPROVE, actor=actor
    ).exists():
        return False, _("You already approved an earlier step of this review; another person takes this one.")
    return True, ""


def _decide_check(actor: Any, r: Release) -> dict[str, str]:
    ok, why = can_decide(actor, r)
    if not ok:
        if r.current_step is None:
            raise ReleaseConflict(why)
        raise PermissionDenied(why)
    step = r.current_step
    assert step is not None
    return step


def release_approve(*, actor: Any, release_id: int, expected_version: int | None = None, comments: str = "") -> Release:
    """Approve the current step (通过); after the last step the release is approved for publishing.

    Refused while proofreading findings on the current revision are still open: each must be
    marked fixed or dismissed first.
    """
    with transaction.atomic():
        r = _locked(release_id, actor)
        _check_version(r, expected_version)
        step = _decide_check(actor, r)
        revision = current_revision(r)
        open_count = revision.findings.filter(state=FindingState.OPEN).count()
        if open_count:
            raise ReleaseConflict(
                _("%(n)s proofreading findings are still open: mark each fixed or dismissed first.") % {"n": open_count}
            )
        old = _snapshot(r)
        ReviewAction.objects.create(
            release=r,
            revision=revision,
            round=r.round,
            step=r.step,
            step_name=step["name"],
            decision=ReviewDecision.APPROVE,
            comments=_clean(comments, "comments", 5000),
            actor=actor,
        )
        r.step += 1
        if r.step >= len(r.plan):
            r.status = ReleaseStatus.APPROVED
            r.awaiting_role = ""
        else:
            r.awaiting_role = r.plan[r.step]["role"]
        r.version += 1
        r.save()
        audit_record(actor=actor, action="release.approve", obj=r, old=old, new=_snapshot(r), reason=comments)
    return r


def release_return(*, actor: Any, release_id: int, comments: str, expected_version: int | None = None) -> Release:
    """Return the release to its author with comments (退回修改) from the current step."""
    comments = _clean(comments, "comments", 5000, required=True)
    with transaction.atomic():
        r = _locked(release_id, actor)
        _check_version(r, expected_version)
        step = _decide_check(actor, r)
        old = _snapshot(r)
        ReviewAction.objects.create(
            release=r,
            revision=current_revision(r),
            round=r.round,
            step=r.step,
            step_name=step["name"],
            decision=ReviewDecision.RETURN,
            comments=comments,
            actor=actor,
        )
        r.status = ReleaseStatus.RETURNED
        r.awaiting_role = ""
        r.version += 1
        r.save()
        audit_record(actor=actor, action="release.return", obj=r, old=old, new=_snapshot(r), reason=comments)
    return r


def release_publish(*, actor: Any, release_id: int, expected_version: int | None = None) -> Release:
    """Record that an approved release has been published on its channels."""
    with transaction.atomic():
        r = _locked(release_id, actor)
        _require(actor, r.unit, COMPOSE_ROLES, _("Publishing a release"))
        _check_version(r, expected_version)
        _check_status(r, (ReleaseStatus.APPROVED,), _("published before every review step approved it"))
        old = _snapshot(r)
        r.status = ReleaseStatus.PUBLISHED
        r.published_at = timezone.now()
        r.published_by = actor
        r.version += 1
        r.save()
        ReviewAction.objects.create(
            release=r, revision=current_revision(r), round=r.round, decision=ReviewDecision.PUBLISH, actor=actor
        )
        audit_record(actor=actor, action="release.publish", obj=r, old=old, new=_snapshot(r))
    return r


def finding_mark(*, actor: Any, finding_id: int, state: str) -> Finding:
    """Mark a proofreading finding of the current revision fixed or dismissed (the step's reviewer)."""
    if state not in (FindingState.FIXED, FindingState.DISMISSED, FindingState.OPEN):
        raise ValidationError({"state": [_("Unknown state: %(s)s") % {"s": state}]})
    with transaction.atomic():
        f = Finding.objects.select_for_update().select_related("revision").filter(pk=finding_id).first()
        if f is None:
            raise Http404("no such finding")
        r = _locked(f.revision.release_id, actor)
        if f.revision.number != r.revision_count:
            raise ReleaseConflict(_("This finding belongs to an earlier revision."))
        if r.status == ReleaseStatus.IN_REVIEW:
            ok, why = can_decide(actor, r)
            if not ok:
                raise PermissionDenied(why)
        elif r.is_editable:
            _require(actor, r.unit, COMPOSE_ROLES, _("Marking a finding"))
        else:
            raise ReleaseConflict(_("The review of this release is over."))
        old = {"state": f.state}
        f.state = state
        f.decided_by = actor if state != FindingState.OPEN else None
        f.decided_at = timezone.now() if state != FindingState.OPEN else None
        f.save(update_fields=["state", "decided_by", "decided_at"])
        r.version += 1
        r.save(update_fields=["version", "updated_at"])
        audit_record(
            actor=actor,
            action="release.finding",
            obj=r,
            old=old,
            new={"finding": f.pk, "state": state, "text": f.text, "kind": f.kind},
        )
    return f


def correction_record(
    *, actor: Any, release_id: int, what_was_wrong: str, correction: str = "", channel: Any = None
) -> Correction:
    """Record a 更正 of a published release (on one of its channels, or all when ``channel`` is None)."""
    what_was_wrong = _clean(what_was_wrong, "what_was_wrong", 5000, required=True)
    with transaction.atomic():
        r = _locked(release_id, actor)
        _require(actor, r.unit, COMPOSE_ROLES, _("Recording a correction"))
        _check_status(r, (ReleaseStatus.PUBLISHED,), _("corrected before it is published"))
        chosen = None
        if channel is not None:
            cid = channel if isinstance(channel, int) else int(channel.pk)
            chosen = r.channels.filter(pk=cid).first()
            if chosen is None:
                raise ValidationError({"channel": [_("The release was not published on that channel.")]})
        c = Correction.objects.create(
            release=r,
            channel=chosen,
            what_was_wrong=what_was_wrong,
            correction=_clean(correction, "correction", 5000),
            recorded_by=actor,
        )
        r.version += 1
        r.save(update_fields=["version", "updated_at"])
        audit_record(
            actor=actor,
            action="release.correct",
            obj=r,
            new={"correction": c.pk, "channel": chosen.pk if chosen else None},
            reason=what_was_wrong,
        )
    return c


# --- configuration ---------------------------------------------------------------------------


def review_steps_set(*, actor: Any, unit: Unit, steps: Sequence[tuple[str, str, bool]]) -> list[ReviewStep]:
    """Replace ``unit``'s review plan by ``steps`` (name, role, sensitive_only); empty = inherit."""
    if not _visible(actor, unit):
        raise ValidationError({"unit": [_("No such unit among yours.")]})
    _require(actor, unit, CONFIGURE_ROLES, _("Configuring the review steps"))
    valid_roles = set(Role.values)
    for name, role, _only in steps:
        if not name.strip() or len(name) > 40:
            raise ValidationError({"steps": [_("Each step needs a name of at most 40 characters.")]})
        if role not in valid_roles:
            raise ValidationError({"steps": [_("Unknown role: %(r)s") % {"r": role}]})
    if steps and all(only for _n, _r, only in steps):
        raise ValidationError({"steps": [_("At least one step must apply to every release.")]})
    with transaction.atomic():
        old = list(ReviewStep.objects.filter(unit=unit).order_by("position").values_list("name", "role"))
        ReviewStep.objects.filter(unit=unit).delete()
        rows = ReviewStep.objects.bulk_create(
            ReviewStep(unit=unit, position=i, name=n.strip(), role=r, sensitive_only=o)
            for i, (n, r, o) in enumerate(steps, 1)
        )
        audit_record(
            actor=actor,
            action="release.steps",
            obj=unit,
            old=[list(s) for s in old],
            new=[[n, r, o] for n, r, o in steps],
        )
    return rows
