"""Users, roles, the customers they may see, logins, sessions and API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from vigil.server.db.base import utcnow
from vigil.server.db.models import ApiToken, Customer, Role, User, UserCustomer
from vigil.server.errors import Conflict, InvalidInput, NotFound, Unauthorized
from vigil.server.schemas.users import UserCreate
from vigil.server.security import tokens
from vigil.server.security.passwords import hash_password, verify_password
from vigil.server.services.principal import Principal, customer_filter

# Verified against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$N1pXgWM12tvb9wSduvf3IQ$IYEYoByVx7s0U8su/jwrFiVv82Sn1i4NNlyNIoNMAmQ"


def create_user(db: Session, principal: Principal | None, data: UserCreate) -> User:
    """Create a user; ``principal`` None is the command line's bootstrap of the first admin."""
    if principal is not None:
        principal.require_role(Role.admin)
    if db.scalar(select(User.id).where(User.email == data.email.lower())) is not None:
        raise Conflict(f"user {data.email} already exists")
    if data.role is Role.customer_viewer and (data.all_customers or len(data.customer_ids) != 1):
        raise InvalidInput("a customer viewer belongs to exactly one customer")
    try:
        password_hash = hash_password(data.password)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    user = User(
        email=data.email.lower(),
        name=data.name,
        role=data.role,
        password_hash=password_hash,
        language=data.language,
        phone=data.phone,
        all_customers=data.all_customers or data.role is Role.admin,
    )
    db.add(user)
    db.flush()
    for customer_id in sorted(set(data.customer_ids)):
        if db.get(Customer, customer_id) is None:
            raise InvalidInput(f"customer {customer_id} does not exist")
        db.add(UserCustomer(user_id=user.id, customer_id=customer_id))
    db.flush()
    return user


def principal_for(db: Session, user: User) -> Principal:
    customers: frozenset[int] | None
    if user.all_customers or user.role is Role.admin:
        customers = None
    else:
        ids = db.scalars(select(UserCustomer.customer_id).where(UserCustomer.user_id == user.id))
        customers = frozenset(ids)
    return Principal(user.id, user.role, customers, user.name, user.language)


def authenticate(db: Session, email: str, password: str) -> User:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("wrong e-mail or password")
    if not verify_password(user.password_hash, password) or not user.active:
        raise Unauthorized("wrong e-mail or password")
    return user


def issue_token(
    db: Session, user: User, kind: str, name: str = "", lifetime: timedelta | None = None
) -> tuple[str, ApiToken]:
    token = tokens.new_token(tokens.SESSION if kind == "session" else tokens.USER)
    row = ApiToken(
        user_id=user.id,
        kind=kind,
        name=name,
        token_hash=tokens.token_hash(token),
        expires_at=utcnow() + lifetime if lifetime else None,
    )
    db.add(row)
    db.flush()
    return token, row


def user_for_token(db: Session, token: str, now: datetime | None = None) -> User:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.token_hash(token)))
    now = now or utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise Unauthorized("invalid or expired token")
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("invalid or expired token")
    return user


def revoke_token(db: Session, token: str) -> None:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        db.flush()


def list_users(db: Session, principal: Principal) -> list[User]:
    principal.require_role(Role.admin, Role.dispatcher)
    query = select(User).order_by(User.email)
    if principal.customer_ids is not None:
        visible = select(UserCustomer.user_id).where(customer_filter(principal, UserCustomer.customer_id))
        query = query.where(User.id.in_(visible))
    return list(db.scalars(query))


def get_user(db: Session, principal: Principal, user_id: int) -> User:
    if user_id != principal.user_id:
        principal.require_role(Role.admin, Role.dispatcher)
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    if principal.customer_ids is not None and user_id != principal.user_id:
        links = set(db.scalars(select(UserCustomer.customer_id).where(UserCustomer.user_id == user_id)))
        if not links & principal.customer_ids:
            raise NotFound("user not found")
    return user
