"""A loopback stand-in for the Hugging Face Hub's HTTP API, enough for ``create_repo`` and one commit.

It answers repository creation, the card's YAML validation (accepting it), the pre-upload check
(every file uploaded inline, "regular" mode) and the commit endpoint, and records each commit's
operations so tests can check what was pushed.
"""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler

from kit.loopback import LoopbackServer


class FakeHub(LoopbackServer):
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.repos: list[dict] = []
        self.commits: list[dict] = []
        self.validated: list[dict] = []
        super().__init__()

    @property
    def endpoint(self) -> str:
        return self.root

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                hub.requests.append(("GET", self.path))
                self._send(404, {"error": "not found"})

            def do_POST(self):
                hub.requests.append(("POST", self.path))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/api/repos/create":
                    payload = json.loads(body)
                    hub.repos.append(payload)
                    name = f"{payload.get('organization') or 'user'}/{payload['name']}"
                    return self._send(200, {"url": f"{hub.endpoint}/datasets/{name}", "name": name})
                if self.path == "/api/validate-yaml":
                    hub.validated.append(json.loads(body))
                    return self._send(200, {"errors": [], "warnings": []})
                if "/preupload/" in self.path:
                    files = json.loads(body)["files"]
                    return self._send(
                        200,
                        {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]},
                    )
                if "/commit/" in self.path:
                    lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
                    files = {
                        line["value"]["path"]: base64.b64decode(line["value"]["content"])
                        for line in lines
                        if line["key"] == "file"
                    }
                    header = next(line["value"] for line in lines if line["key"] == "header")
                    hub.commits.append({"path": self.path, "summary": header.get("summary"), "files": files})
                    repo = self.path.removeprefix("/api/").split("/commit/")[0]  # datasets/ORG/NAME
                    oid = "a" * 40
                    return self._send(200, {"commitUrl": f"{hub.endpoint}/{repo}/commit/{oid}", "commitOid": oid})
                return self._send(404, {"error": f"unexpected {self.path}"})

            def _send(self, code: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
