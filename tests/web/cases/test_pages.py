"""Case pages: queues, scoping (another unit's case is 404), contact only for handlers, escaping,
the transition buttons, the conflict message, replies, attachments, manual entry and figures."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingting.web.cases import services
from qingting.web.cases.models import Case, CaseAction, CaseAttachment, CaseReply

from ..conftest import HOSTILE, PASSWORD


@pytest.fixture(autouse=True)
def _fresh_figures() -> None:
    """The figures page reuses counts for two minutes; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _case(people: dict[str, Any], unit: str = "east", **kw: Any) -> Case:
    args: dict[str, Any] = {
        "actor": people["dispatcher"],
        "unit": people[unit],
        "channel": "hotline",
        "category": "complaint",
        "summary": f"{people[unit].name}夜间施工噪音扰民",
        "description": "晚上十一点后仍在打桩。",
        "contact": {"name": "王女士", "phone": "0000-1234-567", "email": "wang@example.org"},
    }
    args.update(kw)
    return services.case_create(**args)


def _assigned(people: dict[str, Any], unit: str = "east", **kw: Any) -> Case:
    case = _case(people, unit, **kw)
    d = people["dispatcher"]
    services.case_act(actor=d, case_id=case.pk, action="register")
    return services.case_act(actor=d, case_id=case.pk, action="assign", assignee_id=people[f"{unit}_handler"].pk)


def _text(response: Any) -> str:
    return str(response.content.decode())


def _buttons(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


def test_queues_show_what_the_user_may_see(people: dict[str, Any]) -> None:
    east_case = _assigned(people, "east")
    west_case = _assigned(people, "west")
    handler = _client(people["east_handler"])
    mine = _text(handler.get(reverse("cases:queue")))
    assert east_case.number in mine and west_case.number not in mine
    assert east_case.number in _text(handler.get(reverse("cases:unit")))
    assert west_case.number not in _text(handler.get(reverse("cases:unit")))
    # The second handler of east has nothing assigned to them, but may see the unit's queue.
    other = _client(people["east_handler2"])
    assert east_case.number not in _text(other.get(reverse("cases:queue")))
    assert east_case.number in _text(other.get(reverse("cases:unit")))
    # The office's dispatcher sees both townships.
    dispatcher = _client(people["dispatcher"])
    unit = _text(dispatcher.get(reverse("cases:unit")))
    assert east_case.number in unit and west_case.number in unit
    # "All cases" is for administrators only.
    assert handler.get(reverse("cases:all")).status_code == 403
    assert _client(people["east_admin"]).get(reverse("cases:all")).status_code == 200
    # The nav links to my queue.
    assert f'href="{reverse("cases:queue")}"' in mine


def test_unclaimed_cases_of_my_unit_are_in_my_queue(people: dict[str, Any]) -> None:
    case = _case(people)
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="register")
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="assign")  # to the unit, nobody yet
    assert case.number in _text(_client(people["east_handler2"]).get(reverse("cases:queue")))
    assert case.number not in _text(_client(people["west_handler"]).get(reverse("cases:queue")))


def test_another_units_case_is_not_found(people: dict[str, Any]) -> None:
    west_case = _assigned(people, "west")
    CaseAttachment.objects.create(
        case=west_case, name="a.txt", content_type="text/plain", size=1, sha256="", data=b"x",
        created_at=west_case.received_at,
    )  # fmt: skip
    attachment = CaseAttachment.objects.get(case=west_case)
    east = _client(people["east_handler"])
    v = {"version": west_case.version}
    assert east.get(reverse("cases:detail", args=[west_case.pk])).status_code == 404
    assert east.post(reverse("cases:act", args=[west_case.pk, "claim"]), v).status_code == 404
    assert east.post(reverse("cases:reply", args=[west_case.pk]), {"kind": "note", "text": "x"}).status_code == 404
    assert east.get(reverse("cases:attachment", args=[west_case.pk, attachment.pk])).status_code == 404
    # An attachment id of another case through a visible case is not found either.
    east_case = _assigned(people, "east")
    assert east.get(reverse("cases:attachment", args=[east_case.pk, attachment.pk])).status_code == 404
    assert Case.objects.get(pk=west_case.pk).status == "assigned"
    assert not CaseReply.objects.filter(case=west_case).exists()
    # Searching by number does not reveal it either.
    html = _text(east.get(reverse("cases:unit"), {"q": west_case.number}))
    assert west_case.summary not in html


