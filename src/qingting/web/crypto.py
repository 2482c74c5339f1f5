"""Secrets at rest: credentials (IMAP passwords, webhook and bot secrets, push tokens) encrypted.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived by HKDF from
``QINGTING_ENCRYPTION_KEY`` if set, else from the secret key. Rotating the secret key therefore
makes stored credentials unreadable: set ``QINGTING_ENCRYPTION_KEY`` explicitly in production.
Decrypting with the wrong key raises :class:`DecryptionError` naming the cause, never garbage.

Models use :class:`EncryptedTextField`; the database only ever holds the ciphertext::

    password = EncryptedTextField(blank=True)
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import models

PREFIX = "enc1:"  # marks ciphertext, so a plaintext written before encryption is told apart


class DecryptionError(Exception):
    """Stored ciphertext cannot be read with this installation's key."""


@functools.cache
def _fernet(key_material: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"qingting-credentials", info=b"fernet-v1").derive(
        key_material.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _key() -> Fernet:
    from django.conf import settings

    material = getattr(settings, "QINGTING_ENCRYPTION_KEY", "") or settings.SECRET_KEY
    return _fernet(str(material))


def encrypt(plaintext: str) -> str:
    """``plaintext`` encrypted, as ``enc1:<token>`` ("" stays "")."""
    if plaintext == "":
        return ""
    return PREFIX + _key().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    """The plaintext of a value made by :func:`encrypt` ("" stays "")."""
    if stored == "":
        return ""
    if not stored.startswith(PREFIX):
        raise DecryptionError("the stored value is not encrypted (missing 'enc1:' prefix)")
    try:
        return _key().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError(
            "cannot decrypt a stored credential: the encryption key (QINGTING_ENCRYPTION_KEY or the secret key) "
            "is not the one it was stored with"
        ) from exc


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text field stored encrypted; Python code sees the plaintext. Not searchable or orderable."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return value
        return encrypt(str(value))
