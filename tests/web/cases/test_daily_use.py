"""The case page as a handler uses it every day (issue 15): words that read right in Chinese, the
timeline in time order, the working days left in the queues, the next step first with the others
folded away, and one path for the public reply."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qingting.web.cases import services
from qingting.web.cases.models import Case, CaseReply

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _assigned(people: dict[str, Any], **kw: Any) -> Case:
    d = people["dispatcher"]
    kw.setdefault("summary", "夜间施工噪音扰民")
    case = services.case_create(actor=d, unit=people["east"], channel="hotline", category="complaint", **kw)
    services.case_act(actor=d, case_id=case.pk, action="register")
    return services.case_act(actor=d, case_id=case.pk, action="assign", assignee_id=people["east_handler"].pk)


def _html(client: Client, case: Case) -> str:
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


def test_our_words_win_over_django_admins_catalog() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.gettext("Close") == "办结"  # the admin's catalog says 关闭
        assert translation.pgettext("bulletin", "Summary") == "基本情况"
        assert translation.pgettext("bulletin", "Text") == "正文"
        assert translation.pgettext("bulletin", "History") == "办理记录"
        assert translation.pgettext("warning", "History") == "处置记录"
        assert translation.gettext("Summary") == "诉求摘要"  # the case's, not the bulletin's


def test_close_button_reads_banjie(people: dict[str, Any]) -> None:
    case = _assigned(people)
    h = people["east_handler"]
    services.case_act(actor=h, case_id=case.pk, action="claim")
    services.case_act(actor=h, case_id=case.pk, action="answer", reply="已责令停工。")
    html = _html(_client(people["dispatcher"]), case)
    button = re.search(r'data-action="close".*?<button[^>]*>([^<]*)</button>', html, re.S)
    assert button is not None and button.group(1) == "办结"
    assert "关闭" not in html
    assert "已答复" in html  # the state word matches the action's: 答复 → 已答复, 办结 → 已办结


def test_timeline_is_in_time_order(people: dict[str, Any]) -> None:
    """An entry written later about an earlier moment sits where it happened."""
    now = timezone.now()
    case = _assigned(people)
    h = people["east_handler"]
    services.case_act(actor=h, case_id=case.pk, action="claim", now=now + timedelta(hours=2))
    services.case_reply(actor=h, case_id=case.pk, body="内部：先电话联系", public=False)  # now: before the claim
    html = _html(_client(h), case)
    times = re.findall(r'<span class="when">([^<]+)</span>', html[html.index('id="timeline"') :])
    assert times == sorted(times) and len(times) >= 5
    timeline = html[html.index('id="timeline"') :]
    assert timeline.index("内部备注") < timeline.index("认领")


def test_queues_show_working_days_left(people: dict[str, Any]) -> None:
    fresh = _assigned(people)
    old = _assigned(people, received_at=timezone.now() - timedelta(days=40))
    html = str(_client(people["east_handler"]).get(reverse("cases:queue")).content.decode())
    rows = {n: html[html.index(n) :] for n in (fresh.number, old.number)}
    fresh_row = rows[fresh.number][: rows[fresh.number].index("</tr>")]
    old_row = rows[old.number][: rows[old.number].index("</tr>")]
    assert re.search(r"剩 \d+ 个工作日|今日到期", fresh_row), fresh_row
    assert re.search(r"已超期 \d+ 个工作日", old_row), old_row


def test_primary_action_first_others_folded(people: dict[str, Any]) -> None:
    case = services.case_create(
        actor=people["dispatcher"], unit=people["east"], channel="hotline", category="complaint", summary="路灯不亮"
    )
    html = _html(_client(people["dispatcher"]), case)
    actions = html[html.index('id="actions"') :]
    actions = actions[: actions.index("</section>")]
    forms = re.findall(r'data-action="([a-z_]+)"', actions)
    assert forms[0] == "register"
    # The register form is open; every other one is inside its own <details>.
    assert actions.index('data-action="register"') < actions.index("<details")
    assert len(re.findall(r"<details class=\"action\">", actions)) == len(forms) - 1


def test_one_public_reply_path(people: dict[str, Any]) -> None:
    case = _assigned(people)
    h = people["east_handler"]
    services.case_act(actor=h, case_id=case.pk, action="claim")
    client = _client(h)
    html = _html(client, case)
    reply_form = html[html.index('action="' + reverse("cases:reply", args=[case.pk])) :]
    reply_form = reply_form[: reply_form.index("</form>")]
    # While "answer" applies, the reply form takes internal notes only, and says where the answer goes.
    assert 'value="public"' not in reply_form and 'value="note"' in reply_form
    assert 'id="reply-hint"' in reply_form and "答复" in reply_form
    refused = client.post(reverse("cases:reply", args=[case.pk]), {"kind": "public", "text": "第二份答复"})
    assert refused.status_code == 400 and "一份答复" in refused.content.decode()
    assert not CaseReply.objects.filter(case=case, kind="public").exists()
    # The answer action carries the public reply: one answer, one reply.
    version = Case.objects.get(pk=case.pk).version
    done = client.post(reverse("cases:act", args=[case.pk, "answer"]), {"version": version, "reply": "已责令停工。"})
    assert done.status_code == 302
    assert list(CaseReply.objects.filter(case=case, kind="public").values_list("body", flat=True)) == ["已责令停工。"]


def test_each_role_lands_on_its_own_first_page(people: dict[str, Any]) -> None:
    """A handler lands on 工作台 with the queue and the working days left; a leader sees the overdue
    cases and this month's figures; an analyst goes on to the dashboard."""
    fresh = _assigned(people)
    old = _assigned(people, received_at=timezone.now() - timedelta(days=40))
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "east_handler", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home:index")
    html = str(client.get(reverse("home:index")).content.decode())
    queue = html[html.index('id="my-queue"') :]
    assert queue.index(old.number) < queue.index(fresh.number)  # overdue first
    assert "已超期" in queue and re.search(r"剩 \d+ 个工作日|今日到期", queue)
    assert "工作台" in html[: html.index("</nav>")]
    leader = str(_client(people["leader"]).get(reverse("home:index")).content.decode())
    overdue = leader[leader.index('id="overdue-cases"') :]
    assert old.number in overdue and fresh.number not in overdue[: overdue.index("</section>")]
    assert "本月办结率" in leader and "期专报待签批" in leader
    analyst = _client(people["east_analyst"]).get(reverse("home:index"))
    assert analyst.status_code == 302 and analyst["Location"] == reverse("monitoring:dashboard")
    assert "工作台" not in str(_client(people["east_analyst"]).get(reverse("monitoring:dashboard")).content.decode())


