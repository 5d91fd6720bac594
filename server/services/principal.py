"""Who is calling, and which customers they may see.

Every service function that reads or changes customer data takes a :class:`Principal` and
scopes its queries with :func:`customer_filter`; an object of another customer is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, true
from vigil.server.db.models import Role
from vigil.server.errors import Forbidden, NotFound

STAFF_ROLES = frozenset({Role.admin, Role.dispatcher, Role.engineer, Role.expert})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    role: Role
    # None means every customer (admins and staff marked all_customers).
    customer_ids: frozenset[int] | None
    name: str = ""
    language: str = "zh"

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"

    def can_see(self, customer_id: int) -> bool:
        return self.customer_ids is None or customer_id in self.customer_ids

    def require_customer(self, customer_id: int, what: str = "object") -> None:
        if not self.can_see(customer_id):
            raise NotFound(f"{what} not found")

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"role {self.role.value} may not do this")

    def require_staff(self) -> None:
        if self.role not in STAFF_ROLES:
            raise Forbidden("only service staff may do this")


def customer_filter(principal: Principal, column: Any) -> ColumnElement[bool]:
    """A WHERE clause limiting ``column`` (a customer_id column) to the caller's customers."""
    if principal.customer_ids is None:
        return true()
    if not principal.customer_ids:
        return false()
    return column.in_(sorted(principal.customer_ids))


def system_principal() -> Principal:
    """For the server's own background work and the command line."""
    return Principal(user_id=0, role=Role.admin, customer_ids=None, name="system")
