"""Follow-ups on the cases platform: numbers survive transfers, the time given to the services, one
case per message, translated errors with names, joint-task units' notes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import translation

from qingting.web.cases import intake, selectors, services
from qingting.web.cases.models import Case, CaseAction, CaseReply
from qingting.web.monitoring.models import Item

from ..conftest import PASSWORD
from .conftest import at


def _new(people: dict[str, Any], unit: str = "east", **kw: Any) -> Case:
    return services.case_create(
        actor=None, unit=people[unit], channel="hotline", category="complaint", summary="路灯不亮", **kw
    )


def _registered(people: dict[str, Any], unit: str = "east") -> Case:
    case = _new(people, unit)
    return services.case_act(actor=people["dispatcher"], case_id=case.pk, action="register")


@pytest.mark.parametrize("how", ["transfer", "assign"])
def test_a_case_keeps_its_number_when_moved_to_a_unit_using_the_same_sequence(people: dict[str, Any], how: str) -> None:
    east = _registered(people, "east")  # 东街〔year〕0001号
    west = _new(people, "west")  # 西街〔year〕0001号: same (year, seq) in the target unit
    assert (east.year, east.seq) == (west.year, west.seq)
    extra: dict[str, Any] = {"reason": "属地为西街道"} if how == "transfer" else {}
    moved = services.case_act(
        actor=people["dispatcher"], case_id=east.pk, action=how, unit_id=people["west"].pk, **extra
    )
    moved.refresh_from_db()
    assert moved.unit == people["west"] and moved.number == east.number and moved.number_unit == people["east"]
    # The next number in west is still west's own sequence; east's counter is untouched by the move.
    assert _new(people, "west").seq == 2 and _new(people, "east").seq == 2
    assert moved in selectors.cases_for(people["west_handler"])


def test_the_services_take_the_time_they_are_given(people: dict[str, Any]) -> None:
    t0 = at(2026, 3, 2, 9, 0)
    case = _new(people, received_at=t0, now=t0)
    assert case.updated_at == t0 and CaseAction.objects.get(case=case).at == t0
    t1 = at(2026, 3, 3, 10, 0)
    case = services.case_act(actor=people["dispatcher"], case_id=case.pk, action="register", now=t1)
    assert case.updated_at == t1 and case.clock[-1][0].startswith("2026-03-03T10:00")
    note = services.case_reply(actor=people["east_handler"], case_id=case.pk, body="已联系", public=False, now=t1)
    assert note.created_at == t1
    att = services.attachment_add(actor=people["east_handler"], case_id=case.pk, name="a.txt", data=b"x", now=t1)
    assert att.created_at == t1


def test_one_case_per_message_even_outside_the_intake(
    people: dict[str, Any], engine: str, django_capture_on_commit_callbacks: Any
) -> None:
    from qingting.web.monitoring import services as monitoring
    from qingting.web.monitoring.models import SourceKind

    east = people["east"]
    box = monitoring.source_create(actor=None, unit=east, name="东街道书记信箱", kind=SourceKind.MAILBOX)
    scheme = monitoring.scheme_create(actor=None, unit=east, name="东街道", sources=[box])
    letter = {"id": "mail-1", "title": "关于停水的反映", "text": "小区停水三天", "time": "2026-11-20T09:30:00+08:00"}
    with django_capture_on_commit_callbacks(execute=False):  # no intake yet: the case is made by hand first
        result = monitoring.ingest_items(scheme=scheme, source=box, records=[letter])
    item = Item.objects.get(pk=result.item_ids[0])
    by_hand = _new(people, item=item)  # e.g. a dispatcher registering the letter from the warning page
    with translation.override("en"), pytest.raises(ValidationError) as err:
        _new(people, item=item)
    assert by_hand.number in str(err.value) and "already has a case" in str(err.value)
    # The intake meets the constraint (not a pre-check) and moves on cleanly, in its transaction.
    assert intake.case_for_item(item.pk) is None
    assert intake.catch_up(at(2026, 11, 21)) == 0
    assert Case.objects.filter(item=item).count() == 1 and Case.objects.count() == 1


def _joint(people: dict[str, Any]) -> Case:
    """A case of east with a joint task for west."""
    case = _registered(people, "east")
    return services.case_act(actor=people["dispatcher"], case_id=case.pk, action="add_task", unit_id=people["west"].pk)


def test_joint_task_handlers_write_notes_on_that_case_only(people: dict[str, Any]) -> None:
    joint = _joint(people)
    other = _registered(people, "east")  # no task for west
    west = people["west_handler"]
    note = services.case_reply(actor=west, case_id=joint.pk, body="西街道已派员现场核查", public=False)
    assert note.kind == "internal" and note.author == west
    assert CaseAction.objects.filter(case=joint, action="note", actor=west).exists()
    with pytest.raises(PermissionDenied):  # the answer to the citizen stays with the handling unit
        services.case_reply(actor=west, case_id=joint.pk, body="答复", public=True)
    with pytest.raises(Http404):  # a case without their task: not theirs to see or write on
        services.case_reply(actor=west, case_id=other.pk, body="备注", public=False)
    # The other way: the handling unit's handler reads the task unit's note and still writes.
    services.case_reply(actor=people["east_handler"], case_id=joint.pk, body="收到", public=False)
    assert list(CaseReply.objects.filter(case=joint).values_list("body", flat=True)) == ["西街道已派员现场核查", "收到"]
    # An analyst (of the handling unit and, through it, of a task unit below it) is no handler: no notes.
    services.case_act(actor=people["dispatcher"], case_id=joint.pk, action="add_task", unit_id=people["east_c"].pk)
    with pytest.raises(PermissionDenied):
        services.case_reply(actor=people["east_analyst"], case_id=joint.pk, body="x", public=False)


def test_joint_task_handlers_note_through_the_page(people: dict[str, Any]) -> None:
    joint = _joint(people)
    other = _registered(people, "east")
    c = Client()
    assert c.login(username="west_handler", password=PASSWORD)
    page = c.get(f"/cases/{joint.pk}/").content.decode()
    assert 'name="text"' in page and 'value="public"' not in page  # a note form, no public reply
    r = c.post(f"/cases/{joint.pk}/replies/", {"kind": "note", "text": "已核查"})
    assert r.status_code == 302 and CaseReply.objects.filter(case=joint, body="已核查").exists()
    assert "已核查" in c.get(f"/cases/{joint.pk}/").content.decode()
    assert c.post(f"/cases/{joint.pk}/replies/", {"kind": "public", "text": "答复"}).status_code in (400, 403)
    assert c.post(f"/cases/{other.pk}/replies/", {"kind": "note", "text": "x"}).status_code == 404
    assert not CaseReply.objects.filter(body__in=["答复", "x"]).exists()


@pytest.mark.parametrize("per_unit", [(3, 4), (4, 1), (2, 2)])
def test_medians_from_the_database_equal_the_median_of_every_duration(
    people: dict[str, Any], per_unit: tuple[int, int]
) -> None:
    import statistics
    from datetime import timedelta

    d = people["dispatcher"]
    hours = iter([5, 49, 49, 2, 300, 17, 71, 8, 8, 130])  # ties and an even/odd count per unit
    expected: dict[Any, list[float]] = {}
    for unit, n in zip(("east", "west"), per_unit, strict=True):
        for _ in range(n):
            t0 = at(2026, 10, 1, 9, 0)
            case = _new(people, unit, received_at=t0, now=t0)
            steps: list[tuple[str, dict[str, Any]]] = [
                ("register", {}),
                ("assign", {}),
                ("claim", {}),
                ("answer", {"reply": "已办"}),
                ("close", {}),
            ]
            for action, extra in steps:
                h = next(hours) if action == "close" else 1
                now = t0 + timedelta(hours=h)
                services.case_act(actor=d, case_id=case.pk, action=action, now=now, **extra)
            expected.setdefault(people[unit].pk, []).append(float(h))
    declined = _new(people, "west", received_at=at(2026, 10, 2), now=at(2026, 10, 2))  # counted, no duration
    services.case_act(actor=d, case_id=declined.pk, action="decline", reason="非本单位职责", now=at(2026, 10, 3))
    by_unit, total = selectors.figures_by_unit([people["office"].pk], at(2026, 10, 1), at(2026, 11, 1))
    for unit_id, values in expected.items():
        assert by_unit[unit_id].median_handling_hours == pytest.approx(statistics.median(values), abs=1e-6)
    every = [v for vs in expected.values() for v in vs]
    assert total.median_handling_hours == pytest.approx(statistics.median(every), abs=1e-6)
    assert total.closed == len(every) + 1 and by_unit[people["west"].pk].closed == per_unit[1] + 1
    # Exactly what the median over every row's database-computed duration gives (the former way).
    rows = Case.objects.filter(status="closed").annotate(h=selectors.HoursBetween("received_at", "closed_at"))
    assert total.median_handling_hours == statistics.median(float(h) for h in rows.values_list("h", flat=True))


def test_migration_gives_moved_cases_their_issuing_unit(people: dict[str, Any]) -> None:
    import importlib

    from django.apps import apps

    _new(people, "east"), _new(people, "east")
    moved = _registered(people, "east")  # east's 0003: no collision with west's 0001 below
    services.case_act(
        actor=people["dispatcher"], case_id=moved.pk, action="transfer", unit_id=people["west"].pk, reason="属地"
    )
    stayed = _new(people, "west")
    # The rows as they were before migration 0005 had a number_unit: fill from the handling unit…
    Case.objects.filter(pk=moved.pk).update(number_unit=people["west"])
    importlib.import_module("qingting.web.cases.migrations.0005_number_unit").fill(apps, None)
    # …then the create entry corrects the moved case; the others keep their unit.
    assert Case.objects.get(pk=moved.pk).number_unit == people["east"]
    assert Case.objects.get(pk=stayed.pk).number_unit == people["west"]
