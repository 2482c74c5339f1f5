"""Correcting an item's sentiment, retraining an organisation's model, re-scoring stored items.

Every write here records an audit entry in its own transaction. See decision 0096.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from qingting.core.sentiment import ThreeClassModel, self_train, sentiment_text, train_with_labels
from qingting.core.text import normalize
from qingting.web.accounts.models import Role, Unit
from qingting.web.accounts.selectors import has_role
from qingting.web.audit.services import audit_record
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Item, SentimentChoice
from qingting.web.monitoring.selectors import items_for
from qingting.web.sentiment.models import Correction, ModelVersion, RescoreJob, VersionStatus
from qingting.web.sentiment.selectors import model_from_bytes

CORRECTORS = {Role.ADMIN, Role.ANALYST}
MODEL_ADMINS = {Role.ADMIN}
# The positivity a corrected item gets (the engine's own score stays in Correction.engine_score).
CORRECTED_SCORE = {"negative": 0.2, "neutral": 0.5, "positive": 0.8}
MIN_CORRECTIONS = 20  # a retraining needs at least this many (both polarities among them)
HELD_BACK = 0.2  # share of the corrections kept for evaluation, chosen by a hash of the item id


class StaleCorrection(Exception):
    """The item's sentiment changed since the form was shown."""

    def __init__(self, current: str) -> None:
        super().__init__(current)
        self.current = current


def organisation_of(unit: Unit) -> Unit:
    """The root of ``unit``'s tree: the organisation it belongs to."""
    parts = [p for p in unit.path.strip("/").split("/") if p.isdigit()]
    if not parts or int(parts[0]) == unit.pk:
        return unit
    return Unit.objects.get(pk=int(parts[0]))


def can_correct(user: Any, unit: Unit) -> bool:
    return has_role(user, unit, CORRECTORS)


def can_manage_models(user: Any, organisation: Unit) -> bool:
    return has_role(user, organisation, MODEL_ADMINS)


def _move_daily(item: Item, old: str, new: str) -> None:
    """Move one item from its ``old`` label's daily count to ``new``'s."""
    _move_daily_many([(item, old, new)])


def _move_daily_many(moves: Iterable[tuple[Item, str, str]]) -> None:
    """Move items between their labels' daily counts, one statement per row touched (a
    re-scoring slice moves thousands)."""
    delta: Counter[monitoring.DailyKey] = Counter()
    for item, old, new in moves:
        delta[monitoring.daily_key(item, old)] -= 1
        delta[monitoring.daily_key(item, new)] += 1
    monitoring.daily_counts_add(delta)


def correct(user: Any, item_id: int, label: str, *, shown: str | None = None) -> Correction:
    """Set ``item_id``'s sentiment to ``label`` as ``user`` (one click on an item or event page).

    404 when the user may not see the item; ``PermissionDenied`` without an analyst or admin role
    over its source's unit; :class:`StaleCorrection` when ``shown`` (the label the page showed) is
    no longer the item's label; ``ValueError`` for an unknown label.
    """
    if label not in SentimentChoice.values:
        raise ValueError(f"unknown sentiment {label!r}; one of {', '.join(SentimentChoice.values)}")
    visible = items_for(user).filter(pk=item_id).select_related("source__unit").first()
    if visible is None:
        raise Http404("no such item")
    if not can_correct(user, visible.source.unit):
        raise PermissionDenied("correcting sentiment needs the analyst or administrator role")
    organisation = organisation_of(visible.source.unit)
    with transaction.atomic():
        item = Item.objects.select_for_update().get(pk=visible.pk)
        current = item.sentiment_label
        if shown is not None and shown != current:
            raise StaleCorrection(current)
        corr = Correction.objects.filter(item=item).first()
        now = timezone.now()
        if corr is None:
            corr = Correction.objects.create(
                item=item,
                organisation=organisation,
                label=label,
                engine_label=current,
                engine_score=item.sentiment,
                corrected_by=user,
                corrected_at=now,
            )
        else:
            corr.label, corr.corrected_by, corr.corrected_at = label, user, now
            corr.save(update_fields=["label", "corrected_by", "corrected_at"])
        if current != label:
            _move_daily(item, current, label)
            item.sentiment_label = label
            item.sentiment = CORRECTED_SCORE[label]
            item.save(update_fields=["sentiment_label", "sentiment"])
        audit_record(
            actor=user,
            action="sentiment.correct",
            obj=item,
            old={"label": current},
            new={"label": label, "engine_label": corr.engine_label},
        )
    return corr


