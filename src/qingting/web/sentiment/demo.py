"""Demo sentiment corrections for ``qingting demo``: the analyst corrects official notices and
refutations to 中性, a sarcastic 辟谣 reply to 负面, and posts with a clear tone (装修好了, 太烦人)
where the engine read them otherwise, and confirms a few it read right; the administrator then
retrains, so the model page has a version with its held-back figures. Everything goes through
the services (audited). Idempotent.
"""

from __future__ import annotations

from typing import Any

from qingting.web.accounts.models import User
from qingting.web.monitoring.models import Item
from qingting.web.sentiment import services
from qingting.web.sentiment.models import Correction, ModelVersion

OFFICIAL = ("辟谣", "通报", "情况说明", "温馨提示", "公告")
SARCASM = ("辟谣是辟谣了", "呵呵", "又来了")
# What an analyst reading the demo posts would say (the demo stream carries no gold labels).
POSITIVE = ("好多了", "装修好了", "方便多了", "点个赞", "有活力", "排队的人好多", "凉快", "感谢")
NEGATIVE = ("太烦人", "危险", "没有任何通知", "一直占线", "涨了", "没人管", "没用", "太吵")
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
    confirmed = {"negative": 0, "positive": 0, "neutral": 0}
    for item in items:
        if len(plan) >= TARGET:
            break
        text = f"{item.title} {item.text}"
        if any(w in text for w in SARCASM):
            label = "negative"
        elif any(w in text for w in OFFICIAL) and "但" not in text:
            label = "neutral"
        elif any(w in text for w in NEGATIVE):
            label = "negative"
        elif any(w in text for w in POSITIVE):
            label = "positive"
        else:
            continue
        if label != item.sentiment_label:
            plan[item.pk] = label  # a correction
        elif confirmed[label] < TARGET // 6:
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
