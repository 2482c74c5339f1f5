"""The releases API: the same services and scoping as the pages, one error shape, 409 on a stale version."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_write_review_publish_and_correct_through_the_api(team: dict[str, Any]) -> None:
    author = _client(team["east_analyst"])
    made = author.post(
        "/api/releases",
        {"unit_id": team["east"].pk, "title": "东街道冬季消防检查", "body": "12月7日（周二）开展检查。",
         "channel_ids": [team["wechat"].pk]},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    body = made.json()
    rid = body["id"]
    assert body["status"] == "draft" and any(f["kind"] == "weekday" for f in body["findings"])
    assert (
        author.post(f"/api/releases/{rid}/submit", {"version": 99}, content_type="application/json").status_code == 409
    )
    sub = author.post(f"/api/releases/{rid}/submit", {"version": body["version"]}, content_type="application/json")
    assert sub.status_code == 200 and sub.json()["status"] == "in_review"
    # the author cannot approve their own release
    own = author.post(
        f"/api/releases/{rid}/approve", {"version": sub.json()["version"]}, content_type="application/json"
    )
    assert own.status_code == 403 and own.json()["error"]["code"] == "forbidden"
    editor = _client(team["editor"])
    for f in sub.json()["findings"]:
        marked = editor.post(
            f"/api/releases/{rid}/findings/{f['id']}", {"state": "dismissed"}, content_type="application/json"
        )
        assert marked.status_code == 200 and marked.json()["state"] == "dismissed"
    version = editor.get(f"/api/releases/{rid}").json()["version"]
    ok = editor.post(f"/api/releases/{rid}/approve", {"version": version}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["step"] == 1
    assert _client(team["west_analyst"]).get(f"/api/releases/{rid}").status_code == 404
    listing = editor.get("/api/releases?status=in_review").json()
    assert [r["id"] for r in listing["items"]] == [rid]
    bad = author.post("/api/releases", {"unit_id": team["east"].pk}, content_type="application/json")
    assert bad.status_code == 422 and "title" in bad.json()["error"]["fields"]
