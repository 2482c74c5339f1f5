"""Re-scoring stored items (decision 0115): only changed items are written, set-based; the daily
counts and the events' figures then equal a recount from the items; an interrupted job resumes at
its last committed slice without losing or repeating a move; a correction made meanwhile wins."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qingting.core.sentiment import ThreeClassModel
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import DailyCount, Event, Item
from qingting.web.sentiment import jobs, services
from qingting.web.sentiment.models import RescoreJob

pytestmark = pytest.mark.django_db

TEXTS = [
    "服务很好，点赞",
    "投诉没人管，失望",
    "柳湾镇通报：明日上午检修供水管道",
    "态度太差了，生气",
    "问题解决了，好评",
    "路修好了吗？",
    "乱收费，坑人",
    "效率很高，谢谢",
]
OTHER = {"positive": "negative", "negative": "neutral", "neutral": "positive"}


def _truth(items: list[Item]) -> dict[int, tuple[str, float]]:
    preds = ThreeClassModel.default().predict([services._folded(f"{i.title} {i.text}".strip()) for i in items])
    return {i.pk: (p.label.value, p.positivity) for i, p in zip(items, preds, strict=True)}


def _assert_figures_match_items() -> None:
    """The daily counts, and each event's figures, equal a recount from the items as labelled now
    (corrections and re-scores included: decision 0131)."""
    expected = Counter(monitoring.daily_key(i) for i in Item.objects.all())
    stored = {
        (s, d.isoformat(), lab, r): n
        for s, d, lab, r, n in DailyCount.objects.values_list("source_id", "day", "sentiment_label", "region", "n")
    }
    assert stored == {k: n for k, n in expected.items() if n}
    for event in Event.objects.filter(item_count__gt=0):
        views = [
            (i.sentiment_label, 0.5 if i.sentiment is None else i.sentiment) for i in Item.objects.filter(event=event)
        ]
        n = len(views)
        assert event.negative_share * n == pytest.approx(sum(lab == "negative" for lab, _ in views))
        assert event.sentiment * n == pytest.approx(sum(s for _, s in views))


@pytest.fixture
def drifted(monitored: dict[str, Any]) -> dict[str, Any]:
    """Items an older model scored: a third with another label, some with a positivity far from the
    model's, some within the step of it; daily counts and events recounted to match."""
    records = [
        {"id": f"r{i}", "text": f"{TEXTS[i % len(TEXTS)]}（{i}号）", "time": 1_767_300_000 + 600 * i} for i in range(36)
    ]
    monitoring.ingest_items(scheme=monitored["east_scheme"], source=monitored["east_source"], records=records)
    items = [i for i in Item.objects.exclude(sentiment_label="").order_by("pk") if services._is_cjk(i.lang)]
    assert len(items) >= 40  # (items in other languages are not re-scored: left as they are)
    truth = _truth(items)
    groups: dict[str, list[int]] = {"flipped": [], "far": [], "near": [], "same": []}
    for k, item in enumerate(items):
        label, score = truth[item.pk]
        if k % 3 == 0:
            groups["flipped"].append(item.pk)
            label = OTHER[label]
            score = services.CORRECTED_SCORE[label]
        elif k % 3 == 1 and k % 2 == 0:
            groups["far"].append(item.pk)
            score = round(score + (0.2 if score < 0.5 else -0.2), 4)
        elif k % 3 == 1:
            groups["near"].append(item.pk)
            score = round(score + 0.01, 4)
        else:
            groups["same"].append(item.pk)
        Item.objects.filter(pk=item.pk).update(sentiment_label=label, sentiment=score)
    monitoring.daily_counts_rebuild()
    monitoring.event_places_rebuild()  # what a bulk load that bypassed the engine does
    _assert_figures_match_items()
    return {**monitored, "truth": truth, "groups": groups, "n": len(items)}


def _job(org: Any) -> RescoreJob:
    return RescoreJob.objects.create(organisation=org, total=services.org_items(org).count())


def _run(job: RescoreJob, batch: int) -> RescoreJob:
    for _ in range(200):
        job = services.rescore_step(job, batch=batch)
        if job.status == RescoreJob.Status.DONE:
            return job
    raise AssertionError("the job did not finish")


def test_only_changed_items_are_written_set_based(drifted: dict[str, Any]) -> None:
    truth, groups = drifted["truth"], drifted["groups"]
    before = {pk: (label, s) for pk, label, s in Item.objects.values_list("pk", "sentiment_label", "sentiment")}
    job = _job(drifted["office"])
    with CaptureQueriesContext(connection) as queries:
        job = services.rescore_step(job, batch=1000)  # the whole organisation in one slice
    updates = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "monitoring_item" in q["sql"]
    ]
    assert len(updates) == 1  # one statement for the slice, never a save per item
    assert len(queries.captured_queries) <= 16
    after = {pk: (label, s) for pk, label, s in Item.objects.values_list("pk", "sentiment_label", "sentiment")}
    for pk in groups["flipped"] + groups["far"]:
        assert after[pk] == truth[pk]  # rewritten to the model's label and positivity
    for pk in groups["near"] + groups["same"]:
        assert after[pk] == before[pk]  # within the step: not written
    assert job.changed == len(groups["flipped"])
    assert job.last_item_id == max(after) and job.done == job.total
    _assert_figures_match_items()
    assert services.rescore_step(job).status == RescoreJob.Status.DONE


