"""Analysts correct an item's sentiment; organisations retrain, activate, roll back, re-score."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404
from django.test import Client
from django.utils import timezone

from qingting.web.accounts.services import api_token_create
from qingting.web.audit.models import AuditEntry
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import DailyCount, Item
from qingting.web.sentiment import jobs, selectors, services
from qingting.web.sentiment.models import Correction, ModelVersion, RescoreJob, VersionStatus

from ..conftest import PASSWORD
from .helpers import house_word_posts, office_admin

pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def east_item(monitored: dict[str, Any]) -> Item:
    return Item.objects.filter(source=monitored["east_source"]).exclude(sentiment_label="").order_by("pk").first()


def daily(label: str, source: Any) -> int:
    return DailyCount.objects.filter(source=source, sentiment_label=label).aggregate(n=Sum("n"))["n"] or 0


def other(label: str) -> str:
    return "positive" if label != "positive" else "negative"


def test_one_click_correction_on_the_event_page(monitored: dict[str, Any]) -> None:
    item = east_item(monitored)
    assert item is not None and item.event_id is not None
    before, new = item.sentiment_label, other(item.sentiment_label)
    counts = daily(before, item.source), daily(new, item.source)
    client = login("east_analyst")
    page = client.get(f"/events/{item.event_id}/").content.decode()
    assert f'action="/sentiment/items/{item.pk}/correct/"' in page
    r = client.post(
        f"/sentiment/items/{item.pk}/correct/",
        {"label": new, "shown": before, "next": f"/events/{item.event_id}/"},
    )
    assert r.status_code == 302 and r["Location"] == f"/events/{item.event_id}/"
    item.refresh_from_db()
    corr = Correction.objects.get(item=item)
    assert item.sentiment_label == new == corr.label and corr.engine_label == before
    assert corr.corrected_by == monitored["east_analyst"] and corr.organisation == monitored["office"]
    # the figures read the corrected value: the daily counts moved with it
    assert (daily(before, item.source), daily(new, item.source)) == (counts[0] - 1, counts[1] + 1)
    entry = AuditEntry.objects.get(action="sentiment.correct", object_id=str(item.pk))
    assert entry.old == {"label": before} and entry.new["label"] == new
    page = client.get(f"/events/{item.event_id}/").content.decode()
    assert 'class="corrected"' in page
    s = selectors.item_sentiment(item)
    assert s.corrected and s.label == new and s.by == "east_analyst"


def test_correction_scope_roles_and_stale_forms(monitored: dict[str, Any]) -> None:
    item = east_item(monitored)
    with pytest.raises(Http404):  # west cannot see east's items
        services.correct(monitored["west_analyst"], item.pk, "negative")
    assert login("west_analyst").post(f"/sentiment/items/{item.pk}/correct/", {"label": "negative"}).status_code == 404
    with pytest.raises(PermissionDenied):  # a leader sees it but is not an analyst
        services.correct(monitored["office_leader"], item.pk, "negative")
    with pytest.raises(ValueError):
        services.correct(monitored["east_analyst"], item.pk, "angry")
    shown = item.sentiment_label
    services.correct(monitored["east_analyst"], item.pk, other(shown), shown=shown)
    # a second form, rendered before the first correction, is stale now
    client = login("east_analyst")
    r = client.post(f"/sentiment/items/{item.pk}/correct/", {"label": "neutral", "shown": shown}, follow=True)
    assert "nothing was saved" in r.content.decode() or "未保存" in r.content.decode()
    item.refresh_from_db()
    assert item.sentiment_label == other(shown)


def test_api_correction_and_its_errors(monitored: dict[str, Any]) -> None:
    item = east_item(monitored)
    _, east = api_token_create(actor=None, user=monitored["east_analyst"], name="t")
    _, west = api_token_create(actor=None, user=monitored["west_analyst"], name="t")

    def post(token: str, body: dict[str, Any]) -> Any:
        return Client().post(
            f"/api/sentiment/items/{item.pk}/correction",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    assert post(west, {"label": "negative"}).status_code == 404
    assert post(east, {"label": "angry"}).status_code == 422
    r = post(east, {"label": "neutral", "expected": item.sentiment_label})
    assert r.status_code == 200 and r.json()["label"] == "neutral"
    r = post(east, {"label": "positive", "expected": "negative"})
    assert r.status_code == 409 and "error" in r.json()
    got = Client().get(f"/api/items/{item.pk}", HTTP_AUTHORIZATION=f"Bearer {east}").json()
    assert got["sentiment_label"] == "neutral"


def test_the_engine_never_overwrites_a_correction(monitored: dict[str, Any]) -> None:
    item = east_item(monitored)
    services.correct(monitored["east_analyst"], item.pk, "neutral")
    monitoring.ingest_items(
        scheme=monitored["east_scheme"],
        source=monitored["east_source"],
        records=[{"id": r["id"] + "x", "text": r["text"], "time": r["time"] + 9999} for r in _stream(8)],
    )
    item.refresh_from_db()
    assert item.sentiment_label == "neutral"


def test_an_item_the_engine_has_not_analysed_cannot_be_corrected_yet(monitored: dict[str, Any]) -> None:
    # Its label is about to be written by the engine: a correction now would be overwritten.
    item = east_item(monitored)
    Item.objects.filter(pk=item.pk).update(pending=True)
    with pytest.raises(services.ItemPending):
        services.correct(monitored["east_analyst"], item.pk, other(item.sentiment_label))
    client = login("east_analyst")
    response = client.post(f"/sentiment/items/{item.pk}/correct/", {"label": "neutral"}, follow=True)
    assert "仍在分析" in response.content.decode()
    _, token = api_token_create(actor=None, user=monitored["east_analyst"], name="t")
    response = Client().post(
        f"/api/sentiment/items/{item.pk}/correction",
        json.dumps({"label": "neutral"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 409 and "analysed" in str(response.json())
    assert not Correction.objects.filter(item_id=item.pk).exists()
    Item.objects.filter(pk=item.pk).update(pending=False)
    services.correct(monitored["east_analyst"], item.pk, other(item.sentiment_label))
    assert Correction.objects.filter(item_id=item.pk).exists()


def _stream(n: int) -> list[dict[str, Any]]:
    from ..conftest import stream

    return stream("again", n)


POS = ["服务很好，点赞", "处理及时，满意", "工作人员热情，感谢", "问题解决了，好评", "效率很高，谢谢"]
NEG = ["投诉没人管，失望", "态度太差了，生气", "拖了一个月，垃圾", "乱收费，坑人", "没人回复，无语"]


def _corrections(monitored: dict[str, Any], n: int) -> None:
    """``n`` items in east's source, each corrected by the east analyst (alternating polarity)."""
    records = [
        {"id": f"c{i}", "text": f"{(POS if i % 2 else NEG)[i % 5]}（{i}号）", "time": 1_767_300_000 + 60 * i}
        for i in range(n)
    ]
    monitoring.ingest_items(scheme=monitored["east_scheme"], source=monitored["east_source"], records=records)
    for i, item in enumerate(Item.objects.filter(external_id__in=[r["id"] for r in records]).order_by("pk")):
        label = "positive" if int(item.external_id[1:]) % 2 else "negative"
        if item.sentiment_label != label or i % 3 == 0:
            services.correct(monitored["east_analyst"], item.pk, label)
        else:
            Correction.objects.create(
                item=item,
                organisation=monitored["office"],
                label=label,
                engine_label=label,
                corrected_by=monitored["east_analyst"],
                corrected_at=timezone.now(),
            )


