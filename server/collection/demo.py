"""The demo's site collector: snmpsim serving recordings of real devices, and a real collector.

``start_collector`` is a ``vigil demo`` part. It starts snmpsim (from the ``snmpsim`` and
``snmpsim-data`` packages of the dev install) on a free loopback port with a handful of
recordings (Huawei and H3C switches, a Cisco switch, a Ruijie switch, an APC rack PDU, an Eaton
UPS), enrols a collector with a one-time token, registers the simulated devices for it with
their SNMP communities, and runs ``vigil collector run`` as its own process, as deployed.
The server imports none of the collector's code: it starts it by module name.
"""

from __future__ import annotations

import bz2
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select
from vigil.server.db.models import Device, DeviceKind, Node, NodeKind
from vigil.server.schemas.devices import CredentialsIn, DeviceCreate, SnmpCredential
from vigil.server.services import devices
from vigil.server.services.principal import system_principal

COLLECTOR_NAME = "demo-collector"
# device name -> (recording in snmpsim-data, kind)
DEMO_DEVICES: dict[str, tuple[str, DeviceKind]] = {
    "core-sw-huawei-s5720": ("network/router/huawei-s5720.snmprec", DeviceKind.switch),
    "agg-sw-h3c": ("network/switch/h3c-comware-7-1-075.snmprec", DeviceKind.switch),
    "access-sw-cisco-3560": ("network/switch/cisco-c3560.snmprec", DeviceKind.switch),
    "access-sw-ruijie-s5750": ("network/switch/ruijie-s5750-24gt12sfp.snmprec", DeviceKind.switch),
    "rack-pdu-apc": ("UPS/apc-8641.snmprec", DeviceKind.ups),
    "ups-eaton-93e": ("UPS/eaton-93e-80.snmprec", DeviceKind.ups),
}


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_recordings(data_dir: Path) -> Path | None:
    try:
        import snmpsim_data
    except ImportError:
        return None
    source = Path(snmpsim_data.__file__).parent / "data"
    target = data_dir / "snmpsim-data"
    target.mkdir(parents=True, exist_ok=True)
    for name, (relative, _) in DEMO_DEVICES.items():
        path = target / f"{name}.snmprec"
        if path.exists():
            continue
        plain, packed = source / relative, source / f"{relative}.bz2"
        path.write_bytes(plain.read_bytes() if plain.exists() else bz2.decompress(packed.read_bytes()))
    return target


def _wait_for_snmpsim(port: int, communities: list[str], timeout_seconds: float = 120.0) -> None:
    """snmpsim indexes the recordings before it answers (tens of seconds the first time), and
    opens each recording on its first request (seconds for the big ones)."""
    snmpget = shutil.which("snmpget")
    if snmpget is None:
        return
    deadline = time.monotonic() + timeout_seconds
    print("  snmpsim: indexing the recordings (the first run takes a while)...")
    for community in communities:
        while time.monotonic() < deadline:
            answer = subprocess.run([snmpget, "-v2c", "-c", community, "-r", "0", "-t", "10", f"127.0.0.1:{port}",
                                     "1.3.6.1.2.1.1.3.0"], capture_output=True, env={"MIBS": ""}, check=False)
            if answer.returncode == 0:
                break
            time.sleep(1)


def start_collector(run: object) -> None:
    """A ``DemoPart``: ``run`` is the demo's DemoRun (settings, ctx, url, spawn, enrollment_token)."""
    settings, ctx = run.settings, run.ctx  # type: ignore[attr-defined]
    data_dir: Path = settings.data_dir
    recordings = _prepare_recordings(data_dir)
    responder = shutil.which("snmpsim-command-responder") or str(Path(sys.executable).parent /
                                                                   "snmpsim-command-responder")
    if recordings is None or not Path(responder).exists():
        print("  collector: skipped (install the dev extra for snmpsim and snmpsim-data)")
        return
    port = _free_udp_port()
    run.spawn("snmpsim", ["env", "SNMPSIM_ALLOW_ROOT=true", responder,  # type: ignore[attr-defined]
                          f"--data-dir={recordings}", f"--cache-dir={data_dir / 'snmpsim-cache'}",
                          f"--agent-udpv4-endpoint=127.0.0.1:{port}"])
    _wait_for_snmpsim(port, list(DEMO_DEVICES))
    state = data_dir / "collector"
    state.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "vigil.collector.cli"]
    if not (state / "credential.json").exists():
        token = run.enrollment_token(NodeKind.collector)  # type: ignore[attr-defined]
        subprocess.run([*command, "enroll", "--server", run.url, "--token", token,  # type: ignore[attr-defined]
                        "--name", COLLECTOR_NAME, "--state-dir", str(state)], check=True, timeout=60)
    system = system_principal()
    with ctx.sessions() as db, db.begin():
        node = db.scalar(select(Node).where(Node.customer_id == run.customer_id,  # type: ignore[attr-defined]
                                            Node.kind == NodeKind.collector, Node.name == COLLECTOR_NAME,
                                            Node.revoked_at.is_(None)))
        if node is None:
            print("  collector: no enrolled demo collector found; remove the collector folder and retry")
            return
        for name, (_, kind) in DEMO_DEVICES.items():
            device = db.scalar(select(Device).where(Device.customer_id == node.customer_id, Device.name == name))
            if device is None:
                device = devices.create_device(db, system, DeviceCreate(
                    customer_id=node.customer_id, site_id=node.site_id, name=name, kind=kind,
                    mgmt_address="127.0.0.1", node_id=node.id))
            # snmpsim's port changes on every demo run; the community selects the recording.
            devices.set_credentials(db, system, ctx.secrets, device.id,
                                    CredentialsIn(snmp=SnmpCredential(version="2c", port=port, community=name)))
    run.spawn("collector", [*command, "run", "--state-dir", str(state), "--interval", "30"])  # type: ignore[attr-defined]
