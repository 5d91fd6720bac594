"""The agent's own log lines and records (vigil.agent.logs, vigil.agent.record): what replaced
logging and dataclasses in the running agent behaves as they did where it matters."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from vigil.agent import logs
from vigil.agent.record import Record
from vigil.agent.wire import Point


def test_outside_the_daemon_messages_are_logging_records(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logs.DEBUG, logger="vigil.agent.test"):
        logs.get("vigil.agent.test").warning("spool %s is %d%% full", "s", 90)
    (record,) = caplog.records
    assert (record.name, record.levelname, record.message) == ("vigil.agent.test", "WARNING", "spool s is 90% full")
    assert record.filename == "test_logs_records.py"  # the caller's line, not vigil.agent.logs


def test_the_daemon_writes_lines_as_logging_basicconfig_did_with_tracebacks() -> None:
    code = textwrap.dedent(
        """
        import sys
        from vigil.agent import logs
        logs.to_stderr("info")
        log = logs.get("vigil.agent")
        log.debug("not shown")
        log.info("started %s", "x")
        try:
            1 / 0
        except ZeroDivisionError:
            log.exception("job failed")
        print(sorted(m for m in ("logging", "dataclasses") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.fullmatch(stamp + " INFO vigil.agent: started x", lines[0]), lines
    assert re.fullmatch(stamp + " ERROR vigil.agent: job failed", lines[1]), lines
    assert lines[2] == "Traceback (most recent call last):" and lines[-1] == "ZeroDivisionError: division by zero"
    assert "not shown" not in result.stderr
    assert result.stdout.strip() == "[]"


class _Example(Record):
    """An example record."""

    name: str
    size_bytes: int = 0

    @property
    def size_kib(self) -> float:
        return self.size_bytes / 1024


def test_a_record_is_typed_immutable_and_keeps_its_methods() -> None:
    r = _Example("a", size_bytes=2048)
    assert r == _Example(name="a", size_bytes=2048) and r.size_kib == 2.0 and r._replace(name="b").name == "b"
    assert _Example.__annotations__ == {"name": "str", "size_bytes": "int"} and _Example.__doc__ == "An example record."
    with pytest.raises(AttributeError):
        r.name = "c"  # type: ignore[misc]
    with pytest.raises(TypeError, match="mutable default"):

        class _Bad(Record):
            tags: dict[str, str] = {}  # noqa: RUF012


def test_a_point_behaves_as_the_frozen_dataclass_did() -> None:
    p = Point("cpu", {"cpu": "0"}, {"util_percent": 1.5}, 7)
    assert p == Point(measurement="cpu", tags={"cpu": "0"}, fields={"util_percent": 1.5}, time_ns=7)
    assert p != Point("cpu", {"cpu": "1"}, {"util_percent": 1.5}, 7) and p != ("cpu",)
    assert Point("m").tags == {} and Point("m").tags is not Point("m").tags
    assert repr(p) == "Point(measurement='cpu', tags={'cpu': '0'}, fields={'util_percent': 1.5}, time_ns=7)"
    with pytest.raises(AttributeError):
        p.time_ns = 8  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(p)  # dicts inside, as before
    import pickle

    assert pickle.loads(pickle.dumps(p)) == p
