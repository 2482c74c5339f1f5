"""Credentials at rest: encrypted with a key derived from the installation's key, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from qingting.web import crypto


def test_round_trip_and_ciphertext_differs_each_time() -> None:
    a, b = crypto.encrypt("imap-密码-1"), crypto.encrypt("imap-密码-1")
    assert a.startswith("enc1:") and a != b and "密码" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "imap-密码-1"
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""


def test_wrong_key_or_plaintext_is_a_clear_error(settings: Any) -> None:
    token = crypto.encrypt("secret")
    settings.QINGTING_ENCRYPTION_KEY = "another installation's key"
    with pytest.raises(crypto.DecryptionError, match="encryption key"):
        crypto.decrypt(token)
    with pytest.raises(crypto.DecryptionError, match="not encrypted"):
        crypto.decrypt("plain")


def test_field_stores_only_ciphertext() -> None:
    field = crypto.EncryptedTextField()
    stored = field.get_prep_value("bot-secret")
    assert stored.startswith("enc1:") and field.from_db_value(stored, None, None) == "bot-secret"
