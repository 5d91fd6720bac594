"""Run one-off SNMP polls from synchronous tests (a fresh client and loop each time)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from vigil.agent.wire import Point
from vigil.collector.config import SnmpCommunityCredential, SnmpCredential
from vigil.collector.snmp.client import Backend, SnmpClient, Target
from vigil.collector.snmp.poller import PollResult, SnmpPoller

T = TypeVar("T")


def run_with_client(work: Callable[[SnmpClient], Awaitable[T]], backend: Backend = "fast") -> T:
    async def main() -> T:
        client = SnmpClient(max_in_flight=16, backend=backend)
        try:
            return await work(client)
        finally:
            client.close()

    return asyncio.run(main())


def poll_once(port: int, cred: SnmpCredential | None = None, *, device: str = "dev",
              poller: SnmpPoller | None = None, polls: int = 1, pause_seconds: float = 0.0,
              timeout_seconds: float = 2.0, retries: int = 1, profile: str | None = None,
              backend: Backend = "fast") -> PollResult:
    chosen = cred or SnmpCommunityCredential(community="public")
    used = poller or SnmpPoller()

    async def work(client: SnmpClient) -> PollResult:
        target = client.target("127.0.0.1", port, chosen, timeout_seconds, retries)
        result = await used.poll(device, target, profile)
        for _ in range(polls - 1):
            await asyncio.sleep(pause_seconds)
            result = await used.poll(device, target, profile)
        return result

    return run_with_client(work, backend)


def walk(port: int, cred: SnmpCredential, columns: list[str], backend: Backend = "fast"
         ) -> dict[str, list[tuple[str, object]]]:
    async def work(client: SnmpClient) -> dict[str, list[tuple[str, object]]]:
        target: Target = client.target("127.0.0.1", port, cred, 2.0, 1)
        result = await target.walk_columns(columns)
        return {c: [(vb.oid, vb.value) for vb in rows] for c, rows in result.items()}

    return run_with_client(work, backend)


def by_measurement(points: list[Point], measurement: str) -> list[Point]:
    return [p for p in points if p.measurement == measurement]


def one(points: list[Point], measurement: str, **tags: str) -> Point:
    found = [p for p in points if p.measurement == measurement
             and all(p.tags.get(k) == v for k, v in tags.items())]
    assert len(found) == 1, f"{measurement} {tags}: {len(found)} points: {found[:3]}"
    return found[0]