def test_retrain_activate_rollback_and_rescore(monitored: dict[str, Any]) -> None:
    admin = office_admin(monitored)
    org = monitored["office"]
    # too few corrections: a failed version that says why, and the default stays active
    _corrections(monitored, 6)
    res = services.retrain(org, user=admin)
    assert not res.activated and res.version.status == VersionStatus.FAILED and "at least" in res.message
    assert selectors.model_name(org) == "default"
    _corrections_more = 60
    records = [
        {"id": f"m{i}", "text": f"{(POS if i % 2 else NEG)[i % 5]}，第{i}次", "time": 1_767_400_000 + 60 * i}
        for i in range(_corrections_more)
    ]
    monitoring.ingest_items(scheme=monitored["east_scheme"], source=monitored["east_source"], records=records)
    for item in Item.objects.filter(external_id__startswith="m"):
        label = "positive" if int(item.external_id[1:]) % 2 else "negative"
        services.correct(monitored["east_analyst"], item.pk, label)
    res = services.retrain(org, user=admin)
    v = res.version
    assert v is not None and v.n_corrections == 66 and v.n_held_back > 0
    assert {"held_back_accuracy", "active_accuracy", "compared_with"} <= set(v.figures)
    if res.activated:
        assert selectors.model_name(org) == f"v{v.number}"
    else:
        assert v.status == VersionStatus.REJECTED and "below" in v.message
    assert bytes(v.data)[:2] == b"PK"  # an .npz (zip), never a pickle
    assert services.retrain(org).version is None  # nothing new: nothing trained
    assert AuditEntry.objects.filter(action="sentiment.retrain").count() == 2

    # activation and rollback through the settings page (admins only)
    client = login("office_admin")
    page = client.get("/sentiment/models/").content.decode()
    assert f"v{v.number}" in page
    assert login("east_analyst").post(f"/sentiment/models/{org.pk}/versions/{v.number}/activate/").status_code == 403
    r = client.post(f"/sentiment/models/{org.pk}/versions/{v.number}/activate/")
    assert r.status_code == 302 and selectors.model_name(org) == f"v{v.number}"
    # reports name the model that scored their figures
    from qingting.reports.figures import SentimentMix
    from qingting.web.reporting.figures import _sentiment_model

    day = timezone.localdate().isoformat()  # activated just now
    assert _sentiment_model(monitored["east"]) == f"本单位模型 v{v.number}（{day} 启用）"
    assert (
        f"（情感判定：本单位模型 v{v.number}（{day} 启用），含人工校正）"
        in SentimentMix(1, 2, 3, model=_sentiment_model(monitored["east"])).sentence()
    )
    r = client.post(f"/sentiment/models/{org.pk}/default/")
    assert r.status_code == 302 and selectors.model_name(org) == "default"
    assert _sentiment_model(monitored["east"]) == "系统默认模型"
    assert AuditEntry.objects.filter(action="sentiment.activate").count() == 2

    # background re-scoring: a job per activation (the latest one open), progress to done,
    # corrected items untouched
    job = RescoreJob.objects.filter(organisation=org).order_by("-pk").first()
    assert job.status == RescoreJob.Status.QUEUED and job.total == services.org_items(org).count()
    corrected = {c.item_id: c.label for c in Correction.objects.all()}
    for _ in range(50):
        jobs.rescore_step(timezone.now(), steps=1)
        job.refresh_from_db()
        if job.status == RescoreJob.Status.DONE:
            break
    assert job.status == RescoreJob.Status.DONE and job.done == job.total and job.percent == 100
    for pk, label in corrected.items():
        assert Item.objects.get(pk=pk).sentiment_label == label
    page = client.get("/sentiment/models/").content.decode()
    assert "100%" in page


