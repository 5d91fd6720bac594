"""A stand-in for Grafana's HTTP API on 127.0.0.1, for the provisioning tests.

No Grafana server can be installed on these machines (not in Debian, PyPI or npm; no Docker),
so this is an in-memory fake, a real HTTP server in a thread, that records every request and
answers the calls vigil makes the way Grafana's HTTP API documents them (Grafana 11, legacy
``/api`` endpoints):

- ``GET /api/datasources/uid/:uid`` (404 ``{"message": "Data source not found"}``), with
  ``secureJsonFields`` and never the secrets; ``POST /api/datasources`` ->
  ``{"datasource", "id", "message": "Datasource added", "name"}``; ``PUT
  /api/datasources/uid/:uid`` -> ``{"datasource", "id", "message": "Datasource updated", "name"}``;
- ``GET /api/teams/search?query=&page=&perpage=`` -> ``{"totalCount", "teams", "page",
  "perPage"}``; ``POST /api/teams`` -> ``{"message": "Team created", "teamId"}``;
- ``GET /api/folders/:uid`` (404 ``{"message": "folder not found"}``); ``POST /api/folders``
  and ``PUT /api/folders/:uid`` -> the folder (``id``, ``uid``, ``title``, ``url``, ``version``);
  a new folder gets the default permissions (Viewer: View, Editor: Edit);
- ``GET /api/folders/:uid/permissions`` -> the list of items (``role``/``teamId``/``userId``,
  ``permission``, ``permissionName``, ``inherited``); ``POST`` replaces them ->
  ``{"message": "Folder permissions updated"}``;
- ``GET /api/dashboards/uid/:uid`` -> ``{"dashboard", "meta": {"folderUid", ...}}`` (404
  ``{"message": "Dashboard not found"}``); ``POST /api/dashboards/db`` -> ``{"id", "uid", "url",
  "status": "success", "version", "slug"}``; an unknown ``folderUid`` is a 400.

Every call needs ``Authorization: Bearer <token>`` (401 otherwise). ``fail`` makes chosen
paths answer a given status, to test error handling.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PERMISSION_NAMES = {1: "View", 2: "Edit", 4: "Admin"}


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class GrafanaState:
    token: str
    requests: list[Recorded] = field(default_factory=list)
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    permissions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboard_folders: dict[str, str] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)  # path prefix -> status
    next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    @property
    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]


class _Handler(BaseHTTPRequestHandler):
    state: GrafanaState

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        return

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        url = urlparse(self.path)
        state = self.state
        with state.lock:
            state.requests.append(Recorded(method, url.path, body))
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                return self._answer(401, {"message": "Unauthorized"})
            for prefix, status in state.fail.items():
                if url.path.startswith(prefix):
                    return self._answer(status, {"message": f"injected {status}"})
            status, answer = self._route(method, url.path, parse_qs(url.query), body)
        self._answer(status, answer)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        s = self.state
        parts = path.strip("/").split("/")
        if parts[:3] == ["api", "datasources", "uid"] and len(parts) == 4:
            uid = parts[3]
            if uid not in s.datasources:
                return 404, {"message": "Data source not found"}
            if method == "GET":
                return 200, self._public_datasource(uid)
            if method == "PUT":
                return 200, self._save_datasource(uid, body, "Datasource updated")
        if path == "/api/datasources" and method == "POST":
            if any(d["name"] == body["name"] for d in s.datasources.values()):
                return 409, {"message": "data source with the same name already exists"}
            return 200, self._save_datasource(body["uid"], body, "Datasource added")
        if path == "/api/teams/search" and method == "GET":
            name = (query.get("query") or [""])[0]
            per_page = int((query.get("perpage") or ["1000"])[0])
            teams = [{"id": i, "orgId": 1, "name": n, "email": "", "memberCount": 0}
                     for i, n in s.teams.items() if name.lower() in n.lower()]
            return 200, {"totalCount": len(teams), "teams": teams, "page": 1, "perPage": per_page}
        if path == "/api/teams" and method == "POST":
            if body["name"] in s.teams.values():
                return 409, {"message": "Team name taken"}
            team_id = s.new_id()
            s.teams[team_id] = body["name"]
            return 200, {"message": "Team created", "teamId": team_id}
        if path == "/api/folders" and method == "POST":
            uid = body["uid"]
            if uid in s.folders:
                return 409, {"message": "a folder with the same uid already exists"}
            s.folders[uid] = {"id": s.new_id(), "uid": uid, "title": body["title"], "url": f"/dashboards/f/{uid}/",
                              "version": 1, "hasAcl": False, "canSave": True}
            s.permissions[uid] = [self._item(uid, {"role": "Viewer", "permission": 1}),
                                  self._item(uid, {"role": "Editor", "permission": 2})]
            return 200, s.folders[uid]
        if parts[:2] == ["api", "folders"] and len(parts) >= 3:
            uid = parts[2]
            if uid not in s.folders:
                return 404, {"message": "folder not found"}
            if len(parts) == 3 and method == "GET":
                return 200, s.folders[uid]
            if len(parts) == 3 and method == "PUT":
                folder = s.folders[uid]
                if not body.get("overwrite") and body.get("version") != folder["version"]:
                    return 412, {"message": "the folder has been changed by someone else"}
                folder.update(title=body.get("title", folder["title"]), version=folder["version"] + 1)
                return 200, folder
            if parts[3:] == ["permissions"] and method == "GET":
                return 200, s.permissions[uid]
            if parts[3:] == ["permissions"] and method == "POST":
                s.permissions[uid] = [self._item(uid, item) for item in body["items"]]
                return 200, {"message": "Folder permissions updated"}
        if parts[:3] == ["api", "dashboards", "uid"] and method == "GET":
            uid = parts[3]
            if uid not in s.dashboards:
                return 404, {"message": "Dashboard not found"}
            folder_uid = s.dashboard_folders[uid]
            folder = s.folders[folder_uid]
            return 200, {"dashboard": s.dashboards[uid], "meta": {
                "type": "db", "slug": uid, "url": f"/d/{uid}/{uid}", "folderUid": folder_uid,
                "folderId": folder["id"], "folderTitle": folder["title"], "version": s.dashboards[uid]["version"],
                "provisioned": False}}
        if path == "/api/dashboards/db" and method == "POST":
            board = dict(body["dashboard"])
            folder_uid = body.get("folderUid", "")
            if folder_uid and folder_uid not in s.folders:
                return 400, {"message": "folder not found", "status": "folder-not-found"}
            uid = board["uid"]
            if uid in s.dashboards and not body.get("overwrite"):
                return 412, {"message": "A dashboard with the same uid already exists", "status": "name-exists"}
            previous = s.dashboards.get(uid)
            board["id"] = previous["id"] if previous else s.new_id()
            board["version"] = previous["version"] + 1 if previous else 1
            s.dashboards[uid] = board
            s.dashboard_folders[uid] = folder_uid
            return 200, {"id": board["id"], "uid": uid, "url": f"/d/{uid}/{uid}", "status": "success",
                         "version": board["version"], "slug": uid}
        return 404, {"message": "Not found"}

    def _item(self, folder_uid: str, item: dict[str, Any]) -> dict[str, Any]:
        team_id = int(item.get("teamId") or 0)
        return {"id": self.state.new_id(), "uid": folder_uid, "folderId": self.state.folders[folder_uid]["id"],
                "userId": int(item.get("userId") or 0), "userLogin": "", "teamId": team_id,
                "team": self.state.teams.get(team_id, ""), "role": item.get("role", ""),
                "permission": item["permission"], "permissionName": PERMISSION_NAMES[item["permission"]],
                "inherited": False, "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z"}

    def _save_datasource(self, uid: str, body: dict[str, Any], message: str) -> dict[str, Any]:
        s = self.state
        previous = s.datasources.get(uid)
        stored = {k: v for k, v in body.items() if k not in ("secureJsonData", "id")}
        stored.update(id=previous["id"] if previous else s.new_id(), orgId=1, readOnly=False,
                      version=(previous or {}).get("version", 0) + 1)
        s.datasources[uid] = stored
        s.secrets.setdefault(uid, {}).update(body.get("secureJsonData") or {})
        public = self._public_datasource(uid)
        return {"datasource": public, "id": stored["id"], "message": message, "name": stored["name"]}

    def _public_datasource(self, uid: str) -> dict[str, Any]:
        return {**self.state.datasources[uid], "secureJsonFields": {k: True for k in self.state.secrets.get(uid, {})}}


@dataclass
class FakeGrafana:
    url: str
    state: GrafanaState
    server: ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def start_fake_grafana(token: str) -> FakeGrafana:
    state = GrafanaState(token=token)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="fake-grafana", daemon=True)
    thread.start()
    return FakeGrafana(f"http://127.0.0.1:{server.server_address[1]}", state, server, thread)