def test_contact_only_for_those_handling_the_case(people: dict[str, Any]) -> None:
    case = _assigned(people)
    url = reverse("cases:detail", args=[case.pk])
    handler_page = _text(_client(people["east_handler"]).get(url))
    assert "0000-1234-567" in handler_page and "wang@example.org" in handler_page
    # The analyst of the same unit reads the case but not the citizen's details.
    analyst_page = _text(_client(people["east_analyst"]).get(url))
    assert case.summary in analyst_page
    assert "0000-1234-567" not in analyst_page and "王女士" not in analyst_page and "wang@" not in analyst_page


def test_internal_notes_are_not_shown_to_readers(people: dict[str, Any]) -> None:
    case = _assigned(people)
    services.case_reply(actor=people["east_handler"], case_id=case.pk, body="内部：施工方电话待核实", public=False)
    services.case_reply(actor=people["east_handler"], case_id=case.pk, body="已联系施工单位。", public=True)
    url = reverse("cases:detail", args=[case.pk])
    assert "内部：施工方电话待核实" in _text(_client(people["east_handler"]).get(url))
    reader = _text(_client(people["east_analyst"]).get(url))
    assert "已联系施工单位。" in reader and "内部：施工方电话待核实" not in reader


def test_hostile_case_text_is_escaped_everywhere(people: dict[str, Any]) -> None:
    case = _assigned(
        people,
        summary="施工" + HOSTILE,
        description=HOSTILE,
        region=HOSTILE[:90],
        contact={"name": HOSTILE, "phone": "1", "address": HOSTILE},
    )
    handler = people["east_handler"]
    services.case_act(actor=handler, case_id=case.pk, action="claim")
    services.case_reply(actor=handler, case_id=case.pk, body=HOSTILE, public=True)
    services.case_reply(actor=handler, case_id=case.pk, body=HOSTILE, public=False)
    services.case_act(actor=handler, case_id=case.pk, action="pend", reason=HOSTILE)
    services.attachment_add(actor=handler, case_id=case.pk, name="<img src=x onerror=alert(1)>.txt", data=b"hello")
    client = _client(handler)
    pages = [
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:queue"),
        reverse("cases:unit"),
        reverse("cases:unit") + "?q=施工",
        reverse("cases:metrics"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = _text(response)
        assert "<script>alert" not in html and "<img src=x" not in html, url
    detail = _text(client.get(pages[0]))
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in detail


def test_buttons_follow_the_transition_table_and_roles(people: dict[str, Any]) -> None:
    case = _case(people)
    url = reverse("cases:detail", args=[case.pk])
    assert _buttons(_text(_client(people["dispatcher"]).get(url))) == {
        "register", "decline", "merge", "extend", "add_task",
    }  # fmt: skip
    assert _buttons(_text(_client(people["east_handler"]).get(url))) == set()
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="register")
    services.case_act(
        actor=people["dispatcher"], case_id=case.pk, action="assign", assignee_id=people["east_handler"].pk
    )
    assert _buttons(_text(_client(people["east_handler"]).get(url))) == {"claim", "transfer"}
    assert _buttons(_text(_client(people["leader"]).get(url))) == {"sign_off", "extend"}
    assert _buttons(_text(_client(people["east_analyst"]).get(url))) == {"merge"}
    # Every form posts with the CSRF token and the version it was drawn from.
    html = _text(_client(people["east_handler"]).get(url))
    form = re.search(r'<form method="post" action="[^"]*/actions/claim/".*?</form>', html, re.S)
    assert form is not None
    assert "csrfmiddlewaretoken" in form.group(0) and 'name="version" value="2"' in form.group(0)


def test_handler_flow_through_the_pages(people: dict[str, Any]) -> None:
    case = _assigned(people)
    handler = _client(people["east_handler"])
    url = reverse("cases:detail", args=[case.pk])

    def act(client: Client, action: str, **data: Any) -> Any:
        version = Case.objects.get(pk=case.pk).version
        return client.post(reverse("cases:act", args=[case.pk, action]), {"version": version, **data})

    assert act(handler, "claim").status_code == 302
    # One public reply path: the answer carries it (the reply form takes notes while answering).
    assert act(handler, "answer", reply="已责令停止夜间施工。").status_code == 302
    assert act(_client(people["dispatcher"]), "close", reason="回访满意").status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.on_time is True and case.public_reply == "已责令停止夜间施工。"
    page = _text(handler.get(url))
    timeline = page[page.index('id="timeline"') :]
    for label in ("认领", "答复", "办结"):
        assert label in timeline, label
    assert "回访满意" in timeline
    assert [a.action for a in CaseAction.objects.filter(case=case)] == [
        "create", "register", "assign", "claim", "answer", "close",
    ]  # fmt: skip


def test_a_stale_form_gets_the_conflict_message(people: dict[str, Any]) -> None:
    case = _assigned(people)
    stale = case.version
    services.case_act(actor=people["east_handler"], case_id=case.pk, action="claim")  # someone else, meanwhile
    response = _client(people["dispatcher"]).post(
        reverse("cases:act", args=[case.pk, "transfer"]),
        {"version": stale, "target": people["west"].pk, "reason": "不是本街道的事"},
    )
    assert response.status_code == 409
    html = _text(response)
    assert "有人刚刚修改了这个案件" in html and "重新加载" in html
    case.refresh_from_db()
    assert case.status == "in_progress" and case.unit_id == people["east"].pk


def test_refused_actions_explain_themselves(people: dict[str, Any]) -> None:
    case = _assigned(people)
    handler = _client(people["east_handler"])
    services.case_act(actor=people["east_handler"], case_id=case.pk, action="claim")
    case.refresh_from_db()
    # Pending needs a reason: a clear message, no state change.
    response = handler.post(reverse("cases:act", args=[case.pk, "pend"]), {"version": case.version, "reason": " "})
    assert response.status_code == 400 and "reason" in _text(response)
    # A handler may not close.
    response = handler.post(reverse("cases:act", args=[case.pk, "close"]), {"version": case.version})
    assert response.status_code in (400, 403)
    # GET is not a way to act.
    assert handler.get(reverse("cases:act", args=[case.pk, "answer"])).status_code == 405
    assert Case.objects.get(pk=case.pk).status == "in_progress"
    # Without the CSRF token the POST is refused.
    strict = Client(enforce_csrf_checks=True)
    strict.login(username="east_handler", password=PASSWORD)
    assert (
        strict.post(reverse("cases:act", args=[case.pk, "pend"]), {"version": case.version, "reason": "x"}).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "不接受"),
        ("fake.pdf", b"MZ\x90\x00 this is an exe", "看起来不是"),
        ("empty.txt", b"", "空文件"),
    ],
)
def test_attachment_type_checks(people: dict[str, Any], name: str, data: bytes, message: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = _assigned(people)
    response = _client(people["east_handler"]).post(
        reverse("cases:upload", args=[case.pk]),
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )
    assert response.status_code == 400
    assert message in _text(response)
    assert not CaseAttachment.objects.filter(case=case).exists()


def test_attachment_size_limit_and_download(people: dict[str, Any], settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.QINGTING_CASE_ATTACHMENT_MAX_BYTES = 1000
    case = _assigned(people)
    client = _client(people["east_handler"])
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * 2000)
    response = client.post(reverse("cases:upload", args=[case.pk]), {"file": big})
    assert response.status_code == 413 and "1000" in _text(response)  # refused while streaming
    ok = SimpleUploadedFile("回执.pdf", b"%PDF-1.4\n%%EOF\n", content_type="text/html")
    assert client.post(reverse("cases:upload", args=[case.pk]), {"file": ok}).status_code == 302
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.content_type == "application/pdf"  # ours, not what the browser claimed
    download = client.get(reverse("cases:attachment", args=[case.pk, attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"%PDF-1.4\n%%EOF\n"  # type: ignore[attr-defined,unused-ignore]
    # A reader of the unit may download; a reader may not upload.
    reader = _client(people["east_analyst"])
    assert reader.get(reverse("cases:attachment", args=[case.pk, attachment.pk])).status_code == 200
    more = SimpleUploadedFile("b.txt", b"hello")
    assert reader.post(reverse("cases:upload", args=[case.pk]), {"file": more}).status_code == 403


def test_manual_entry_shows_field_errors_and_creates(people: dict[str, Any]) -> None:
    client = _client(people["east_handler"])
    url = reverse("cases:new")
    page = _text(client.get(url))
    assert people["east"].name in page and people["west"].name not in page  # only units they may use
    bad = {"unit": people["east"].pk, "channel": "hotline", "category": "complaint", "priority": "normal",
           "summary": "   ", "contact_email": "not-an-address", "contact_phone": "call me"}  # fmt: skip
    response = client.post(url, bad)
    assert response.status_code == 400
    html = _text(response)
    assert html.count('class="fielderror"') >= 3
    # Another unit's id is refused as a choice, not obeyed.
    response = client.post(
        url, {**bad, "unit": people["west"].pk, "summary": "x", "contact_email": "", "contact_phone": ""}
    )
    assert response.status_code == 400 and not Case.objects.exists()
    good = {**bad, "summary": "东街道路灯不亮", "contact_email": "li@example.org", "contact_phone": "0000-1"}
    response = client.post(url, good)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.summary == "东街道路灯不亮" and case.origin_kind == "manual" and case.unit == people["east"]
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    # A user with no role that registers cases gets no form.
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role

    lead_only = accounts.user_create(actor=None, username="lead_only", password=PASSWORD)
    accounts.membership_grant(actor=None, user=lead_only, unit=people["east"], role=Role.LEADER)
    assert _client(lead_only).get(url).status_code == 403


def test_filters_and_htmx_fragment(people: dict[str, Any]) -> None:
    a = _assigned(people, summary="东街道路灯不亮")
    b = _assigned(people, summary="东街道噪音")
    client = _client(people["east_handler"])
    html = _text(client.get(reverse("cases:unit"), {"q": "路灯"}))
    assert a.number in html and b.number not in html
    # The number may be typed with [] for 〔〕.
    typed = a.number.replace("〔", "[").replace("〕", "]")
    html = _text(client.get(reverse("cases:unit"), {"q": typed}))
    assert a.number in html and b.number not in html
    fragment = client.get(reverse("cases:unit"), {"status": "assigned"}, HTTP_HX_REQUEST="true")
    body = _text(fragment)
    assert "<html" not in body and a.number in body and b.number in body
    assert a.number not in _text(client.get(reverse("cases:unit"), {"status": "closed"}))


def test_overdue_queue_and_deadlines(people: dict[str, Any]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    old = _assigned(people, summary="很久以前的来电", received_at=timezone.now() - timedelta(days=40))
    fresh = _assigned(people, summary="刚收到的来电")
    client = _client(people["east_handler"])
    html = _text(client.get(reverse("cases:overdue")))
    assert old.number in html and fresh.number not in html
    detail = _text(client.get(reverse("cases:detail", args=[old.pk])))
    assert "超期" in detail
    detail = _text(client.get(reverse("cases:detail", args=[fresh.pk])))
    assert "个工作日" in detail  # working time left


def test_calendar_notice_for_a_year_without_schedule(people: dict[str, Any]) -> None:
    from django.utils import timezone

    from qingting.web.cases.models import CalendarYear

    year = timezone.localdate().year
    case = _assigned(people)
    url = reverse("cases:detail", args=[case.pk])
    assert "尚无官方放假安排" not in _text(_client(people["east_handler"]).get(url))
    # The admin has not entered this year's schedule (as for 2027 today): weekends only, and said so.
    CalendarYear.objects.filter(year__gte=year).delete()
    case = _assigned(people, summary="无官方日历的年份")
    html = _text(_client(people["east_handler"]).get(reverse("cases:detail", args=[case.pk])))
    assert f"{year} 年尚无官方放假安排" in html


def test_metrics_page_shows_figures_per_unit(people: dict[str, Any]) -> None:
    case = _assigned(people)
    h = people["east_handler"]
    services.case_act(actor=h, case_id=case.pk, action="claim")
    services.case_act(actor=h, case_id=case.pk, action="answer", reply="已处理。")
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="close")
    _case(people, "east", summary="未办结的")
    _case(people, "west", summary="西街道的")
    html = _text(_client(people["dispatcher"]).get(reverse("cases:metrics")))
    table = html[html.index('id="unit-figures"') :]
    assert "东街道" in table and "西街道" in table
    assert "50.0%" in table  # east: 1 of 2 received closed
    assert 'id="case-chart-data"' in html
    east_only = _text(_client(people["east_handler"]).get(reverse("cases:metrics")))
    assert "西街道" not in east_only[east_only.index('id="unit-figures"') :]
    # Counted once, reused: a new case shows after the cache time (the page says when it counted).
    _case(people, "west", summary="又一个西街道的")
    again = _text(_client(people["dispatcher"]).get(reverse("cases:metrics")))
    assert again[again.index('id="unit-figures"') :] == table and "统计时间" in again
    bad = _client(people["dispatcher"]).get(reverse("cases:metrics"), {"period": "custom", "date_from": "2026-02-01"})
    assert bad.status_code == 200 and "fielderror" in _text(bad)


def test_joint_handling_and_extension_through_the_pages(people: dict[str, Any]) -> None:
    case = _assigned(people)
    dispatcher, handler = _client(people["dispatcher"]), _client(people["east_handler"])
    west = _client(people["west_handler"])

    def act(client: Client, action: str, **data: Any) -> Any:
        version = Case.objects.get(pk=case.pk).version
        return client.post(reverse("cases:act", args=[case.pk, action]), {"version": version, **data})

    assert act(dispatcher, "add_task", target=people["west"].pk, reason="请西街道配合核查").status_code == 302
    # The west handler now sees the case (a joint task) and may complete their part only.
    page = _text(west.get(reverse("cases:detail", args=[case.pk])))
    assert "联合办理" in page and "complete_task" in _buttons(page)
    assert act(handler, "claim").status_code == 302
    services.case_reply(actor=people["east_handler"], case_id=case.pk, body="已处理。", public=True)
    refused = act(handler, "answer")
    assert refused.status_code == 400 and "以下联合办理单位尚未办结：西街道" in _text(refused)
    assert act(west, "complete_task", target=people["west"].pk, reason="已核查").status_code == 302
    assert act(handler, "answer").status_code == 302
    # An extension needs a reason and a number; then the close limit moves.
    before = Case.objects.get(pk=case.pk).close_due
    assert act(dispatcher, "extend", amount="abc", reason="需现场勘查").status_code == 400
    assert act(dispatcher, "extend", amount="3", reason="需现场勘查").status_code == 302
    after = Case.objects.get(pk=case.pk).close_due
    assert before is not None and after is not None and after > before


def test_pages_in_english(people: dict[str, Any]) -> None:
    case = _assigned(people)
    client = _client(people["east_handler"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    queue = _text(client.get(reverse("cases:queue")))
    assert "My queue" in queue and "我的待办" not in queue
    detail = _text(client.get(reverse("cases:detail", args=[case.pk])))
    assert "Deadlines" in detail and "working day" in detail and "Claim" in detail