# -- models -------------------------------------------------------------------------------------


def _folded(text: str) -> str:
    return sentiment_text(normalize(text))


def _held_back(item_id: int) -> bool:
    h = hashlib.blake2b(str(item_id).encode(), digest_size=4).digest()
    return int.from_bytes(h, "big") / 2**32 < HELD_BACK


def model_bytes(model: ThreeClassModel) -> bytes:
    buf = io.BytesIO()
    model.save(buf)
    return buf.getvalue()


def active_version(organisation: Unit) -> ModelVersion | None:
    return ModelVersion.objects.filter(organisation=organisation, status=VersionStatus.ACTIVE).first()


def active_model(organisation: Unit) -> tuple[ThreeClassModel, str]:
    """The organisation's active model and its name (``"default"`` or ``"v3"``)."""
    v = active_version(organisation)
    if v is None or v.data is None:
        return ThreeClassModel.default(), "default"
    return model_from_bytes(v.data), f"v{v.number}"


def _accuracy(model: ThreeClassModel, texts: Sequence[str], labels: Sequence[str]) -> float:
    if not texts:
        return 0.0
    pred = [p.label.value for p in model.predict(list(texts))]
    return sum(int(a == b) for a, b in zip(pred, labels, strict=True)) / len(texts)


@dataclass(frozen=True)
class RetrainResult:
    version: ModelVersion | None
    activated: bool
    message: str


def retrain(organisation: Unit, *, user: Any = None, force: bool = False) -> RetrainResult:
    """Train a new version from the shipped default + the organisation's corrections.

    With at least :data:`SELF_TRAIN_MIN` distinct Chinese items in the organisation's stream, the
    default is adapted to them first and the corrections are learned on top (decision 0127).

    A hashed 20 % of the corrections is held back; the new model is activated only if its
    three-class accuracy there is at least the active model's. Without new corrections since the
    last version (and without ``force``) nothing is trained. A failure or a worse model leaves
    the active model in place and says why in the version's ``message``.
    """
    corrections = list(Correction.objects.filter(organisation=organisation).select_related("item").order_by("item_id"))
    last = ModelVersion.objects.filter(organisation=organisation).order_by("-number").first()
    if not force and last is not None and last.n_corrections == len(corrections):
        return RetrainResult(None, False, "no new corrections")
    train_rows = [(c.item.title + " " + c.item.text, c.label) for c in corrections if not _held_back(c.item_id)]
    test_rows = [(c.item.title + " " + c.item.text, c.label) for c in corrections if _held_back(c.item_id)]
    number = (ModelVersion.objects.filter(organisation=organisation).aggregate(m=Max("number"))["m"] or 0) + 1
    version = ModelVersion(
        organisation=organisation,
        number=number,
        status=VersionStatus.FAILED,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        n_corrections=len(corrections),
        n_held_back=len(test_rows),
    )
    polar = [(t, 1 if y == "positive" else 0) for t, y in train_rows if y != "neutral"]
    try:
        if len(corrections) < MIN_CORRECTIONS:
            raise ValueError(f"needs at least {MIN_CORRECTIONS} corrections, has {len(corrections)}")
        if len({y for _, y in polar}) < 2:
            raise ValueError("needs corrections of both polarities (positive and negative) to learn from")
        folded = [_folded(t) for t, _ in polar]
        stream = stream_texts(organisation)  # adapt to the stream first when it is large enough (0127)
        model = train_with_labels(
            folded, [y for _, y in polar], seed=0, stream=stream if len(stream) >= SELF_TRAIN_MIN else None
        )
        model.info.update({"name": f"v{number}", "organisation": organisation.pk})
        current, current_name = active_model(organisation)
        test_x = [_folded(t) for t, _ in test_rows]
        test_y = [y for _, y in test_rows]
        new_acc = _accuracy(model, test_x, test_y)
        old_acc = _accuracy(current, test_x, test_y)
        version.figures = {
            "held_back_accuracy": round(new_acc, 4),
            "active_accuracy": round(old_acc, 4),
            "compared_with": current_name,
            "n_train": len(polar),
            "n_stream": int(model.info.get("n_stream", 0)),
            "n_neutral_ignored": len(train_rows) - len(polar),
        }
        version.data = model_bytes(model)
        better = bool(test_rows) and new_acc >= old_acc
        version.status = VersionStatus.ACTIVE if better else VersionStatus.REJECTED
        if not test_rows:
            version.message = "no corrections held back to evaluate on yet"
        elif not better:
            version.message = f"held-back accuracy {new_acc:.3f} is below the active model's {old_acc:.3f}"
    except (ValueError, ArithmeticError) as e:
        version.message = str(e)
    return _store_version(organisation, version, user, number)


