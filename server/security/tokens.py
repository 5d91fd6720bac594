"""Opaque bearer tokens: random, shown once, stored only as a SHA-256 hash.

A prefix says what a token is for (``vgn_`` node credential, ``vge_`` enrolment, ``vgu_`` user
API token, ``vgs_`` web session), so a token pasted in the wrong place is recognisable.
"""

from __future__ import annotations

import hashlib
import secrets

NODE = "vgn_"
ENROLL = "vge_"
USER = "vgu_"
SESSION = "vgs_"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_public_id() -> str:
    return secrets.token_hex(8)
