"""``vigil collector``: enroll, run, test one device by hand, discover a range.

``test`` polls one device like ``telegraf --test``: twice, a few seconds apart so counters
become rates, and prints the line protocol to stdout and the chosen profile to stderr; nothing
is sent. Secrets given here stay in memory: never logged, never echoed in errors. To keep them
out of the process arguments too, leave the option out and set VIGIL_SNMP_COMMUNITY,
VIGIL_SNMP_AUTH_KEY, VIGIL_SNMP_PRIV_KEY or VIGIL_SSH_PASSWORD instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import paramiko
from pydantic import SecretStr, ValidationError
from vigil.agent.wire import Point, encode
from vigil.collector.config import (
    CollectorConfig,
    DeviceConfig,
    PingSettings,
    SnmpCommunityCredential,
    SnmpCredential,
    SnmpSettings,
    SnmpV3Credential,
    SshSettings,
)
from vigil.collector.errors import CollectorError
from vigil.collector.runner import Collector

DEFAULT_STATE_DIR = "/var/lib/vigil-collector"


def _host_port(text: str, default_port: int) -> tuple[str, int]:
    if text.startswith("[") and "]" in text:  # [v6]:port
        host, _, rest = text[1:].partition("]")
        return host, int(rest.lstrip(":") or default_port)
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, default_port


def _secret(value: str | None, env_name: str) -> str | None:
    """A secret from its option, else from the environment (keeps it out of process arguments)."""
    return value if value else os.environ.get(env_name) or None


def _snmp_credential(args: argparse.Namespace) -> SnmpCredential | None:
    args.community = _secret(args.community, "VIGIL_SNMP_COMMUNITY")
    args.auth_key = _secret(args.auth_key, "VIGIL_SNMP_AUTH_KEY")
    args.priv_key = _secret(args.priv_key, "VIGIL_SNMP_PRIV_KEY")
    if args.v3_user:
        return SnmpV3Credential(
            user=args.v3_user, auth_proto=args.auth_proto or ("sha" if args.auth_key else "none"),
            auth_key=args.auth_key, priv_proto=args.priv_proto or ("aes" if args.priv_key else "none"),
            priv_key=args.priv_key, context=args.context or "",
        )
    if args.community:
        return SnmpCommunityCredential(version=args.snmp_version, community=args.community)
    return None


def _known_keys(path: str | None, host: str, port: int) -> tuple[str, ...]:
    if not path:
        return ()
    keys = paramiko.HostKeys(path)
    name = host if port == 22 else f"[{host}]:{port}"
    found: dict[str, paramiko.PKey] = dict(keys.lookup(name) or {})
    return tuple(f"{kind} {key.get_base64()}" for kind, key in found.items())


def _test_device(args: argparse.Namespace) -> DeviceConfig:
    cred = _snmp_credential(args)
    snmp_host, snmp_port = _host_port(args.target, 161)
    snmp = None
    if cred is not None:
        snmp = SnmpSettings(credential=cred, port=snmp_port, timeout_seconds=args.timeout,
                            retries=args.retries, profile=args.profile)
    ssh = None
    if args.ssh_user:
        ssh_host, ssh_port = _host_port(args.target, 22) if cred is None else (snmp_host, args.ssh_port)
        key = SecretStr(Path(args.ssh_key).read_text()) if args.ssh_key else None
        password_text = os.environ.get("VIGIL_SSH_PASSWORD")
        password = None if password_text is None else SecretStr(password_text)
        ssh = SshSettings(user=args.ssh_user, private_key=key, password=password, port=ssh_port, platform=args.platform,
                          known_host_keys=_known_keys(args.known_hosts, ssh_host, ssh_port),
                          timeout_seconds=max(args.timeout, 5.0))
    if snmp is None and ssh is None and not args.ping:
        raise CollectorError("give SNMP (--community or --v3-user ...) or SSH (--ssh-user ...) options, or --ping")
    ping = PingSettings(tcp_ports=tuple(args.tcp_port or ())) if args.ping or args.tcp_port else None
    return DeviceConfig(name=args.name or snmp_host, address=snmp_host, snmp=snmp, ssh=ssh, ping=ping)


def _cmd_test(args: argparse.Namespace) -> int:
    device = _test_device(args)
    points: list[Point] = []
    config = CollectorConfig(devices=(device,), interval_seconds=max(args.pause, 1.0) + 60)

    async def polls() -> tuple[int, str, dict[str, str], list[str]]:
        collector = Collector(config, points.extend)
        try:
            await collector.run_once()
            if device.snmp is not None and args.pause > 0:
                await asyncio.sleep(args.pause)
                points.clear()
                await collector.run_once()
            report = collector.last_report
            assert report is not None
            # A command the device refused is reported, but the device did answer: not a failure.
            failures = sum(n for kind, n in report.errors.items() if kind != "ssh_command")
            return failures, report.profiles.get(device.name, ""), report.error_messages, report.command_errors
        finally:
            collector.close()

    errors, profile, messages, command_errors = asyncio.run(polls())
    sys.stdout.write(encode([p for p in points if p.measurement != "collector"]).decode())
    if device.snmp is not None:
        print(f"# profile: {profile or 'none (no answer)'}", file=sys.stderr)
    for name, message in messages.items():
        print(f"# {name}: {message}", file=sys.stderr)
    for message in command_errors:
        print(f"# command failed, {message}", file=sys.stderr)
    return 1 if errors else 0


def _cmd_discover(args: argparse.Namespace) -> int:
    from vigil.collector.discovery import discover, expand_range
    from vigil.collector.snmp.client import SnmpClient

    cred = _snmp_credential(args)
    if cred is None:
        raise CollectorError("discovery needs --community or --v3-user ...")
    addresses = expand_range(args.range)

    async def sweep() -> list[dict[str, object]]:
        client = SnmpClient()
        try:
            found = await discover(client, addresses, [cred], port=args.port, timeout_seconds=args.timeout,
                                   retries=args.retries)
        finally:
            client.close()
        if args.post:
            from vigil.collector.service import ServerLink, load_credential

            link = ServerLink(load_credential(Path(args.state_dir) / "credential.json"))
            secret = cred.model_dump(mode="json")
            secret.update({k: v.get_secret_value() for k, v in cred if hasattr(v, "get_secret_value")})
            link.post_discoveries(found, [secret])
            link.close()
        return [p.public() for p in found]

    for proposal in asyncio.run(sweep()):
        print(json.dumps(proposal, ensure_ascii=False))
    return 0


def _cmd_enroll(args: argparse.Namespace) -> int:
    from vigil.collector.service import enroll_collector

    cred = enroll_collector(args.server, args.token, Path(args.state_dir) / "credential.json", args.name,
                            args.ca_file)
    print(f"enrolled as collector {cred.name} ({cred.customer}/{cred.site}); node {cred.node_id}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from vigil.agent.enrollment import CredentialError
    from vigil.collector.service import CollectorService, ServiceSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        service = CollectorService(ServiceSettings(Path(args.state_dir), interval_seconds=args.interval))
    except CredentialError:
        raise CollectorError(f"{args.state_dir}: not enrolled (or the credential file is unreadable); run "
                             "`vigil collector enroll --server URL --token TOKEN` first") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    service.run(stop)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigil collector", description="The vigil site collector.")
    sub = parser.add_subparsers(dest="command", required=True)

    enroll = sub.add_parser("enroll", help="trade a one-time token for this collector's credential")
    enroll.add_argument("--server", required=True)
    enroll.add_argument("--token", required=True)
    enroll.add_argument("--name", default="")
    enroll.add_argument("--ca-file", default="")
    enroll.add_argument("--state-dir", default=DEFAULT_STATE_DIR)
    enroll.set_defaults(func=_cmd_enroll)

    run = sub.add_parser("run", help="poll the devices the server assigns, ship through the spool")
    run.add_argument("--state-dir", default=DEFAULT_STATE_DIR)
    run.add_argument("--interval", type=float, default=60.0)
    run.set_defaults(func=_cmd_run)

    def snmp_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--community")
        p.add_argument("--snmp-version", choices=["1", "2c"], default="2c")
        p.add_argument("--v3-user")
        p.add_argument("--auth-proto", choices=["none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"])
        p.add_argument("--auth-key")
        p.add_argument("--priv-proto", choices=["none", "des", "3des", "aes", "aes128", "aes192", "aes256"])
        p.add_argument("--priv-key")
        p.add_argument("--context")
        p.add_argument("--timeout", type=float, default=2.0)
        p.add_argument("--retries", type=int, default=1)

    test = sub.add_parser("test", help="poll one device once and print line protocol; nothing is sent")
    test.add_argument("target", metavar="HOST[:PORT]")
    snmp_options(test)
    test.add_argument("--profile", help="force a vendor profile")
    test.add_argument("--name", help="device name for the device tag (default: the host)")
    test.add_argument("--pause", type=float, default=3.0, help="seconds between the two polls (rates)")
    test.add_argument("--ssh-user")
    test.add_argument("--ssh-key", help="private key file (a password comes only from VIGIL_SSH_PASSWORD)")
    test.add_argument("--ssh-port", type=int, default=22)
    test.add_argument("--known-hosts", help="OpenSSH known_hosts file holding the pinned key")
    test.add_argument("--platform", default="linux")
    test.add_argument("--ping", action="store_true", help="ICMP ping the host too")
    test.add_argument("--tcp-port", type=int, action="append", help="check a TCP port (repeatable)")
    test.set_defaults(func=_cmd_test)

    disc = sub.add_parser("discover", help="sweep an address range by SNMP and propose devices")
    disc.add_argument("range", metavar="RANGE", help="CIDR, FIRST-LAST or one address (at most 4096)")
    snmp_options(disc)
    disc.add_argument("--port", type=int, default=161)
    disc.add_argument("--post", action="store_true", help="send the proposals to the server for approval")
    disc.add_argument("--state-dir", default=DEFAULT_STATE_DIR)
    disc.set_defaults(func=_cmd_discover)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (CollectorError, OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else _first_error(exc)
        print(f"vigil collector {args.command}: {message}", file=sys.stderr)
        return 2


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


if __name__ == "__main__":
    raise SystemExit(main())
