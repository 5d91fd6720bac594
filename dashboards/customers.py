"""Where the customer list comes from: ``--customers`` on the command line, or vigil's API.

``--customers acme,bravo=Bravo Bank`` gives slugs (and optionally display names) directly: no
server needed, fit for a first install or a Grafana that should show only some customers.
``--vigil-url URL`` (with a user token) reads ``GET /api/v1/customers``, which returns the
customers that token's user may see: provisioning with an admin's token covers everyone. The
API is read with the standard library (the dashboards extra stays small).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from vigil.dashboards.catalog import SLUG, Customer
from vigil.dashboards.errors import CustomerSourceError


def parse_customers(text: str) -> list[Customer]:
    found: list[Customer] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        slug, _, name = item.partition("=")
        slug = slug.strip()
        if not SLUG.fullmatch(slug):
            raise CustomerSourceError(f"--customers: {slug[:70]!r} is not a customer slug (a-z, 0-9, -)")
        found.append(Customer(slug, name.strip() or slug))
    if not found:
        raise CustomerSourceError("--customers: no customer given")
    return found


def fetch_customers(vigil_url: str, token: str, timeout_seconds: float = 15.0) -> list[Customer]:
    url = vigil_url.rstrip("/") + "/api/v1/customers"
    if not url.startswith(("http://", "https://")):
        raise CustomerSourceError(f"--vigil-url must be http:// or https://, got {vigil_url[:80]!r}")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:  # noqa: S310 - scheme checked
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise CustomerSourceError(f"vigil answered {exc.code} for GET /api/v1/customers") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise CustomerSourceError(f"cannot reach vigil at {vigil_url}: {exc}") from None
    try:
        rows = json.loads(body)
        customers = [Customer(str(row["slug"]), str(row["name"])) for row in rows]
    except (ValueError, TypeError, KeyError) as exc:
        raise CustomerSourceError(f"unexpected answer from GET /api/v1/customers: {exc}") from None
    bad = [c.slug for c in customers if not SLUG.fullmatch(c.slug)]
    if bad:
        raise CustomerSourceError(f"vigil returned customer slugs that are not slugs: {bad[:3]}")
    return customers
