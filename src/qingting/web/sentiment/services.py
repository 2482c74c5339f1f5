"""Correcting an item's sentiment, retraining an organisation's model, re-scoring stored items.

Every write here records an audit entry in its own transaction. See decision 0096.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.http import Http404
from django.utils import timezone

from qingting.core.sentiment import ThreeClassModel, self_train, sentiment_text, train_with_labels
from qingting.core.text import normalize
from qingting.web.accounts.models import Role, Unit
from qingting.web.accounts.selectors import has_role
from qingting.web.audit.services import audit_record
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Item, SentimentChoice, Source
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


class ItemPending(Exception):
    """The item is stored but the organisation's engine has not analysed it yet: its label is about
    to be written, so a correction now would be overwritten."""


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
    no longer the item's label; :class:`ItemPending` while the engine has not analysed the item
    (its label would overwrite the correction); ``ValueError`` for an unknown label.
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
        if item.pending:
            raise ItemPending(f"item {item.pk} is still being analysed")
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
            if item.event_id is not None:  # the event's figures follow its items (decision 0131)
                change = monitoring.sentiment_change(current, item.sentiment, label, CORRECTED_SCORE[label])
                monitoring.event_sentiment_move({(item.event_id, item.source_id, item.region or ""): change})
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


RESCORE_SLICE = 5000  # items read, scored and written per committed slice of a re-scoring job
# A re-score rewrites an item whose label changed, or whose positivity moved by at least this much:
# afterwards every stored positivity is within this distance of the active model's (decision 0115).
POSITIVITY_STEP = 0.05
_RESCORE_MODELS: dict[int, ThreeClassModel] = {}  # version id (0: the default) -> model, per process


def _rescore_model(job: RescoreJob) -> ThreeClassModel:
    """The model ``job`` scores with, deserialised once per process (not once per slice)."""
    key = job.version_id or 0
    model = _RESCORE_MODELS.get(key)
    if model is None:
        data = ModelVersion.objects.filter(pk=key).values_list("data", flat=True).first() if key else None
        model = model_from_bytes(data) if data is not None else ThreeClassModel.default()
        if len(_RESCORE_MODELS) >= 4:
            _RESCORE_MODELS.clear()
        _RESCORE_MODELS[key] = model
    return model


@dataclass(slots=True)
class _Rescored:
    """One stored item a slice re-scores: what is stored, and what the model says now."""

    pk: int
    source_id: int
    published_at: Any
    region: str
    event_id: int | None
    old_label: str
    old_score: float | None
    label: str
    score: float


def _read_slice(job: RescoreJob, batch: int) -> tuple[list[tuple[Any, ...]], int]:
    """The next ``batch`` items of the job's organisation after its cursor, in id order, as plain
    rows ``(id, title, text, lang, source_id, published_at, region, label, score, event_id,
    corrected)``, and how many there are."""
    sources = list(Source.objects.filter(unit__path__startswith=job.organisation.path).values_list("pk", flat=True))
    rows = list(
        Item.objects.filter(source_id__in=sources, pk__gt=job.last_item_id)
        .annotate(corrected=Exists(Correction.objects.filter(item_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list(
            "pk", "title", "text", "lang", "source_id", "published_at", "region", "sentiment_label", "sentiment",
            "event_id", "corrected",
        )[:batch]
    )  # fmt: skip
    return rows, len(rows)


def _score_slice(model: ThreeClassModel, rows: Sequence[tuple[Any, ...]]) -> list[_Rescored]:
    """The rows whose stored label or positivity the model changes (corrected items never)."""
    todo = [r for r in rows if r[7] and not r[10] and _is_cjk(r[3])]
    if not todo:
        return []
    preds = model.predict([_folded(f"{r[1]} {r[2]}".strip()) for r in todo])
    out = []
    for r, p in zip(todo, preds, strict=True):
        label, old = p.label.value, r[8]
        if label != r[7] or old is None or abs(p.positivity - old) >= POSITIVITY_STEP:
            out.append(_Rescored(r[0], r[4], r[5], r[6], r[9], r[7], old, label, p.positivity))
    return out


def rescore_step(job: RescoreJob, *, batch: int = RESCORE_SLICE) -> RescoreJob:
    """Re-score the next ``batch`` items of ``job`` (in id order) and commit them with the job's
    progress: one transaction per slice, so an interrupted job resumes at its last committed
    slice and neither loses nor repeats a move (decision 0115).

    The slice is read and scored outside the write transaction; the write then checks that the
    job is still open and still at the same cursor (else another worker did this slice: nothing
    is written), and rewrites only the items whose label or positivity changed, each on condition
    that it still holds what was read and has no correction — a correction made meanwhile wins.
    The dashboard's daily counts and the events' places move by the rewritten items only,
    grouped, in the same transaction, and the events' sentiment figures are derived from their
    places (decision 0131), so a later engine batch keeps them.
    """
    job = RescoreJob.objects.select_related("organisation", "version").get(pk=job.pk)
    if job.status not in (RescoreJob.Status.QUEUED, RescoreJob.Status.RUNNING):
        return job
    cursor = job.last_item_id
    rows, n = _read_slice(job, batch)
    changed = _score_slice(_rescore_model(job), rows) if rows else []
    with transaction.atomic():
        locked = RescoreJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in (RescoreJob.Status.QUEUED, RescoreJob.Status.RUNNING) or locked.last_item_id != cursor:
            return locked
        if not rows:
            locked.status = RescoreJob.Status.DONE
            locked.finished_at = timezone.now()
            locked.done = locked.total
            locked.save(update_fields=["status", "finished_at", "done"])
            return locked
        written = _write_rescored(changed)
        kept = [c for c in changed if c.pk in written]
        for c in kept:
            c.event_id = written[c.pk]
        moves: Counter[monitoring.DailyKey] = Counter()
        places: dict[tuple[int, int, str], list[Any]] = {}
        for c in kept:
            if c.label != c.old_label:
                moves[_daily_key(c, c.old_label)] -= 1
                moves[_daily_key(c, c.label)] += 1
            if c.event_id is not None:
                d = places.setdefault((c.event_id, c.source_id, c.region or ""), [0, 0.0])
                neg, pos = monitoring.sentiment_change(c.old_label, c.old_score, c.label, c.score)
                d[0] += neg
                d[1] += pos
        # The events first (their rows are locked before their places, as the engine's batch
        # does), then the daily counts (the engine's batch takes those after its events too).
        monitoring.event_sentiment_move({k: (int(d[0]), float(d[1])) for k, d in places.items()})
        monitoring.daily_counts_add(moves)
        locked.status = RescoreJob.Status.RUNNING
        locked.last_item_id = rows[-1][0]
        locked.done = min(locked.total, locked.done + n)
        locked.changed += sum(1 for c in kept if c.label != c.old_label)
        locked.save(update_fields=["status", "last_item_id", "done", "changed"])
    return locked


_RESCORE_LOCK = 0x7174_7265  # PostgreSQL advisory lock key: "qtre"


@contextmanager
def rescoring_claim() -> Iterator[bool]:
    """Whether this process may advance re-scoring now: on PostgreSQL a session advisory lock that
    another worker's run holds (then ``False``: it would only score the same slices and throw them
    away at the cursor check); SQLite's embedded scheduler never runs a job twice at once."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_RESCORE_LOCK])
        claimed = bool(cursor.fetchone()[0])
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_RESCORE_LOCK])


