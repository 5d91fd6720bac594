"""Encryption of device credentials at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key is derived from the server's secret key. Decryption failures raise
:class:`SecretDecryptError` without echoing any part of the ciphertext or the secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken


class SecretDecryptError(Exception):
    """A stored secret could not be decrypted (wrong server key or tampered data)."""


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"vigil-credentials:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            data = json.loads(self._fernet.decrypt(token.encode()))
        except (InvalidToken, ValueError):
            raise SecretDecryptError("stored credential cannot be decrypted with this server key") from None
        if not isinstance(data, dict):
            raise SecretDecryptError("stored credential is not an object")
        return data
