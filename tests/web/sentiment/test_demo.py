"""The demo has analysts' corrections shown as corrected and a model version on the model page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_demo_sentiment_corrections_and_model_page(engine: str) -> None:
    from qingting.web import demo
    from qingting.web.accounts.models import User
    from qingting.web.sentiment.demo import seed
    from qingting.web.sentiment.models import Correction, ModelVersion

    setup = demo.demo_setup()
    demo.demo_ingest(setup, demo.demo_records(days=3, scale=0.2))
    line = seed(setup)
    assert line.startswith("sentiment:") and Correction.objects.count() >= 20, line
    assert ModelVersion.objects.count() == 1
    assert seed(setup) == "sentiment: corrections already there"
    client = Client()
    client.force_login(User.objects.get(username="demo_admin"))
    page = client.get("/sentiment/models/").content.decode()
    assert "v1" in page and "model-active" in page
    from qingting.web.sentiment.selectors import item_sentiment

    corr: Any = Correction.objects.select_related("item").first()
    shown = item_sentiment(corr.item)
    assert shown.corrected and shown.by == "demo_analyst" and shown.label == corr.item.sentiment_label
