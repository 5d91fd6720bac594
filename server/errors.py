"""The server's exception tree. Services raise these; the API turns them into HTTP answers.

    VigilError
    ├── NotFound          404  (also: another customer's object, so ids are not probed)
    ├── Unauthorized      401  (no or bad credentials, expired or used tokens)
    ├── Forbidden         403  (authenticated, but the role may not do this)
    ├── Conflict          409  (already exists, wrong state)
    └── InvalidInput      422  (well-formed request, unacceptable values)

Library exceptions (SQLAlchemy, httpx, metric stores) are translated where they are caught.
"""

from __future__ import annotations


class VigilError(Exception):
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(VigilError):
    status_code = 404


class Unauthorized(VigilError):
    status_code = 401


class Forbidden(VigilError):
    status_code = 403


class Conflict(VigilError):
    status_code = 409


class InvalidInput(VigilError):
    status_code = 422
