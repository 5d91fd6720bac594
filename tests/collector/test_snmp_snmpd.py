"""The SNMP poller against a real net-snmp snmpd, checked against net-snmp's own snmpwalk."""

from __future__ import annotations

import asyncio

import pytest
from vigil.agent.schema import MEASUREMENTS
from vigil.agent.wire import encode, parse_line
from vigil.collector.config import SnmpCommunityCredential, SnmpV3Credential
from vigil.collector.errors import SnmpAuthError, SnmpError, SnmpTimeout
from vigil.collector.snmp.client import SnmpClient
from vigil.collector.snmp.poller import SnmpPoller

from tests.collector.snmp_run import by_measurement, one, poll_once, run_with_client, walk
from tests.services.ports import free_udp_port
from tests.services.snmpd import Snmpd

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
HR_STORAGE = "1.3.6.1.2.1.25.2.3.1"


def v3(user: str = "vigil", auth: str = "sha256", auth_key: str = "authpass-123", priv: str = "aes",
       priv_key: str | None = "privpass-456") -> SnmpV3Credential:
    return SnmpV3Credential(user=user, auth_proto=auth, auth_key=auth_key,  # type: ignore[arg-type]
                            priv_proto=priv, priv_key=priv_key)  # type: ignore[arg-type]


def test_v2c_system_and_interfaces_match_snmpwalk(snmpd: Snmpd) -> None:
    result = poll_once(snmpd.port)
    info = one(result.points, "device_info")
    reference = snmpd.snmpwalk("1.3.6.1.2.1.1")
    assert info.fields["sys_name"] == reference["1.3.6.1.2.1.1.5.0"] == "vigil-test-snmpd"
    assert info.fields["sys_object_id"] == reference["1.3.6.1.2.1.1.2.0"].lstrip(".")
    assert info.fields["sys_location"] == "rack 3, 机房"  # UTF-8 bytes decoded as data
    names = snmpd.snmpwalk(IF_NAME)
    interfaces = {p.tags["interface"] for p in by_measurement(result.points, "interface")}
    assert interfaces == set(names.values())
    assert result.vendor_profile is None  # net-snmp's own sysObjectID: standard MIBs only
    assert {"system", "if_mib", "host_resources", "ucd_snmp"} <= set(result.profiles)


def test_storage_bytes_are_size_times_allocation_units(snmpd: Snmpd) -> None:
    result = poll_once(snmpd.port)
    table = snmpd.snmpwalk(HR_STORAGE)
    root_index = next(k.rsplit(".", 1)[1] for k, v in table.items()
                      if k.startswith(f"{HR_STORAGE}.3.") and v == "/")
    units = int(table[f"{HR_STORAGE}.4.{root_index}"].split()[0])
    size = int(table[f"{HR_STORAGE}.5.{root_index}"])
    root = one(result.points, "device_storage", storage="/")
    assert root.fields["total_bytes"] == size * units
    assert 0 <= float(root.fields["used_percent"]) <= 100


def test_walk_matches_snmpwalk_on_interface_columns(snmpd: Snmpd) -> None:
    cred = SnmpCommunityCredential(community="public")
    ours = walk(snmpd.port, cred, [IF_DESCR, IF_NAME])
    for column in (IF_DESCR, IF_NAME):
        theirs = snmpd.snmpwalk(column)
        assert [oid for oid, _ in ours[column]] == list(theirs)
        assert [bytes(v).decode() for _, v in ours[column]] == list(theirs.values())  # type: ignore[call-overload]


def test_rates_appear_on_the_second_poll(snmpd: Snmpd) -> None:
    poller = SnmpPoller()
    first = poll_once(snmpd.port, poller=poller, device="rates")
    lo_first = one(first.points, "interface", interface="lo")
    assert "in_bytes_per_second" not in lo_first.fields  # one sample is not a rate
    second = poll_once(snmpd.port, poller=poller, device="rates")
    lo = one(second.points, "interface", interface="lo")
    assert float(lo.fields["in_bytes_per_second"]) >= 0
    assert lo.fields["in_bits_per_second"] == pytest.approx(float(lo.fields["in_bytes_per_second"]) * 8)
    assert lo.fields["oper_up"] == 1


def test_every_point_fits_the_schema_and_encodes(snmpd: Snmpd) -> None:
    poller = SnmpPoller()
    poll_once(snmpd.port, poller=poller)
    points = poll_once(snmpd.port, poller=poller).points
    for point in points:
        spec = MEASUREMENTS[point.measurement]
        assert set(point.fields) <= set(spec.fields), (point.measurement, set(point.fields) - set(spec.fields))
        assert set(point.tags) - {"device"} <= spec.tags, point.tags
    for line in encode(points).decode().splitlines():
        parse_line(line)


@pytest.mark.parametrize(
    "cred",
    [
        v3(),
        v3("vigilsha1", "sha", "authpass-sha1", "aes", "privpass-sha1"),
        v3("vigildes", "sha", "authpass-des1", "des", "privpass-des1"),
        v3("vigilauth", "sha512", "authpass-only", "none", None),
        SnmpV3Credential(user="vigilnoauth"),
        SnmpCommunityCredential(version="1", community="public"),
    ],
    ids=["sha256-aes", "sha1-aes", "sha1-des", "sha512-authnopriv", "noauthnopriv", "v1"],
)
def test_versions_and_security_levels(snmpd: Snmpd, cred: SnmpV3Credential | SnmpCommunityCredential) -> None:
    result = poll_once(snmpd.port, cred)
    assert one(result.points, "device_info").fields["sys_name"] == "vigil-test-snmpd"
    assert by_measurement(result.points, "interface")