def test_queue_exports_respect_scope_and_filters(people: dict[str, Any]) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    mine = _assigned(people, summary='=HYPERLINK("http://evil.example")施工噪音')
    west = services.case_create(
        actor=people["dispatcher"], unit=people["west"], channel="hotline", category="complaint", summary="西街道的事"
    )
    client = _client(people["east_handler"])
    response = client.get(reverse("cases:unit"), {"status": "assigned", "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [str(rows[0][0])] and rows[1][0] == "导出时间"  # the title, then when and by whom
    assert any(r[:2] == ["筛选条件：状态", "已派单"] for r in rows[:6]), rows[:6]
    numbers = [r[0] for r in rows if r]
    assert mine.number in numbers and west.number not in numbers  # another unit's case is not exported
    row = next(r for r in rows if r and r[0] == mine.number)
    assert row[1].startswith("'=")  # never a formula in Excel
    assert re.search(r"剩 \d+ 个工作日|今日到期", row[-1])
    book = load_workbook(io.BytesIO(b"".join(client.get(reverse("cases:unit"), {"export": "xlsx"}).streaming_content)))
    values = [[c.value for c in r] for r in book.active.iter_rows()]
    found = next(r for r in values if r and r[0] == mine.number)
    assert found[1].startswith("=HYPERLINK")
    assert book.active.cell(row=values.index(found) + 1, column=2).data_type == "s"  # text, not a formula
    assert all(r[0] != west.number for r in values)
