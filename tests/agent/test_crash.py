"""``kill -9`` of a real agent process, then a restart: nothing the spool acknowledged is lost,
and batches re-sent after the crash are dropped by the server as replays."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from vigil.agent.cli import main

from tests.agent.conftest import FaultServer
from tests.agent.test_cli import _agent_config

SPOOLED = re.compile(r"spooled batch (\S+) points=(\d+)")


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "vigil.agent.cli", "--config", str(config), "run"],
        stderr=open(log, "ab"),  # noqa: SIM115 - the child owns it
        stdout=subprocess.DEVNULL,
    )


def _wait(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_kill_9_during_flush_and_restart_loses_nothing_acknowledged(tmp_path: Path, fault_server: FaultServer) -> None:
    state = tmp_path / "state"
    config = _agent_config(tmp_path / "agent.toml", state, interval=0.1)
    assert main(["--config", str(config), "enroll", "--server", fault_server.url, "--token", "t" * 16]) == 0
    log = tmp_path / "agent.log"
    rng = random.Random(11)

    # 1. Kill while the server holds a response: the batch is stored there but not acknowledged.
    fault_server.hold_after_commit_seconds = 2.0
    agent = _start(config, log)
    assert fault_server.committed.wait(30)
    agent.send_signal(signal.SIGKILL)
    agent.wait()
    held = list(fault_server.order)
    assert held
    fault_server.hold_after_commit_seconds = 0.0

    # 2. Kill at random moments: while collecting, spooling, sending or acknowledging.
    for _ in range(4):
        spooled_before = len(SPOOLED.findall(log.read_text()))
        agent = _start(config, log)
        # Once this incarnation is collecting and spooling, kill it at a random moment.
        _wait(lambda: len(SPOOLED.findall(log.read_text())) > spooled_before)  # noqa: B023
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait()

    # 3. Restart and let it drain.
    spooled = dict(SPOOLED.findall(log.read_text()))
    assert len(spooled) >= 5
    before = len(fault_server.order)
    agent = _start(config, log)
    try:
        _wait(lambda: set(spooled) <= set(fault_server.batches), timeout=60)
        _wait(lambda: len(fault_server.order) >= before + 3)  # and it is running on
    finally:
        agent.terminate()
        assert agent.wait(30) == 0
    for batch_id, points in spooled.items():
        assert len(fault_server.batches[batch_id]) == int(points)
    # The batch stored during the first kill came again with the same id and was dropped.
    assert set(held) <= set(fault_server.replays)
    # No point stored twice.
    keys = Counter((p.measurement, tuple(sorted(p.tags.items())), p.time_ns) for p in fault_server.points())
    assert max(keys.values()) == 1
    text = log.read_text()
    assert "Traceback" not in text
