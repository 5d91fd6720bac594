"""Logins: a session cookie for the web, bearer tokens for the API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from vigil.server.api.deps import SESSION_COOKIE, Ctx, CurrentUser, Db, bearer_token
from vigil.server.schemas.users import LoginIn, TokenCreate, TokenOut, UserPublic
from vigil.server.services import users

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=UserPublic)
def login(data: LoginIn, response: Response, db: Db, ctx: Ctx) -> UserPublic:
    user = users.authenticate(db, data.email, data.password)
    hours = ctx.settings.auth.session_hours
    token, _ = users.issue_token(db, user, "session", lifetime=timedelta(hours=hours))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=hours * 3600,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.auth.cookie_secure,
    )
    return UserPublic.model_validate(user)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, db: Db) -> Response:
    token = request.cookies.get(SESSION_COOKIE) or bearer_token(request)
    if token:
        users.revoke_token(db, token)
    response.delete_cookie(SESSION_COOKIE)
    response.status_code = 204
    return response


@router.get("/me", response_model=UserPublic)
def me(principal: CurrentUser, db: Db) -> UserPublic:
    return UserPublic.model_validate(users.get_user(db, principal, principal.user_id))


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(data: TokenCreate, principal: CurrentUser, db: Db) -> TokenOut:
    user = users.get_user(db, principal, principal.user_id)
    lifetime = timedelta(days=data.expires_days) if data.expires_days else None
    token, row = users.issue_token(db, user, "api", name=data.name, lifetime=lifetime)
    return TokenOut(token=token, expires_at=row.expires_at)
