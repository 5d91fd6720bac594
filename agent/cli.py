"""``vigil-agent`` (and ``vigil agent ...``): enrol, run, try the collectors, install the service.

    vigil-agent [--config FILE] [--state-dir DIR] enroll --server URL (--token T | --token-file F)
                [--ca FILE] [--name N]
    vigil-agent [--config FILE] run
    vigil-agent [--config FILE] test [--wait-seconds S] [--collector NAME ...]
    vigil-agent [--config FILE] install-service [--unit-dir DIR] [--user U] [--no-enable] ...
    vigil-agent uninstall-service [--unit-dir DIR] [--no-disable]

Exit codes: 0 fine, 1 runtime failure (server refused, spool unusable), 2 bad usage or config.

``run`` from a real command line checks the config, then hands it over to a lean process
(:mod:`vigil.agent.daemon`, same pid) that never imports argparse or tomllib.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from vigil.agent import __version__, daemon
from vigil.agent.config import AgentConfig, AgentSection, ConfigError, load
from vigil.agent.enrollment import CredentialError, EnrollmentError, enroll
from vigil.agent.spool import SpoolError
from vigil.agent.wire import encode

DEFAULT_CONFIG = Path("/etc/vigil-agent/agent.toml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigil-agent", description="vigil host agent")
    parser.add_argument("--version", action="version", version=f"vigil-agent {__version__}")
    parser.add_argument("--config", help=f"config file (default {DEFAULT_CONFIG} if it exists)")
    parser.add_argument("--state-dir", help="state folder (credential and spool); overrides the config")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("enroll", help="trade a one-time token for this host's credential")
    p.add_argument("--server", required=True, help="server URL, e.g. https://vigil.example.com")
    token = p.add_mutually_exclusive_group(required=True)
    token.add_argument("--token", help="one-time enrolment token")
    token.add_argument("--token-file", help="file holding the token ('-' for stdin): keeps it out of the process list")
    p.add_argument("--ca", default="", help="PEM file of the CA that signed the server's certificate")
    p.add_argument("--name", default="", help="node name (default: the host name)")

    sub.add_parser("run", help="collect and ship until stopped")

    p = sub.add_parser("test", help="run every collector, print line protocol; nothing is sent")
    p.add_argument("--wait-seconds", type=float, default=3.0, help="pause between the two rounds")
    p.add_argument("--collector", action="append", default=[], help="only this collector (repeatable)")

    p = sub.add_parser("install-service", help="write and enable a hardened systemd unit")
    p.add_argument("--unit-dir", default="/etc/systemd/system")
    p.add_argument("--user", default="vigil-agent", help="unprivileged account the agent runs as")
    p.add_argument("--no-create-user", action="store_true", help="do not create the account")
    p.add_argument("--no-enable", action="store_true", help="write the unit only; do not start it")
    p.add_argument(
        "--config-path", help=f"config file the unit points at (default: --config if given, else {DEFAULT_CONFIG})"
    )

    p = sub.add_parser("uninstall-service", help="stop, disable and remove the systemd unit")
    p.add_argument("--unit-dir", default="/etc/systemd/system")
    p.add_argument("--no-disable", action="store_true", help="remove the file only")
    return parser


def setup_logging(section: AgentSection) -> None:
    """Commands run in this process log through the logging package (vigil.agent.logs)."""
    logging.basicConfig(
        level=getattr(logging, section.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _config(args: argparse.Namespace) -> AgentConfig:
    path = args.config or (str(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else None)
    config = load(path)
    agent = config.agent
    if args.state_dir:
        agent = agent._replace(state_dir=args.state_dir)
    if args.log_level:
        agent = agent._replace(log_level=args.log_level)
    if agent is not config.agent:
        config = config._replace(agent=agent)
    return config


def _token(args: argparse.Namespace) -> str:
    if args.token is not None:
        return str(args.token)
    try:
        text = sys.stdin.read() if args.token_file == "-" else Path(args.token_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EnrollmentError(f"--token-file {args.token_file}: cannot be read: {exc}") from None
    if not text.strip():
        raise EnrollmentError(f"--token-file {args.token_file}: empty")
    return text.strip()


def _cmd_enroll(args: argparse.Namespace, config: AgentConfig) -> int:
    cred = enroll(
        args.server,
        _token(args),
        config.credential_path,
        name=args.name or config.agent.name,
        ca_file=args.ca,
        timeout_seconds=config.server.timeout_seconds,
    )
    print(f"enrolled as {cred.name} (node {cred.node_id}) for {cred.customer} / {cred.site}")
    print(f"credential written to {config.credential_path} (mode 0600)")
    return 0


def _cmd_run(config: AgentConfig, hand_over: bool) -> int:
    if hand_over and daemon.can_hand_over():
        # The long-running process should not keep argparse, tomllib and typing resident.
        daemon.hand_over(config)  # returns only if exec failed: then run here
    return daemon.run(config)


def _cmd_test(args: argparse.Namespace, config: AgentConfig) -> int:
    from vigil.agent.runner import CollectorSet

    if args.collector:
        known = {c.name for c in config.collectors}
        unknown = sorted(set(args.collector) - known)
        if unknown:
            raise ConfigError(
                f"--collector: unknown collector(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        chosen = tuple(c._replace(enabled=c.name in args.collector) for c in config.collectors)
        config = config._replace(collectors=chosen)
    collector_set = CollectorSet.from_config(config)
    collector_set.run_all()  # first round primes the counters for rates
    time.sleep(max(0.0, args.wait_seconds))
    points = collector_set.run_all()
    sys.stdout.write(encode(points).decode())
    sys.stdout.flush()
    failed = [run.spec.name for run in collector_set.runs if run.errors]
    if failed:
        print(f"collectors that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_service(args: argparse.Namespace, config: AgentConfig) -> int:
    from vigil.agent import service  # not needed by `run`: keep the running agent small

    try:
        if args.command == "install-service":
            if args.config_path is None:
                # The unit runs with the settings this command read (state and spool folders).
                args.config_path = args.config or str(DEFAULT_CONFIG)
            return service.install(args, config)
        return service.uninstall(args)
    except service.ServiceError as exc:
        print(f"vigil-agent: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"vigil-agent: bad configuration: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.agent)
    try:
        if args.command == "enroll":
            return _cmd_enroll(args, config)
        if args.command == "run":
            # A real command line (argv None) hands the run over to a lean process; callers in
            # Python (tests, `vigil agent` in another program) get the agent in their process.
            return _cmd_run(config, hand_over=argv is None)
        if args.command == "test":
            return _cmd_test(args, config)
        return _cmd_service(args, config)
    except ConfigError as exc:
        print(f"vigil-agent: bad configuration: {exc}", file=sys.stderr)
        return 2
    except (EnrollmentError, CredentialError, SpoolError) as exc:
        print(f"vigil-agent: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
