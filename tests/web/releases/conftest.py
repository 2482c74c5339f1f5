"""Fixtures for the release tests: the shared organisation, reviewers and leaders, two channels."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import PASSWORD


@pytest.fixture
def team(org: dict[str, Any]) -> dict[str, Any]:
    """``org`` plus, on the east township: two reviewers (初审, 复审), two leaders (终审, 主要领导),
    and two channels in operation; a west channel too."""
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role
    from qingting.web.channels import services as channels

    out = dict(org)
    for name, unit, role in [
        ("editor", org["east"], Role.REVIEWER),
        ("section_head", org["east"], Role.REVIEWER),
        ("deputy", org["east"], Role.LEADER),
        ("head", org["east"], Role.LEADER),
    ]:
        user = accounts.user_create(actor=None, username=name, password=PASSWORD)
        accounts.membership_grant(actor=None, user=user, unit=unit, role=role)
        out[name] = user
    out["wechat"] = channels.channel_save(actor=None, unit=org["east"], kind="wechat", name="东街道发布")
    out["weibo"] = channels.channel_save(actor=None, unit=org["east"], kind="weibo", name="东街道微博")
    out["west_site"] = channels.channel_save(actor=None, unit=org["west"], kind="website", name="西街道网站")
    return out


@pytest.fixture
def draft(team: dict[str, Any]) -> Any:
    from qingting.web.releases import services

    return services.release_create(
        actor=team["east_analyst"],
        unit=team["east"],
        title="东街道开展冬季消防安全检查",
        body="12月7日，东街道组织开展冬季消防安全检查，共检查沿街商铺35家。",
        channels=[team["wechat"], team["weibo"]],
    )