def test_periodic_retrain_job_covers_each_organisation(monitored: dict[str, Any]) -> None:
    assert jobs.retrain_all(timezone.now()) == 0
    _corrections(monitored, 4)
    assert jobs.retrain_all(timezone.now()) == 1  # a (failed: too few) version, saying why
    assert ModelVersion.objects.get().status == VersionStatus.FAILED


def test_self_adaptation_to_the_organisations_stream(monitored: dict[str, Any]) -> None:
    admin = office_admin(monitored)
    org = monitored["office"]
    res = services.self_adapt(org, user=admin)
    assert res.version.status == VersionStatus.FAILED and "at least 500" in res.message
    now = timezone.now()
    Item.objects.bulk_create(
        Item(
            source=monitored["east_source"],
            external_id=f"s{i}",
            text=f"{(POS if i % 2 else NEG)[i % 5]}，{['东门', '西门', '南站', '北岸'][i % 4]}第{i}次反映",
            lang="zh",
            published_at=now,
            sentiment_label="neutral",
            sentiment=0.5,
        )
        for i in range(520)
    )
    res = services.self_adapt(org, user=admin)
    v = res.version
    assert v.status == VersionStatus.CANDIDATE and v.data is not None and v.figures["n_stream"] >= 500
    assert selectors.model_name(org) == "default"  # a candidate is not used until activated
    client = login("office_admin")
    assert client.post(f"/sentiment/models/{org.pk}/versions/{v.number}/activate/").status_code == 302
    assert selectors.model_name(org) == f"v{v.number}"


def test_new_items_are_scored_by_the_organisations_active_model(monitored: dict[str, Any]) -> None:
    """A house word the default does not know, learned from corrections, reaches new items."""
    admin = office_admin(monitored)
    org = monitored["office"]
    records = house_word_posts()
    monitoring.ingest_items(scheme=monitored["east_scheme"], source=monitored["east_source"], records=records)
    for item in Item.objects.filter(external_id__startswith="h"):
        label = "negative" if int(item.external_id[1:]) % 2 else "positive"
        services.correct(monitored["east_analyst"], item.pk, label)
    v = services.retrain(org, user=admin).version
    services.activate(admin, v)
    monitoring.ingest_items(
        scheme=monitored["east_scheme"],
        source=monitored["east_source"],
        records=[{"id": "new-1", "text": "河边又蓝牌了", "time": 1_767_600_000}],
    )
    assert Item.objects.get(external_id="new-1").sentiment_label == "negative"


