"""``POST /api/v1/ingest``: line protocol batches from agents and collectors."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from vigil.server.api.deps import Ctx, CurrentNode
from vigil.server.api.telemetry import INGEST_BATCHES, INGEST_LINES
from vigil.server.errors import VigilError
from vigil.server.schemas.nodes import AGENT_VERSION
from vigil.server.services.ingest import BadBatch, BatchTooLarge

router = APIRouter(prefix="/api/v1", tags=["ingest"])


class Throttled(VigilError):
    status_code = 429


class RejectedLine(BaseModel):
    line: int
    reason: str


class IngestOut(BaseModel):
    batch_id: str
    accepted: int
    rejected: list[RejectedLine]
    replayed: bool


_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/plain": {"schema": {"type": "string", "description": "InfluxDB line protocol"}}},
    }
}


class InFlight:
    """Bounds concurrent ingest work; past the bound the sender is told to come back (429)."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)

    def __enter__(self) -> InFlight:
        if not self._slots.acquire(blocking=False):
            raise Throttled("server busy; retry later")
        return self

    def __exit__(self, *exc: object) -> None:
        self._slots.release()


@router.post(
    "/ingest",
    response_model=IngestOut,
    openapi_extra=_BODY,
    responses={
        400: {"description": "malformed batch"},
        401: {"description": "bad credential"},
        413: {"description": "batch too large"},
        429: {"description": "throttled"},
        503: {"description": "metric store unavailable"},
    },
)
async def ingest(
    request: Request,
    ctx: Ctx,
    node: CurrentNode,
    x_vigil_batch_id: str = Header(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$"),
    x_vigil_version: str | None = Header(default=None, max_length=64, pattern=AGENT_VERSION),
) -> IngestOut:
    limits = ctx.settings.ingest
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise BatchTooLarge(f"body of {declared} bytes exceeds {limits.max_body_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise BatchTooLarge(f"body exceeds {limits.max_body_bytes} bytes")
    body = b"".join(chunks)  # one copy at most (none for a single chunk)
    if not body:
        raise BadBatch("empty body")
    guard: InFlight = request.app.state.ingest_slots
    with guard:
        result = await run_in_threadpool(
            ctx.ingest.ingest,
            node,
            x_vigil_batch_id,
            body,
            request.headers.get("content-encoding"),
            x_vigil_version,
        )
    INGEST_BATCHES.labels("replayed" if result.replayed else "stored").inc()
    if not result.replayed:
        INGEST_LINES.labels("accepted").inc(result.accepted)
        INGEST_LINES.labels("rejected").inc(len(result.rejected))
    return IngestOut.model_validate(result.as_dict())
