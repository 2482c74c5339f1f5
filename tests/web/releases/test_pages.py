"""Release pages: what each person sees and may do, through the real views (Django test client)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from qingting.web.releases.models import Finding, Release, ReleaseStatus

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_write_submit_review_and_publish_through_the_pages(team: dict[str, Any]) -> None:
    author = _client(team["east_analyst"])
    page = author.get("/releases/new/")
    assert page.status_code == 200 and "东街道发布" in page.text
    resp = author.post(
        "/releases/new/",
        {
            "unit": team["east"].pk,
            "title": "东街道开展冬季消防检查",
            "body": "定于12月7日（周二）开展检查。<script>alert(1)</script>",
            "channels": [team["wechat"].pk],
        },
    )
    assert resp.status_code == 302
    pk = int(resp.url.rstrip("/").split("/")[-1])
    detail = author.get(f"/releases/{pk}/")
    assert detail.status_code == 200
    assert "<script>alert(1)</script>" not in detail.text and "&lt;script&gt;" in detail.text
    assert 'data-kind="weekday"' in detail.text  # the finding is shown inline
    author.post(f"/releases/{pk}/submit/", {"version": "1"})
    editor = _client(team["editor"])
    detail = editor.get(f"/releases/{pk}/")
    assert 'data-test="approve"' in detail.text
    # approval with an open finding is refused with a message, nothing changes
    resp = editor.post(f"/releases/{pk}/approve/", {"version": "2"}, follow=True)
    assert "still open" in resp.text or "仍" in resp.text
    finding = Finding.objects.get(revision__release_id=pk, kind="weekday")
    editor.post(f"/releases/{pk}/findings/{finding.pk}/", {"state": "dismissed"})
    release = Release.objects.get(pk=pk)
    editor.post(f"/releases/{pk}/approve/", {"version": str(release.version), "comments": "ok"})
    release.refresh_from_db()
    assert release.current_step["name"] == "复审"
    head = _client(team["section_head"])
    head.post(f"/releases/{pk}/return/", {"version": str(release.version), "comments": "请改星期"})
    release.refresh_from_db()
    assert release.status == ReleaseStatus.RETURNED
    listing = author.get("/releases/?status=returned")
    assert "东街道开展冬季消防检查" in listing.text


def test_other_units_get_404_and_accuracy_page_renders(team: dict[str, Any], draft: Any) -> None:
    west = _client(team["west_analyst"])
    assert west.get(f"/releases/{draft.pk}/").status_code == 404
    assert west.post(f"/releases/{draft.pk}/submit/", {}).status_code == 404
    assert "东街道开展" not in west.get("/releases/").text
    leader = _client(team["office_leader"])
    assert leader.get(f"/releases/{draft.pk}/").status_code == 200
    page = leader.get("/releases/accuracy/")
    assert page.status_code == 200
    assert Client().get("/releases/").status_code == 302  # sign in first
