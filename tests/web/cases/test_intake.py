"""Mailbox → case: one case per citizen message, from the ingest signal or the catch-up job, never two."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from qingting.web.cases import intake
from qingting.web.cases.models import Case, CaseAction, CaseContact
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Item, SourceKind

LETTER = {
    "id": "mail-1",
    "title": "关于东街道夜间施工问题的投诉",
    "text": "尊敬的领导：东街道工地夜间施工至凌晨，影响居民休息，请尽快处理。",
    "time": "2026-11-20T09:30:00+08:00",
    "region": "东街道",
}


@pytest.fixture
def mailbox(people: dict[str, Any], engine: str) -> dict[str, Any]:
    """A public mailbox source of the east township, a forum source, and a scheme over both."""
    east = people["east"]
    box = monitoring.source_create(actor=None, unit=east, name="东街道书记信箱", kind=SourceKind.MAILBOX)
    forum = monitoring.source_create(actor=None, unit=east, name="东街道论坛", kind=SourceKind.FORUM)
    scheme = monitoring.scheme_create(actor=None, unit=east, name="东街道", sources=[box, forum])
    return {**people, "box": box, "forum": forum, "scheme": scheme}


def _ingest(m: dict[str, Any], source: str, records: list[dict[str, Any]], capture: Any, run: bool = True) -> Any:
    with capture(execute=run):
        return monitoring.ingest_items(scheme=m["scheme"], source=m[source], records=records)


def test_a_mailbox_message_becomes_one_case(mailbox: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    _ingest(mailbox, "box", [LETTER], django_capture_on_commit_callbacks)
    _ingest(mailbox, "forum", [{"id": "post-1", "text": "论坛里的帖子不是来信", "time": LETTER["time"]}],
            django_capture_on_commit_callbacks)  # fmt: skip
    case = Case.objects.get()
    item = Item.objects.get(source=mailbox["box"])
    assert case.item_id == item.pk and case.origin_kind == "mailbox" and case.origin_id == item.pk
    assert case.channel == "mailbox" and case.unit == mailbox["east"]
    assert case.summary == "关于东街道夜间施工问题的投诉" and case.category == "complaint"
    assert case.description.startswith("尊敬的领导") and case.region == "东街道"
    assert case.received_at == item.published_at and case.status == "received"
    assert case.number.startswith("东街〔2026〕")
    created = CaseAction.objects.get(case=case)
    assert created.action == "create" and created.actor is None and created.actor_label == "system"
    assert not CaseContact.objects.filter(case=case).exists()  # the message carried no contact


def test_never_two_cases_for_one_message(mailbox: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    result = _ingest(mailbox, "box", [LETTER], django_capture_on_commit_callbacks)
    assert Case.objects.count() == 1
    # The signal again (a re-sent batch), the job, and a direct call all find the case.
    intake.on_batch_ingested(None, item_ids=list(result.item_ids))
    assert intake.catch_up(timezone.now()) == 0
    assert intake.case_for_item(result.item_ids[0]) is None
    # The same letter fetched again is skipped by ingestion and makes no case either.
    _ingest(mailbox, "box", [LETTER], django_capture_on_commit_callbacks)
    assert Case.objects.count() == 1


def test_catch_up_makes_what_the_receiver_missed(
    mailbox: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    letters = [{**LETTER, "id": f"mail-{i}", "title": t} for i, t in enumerate(["咨询学区划分", "求助：路灯不亮", ""])]
    letters[2]["text"] = "\n  第三封信没有标题，正文第一行就是摘要\n第二行"
    _ingest(mailbox, "box", letters, django_capture_on_commit_callbacks, run=False)  # as if the process died
    assert Case.objects.count() == 0
    assert intake.catch_up(timezone.now(), limit=2) == 2
    assert intake.catch_up(timezone.now()) == 1
    assert intake.catch_up(timezone.now()) == 0
    summaries = dict(Case.objects.values_list("summary", "category"))
    assert summaries == {
        "咨询学区划分": "enquiry",
        "求助：路灯不亮": "help",
        "第三封信没有标题，正文第一行就是摘要": "other",
    }


def test_push_sources_marked_for_cases(mailbox: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    push = monitoring.source_create(actor=None, unit=mailbox["west"], name="12345 推送", kind=SourceKind.HOTLINE)
    push.config = {"cases": True}
    push.save(update_fields=["config"])
    scheme = monitoring.scheme_create(actor=None, unit=mailbox["west"], name="西街道", sources=[push])
    with django_capture_on_commit_callbacks(execute=True):
        monitoring.ingest_items(scheme=scheme, source=push, records=[{**LETTER, "id": "p-1"}])
    case = Case.objects.get()
    assert case.channel == "push" and case.origin_kind == "push" and case.unit == mailbox["west"]


def test_the_job_is_registered_and_the_receiver_connected() -> None:
    from qingting.web import periodic
    from qingting.web.monitoring.signals import batch_ingested

    assert intake.JOB_NAME in {job.name for job in periodic.jobs()}
    assert any(
        getattr(r[1], "__name__", "") == "on_batch_ingested" or "intake" in str(r[0]) for r in batch_ingested.receivers
    )


def test_contact_details_from_the_message() -> None:
    def item(**contact: str) -> Any:
        return SimpleNamespace(contact=SimpleNamespace(**contact))

    assert intake.contact_for(item(name="王女士", address="wang@example.org", subject="关于停水")) == (
        {"name": "王女士", "email": "wang@example.org"},
        "关于停水",
    )
    assert intake.contact_for(item(name="", address="+86 138 0000 0000", subject=""))[0] == {
        "phone": "+86 138 0000 0000"
    }
    assert intake.contact_for(item(name="", address="", subject="")) == (None, "")

    class NoContact:
        @property
        def contact(self) -> Any:
            raise LookupError("RelatedObjectDoesNotExist")

    assert intake.contact_for(NoContact()) == (None, "")


def test_message_contact_reaches_the_case(mailbox: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    collect = pytest.importorskip("qingting.web.collect.models")
    message_contact = getattr(collect, "MessageContact", None)
    if message_contact is None:
        pytest.skip("collect.MessageContact (sources branch) is not merged here")
    result = _ingest(mailbox, "box", [LETTER], django_capture_on_commit_callbacks, run=False)
    item = Item.objects.get(pk=result.item_ids[0])
    message_contact.objects.create(item=item, name="王女士", address="wang@example.org", subject="夜间施工投诉")
    assert intake.catch_up(timezone.now()) == 1
    case = Case.objects.get()
    assert case.summary == "夜间施工投诉"
    contact = CaseContact.objects.get(case=case)
    assert contact.name == "王女士" and contact.email == "wang@example.org"


SETUP = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ["QT_SETTINGS"]
    import django
    django.setup()
    from django.core.management import call_command
    from qingting.web.cases import intake
    if sys.argv[1] == "setup":
        call_command("migrate", verbosity=0, interactive=False)
        from qingting.web.accounts import services as accounts
        from qingting.web.monitoring import services
        from qingting.web.monitoring.signals import batch_ingested
        unit = accounts.unit_create(actor=None, code="u", name="东街道", kind="township")
        box = services.source_create(actor=None, unit=unit, name="信箱", kind="mailbox")
        scheme = services.scheme_create(actor=None, unit=unit, name="方案", sources=[box])
        batch_ingested.disconnect(dispatch_uid=intake._DISPATCH_UID)  # the race starts from nothing
        result = services.ingest_items(scheme=scheme, source=box, records=[
            {"id": "race", "title": "关于夜间施工的投诉", "text": "夜间施工扰民", "time": 1_767_225_600}])
        print(result.item_ids[0])
    else:
        import time
        start = float(sys.argv[3])
        time.sleep(max(0.0, start - time.time()))
        case = intake.case_for_item(int(sys.argv[2]))
        print("made" if case is not None else "none")
    """
)


