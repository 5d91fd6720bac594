"""A private net-snmp snmpd on 127.0.0.1: v2c community ``public`` and a v3 authPriv user.

Also ``snmpwalk`` from net-snmp on the same agent, the reference the tests compare against.
Several communities with their own views stand in for many devices in the benchmark.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.services.ports import free_udp_port, wait_until

SNMPD = "/usr/sbin/snmpd"


@dataclass
class Snmpd:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    community: str = "public"
    v3_user: str = "vigil"
    v3_auth_proto: str = "SHA-256"
    v3_auth_key: str = "authpass-123"
    v3_priv_proto: str = "AES"
    v3_priv_key: str = "privpass-456"
    sha1_user: str = "vigilsha1"
    des_user: str = "vigildes"
    extra_communities: list[str] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(self.folder / "client")}

    def snmpwalk(self, oid: str, *auth: str) -> dict[str, str]:
        """OID -> value text as net-snmp's snmpwalk prints it (-On numeric, -Oqv-free form)."""
        args = list(auth) or ["-v2c", "-c", self.community]
        out = subprocess.run(
            ["snmpwalk", "-On", "-Oe", "-OU", "-Oq", "-Ot", "-r", "1", "-t", "2", *args,
             f"127.0.0.1:{self.port}", oid],
            capture_output=True, text=True, env=self.env, check=True, timeout=30,
        ).stdout
        result: dict[str, str] = {}
        for line in out.splitlines():
            if not line.startswith("."):
                continue
            key, _, value = line.partition(" ")
            result[key.lstrip(".")] = value.strip().strip('"')
        return result


def have_snmpd() -> bool:
    return os.path.exists(SNMPD) and shutil.which("snmpwalk") is not None


def write_config(path: Path, port: int, extra_communities: list[str]) -> None:
    lines = [
        f"agentAddress udp:127.0.0.1:{port}",
        "rocommunity public 127.0.0.1",
        'createUser vigil SHA-256 "authpass-123" AES "privpass-456"',
        "rouser vigil priv",
        'createUser vigilsha1 SHA "authpass-sha1" AES "privpass-sha1"',
        "rouser vigilsha1 priv",
        'createUser vigildes SHA "authpass-des1" DES "privpass-des1"',
        "rouser vigildes priv",
        'createUser vigilauth SHA-512 "authpass-only"',
        "rouser vigilauth auth",
        "createUser vigilnoauth",
        "rouser vigilnoauth noauth",
        "sysLocation rack 3, 机房",
        "sysContact noc@example.invalid",
        "sysName vigil-test-snmpd",
        # Quicker refresh of the interface and storage tables for the tests.
        "interface_fadeout 1",
    ]
    for name in extra_communities:
        lines.append(f"rocommunity {name} 127.0.0.1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_snmpd(extra_communities: list[str] | None = None, port: int | None = None) -> Snmpd:
    extra = list(extra_communities or [])
    folder = Path(tempfile.mkdtemp(prefix="vigil-snmpd-"))
    (folder / "persist").mkdir()
    (folder / "client").mkdir()
    port = port or free_udp_port()
    conf = folder / "snmpd.conf"
    write_config(conf, port, extra)
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(folder / "persist")}
    process = subprocess.Popen(
        [SNMPD, "-f", "-C", "-c", str(conf), "-I", "-smux", "-Lf", str(folder / "snmpd.log"),
         "-p", str(folder / "snmpd.pid")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    agent = Snmpd(port=port, folder=folder, process=process, extra_communities=extra)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"snmpd exited: {(folder / 'snmpd.log').read_text(errors='replace')}")
        try:
            return bool(agent.snmpwalk("1.3.6.1.2.1.1.3"))
        except subprocess.CalledProcessError:
            return False

    wait_until(answers, 20, "snmpd")
    return agent


def stop_snmpd(agent: Snmpd) -> None:
    agent.process.terminate()
    try:
        agent.process.wait(10)
    except subprocess.TimeoutExpired:
        agent.process.kill()
    shutil.rmtree(agent.folder, ignore_errors=True)


def snmpd_session() -> Iterator[Snmpd]:
    agent = start_snmpd()
    try:
        yield agent
    finally:
        stop_snmpd(agent)
