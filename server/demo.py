"""``vigil demo``: the whole platform on its embedded defaults, on this machine.

The server runs on SQLite and the embedded metric store under ``data_dir``. A demo customer
with a site, a contract and three users (admin, L1 dispatcher, L2 engineer) is created once;
their passwords are generated and written to ``data_dir/demo-logins.txt`` (mode 0600).
Then the real parts start as they would be deployed, each as its own process: an agent for
this machine (enrolled with a one-time token) and whatever else ``DEMO_PARTS`` adds (the
site collector against simulated devices, ...). Ctrl-C stops everything.
"""

from __future__ import annotations

import json
import logging
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import select
from vigil.server.app import create_app
from vigil.server.collection.demo import start_collector
from vigil.server.config import Settings
from vigil.server.context import AppContext, build_context
from vigil.server.db.migrate import upgrade
from vigil.server.db.models import Contract, Customer, NodeKind, Role, Site, User
from vigil.server.reports.demo import start_report_draft
from vigil.server.schemas.customers import ContractCreate, CustomerCreate, SiteCreate
from vigil.server.schemas.nodes import EnrollmentTokenCreate
from vigil.server.schemas.users import UserCreate
from vigil.server.services import customers, enrollment, users
from vigil.server.services.principal import system_principal

log = logging.getLogger(__name__)

DEMO_CUSTOMER = "demo"
DEMO_SITE = "hq"
DEMO_USERS = (
    ("admin@demo.example.com", "管理员 Admin", Role.admin),
    ("desk@demo.example.com", "一线坐席 Desk", Role.dispatcher),
    ("engineer@demo.example.com", "二线工程师 Engineer", Role.engineer),
)


@dataclass
class DemoRun:
    """What a demo part gets: the running server and a place to register its processes."""

    settings: Settings
    ctx: AppContext
    url: str
    customer_id: int
    site_id: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def enrollment_token(self, kind: NodeKind) -> str:
        with self.ctx.sessions() as db, db.begin():
            token, _ = enrollment.create_enrollment_token(
                db,
                system_principal(),
                EnrollmentTokenCreate(customer_id=self.customer_id, site_id=self.site_id, kind=kind, hours=1),
                1,
            )
        return token

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log_path = self.settings.data_dir / f"{name}.log"
        process = subprocess.Popen(args, stdout=log_path.open("ab"), stderr=subprocess.STDOUT)
        self.processes.append(process)
        print(f"  {name}: pid {process.pid}, log {log_path}")
        return process


DemoPart = Callable[[DemoRun], None]


def ensure_demo_tenant(ctx: AppContext, data_dir: Path) -> tuple[int, int, list[tuple[str, str]]]:
    """The demo customer, site, contract and users; created once, found on later runs."""
    logins_file = data_dir / "demo-logins.txt"
    system = system_principal()
    with ctx.sessions() as db, db.begin():
        customer = db.scalar(select(Customer).where(Customer.slug == DEMO_CUSTOMER))
        if customer is None:
            customer = customers.create_customer(
                db,
                system,
                CustomerCreate(
                    slug=DEMO_CUSTOMER,
                    name="演示客户 Demo Customer",
                    language="zh",
                    timezone="Asia/Shanghai",
                    report_contacts=["it-manager@demo.example.com"],
                ),
            )
            customers.create_site(db, system, customer.id, SiteCreate(slug=DEMO_SITE, name="总部机房 HQ data room"))
        if db.scalar(select(Contract.id).where(Contract.customer_id == customer.id)) is None:
            customers.create_contract(db, system, customer.id, ContractCreate(number="DEMO-2026-001", sla_level="gold"))
        site = db.scalar(select(Site).where(Site.customer_id == customer.id, Site.slug == DEMO_SITE))
        assert site is not None
        logins: list[tuple[str, str]] = []
        if not logins_file.exists():
            for email, name, role in DEMO_USERS:
                if db.scalar(select(User.id).where(User.email == email)) is not None:
                    continue
                password = secrets.token_urlsafe(12)
                users.create_user(
                    db,
                    None,
                    UserCreate(email=email, name=name, role=role, password=password, customer_ids=[customer.id]),
                )
                logins.append((email, password))
            logins_file.touch(mode=0o600)
            logins_file.write_text("".join(f"{email}  {password}\n" for email, password in logins))
        else:
            for line in logins_file.read_text().splitlines():
                email, _, password = line.partition("  ")
                logins.append((email, password))
        return customer.id, site.id, logins


def start_agent(run: DemoRun) -> None:
    """An agent for this machine, as its own process, enrolled like a customer's host would be."""
    state = run.settings.data_dir / "agent"
    state.mkdir(parents=True, exist_ok=True)
    config = state / "agent.toml"
    config.write_text(
        f'[agent]\nname = "demo-host"\nstate_dir = "{state}"\ninterval_seconds = 10.0\n'
        f'[server]\nurl = "{run.url}"\n[spool]\nmax_bytes = 16777216\n'
    )
    agent = [sys.executable, "-m", "vigil.agent.cli", "--config", str(config)]
    if not (state / "credential.json").exists():
        token = run.enrollment_token(NodeKind.agent)
        subprocess.run([*agent, "enroll", "--server", run.url, "--token", token], check=True, timeout=60)
    run.spawn("agent", [*agent, "run"])


# Later parts add theirs here (the collector with simulated devices, ...).
DEMO_PARTS: list[DemoPart] = [start_agent, start_collector, start_report_draft]


def _serve(settings: Settings, ctx: AppContext) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(create_app(settings, ctx), host=settings.host, port=settings.port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="vigil-demo-server", daemon=True)
    thread.start()
    url = f"http://{settings.host}:{settings.port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, thread
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the demo server did not start on {url}")


def run_demo(data_dir: Path, port: int, stop: threading.Event | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    data_dir = data_dir.resolve()
    settings = Settings(data_dir=data_dir, port=port, host="127.0.0.1")
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    ctx = build_context(settings)
    customer_id, site_id, logins = ensure_demo_tenant(ctx, data_dir)
    server, thread = _serve(settings, ctx)
    url = f"http://127.0.0.1:{port}"
    run = DemoRun(settings, ctx, url, customer_id, site_id)
    print(f"vigil demo at {url}  (API docs: {url}/docs)")
    print(json.dumps({"customer": DEMO_CUSTOMER, "logins": dict(logins)}, ensure_ascii=False, indent=2))
    stop = stop or threading.Event()

    def _terminate(*_: object) -> None:
        # Also while a part is still starting: unwind through the same cleanup as Ctrl-C.
        stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        for part in DEMO_PARTS:
            part(run)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, lambda *_: None)  # a second SIGTERM must not cut the cleanup short
        for process in run.processes:
            process.terminate()
        for process in run.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        server.should_exit = True
        thread.join(timeout=15)