def test_warnings_and_reports_read_the_corrected_negative_share(monitored: dict[str, Any]) -> None:
    from qingting.web.monitoring.models import Event
    from qingting.web.reporting.figures import period_figures
    from qingting.web.warnings.services import event_summary

    item = east_item(monitored)
    event = Event.objects.get(pk=item.event_id)
    members = list(Item.objects.filter(event=event, sentiment_label="negative"))
    n = Item.objects.filter(event=event).count()
    assert members and n
    before = event.negative_share
    for m in members:
        services.correct(monitored["east_analyst"], m.pk, "neutral")
    event.refresh_from_db()
    after = event.negative_share  # the event's own figure moved (decision 0131)
    assert after == pytest.approx(max(0.0, before - len(members) / n)) and after < before
    assert event_summary(event).negative_share == after
    day = timezone.localtime(event.first_seen).date()
    report = period_figures(monitored["office"], day.strftime("%Y-%m"))
    assert [e.negative_share for e in report.top_events if e.title == event.title] == [after]


def test_rescoring_moves_daily_counts_in_groups_and_counts_progress_per_slice(monitored: dict[str, Any]) -> None:
    """Items sharing a (source, day, region) move between labels in one statement per label; the
    daily counts still equal the items'; progress adds up slice by slice to the total."""
    source = monitored["east_source"]
    records = [{"id": f"g{i}", "text": f"{POS[i % 5]}，第{i}次", "time": 1_767_400_000 + 60 * i} for i in range(12)]
    monitoring.ingest_items(scheme=monitored["east_scheme"], source=source, records=records)
    items = list(Item.objects.filter(external_id__startswith="g").exclude(sentiment_label="").order_by("pk"))
    assert len(items) >= 6
    before = {label: daily(label, source) for label in ("positive", "neutral", "negative")}
    moves = [(item, item.sentiment_label, other(item.sentiment_label)) for item in items[:6]]
    services._move_daily_many(moves)
    expected = dict(before)
    for _item, old, new in moves:
        expected[old] -= 1
        expected[new] += 1
    assert {label: daily(label, source) for label in expected} == expected
    assert not DailyCount.objects.filter(n__lte=0).exists()

    org = monitored["office"]
    job = RescoreJob.objects.create(organisation=org, total=services.org_items(org).count())
    slices = 0
    while job.status != RescoreJob.Status.DONE:
        job = services.rescore_step(job, batch=5)
        slices += 1
        assert job.done <= job.total and slices < 100
    assert slices > 2 and job.done == job.total


def test_a_recount_after_a_merge_or_split_counts_a_correction_once(monitored: dict[str, Any]) -> None:
    """Merges and splits recount an event from its items; the corrected share must not move."""
    from qingting.web.monitoring.services.events import _recount

    item = east_item(monitored)
    event = item.event
    assert event is not None
    services.correct(monitored["east_analyst"], item.pk, other(item.sentiment_label))
    event.refresh_from_db()
    corrected = event.negative_share
    _recount(event)
    monitoring.event_places_refresh([event.pk])
    event.refresh_from_db()
    assert event.negative_share == pytest.approx(corrected)


def test_retraining_adapts_to_the_stream_before_learning_the_corrections(monitored: dict[str, Any]) -> None:
    """With ≥ 500 Chinese items in the organisation's stream, retraining self-trains the default on
    them first and learns the corrections on top (decision 0127); the version's file keeps both."""
    admin = office_admin(monitored)
    org = monitored["office"]
    now = timezone.now()
    Item.objects.bulk_create(
        Item(
            source=monitored["east_source"],
            external_id=f"s{i}",
            text=f"{(POS if i % 2 else NEG)[i % 5]}，{['东门', '西门', '南站', '北岸'][i % 4]}第{i}次反映",
            lang="zh",
            published_at=now,
            sentiment_label="neutral",
            sentiment=0.5,
        )
        for i in range(520)
    )
    _corrections(monitored, 40)
    v = services.retrain(org, user=admin).version
    assert v is not None and v.data is not None and v.figures["n_stream"] >= 500
    model = selectors.model_from_bytes(v.data)
    assert model.adapted is not None and model.learned is not None
    assert model.info["method"] == "default+labels" and model.weights.adapted != 0.0
