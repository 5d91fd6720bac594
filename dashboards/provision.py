"""``vigil dashboards provision``: data sources, teams, folders, permissions and dashboards into
a running Grafana through its HTTP API, with ``grafana-client``.

Idempotent: every object is read first and written only when it differs, so a second run
issues no write at all. What counts as "differs":

- data source: the fields vigil sets (name, type, url, user, access, isDefault, jsonData keys)
  and, for secrets, only whether Grafana holds one (``secureJsonFields``); Grafana never returns
  a secret, so a changed password is pushed with ``--update-secrets``;
- team: exists by name (created when missing, never changed);
- folder: title; permissions: the set of (team or role, level) grants, Admin and inherited
  entries aside (POST replaces the whole list, which is what vigil wants);
- dashboard: the JSON Grafana returns, less ``id`` and ``version``, and its folder.

Errors from grafana-client (and the HTTP layer under it) become :class:`ProvisionError`
(:class:`GrafanaUnavailable` for connection failures, timeouts and 5xx), naming the call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import niquests
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException, GrafanaServerError, GrafanaTimeoutError
from vigil.dashboards.catalog import Folder, Grant
from vigil.dashboards.errors import GrafanaUnavailable, ProvisionError

log = logging.getLogger("vigil.dashboards")
T = TypeVar("T")
MESSAGE = "provisioned by vigil dashboards"


@dataclass
class ProvisionReport:
    writes: list[str] = field(default_factory=list)  # "created folder vigil-folder-acme", ...
    unchanged: int = 0


def _call(what: str, action: Callable[[], T]) -> T:
    try:
        return action()
    except (GrafanaServerError, GrafanaTimeoutError) as exc:
        raise GrafanaUnavailable(f"{what}: Grafana is unavailable: {exc}") from None
    except GrafanaException as exc:
        raise ProvisionError(f"{what}: Grafana refused: {exc}") from None
    except niquests.exceptions.RequestException as exc:
        raise GrafanaUnavailable(f"{what}: cannot reach Grafana: {exc}") from None


def _get_or_none(what: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return None
        raise ProvisionError(f"{what}: Grafana refused: {exc}") from None
    except (GrafanaServerError, GrafanaTimeoutError) as exc:
        raise GrafanaUnavailable(f"{what}: Grafana is unavailable: {exc}") from None
    except GrafanaException as exc:
        raise ProvisionError(f"{what}: Grafana refused: {exc}") from None
    except niquests.exceptions.RequestException as exc:
        raise GrafanaUnavailable(f"{what}: cannot reach Grafana: {exc}") from None


def connect(url: str, token: str, timeout_seconds: float = 15.0) -> GrafanaApi:
    if not url.startswith(("http://", "https://")):
        raise ProvisionError(f"--grafana must be an http:// or https:// URL, got {url[:80]!r}")
    return GrafanaApi.from_url(url, credential=token, timeout=timeout_seconds)


def _datasource_same(existing: dict[str, Any], body: dict[str, Any], secrets: dict[str, str]) -> bool:
    for key, value in body.items():
        if key == "jsonData":
            current = existing.get("jsonData") or {}
            if any(current.get(k) != v for k, v in value.items()):
                return False
        elif existing.get(key) != value:
            return False
    held = existing.get("secureJsonFields") or {}
    return all(held.get(key) for key in secrets)


class Provisioner:
    def __init__(self, api: GrafanaApi, *, update_secrets: bool = False) -> None:
        self.api = api
        self.update_secrets = update_secrets
        self.report = ProvisionReport()
        self._team_ids: dict[str, int] = {}

    def run(self, datasources: list[tuple[dict[str, Any], dict[str, str]]], folders: list[Folder]) -> ProvisionReport:
        for body, secrets in datasources:
            self.datasource(body, secrets)
        for folder in folders:
            self.folder(folder)
            self.permissions(folder)
            for board in folder.dashboards:
                self.dashboard(folder.uid, board)
        return self.report

    def _wrote(self, text: str) -> None:
        log.info("%s", text)
        self.report.writes.append(text)

    def datasource(self, body: dict[str, Any], secrets: dict[str, str]) -> None:
        uid = body["uid"]
        existing = _get_or_none(f"GET data source {uid}", lambda: self.api.datasource.get_datasource_by_uid(uid))
        payload = {**body, "secureJsonData": secrets} if secrets else dict(body)
        if existing is None:
            _call(f"create data source {uid}", lambda: self.api.datasource.create_datasource(payload))
            self._wrote(f"created data source {uid}")
        elif self.update_secrets and secrets or not _datasource_same(existing, body, secrets):
            merged = {**body, "jsonData": {**(existing.get("jsonData") or {}), **body["jsonData"]}}
            if secrets:
                merged["secureJsonData"] = secrets
            _call(f"update data source {uid}", lambda: self.api.datasource.update_datasource_by_uid(uid, merged))
            self._wrote(f"updated data source {uid}")
        else:
            self.report.unchanged += 1

    def team_id(self, name: str) -> int:
        if name in self._team_ids:
            return self._team_ids[name]
        teams = _call(f"search team {name}", lambda: self.api.teams.search_teams(query=name))
        found = next((t for t in teams if t.get("name") == name), None)
        if found is None:
            answer = _call(f"create team {name}", lambda: self.api.teams.add_team({"name": name}))
            team_id = int(answer["teamId"])
            self._wrote(f"created team {name}")
        else:
            team_id = int(found["id"])
        self._team_ids[name] = team_id
        return team_id

    def folder(self, folder: Folder) -> None:
        existing = _get_or_none(f"GET folder {folder.uid}", lambda: self.api.folder.get_folder(folder.uid))
        if existing is None:
            _call(f"create folder {folder.uid}", lambda: self.api.folder.create_folder(folder.title, uid=folder.uid))
            self._wrote(f"created folder {folder.uid}")
        elif existing.get("title") != folder.title:
            _call(f"rename folder {folder.uid}", lambda: self.api.folder.update_folder(
                folder.uid, title=folder.title, version=existing.get("version"), overwrite=True))
            self._wrote(f"renamed folder {folder.uid}")
        else:
            self.report.unchanged += 1

    def _grant_items(self, grants: tuple[Grant, ...]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for grant in grants:
            if grant.team is not None:
                items.append({"teamId": self.team_id(grant.team), "permission": grant.permission})
            elif grant.role is not None:
                items.append({"role": grant.role, "permission": grant.permission})
        return items

    @staticmethod
    def _grant_set(items: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
        found: set[tuple[str, str, int]] = set()
        for item in items:
            if item.get("inherited") or item.get("role") == "Admin":
                continue
            if item.get("teamId"):
                found.add(("team", str(item["teamId"]), int(item["permission"])))
            elif item.get("userId"):
                found.add(("user", str(item["userId"]), int(item["permission"])))
            elif item.get("role"):
                found.add(("role", str(item["role"]), int(item["permission"])))
        return found

    def permissions(self, folder: Folder) -> None:
        wanted = self._grant_items(folder.grants)
        current = _call(f"GET permissions of {folder.uid}", lambda: self.api.folder.get_folder_permissions(folder.uid))
        if self._grant_set(list(current or [])) == self._grant_set(wanted):
            self.report.unchanged += 1
            return
        _call(f"set permissions of {folder.uid}",
              lambda: self.api.folder.update_folder_permissions(folder.uid, {"items": wanted}))
        self._wrote(f"set permissions of folder {folder.uid}")

    def dashboard(self, folder_uid: str, board: dict[str, Any]) -> None:
        uid = board["uid"]
        existing = _get_or_none(f"GET dashboard {uid}", lambda: self.api.dashboard.get_dashboard(uid))
        if existing is not None:
            stored = {k: v for k, v in (existing.get("dashboard") or {}).items() if k not in ("id", "version")}
            if stored == board and (existing.get("meta") or {}).get("folderUid") == folder_uid:
                self.report.unchanged += 1
                return
        payload = {"dashboard": {**board, "id": None}, "folderUid": folder_uid, "overwrite": True, "message": MESSAGE}
        _call(f"save dashboard {uid}", lambda: self.api.dashboard.update_dashboard(payload))
        self._wrote(f"{'updated' if existing is not None else 'created'} dashboard {uid}")