def test_counts_equal_a_recount_after_slices_and_progress_adds_up(drifted: dict[str, Any]) -> None:
    job = _run(_job(drifted["office"]), batch=7)
    assert job.done == job.total and job.percent == 100
    assert job.changed == len(drifted["groups"]["flipped"])
    _assert_figures_match_items()
    assert not DailyCount.objects.filter(n__lte=0).exists()
    # a second re-score with the same model finds nothing to change
    again = _run(_job(drifted["office"]), batch=7)
    assert again.changed == 0


def test_corrections_are_never_overwritten_and_count_once(drifted: dict[str, Any]) -> None:
    flipped = drifted["groups"]["flipped"]
    analyst = drifted["east_analyst"]
    # an analyst agrees with the older model on one flipped item, and corrects another to a third label
    keep = Item.objects.get(pk=flipped[0])
    services.correct(analyst, keep.pk, keep.sentiment_label)
    third = Item.objects.get(pk=flipped[1])
    label = next(x for x in OTHER if x not in (third.sentiment_label, drifted["truth"][third.pk][0]))
    services.correct(analyst, third.pk, label)
    _assert_figures_match_items()
    job = _run(_job(drifted["office"]), batch=5)
    assert Item.objects.get(pk=keep.pk).sentiment_label == keep.sentiment_label
    assert Item.objects.get(pk=third.pk).sentiment_label == label
    assert job.changed == len(flipped) - 2
    _assert_figures_match_items()


def test_a_correction_made_while_a_slice_is_scored_wins(drifted: dict[str, Any], monkeypatch: Any) -> None:
    target = drifted["groups"]["flipped"][0]
    shown = Item.objects.get(pk=target).sentiment_label
    real = services._score_slice

    def score_then_correct(model: Any, rows: Any) -> Any:
        out = real(model, rows)
        assert any(c.pk == target for c in out)  # the slice means to rewrite it
        services.correct(drifted["east_analyst"], target, shown)  # an analyst keeps the stored label
        return out

    monkeypatch.setattr(services, "_score_slice", score_then_correct)
    job = services.rescore_step(_job(drifted["office"]), batch=1000)
    assert Item.objects.get(pk=target).sentiment_label == shown
    assert job.changed == len(drifted["groups"]["flipped"]) - 1
    _assert_figures_match_items()


def test_an_interrupted_job_resumes_without_losing_or_repeating_moves(
    drifted: dict[str, Any], monkeypatch: Any
) -> None:
    org = drifted["office"]
    real = monitoring.daily_counts_add
    calls = {"n": 0}

    def crash_on_third_slice(deltas: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # after the slice's items were written, before its counts and progress
            raise RuntimeError("worker killed")
        real(deltas)

    monkeypatch.setattr(monitoring, "daily_counts_add", crash_on_third_slice)
    job = _job(org)
    job = services.rescore_step(job, batch=6)
    job = services.rescore_step(job, batch=6)
    committed = (job.last_item_id, job.done, job.changed)
    stored = dict(Item.objects.values_list("pk", "sentiment_label"))
    with pytest.raises(RuntimeError):
        services.rescore_step(job, batch=6)
    job.refresh_from_db()
    assert (job.last_item_id, job.done, job.changed) == committed  # the slice rolled back whole
    assert dict(Item.objects.values_list("pk", "sentiment_label")) == stored
    _assert_figures_match_items()
    monkeypatch.setattr(monitoring, "daily_counts_add", real)
    # the periodic job picks the job up again at its cursor and finishes it
    jobs.rescore_step(timezone.now(), seconds=60)
    job.refresh_from_db()
    assert job.status == RescoreJob.Status.DONE and job.done == job.total
    assert job.changed == len(drifted["groups"]["flipped"])
    _assert_figures_match_items()


def test_a_new_job_cancels_the_open_one_and_starts_over(drifted: dict[str, Any]) -> None:
    org = drifted["office"]
    first = services.rescore_step(services._queue_rescore(org, None), batch=6)
    assert first.status == RescoreJob.Status.RUNNING
    second = services._queue_rescore(org, None)
    first.refresh_from_db()
    assert first.status == RescoreJob.Status.CANCELLED
    assert services.rescore_step(first, batch=6).last_item_id == first.last_item_id  # a cancelled job stays put
    _run(second, batch=6)
    _assert_figures_match_items()
    total = DailyCount.objects.aggregate(n=Sum("n"))["n"]
    assert total == Item.objects.exclude(sentiment_label="").count()