def _store_version(organisation: Unit, version: ModelVersion, user: Any, number: int) -> RetrainResult:
    """Save a trained version (retiring the active one when it becomes active), audit it, and queue
    the re-scoring of stored items under an activated version."""
    with transaction.atomic():
        if version.status == VersionStatus.ACTIVE:
            ModelVersion.objects.filter(organisation=organisation, status=VersionStatus.ACTIVE).update(
                status=VersionStatus.RETIRED
            )
            version.activated_at = timezone.now()
        version.save()
        audit_record(
            actor=user,
            action="sentiment.retrain",
            obj=version,
            new={"version": number, "status": version.status, "figures": version.figures, "message": version.message},
        )
        if version.status == VersionStatus.ACTIVE:
            _queue_rescore(organisation, version)
    return RetrainResult(version, version.status == VersionStatus.ACTIVE, version.message)


SELF_TRAIN_MIN = 500  # distinct Chinese items an organisation needs for self-training
SELF_TRAIN_MAX = 20_000  # the most recent items used


def stream_texts(organisation: Unit) -> list[str]:
    """The organisation's latest Chinese items (at most :data:`SELF_TRAIN_MAX`), folded, distinct:
    the stream self-training and retraining adapt the default to."""
    items = list(
        org_items(organisation)
        .filter(lang__startswith="zh")
        .order_by("-published_at")
        .values_list("title", "text")[:SELF_TRAIN_MAX]
    )
    return list(dict.fromkeys(_folded(f"{t} {x}".strip()) for t, x in items))


def self_adapt(organisation: Unit, *, user: Any = None) -> RetrainResult:
    """A version adapted to the organisation's own stream without labels (``self_train``).

    With held-back corrections to compare on, it is activated only if at least as good as the
    active model there; without them it stays a *candidate* that an administrator may activate.
    """
    texts = stream_texts(organisation)
    number = (ModelVersion.objects.filter(organisation=organisation).aggregate(m=Max("number"))["m"] or 0) + 1
    corrections = Correction.objects.filter(organisation=organisation).select_related("item")
    test = [(c.item.title + " " + c.item.text, c.label) for c in corrections if _held_back(c.item_id)]
    version = ModelVersion(
        organisation=organisation,
        number=number,
        status=VersionStatus.FAILED,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        n_corrections=corrections.count(),
        n_held_back=len(test),
    )
    try:
        if len(texts) < SELF_TRAIN_MIN:
            raise ValueError(f"self-training needs at least {SELF_TRAIN_MIN} distinct Chinese items, has {len(texts)}")
        model = self_train(texts, seed=0)
        model.info.update({"name": f"v{number}", "organisation": organisation.pk})
        version.data = model_bytes(model)
        version.figures = {"method": "self-training", "n_stream": len(texts), "n_pseudo": model.info.get("n_pseudo")}
        if len(test) >= 10:
            current, current_name = active_model(organisation)
            tx, ty = [_folded(t) for t, _ in test], [y for _, y in test]
            new_acc, old_acc = _accuracy(model, tx, ty), _accuracy(current, tx, ty)
            version.figures.update(
                {
                    "held_back_accuracy": round(new_acc, 4),
                    "active_accuracy": round(old_acc, 4),
                    "compared_with": current_name,
                }
            )
            if new_acc >= old_acc:
                version.status = VersionStatus.ACTIVE
            else:
                version.status = VersionStatus.REJECTED
                version.message = f"held-back accuracy {new_acc:.3f} is below the active model's {old_acc:.3f}"
        else:
            version.status = VersionStatus.CANDIDATE
            version.message = "fewer than 10 held-back corrections to compare on: an administrator may activate it"
    except ValueError as e:
        version.message = str(e)
    return _store_version(organisation, version, user, number)