def _daily_key(c: _Rescored, label: str) -> monitoring.DailyKey:
    return (c.source_id, timezone.localtime(c.published_at).date().isoformat(), label, c.region)


def _write_rescored(changed: Sequence[_Rescored]) -> dict[int, int | None]:
    """Write the new labels and positivities, one statement per chunk; returns the ids written
    with their event (as it is now: an analyst may have merged events meanwhile).

    An item is written only if it still has the label and positivity that were read and no
    correction. On PostgreSQL the rows are locked in id order first, so the conditional update
    then sees every correction committed before (and a correction after waits for this slice)."""
    if not changed:
        return {}
    table = connection.ops.quote_name(Item._meta.db_table)
    corr = connection.ops.quote_name(Correction._meta.db_table)
    written: dict[int, int | None] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = sorted(c.pk for c in changed)
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ids])
            cursor.execute(
                f"UPDATE {table} AS t SET sentiment_label = v.label, sentiment = v.score "
                "FROM unnest(%s::bigint[], %s::varchar(12)[], %s::float8[], %s::varchar(12)[], %s::float8[]) "
                "AS v(id, label, score, old_label, old_score) "
                "WHERE t.id = v.id AND t.sentiment_label = v.old_label "
                "AND t.sentiment IS NOT DISTINCT FROM v.old_score "
                f"AND NOT EXISTS (SELECT 1 FROM {corr} AS c WHERE c.item_id = t.id) RETURNING t.id, t.event_id",
                [
                    [c.pk for c in changed],
                    [c.label for c in changed],
                    [c.score for c in changed],
                    [c.old_label for c in changed],
                    [c.old_score for c in changed],
                ],
            )
            return dict(cursor.fetchall())
        # SQLite (the IMMEDIATE transaction holds the write lock): UPDATE … FROM (VALUES …). The
        # correction test names v's id, not the item's: correlated on the item, SQLite 3.38+
        # builds a Bloom filter over the whole item table for every statement (10× the cost).
        for start in range(0, len(changed), 2000):
            chunk = changed[start : start + 2000]
            cursor.execute(
                f"UPDATE {table} SET sentiment_label = v.column2, sentiment = v.column3 "
                f"FROM (VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(chunk))}) AS v "
                f"WHERE {table}.id = v.column1 AND {table}.sentiment_label = v.column4 "
                f"AND {table}.sentiment IS v.column5 "
                f"AND NOT EXISTS (SELECT 1 FROM {corr} AS c WHERE c.item_id = v.column1) "
                f"RETURNING {table}.id, {table}.event_id",
                [x for c in chunk for x in (c.pk, c.label, c.score, c.old_label, c.old_score)],
            )
            written.update(cursor.fetchall())
    return written


def _is_cjk(lang: str) -> bool:
    return (lang or "").lower().startswith(("zh", "ja", "ko", "yue", "wuu", "cjk"))


def organisations_with_corrections() -> Iterable[Unit]:
    ids = Correction.objects.values_list("organisation_id", flat=True).distinct()
    return Unit.objects.filter(pk__in=list(ids))