def test_wrong_auth_key_fails_closed(snmpd: Snmpd) -> None:
    with pytest.raises(SnmpAuthError, match="no fallback to v2c"):
        poll_once(snmpd.port, v3(auth_key="not-the-key"), timeout_seconds=1, retries=0)


def test_unknown_user_fails_closed(snmpd: Snmpd) -> None:
    with pytest.raises(SnmpAuthError):
        poll_once(snmpd.port, v3(user="nobody"), timeout_seconds=1, retries=0)


def test_wrong_priv_key_fails_closed_with_a_clear_error(snmpd: Snmpd) -> None:
    with pytest.raises(SnmpError, match="privacy key"):
        poll_once(snmpd.port, v3(priv_key="not-the-priv-key"), timeout_seconds=0.5, retries=0)


def test_wrong_community_is_a_timeout(snmpd: Snmpd) -> None:
    with pytest.raises(SnmpTimeout):
        poll_once(snmpd.port, SnmpCommunityCredential(community="wrong"), timeout_seconds=0.5, retries=0)


def test_a_dead_device_does_not_stall_the_others(snmpd: Snmpd) -> None:
    """A device that never answers is polled beside a live one; the live one finishes first."""
    dead_port = free_udp_port()
    finished: list[str] = []

    async def work(client: SnmpClient) -> dict[str, object]:
        poller = SnmpPoller()
        cred = SnmpCommunityCredential(community="public")

        async def one_device(name: str, port: int) -> object:
            target = client.target("127.0.0.1", port, cred, timeout_seconds=1.0, retries=1)
            try:
                return await poller.poll(name, target)
            except SnmpError as exc:
                return exc
            finally:
                finished.append(name)

        names = ["dead", "live1", "live2"]
        results = await asyncio.gather(
            one_device("dead", dead_port), one_device("live1", snmpd.port), one_device("live2", snmpd.port)
        )
        return dict(zip(names, results, strict=True))

    results = run_with_client(work)
    assert isinstance(results["dead"], SnmpTimeout)
    assert finished[-1] == "dead"
    assert not isinstance(results["live1"], Exception)
    assert not isinstance(results["live2"], Exception)


def test_ucd_memory_matches_snmpwalk(snmpd: Snmpd) -> None:
    result = poll_once(snmpd.port)
    mem = one(result.points, "device_mem", unit="system")
    total_kb = int(snmpd.snmpwalk("1.3.6.1.4.1.2021.4.5")["1.3.6.1.4.1.2021.4.5.0"].split()[0])
    assert mem.fields["total_bytes"] == total_kb * 1024
    assert 0 < float(mem.fields["used_percent"]) < 100


def test_agent_restart_gives_no_rate_spike() -> None:
    """A real snmpd restarted on the same port: sysUpTime goes back, so the first poll after the
    restart gives no rates at all (rather than a huge one from counters that started again)."""
    from tests.services.snmpd import start_snmpd, stop_snmpd

    agent = start_snmpd()
    poller = SnmpPoller()
    try:
        poll_once(agent.port, poller=poller, device="restarting")
        import time

        time.sleep(1.2)  # sysUpTime has a resolution of 10 ms; make the uptimes clearly different
        before = poll_once(agent.port, poller=poller, device="restarting")
        assert "in_bytes_per_second" in one(before.points, "interface", interface="lo").fields
        port = agent.port
        stop_snmpd(agent)
        agent = start_snmpd(port=port)
        after = poll_once(agent.port, poller=poller, device="restarting")
        assert after.restarted
        assert "in_bytes_per_second" not in one(after.points, "interface", interface="lo").fields
        again = poll_once(agent.port, poller=poller, device="restarting")
        assert "in_bytes_per_second" in one(again.points, "interface", interface="lo").fields
    finally:
        stop_snmpd(agent)


class SlowRelay:
    """A UDP relay to snmpd that holds every answer back: a slow device on loopback."""

    def __init__(self, target_port: int, delay_seconds: float) -> None:
        import socket
        import threading

        self.delay_seconds = delay_seconds
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = int(self.front.getsockname()[1])
        self.target = ("127.0.0.1", target_port)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import socket
        import threading

        self.front.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                data, client = self.front.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return

            def relay(payload: bytes = data, reply_to: tuple[str, int] = client) -> None:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as back:
                    back.settimeout(5)
                    back.sendto(payload, self.target)
                    try:
                        answer = back.recv(65535)
                    except TimeoutError:
                        return
                self.stopped.wait(self.delay_seconds)
                if not self.stopped.is_set():
                    self.front.sendto(answer, reply_to)

            threading.Thread(target=relay, daemon=True).start()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.front.close()


def test_a_slow_device_does_not_stall_the_others(snmpd: Snmpd) -> None:
    """Every answer of the slow device comes 0.3 s late; it is polled completely, and the live
    devices beside it finish first."""
    relay = SlowRelay(snmpd.port, 0.3)
    finished: list[str] = []

    async def work(client: SnmpClient) -> dict[str, object]:
        poller = SnmpPoller()
        cred = SnmpCommunityCredential(community="public")

        async def one_device(name: str, port: int) -> object:
            target = client.target("127.0.0.1", port, cred, timeout_seconds=2.0, retries=0)
            try:
                return await poller.poll(name, target)
            finally:
                finished.append(name)

        results = await asyncio.gather(one_device("slow", relay.port), one_device("live1", snmpd.port),
                                       one_device("live2", snmpd.port))
        return dict(zip(["slow", "live1", "live2"], results, strict=True))

    try:
        results = run_with_client(work)
    finally:
        relay.close()
    assert finished[-1] == "slow"
    slow, live = results["slow"], results["live1"]
    assert slow.varbinds == live.varbinds  # type: ignore[attr-defined]
