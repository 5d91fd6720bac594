"""Installing the agent as a systemd service: a hardened unit, an unprivileged account, its own
state folder. Windows service installation is not written yet; these commands refuse there."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from vigil.agent.config import AgentConfig

UNIT_NAME = "vigil-agent.service"
DEFAULT_STATE_DIR = Path("/var/lib/vigil-agent")


class ServiceError(RuntimeError):
    """The service could not be installed or removed; the message says why."""


def _systemd_running() -> bool:
    return os.path.isdir("/run/systemd/system") and shutil.which("systemctl") is not None


def _systemctl(*argv: str) -> None:
    import subprocess

    systemctl = shutil.which("systemctl") or "systemctl"
    result = subprocess.run([systemctl, *argv], capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise ServiceError(f"systemctl {' '.join(argv)} failed: {result.stderr.strip() or result.returncode}")


def exec_start(python: str, config_path: Path | None, state_dir: Path) -> list[str]:
    """The command the unit runs; ``bench/agent_footprint.py`` measures exactly this command.

    The interpreter is the one the agent is installed for, with no extra flags: ``run`` hands
    over to :mod:`vigil.agent.daemon`, which imports only what collecting and shipping need.
    """
    command = [python, "-m", "vigil.agent.cli"]
    if config_path is not None:
        command += ["--config", str(config_path)]
    return [*command, "--state-dir", str(state_dir), "run"]


def unit_text(user: str, state_dir: Path, exec_start: str, other_writable: tuple[Path, ...] = ()) -> str:
    """The unit file. Only the state folder (and a spool folder configured outside it) is
    writable; the rest of the system is read-only."""
    if state_dir == DEFAULT_STATE_DIR:
        state = "StateDirectory=vigil-agent\nStateDirectoryMode=0700\n"
    else:
        state = f"ReadWritePaths={state_dir}\n"
    state += "".join(f"ReadWritePaths={path}\n" for path in other_writable)
    return f"""# Written by `vigil agent install-service`; remove with `vigil agent uninstall-service`.
[Unit]
Description=vigil host agent
Documentation=https://github.com/vigil/vigil
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
ExecStart={exec_start}
Restart=always
RestartSec=5
{state}UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
CapabilityBoundingSet=
AmbientCapabilities=

[Install]
WantedBy=multi-user.target
"""


def _ensure_user(user: str, home: Path) -> None:
    import pwd

    try:
        pwd.getpwnam(user)
        return
    except KeyError:
        pass
    import subprocess

    useradd = shutil.which("useradd")
    if useradd is None:
        raise ServiceError(f"account {user} does not exist and useradd is not available")
    nologin = "/usr/sbin/nologin" if os.path.exists("/usr/sbin/nologin") else "/bin/false"
    result = subprocess.run(  # noqa: S603 - fixed argv
        [useradd, "--system", "--no-create-home", "--home-dir", str(home), "--shell", nologin, user],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ServiceError(f"cannot create account {user}: {result.stderr.strip()}")


def _own_folder(state_dir: Path, user: str) -> None:
    """Create ``state_dir`` if need be and give it, with all it holds, to ``user`` (mode 0700)."""
    import pwd

    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise ServiceError(f"account {user} does not exist (drop --no-create-user to create it)") from None
    for root, dirs, files in os.walk(state_dir):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.chown(state_dir, entry.pw_uid, entry.pw_gid)


def install(args: argparse.Namespace, config: AgentConfig) -> int:
    if sys.platform == "win32":
        raise ServiceError("install-service supports systemd only; on Windows use a service wrapper for now")
    state_dir = Path(config.state_dir).resolve()
    if not args.no_create_user:
        _ensure_user(args.user, state_dir)
    _own_folder(state_dir, args.user)
    # A spool folder set outside the state folder must be the agent's and writable too, or the
    # service cannot start under ProtectSystem=strict.
    spool_dir = Path(config.spool_dir).resolve()
    other_writable = () if spool_dir.is_relative_to(state_dir) else (spool_dir,)
    for folder in other_writable:
        _own_folder(folder, args.user)
    config_path = Path(args.config_path)
    command = exec_start(sys.executable, config_path.resolve() if config_path.exists() else None, state_dir)
    unit_dir = Path(args.unit_dir)
    unit_dir.mkdir(parents=True, exist_ok=True)
    unit_path = unit_dir / UNIT_NAME
    tmp = unit_path.with_name(UNIT_NAME + ".tmp")
    tmp.write_text(unit_text(args.user, state_dir, " ".join(command), other_writable), encoding="utf-8")
    os.chmod(tmp, 0o644)
    os.replace(tmp, unit_path)
    print(f"unit written to {unit_path}")
    if args.no_enable:
        return 0
    if not _systemd_running():
        raise ServiceError(f"unit written to {unit_path}, but systemd is not running here, so it is not enabled")
    _systemctl("daemon-reload")
    _systemctl("enable", "--now", UNIT_NAME)
    print(f"{UNIT_NAME} enabled and started")
    return 0


def uninstall(args: argparse.Namespace) -> int:
    unit_path = Path(args.unit_dir) / UNIT_NAME
    if not args.no_disable and _systemd_running():
        _systemctl("disable", "--now", UNIT_NAME)
    if not unit_path.exists():
        print(f"no unit at {unit_path}; nothing to remove")
        return 0
    unit_path.unlink()
    if not args.no_disable and _systemd_running():
        _systemctl("daemon-reload")
    print(f"removed {unit_path}; the state folder and the account are kept")
    return 0
