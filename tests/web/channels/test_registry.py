"""The channel registry: who may register, see and change channels, and what is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role
from qingting.web.audit.models import AuditEntry
from qingting.web.channels import selectors, services
from qingting.web.channels.models import ChannelKind, ChannelState


@pytest.fixture
def admins(org: dict[str, Any]) -> dict[str, Any]:
    east_admin = accounts.user_create(actor=None, username="east_admin", password="Qt-test-pass-2026!")
    accounts.membership_grant(actor=None, user=east_admin, unit=org["east"], role=Role.ADMIN)
    return {**org, "east_admin": east_admin}


def test_admin_registers_a_channel_and_the_write_is_audited(admins: dict[str, Any]) -> None:
    channel = services.channel_save(
        actor=admins["east_admin"],
        unit=admins["east"],
        kind=ChannelKind.WECHAT,
        name="东街道发布",
        operator=admins["east_analyst"],
        details={"account": "dongjiedao", "registrant": "东街道办事处"},
    )
    assert channel.state == ChannelState.ACTIVE and channel.state_since is not None
    entry = AuditEntry.objects.get(action="channel.create", object_id=str(channel.pk))
    assert entry.new["name"] == "东街道发布" and entry.new["account"] == "dongjiedao"


def test_non_admin_and_other_unit_admin_are_refused(admins: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.channel_save(actor=admins["east_analyst"], unit=admins["east"], kind="weibo", name="x")
    with pytest.raises(PermissionDenied):
        services.channel_save(actor=admins["east_admin"], unit=admins["west"], kind="weibo", name="x")
    assert not AuditEntry.objects.filter(action="channel.create").exists()


def test_operator_must_belong_to_the_unit(admins: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.channel_save(
            actor=None, unit=admins["east"], kind="weibo", name="东街道微博", operator=admins["west_analyst"]
        )
    assert "operator" in exc.value.message_dict


def test_users_see_the_channels_of_their_units_only(admins: dict[str, Any]) -> None:
    east = services.channel_save(actor=None, unit=admins["east_community"], kind="screen", name="东一社区LED屏")
    west = services.channel_save(actor=None, unit=admins["west"], kind="website", name="西街道网站")
    services.channel_set_state(actor=None, channel=west, state=ChannelState.PAUSED)
    assert list(selectors.channels_for(admins["east_analyst"])) == [east]
    assert set(selectors.channels_for(admins["office_leader"])) == {east, west}
    assert list(selectors.channels_for(admins["office_leader"], live_only=True)) == [east]


def test_a_closed_channel_stays_closed(admins: dict[str, Any]) -> None:
    channel = services.channel_save(actor=None, unit=admins["east"], kind="douyin", name="东街道抖音")
    services.channel_set_state(actor=admins["east_admin"], channel=channel, state=ChannelState.CLOSED, reason="合并")
    channel.refresh_from_db()
    assert channel.closed_on is not None
    with pytest.raises(ValidationError):
        services.channel_set_state(actor=None, channel=channel, state=ChannelState.ACTIVE)
    assert AuditEntry.objects.filter(action="channel.state", reason="合并").count() == 1


def test_stale_edit_is_refused(admins: dict[str, Any]) -> None:
    channel = services.channel_save(actor=None, unit=admins["east"], kind="weibo", name="东街道微博")
    services.channel_save(
        actor=None, unit=admins["east"], kind="weibo", name="东街道官方微博", channel=channel, version=1
    )
    with pytest.raises(ValidationError):
        services.channel_save(actor=None, unit=admins["east"], kind="weibo", name="旧名", channel=channel, version=1)
