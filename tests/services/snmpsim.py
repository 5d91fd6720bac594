"""snmpsim serving recordings of real devices from the ``snmpsim-data`` package.

Each recording is copied (decompressed) into a stable data folder under a short name; that name
is the v2c community and the v3 context that select it. The index cache lives in a stable
folder too, so only the first run on a machine pays for building it.
"""

from __future__ import annotations

import bz2
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.services.ports import free_udp_port, wait_until

DATA_DIR = Path("/tmp/vigil-snmpsim-data")
CACHE_DIR = Path("/tmp/vigil-snmpsim-cache")

# name -> recording path inside snmpsim_data/data (without .bz2)
RECORDINGS: dict[str, str] = {
    "huawei-s5720": "network/router/huawei-s5720.snmprec",
    "h3c-comware": "network/switch/h3c-comware-7-1-075.snmprec",
    "cisco-c3560": "network/switch/cisco-c3560.snmprec",
    "juniper-mx960": "network/router/juniper-mx960-13-3r9-13.snmprec",
    "ruijie-s5750": "network/switch/ruijie-s5750-24gt12sfp.snmprec",
    "zte-zxr10-5250": "network/switch/zte-zxr10-5250.snmprec",
    "apc-pdu-8641": "UPS/apc-8641.snmprec",
    "eaton-ups": "UPS/eaton-93e-80.snmprec",
    "linux-host": "os/linux/unknown-001.snmprec",
    "paloalto-pa5000": "network/firewall/paloalto-pa-5000.snmprec",
}

# Recordings built here from vendor MIBs where no real capture was found (see its README.md);
# served beside the real ones, each under its file name.
BUILT_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "snmprec"
BUILT_RECORDINGS: tuple[str, ...] = tuple(sorted(p.stem for p in BUILT_DIR.glob("*.snmprec")))

V3_USER = "simulator"
V3_AUTH_KEY = "auctoritas"
V3_PRIV_KEY = "privatus"


@dataclass
class Snmpsim:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def recording(self, name: str) -> Path:
        return DATA_DIR / f"{name}.snmprec"


def _source_dir() -> Path:
    import snmpsim_data

    return Path(snmpsim_data.__file__).parent / "data"


def prepare_data() -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    source = _source_dir()
    for name, relative in RECORDINGS.items():
        target = DATA_DIR / f"{name}.snmprec"
        if target.exists():
            continue
        plain, packed = source / relative, source / f"{relative}.bz2"
        partial = target.with_suffix(".part")
        if plain.exists():
            shutil.copyfile(plain, partial)
        else:
            partial.write_bytes(bz2.decompress(packed.read_bytes()))
        partial.rename(target)
    for name in BUILT_RECORDINGS:
        target, built = DATA_DIR / f"{name}.snmprec", (BUILT_DIR / f"{name}.snmprec").read_bytes()
        if not target.exists() or target.read_bytes() != built:
            partial = target.with_suffix(".part")
            partial.write_bytes(built)
            partial.rename(target)


def responder() -> str:
    candidate = Path(sys.executable).parent / "snmpsim-command-responder"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("snmpsim-command-responder")
    if not found:
        raise FileNotFoundError("snmpsim-command-responder is not installed")
    return found


def start_snmpsim() -> Snmpsim:
    prepare_data()
    port = free_udp_port()
    log = Path(tempfile.mkdtemp(prefix="vigil-snmpsim-")) / "snmpsim.log"
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
    process = subprocess.Popen(
        [responder(), f"--data-dir={DATA_DIR}", f"--cache-dir={CACHE_DIR}",
         f"--agent-udpv4-endpoint=127.0.0.1:{port}",
         f"--v3-user={V3_USER}", f"--v3-auth-key={V3_AUTH_KEY}", "--v3-auth-proto=SHA",
         f"--v3-priv-key={V3_PRIV_KEY}", "--v3-priv-proto=AES",
         f"--logging-method=file:{log}", "--log-level=error"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    sim = Snmpsim(port=port, process=process, log=log)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"snmpsim exited: {log.read_text(errors='replace') if log.exists() else ''}")
        result = subprocess.run(
            ["snmpget", "-v2c", "-c", "linux-host", "-r", "0", "-t", "1", "-On",
             f"127.0.0.1:{port}", "1.3.6.1.2.1.1.3.0"],
            capture_output=True, text=True, env={**os.environ, "MIBS": ""}, check=False,
        )
        return result.returncode == 0 and "1.3.6.1.2.1.1.3.0" in result.stdout

    # The first index build of the big recordings takes tens of seconds.
    wait_until(answers, 240, "snmpsim")
    # The first request to each recording opens its index (seconds for the big ones).
    for name in (*RECORDINGS, *BUILT_RECORDINGS):
        subprocess.run(
            ["snmpget", "-v2c", "-c", name, "-r", "0", "-t", "60", f"127.0.0.1:{port}", "1.3.6.1.2.1.1.2.0"],
            capture_output=True, env={**os.environ, "MIBS": ""}, check=False,
        )
    return sim


def stop_snmpsim(sim: Snmpsim) -> None:
    sim.process.terminate()
    try:
        sim.process.wait(10)
    except subprocess.TimeoutExpired:
        sim.process.kill()
