"""What a running server holds: settings, the database, the metric store, and its workers.

Built once from settings by :func:`build_context` and hung on ``app.state.ctx``; nothing here
is a module-level global, so tests can run several servers in one process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from vigil.server.config import Settings
from vigil.server.db.session import make_engine, make_sessionmaker
from vigil.server.metrics.base import MetricStore
from vigil.server.security.secrets_box import SecretBox
from vigil.server.services.ingest import IngestService, batch_id_pruner

log = logging.getLogger(__name__)

# A background worker runs until the event is set (the app's shutdown).
Worker = Callable[[threading.Event], None]


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    metrics: MetricStore
    secrets: SecretBox
    ingest: IngestService
    workers: dict[str, Worker] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start_workers(self) -> None:
        for name, worker in self.workers.items():
            thread = threading.Thread(target=self._run_worker, args=(name, worker), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run_worker(self, name: str, worker: Worker) -> None:
        try:
            worker(self._stop)
        except Exception:  # a worker's crash is logged; the server goes on serving
            log.exception("background worker %s stopped with an error", name)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.metrics.close()
        self.engine.dispose()


def build_context(settings: Settings) -> AppContext:
    from vigil.server.metrics import open_store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    store = open_store(settings.metrics, settings.data_dir)
    context = AppContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        metrics=store,
        secrets=SecretBox(settings.resolved_secret_key()),
        ingest=IngestService(sessions, store, settings.ingest),
    )
    context.workers["ingest-batch-pruner"] = batch_id_pruner(sessions, settings.ingest.batch_ids_kept_hours)
    return context
