"""Schemathesis against the server's own OpenAPI schema: no 5xx, answers match the schema.

The app runs in-process on PostgreSQL with the two-tenant seed; requests carry an admin token so
that the generated inputs reach the handlers behind authentication.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from vigil.server.app import create_app
from vigil.server.config import Settings
from vigil.server.context import AppContext, build_context
from vigil.server.db.models import User
from vigil.server.services.users import issue_token

from tests.seed import Seed, seed_tenants
from tests.services.postgres import PostgresServer, fresh_postgres_url

# Generated cases per operation: enough to find the edges, few enough for 80 operations.
EXAMPLES = 20


@pytest.fixture(scope="module")
def fuzz_target(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer, postgres_template: str
) -> Iterator[tuple[object, Seed, AppContext]]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    # PostgreSQL, the production engine, is the stricter one (NUL bytes, encodings, lengths).
    url = fresh_postgres_url(postgres_server, postgres_template)
    config = Settings(data_dir=folder, database_url=url, secret_key="fuzz-secret-key")  # type: ignore[arg-type]
    ctx = build_context(config)
    seed = seed_tenants(ctx)
    yield create_app(config, ctx), seed, ctx
    ctx.close()


@pytest.mark.timeout(900)
def test_no_server_errors_and_answers_match_the_schema(fuzz_target: tuple[object, Seed, AppContext]) -> None:
    """Every operation, up to 30 generated cases each (schemathesis' pytest plugin does not
    run under pytest 9, so the operations are driven through Hypothesis here)."""
    app, seed, ctx = fuzz_target
    api = schemathesis.openapi.from_asgi("/openapi.json", app)

    def admin_token() -> str:
        with ctx.sessions() as db, db.begin():
            admin = db.get(User, seed.user_ids["admin"])
            assert admin is not None
            return issue_token(db, admin, "api", name="fuzz")[0]

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    spent: dict[str, float] = {}
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            # A fresh token each time: a generated logout may revoke the one it was sent with.
            case.call_and_validate(headers={"Authorization": f"Bearer {admin_token()}"}, checks=checks)

        started = time.perf_counter()
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure for one report
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
        spent[operation.label] = time.perf_counter() - started
    slowest = sorted(spent.items(), key=lambda item: -item[1])[:8]
    print("slowest operations:", ", ".join(f"{label} {seconds:.1f}s" for label, seconds in slowest))
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
