"""Dependencies shared by the routers: the context, a database session, who is calling.

Users authenticate with a bearer token (``Authorization: Bearer vgu_…``) or the web session
cookie; nodes with their credential (``Authorization: Bearer vgn_…``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from vigil.server.context import AppContext
from vigil.server.errors import Unauthorized
from vigil.server.services import users
from vigil.server.services.enrollment import NodeIdentity, authenticate_node
from vigil.server.services.principal import Principal

SESSION_COOKIE = "vigil_session"


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def get_db(ctx: Ctx) -> Iterator[Session]:
    """A session whose transaction commits when the handler returns without an error."""
    with ctx.sessions() as session, session.begin():
        yield session


Db = Annotated[Session, Depends(get_db)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def get_principal(request: Request, ctx: Ctx) -> Principal:
    token = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthorized("authentication required")
    with ctx.sessions() as db:
        user = users.user_for_token(db, token)
        return users.principal_for(db, user)


CurrentUser = Annotated[Principal, Depends(get_principal)]


def get_node(request: Request, ctx: Ctx) -> NodeIdentity:
    token = bearer_token(request)
    if not token:
        raise Unauthorized("node credential required")
    with ctx.sessions() as db:
        return authenticate_node(db, token)


CurrentNode = Annotated[NodeIdentity, Depends(get_node)]
