"""Demo sentiment corrections for ``qingting demo``: the analyst corrects official notices and
refutations to 中性 where the engine read them otherwise, a sarcastic 辟谣 reply to 负面, and
confirms a set of clear posts; the administrator then retrains, so the model page has a version
with its held-back figures. Everything goes through the services (audited). Idempotent.
"""

from __future__ import annotations

from typing import Any

from qingting.web.accounts.models import User
from qingting.web.monitoring.models import Item
from qingting.web.sentiment import services
from qingting.web.sentiment.models import Correction, ModelVersion

OFFICIAL = ("辟谣", "通报", "情况说明", "温馨提示", "公告", "通知")
SARCASM = ("辟谣是辟谣了", "呵呵", "又来了")
TARGET = 40


def seed(setup: Any) -> str:
    org = services.organisation_of(setup.office)
    if Correction.objects.filter(organisation=org).exists():
        return "sentiment: corrections already there"
    analyst = User.objects.filter(username="demo_analyst").first()
    admin = User.objects.filter(username="demo_admin").first()
    if analyst is None or admin is None:
        return "sentiment: no demo analyst/admin"
    items = list(
        services.org_items(org).filter(lang__startswith="zh").exclude(sentiment_label="").order_by("pk")[:3000]
    )
    plan: dict[int, str] = {}
    for item in items:
        text = f"{item.title} {item.text}"
        if any(w in text for w in SARCASM) and item.sentiment_label != "negative":
            plan[item.pk] = "negative"
        elif any(w in text for w in OFFICIAL) and "但" not in text and item.sentiment_label != "neutral":
            plan[item.pk] = "neutral"
        if len(plan) >= TARGET // 2:
            break
    confirmed = {"negative": 0, "positive": 0}
    for item in items:
        if len(plan) >= TARGET:
            break
        label = item.sentiment_label
        if item.pk not in plan and label in confirmed and confirmed[label] < TARGET // 4:
            plan[item.pk] = label  # the analyst confirms the engine: still a labelled example
            confirmed[label] += 1
    for pk, label in plan.items():
        services.correct(analyst, pk, label)
    result = services.retrain(org, user=admin, force=True)
    versions = ModelVersion.objects.filter(organisation=org).count()
    changed = sum(1 for pk, label in plan.items() if Item.objects.filter(pk=pk, sentiment_label=label).exists())
    return (
        f"sentiment: {len(plan)} corrections ({changed} shown as corrected), {versions} model version(s); "
        f"{'activated' if result.activated else result.message or 'not activated'}"
    )