def test_concurrent_intake_makes_one_case(tmp_path: Path) -> None:
    """Four processes turn the same message into a case at the same moment: exactly one case.

    Embedded mode (SQLite file, IMMEDIATE transactions) always; PostgreSQL (row lock on the item)
    when the suite runs there, in a scratch database of the same server.
    """
    import os
    import subprocess
    import sys
    import time

    from django.conf import settings

    from ..conftest import real_engine_or_fail

    script = tmp_path / "race.py"
    script.write_text(SETUP, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    env.update(QINGTING_DATA_DIR=str(tmp_path / "data"), QT_TESTS_DIR=str(Path(__file__).parent.parent))
    env["QT_SETTINGS"] = "qingting.web.config.settings.embedded"
    real_engine_or_fail()
    db = settings.DATABASES["default"]
    scratch = None
    if "postgresql" in db["ENGINE"]:
        import psycopg

        scratch = f"qt_intake_race_{os.getpid()}"
        dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
        if db.get("PASSWORD"):
            dsn += f" password={db['PASSWORD']}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {scratch}")
            conn.execute(f"CREATE DATABASE {scratch}")
        auth = f"{db['USER']}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{db['USER']}@"
        env["QINGTING_DATABASE_URL"] = f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{scratch}"
        env["QT_SETTINGS"] = "qingting.web.config.settings.server"
    try:
        setup = subprocess.run(
            [sys.executable, str(script), "setup"], env=env, capture_output=True, text=True, timeout=300
        )
        assert setup.returncode == 0, setup.stderr[-2000:]
        item_id = setup.stdout.strip().splitlines()[-1]
        start = time.time() + 4.0
        racers = [
            subprocess.Popen(
                [sys.executable, str(script), "race", item_id, str(start)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [r.communicate(timeout=300) for r in racers]
        results = [out.strip().splitlines()[-1] if out.strip() else f"error: {err[-500:]}" for out, err in outputs]
        assert sorted(results) == ["made", "none", "none", "none"], results
    finally:
        if scratch is not None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
