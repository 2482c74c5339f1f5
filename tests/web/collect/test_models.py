"""Credentials and citizens' reply details are encrypted at rest: the raw columns hold no plaintext."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from qingting.web.collect.models import MessageContact, SourceSecret
from qingting.web.monitoring.models import Item


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_secrets_and_contacts_are_ciphertext_in_the_database(monitored: dict[str, Any]) -> None:
    secret = SourceSecret.objects.create(
        source=monitored["east_source"], imap_password="mail-pass-123", push_token="tok-abc", push_secret="sec-xyz"
    )
    item = Item.objects.filter(source=monitored["east_source"]).first()
    contact = MessageContact.objects.create(item=item, name="张三", address="zhangsan@example.cn", subject="停水")
    for column, plain in [("imap_password", "mail-pass-123"), ("push_token", "tok-abc"), ("push_secret", "sec-xyz")]:
        raw = _raw("collect_sourcesecret", column, secret.pk)
        assert raw.startswith("enc1:") and plain not in raw
    for column, plain in [("name", "张三"), ("address", "zhangsan@example.cn")]:
        raw = _raw("collect_messagecontact", column, contact.pk)
        assert raw.startswith("enc1:") and plain not in raw
    again = Item.objects.get(pk=item.pk).contact
    assert (again.name, again.address, again.subject) == ("张三", "zhangsan@example.cn", "停水")
    assert SourceSecret.objects.get(pk=secret.pk).imap_password == "mail-pass-123"
