"""Secrets at rest (Strava tokens): Fernet with the keys in TOKEN_KEYS, newest first.

Encrypting uses the newest key; decrypting tries each, so a key can be rotated by putting
a new one first, running ``manage.py rotate_token_keys`` and then dropping the old one.
With TOKEN_KEYS unset, one key is derived from SECRET_KEY (changing SECRET_KEY then means
every runner connects Strava again).
"""

import base64
import functools
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

log = logging.getLogger(__name__)


def derived_key(secret_key):
    """A Fernet key of its own from SECRET_KEY: never the secret itself."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"join run: tokens at rest")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def keys():
    return list(settings.TOKEN_KEYS) or [derived_key(settings.SECRET_KEY)]


@functools.cache
def _fernet(key_list):
    return MultiFernet([Fernet(key) for key in key_list])


def fernet():
    return _fernet(tuple(keys()))


def encrypt(text):
    return fernet().encrypt(text.encode()).decode()


def decrypt(token):
    """The plain text, or None when no key in TOKEN_KEYS opens it."""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        log.warning("A stored secret could not be decrypted with TOKEN_KEYS.")
        return None


def rotate(token):
    """The same secret encrypted with the newest key."""
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Text stored Fernet-encrypted; reads as None when no key opens it."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)