def activate(user: Any, version: ModelVersion) -> ModelVersion:
    """Make ``version`` (or, for rollback, an older one) the active model; queues a re-scoring."""
    if not can_manage_models(user, version.organisation):
        raise PermissionDenied("changing the sentiment model needs the administrator role")
    if version.data is None:
        raise ValueError("this version has no model to activate")
    with transaction.atomic():
        previous = active_version(version.organisation)
        ModelVersion.objects.filter(organisation=version.organisation, status=VersionStatus.ACTIVE).update(
            status=VersionStatus.RETIRED
        )
        version.status = VersionStatus.ACTIVE
        version.activated_at = timezone.now()
        version.save(update_fields=["status", "activated_at"])
        audit_record(
            actor=user,
            action="sentiment.activate",
            obj=version,
            old={"version": previous.number if previous else "default"},
            new={"version": version.number},
        )
        _queue_rescore(version.organisation, version)
    return version


def use_default(user: Any, organisation: Unit) -> None:
    """Roll back to the shipped default (no version active); queues a re-scoring."""
    if not can_manage_models(user, organisation):
        raise PermissionDenied("changing the sentiment model needs the administrator role")
    with transaction.atomic():
        previous = active_version(organisation)
        ModelVersion.objects.filter(organisation=organisation, status=VersionStatus.ACTIVE).update(
            status=VersionStatus.RETIRED
        )
        audit_record(
            actor=user,
            action="sentiment.activate",
            obj=organisation,
            old={"version": previous.number if previous else "default"},
            new={"version": "default"},
        )
        _queue_rescore(organisation, None)


def _queue_rescore(organisation: Unit, version: ModelVersion | None) -> RescoreJob:
    RescoreJob.objects.filter(
        organisation=organisation, status__in=[RescoreJob.Status.QUEUED, RescoreJob.Status.RUNNING]
    ).update(status=RescoreJob.Status.CANCELLED, finished_at=timezone.now())
    total = org_items(organisation).count()
    return RescoreJob.objects.create(organisation=organisation, version=version, total=total)


def org_items(organisation: Unit) -> Any:
    return Item.objects.filter(source__unit__path__startswith=organisation.path)


def rescore_step(job: RescoreJob, *, batch: int = 2000) -> RescoreJob:
    """Re-score the next ``batch`` items of ``job`` (in id order); corrected items are skipped."""
    model, _name = (
        (model_from_bytes(job.version.data), "")
        if job.version and job.version.data
        else (ThreeClassModel.default(), "")
    )
    with transaction.atomic():
        job = RescoreJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (RescoreJob.Status.QUEUED, RescoreJob.Status.RUNNING):
            return job
        org = job.organisation
        items = list(
            org_items(org)
            .filter(pk__gt=job.last_item_id, sentiment_correction__isnull=True)
            .exclude(sentiment_label="")
            .order_by("pk")
            .only("pk", "title", "text", "lang", "source_id", "published_at", "region", "sentiment_label")[:batch]
        )
        skipped = org_items(org).filter(pk__gt=job.last_item_id).order_by("pk").values_list("pk", flat=True)[:batch]
        upto = max([i.pk for i in items] + ([skipped[len(skipped) - 1]] if len(skipped) else []), default=0)
        if not items and not upto:
            job.status = RescoreJob.Status.DONE
            job.finished_at = timezone.now()
            job.done = job.total
            job.save()
            return job
        zh = [i for i in items if _is_cjk(i.lang)]
        preds = model.predict([_folded((i.title + " " + i.text).strip()) for i in zh]) if zh else []
        changed, moves = [], []
        for item, p in zip(zh, preds, strict=True):
            if p.label.value != item.sentiment_label:
                moves.append((item, item.sentiment_label, p.label.value))
                item.sentiment_label = p.label.value
                item.sentiment = p.positivity
                changed.append(item)
        _move_daily_many(moves)
        if changed:
            Item.objects.bulk_update(changed, ["sentiment_label", "sentiment"], batch_size=1000)
        job.status = RescoreJob.Status.RUNNING
        # Progress counts this slice's window only (counting from the start made a re-score quadratic).
        scanned = org_items(org).filter(pk__gt=job.last_item_id, pk__lte=upto).count()
        job.last_item_id = upto
        job.done = min(job.total, job.done + scanned)
        job.changed += len(changed)
        job.save()
    return job


def _is_cjk(lang: str) -> bool:
    return (lang or "").lower().startswith(("zh", "ja", "ko", "yue", "wuu", "cjk"))


def organisations_with_corrections() -> Iterable[Unit]:
    ids = Correction.objects.values_list("organisation_id", flat=True).distinct()
    return Unit.objects.filter(pk__in=list(ids))
