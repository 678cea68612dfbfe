"""The checks every request to the review server passes before it reaches a route, in this order.

1. ``Host`` names this server (:func:`babelforge.review.access.host_allowed`): else 400. This is what
   defeats DNS rebinding, token or not.
2. A state-changing request (POST, PUT, PATCH, DELETE), and any request to ``/api/`` (``GET /api/next``
   claims an item), comes from the page's own origin: its ``Origin`` names the same host and port as
   ``Host``, or, without ``Origin``, ``Sec-Fetch-Site`` is ``same-origin`` or ``none``; else 403.
   Browsers send ``Origin`` on every cross-origin POST and ``Sec-Fetch-Site`` on every request, so a
   request with neither header comes from a program (curl, a script), which is not a forgery. The
   page itself (``/``) may be linked from anywhere.
3. With tokens, the request carries one (``Authorization: Bearer``, ``?token=``, or the cookie that the
   page's first load sets): else 401. A per-annotator token makes its owner the request's annotator.
4. A state-changing request has a JSON body (``Content-Type: application/json``, else 415) with a
   ``Content-Length`` (else 411) of at most :data:`MAX_BODY` bytes (else 413).

:class:`GuardMiddleware` runs them as plain ASGI (Starlette's ``BaseHTTPMiddleware`` costs
milliseconds a request under load) and adds the security headers to every response.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from babelforge.review.access import HostName, host_allowed, split_host

COOKIE = "babelforge_review_token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
MAX_BODY = 1 << 20
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
SAME_ORIGIN_FETCH = ("same-origin", "none")


@dataclass(frozen=True)
class Refusal:
    status: int
    detail: str


@dataclass(frozen=True)
class RequestGuard:
    """What a request must show to be served.

    Args:
        hosts: accepted ``Host`` values (:func:`babelforge.review.access.allowed_hosts`).
        tokens: token -> the annotator it belongs to (None: a shared token, any annotator name);
            empty: no token needed.
    """

    hosts: frozenset[HostName]
    tokens: dict[str, str | None] = field(default_factory=dict)

    def refuse(self, request) -> Refusal | None:
        """The first check ``request`` fails (see the module docstring), or None."""
        host = request.headers.get("host", "")
        if not host_allowed(host, self.hosts):
            return Refusal(400, f"Host {host[:100]!r} is not this server: open it by its address (or --allowed-host)")
        api = request.url.path.startswith("/api/")  # even a GET claims an item: no cross-site <img> either
        if (request.method in UNSAFE or api) and not _same_origin(request, host):
            return Refusal(403, "cross-origin request refused: only the review page itself may use the API")
        if self.tokens and not self.token_of(request):
            return Refusal(401, "missing or wrong token: open the link printed by `review serve`")
        if request.method in UNSAFE:
            return _body_refusal(request)
        return None

    def token_of(self, request) -> str | None:
        """The valid token ``request`` carries (header, then query, then cookie), or None."""
        header = request.headers.get("authorization", "")
        given = [
            header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else "",
            request.query_params.get("token", ""),
            request.cookies.get(COOKIE, ""),
        ]
        for candidate in given:
            if candidate and (found := self._known(candidate)):
                return found
        return None

    def owner(self, token: str | None) -> str | None:
        """The annotator whose own token this is; None for the shared token or none."""
        return self.tokens.get(token) if token else None

    def _known(self, candidate: str) -> str | None:
        hits = [t for t in self.tokens if secrets.compare_digest(t.encode(), candidate.encode())]
        return hits[0] if hits else None


class GuardMiddleware:
    """ASGI middleware: refuses what :meth:`RequestGuard.refuse` refuses, records the token's owner as
    ``request.state.owner``, remembers a token given in the link as an HTTP-only cookie, and adds
    :data:`SECURITY_HEADERS` (and ``Cache-Control: no-store`` unless set) to every response."""

    def __init__(self, app, guard: RequestGuard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self.guard.refuse(request)
        if refusal is not None:
            response = JSONResponse({"detail": refusal.detail}, refusal.status, headers=SECURITY_HEADERS)
            response.headers["Cache-Control"] = "no-store"
            await response(scope, receive, send)
            return
        token = self.guard.token_of(request)
        scope.setdefault("state", {})["owner"] = self.guard.owner(token)
        cookie = _cookie(token) if token and request.query_params.get("token") == token else None

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                if cookie:
                    headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie(token: str) -> str:
    response = Response()
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
    return response.headers["set-cookie"]


def _same_origin(request, host: str) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "none") in SAME_ORIGIN_FETCH
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and split_host(parts.netloc) == split_host(host)


def _body_refusal(request) -> Refusal | None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (media == "application/json" or (media.startswith("application/") and media.endswith("+json"))):
        return Refusal(415, f"Content-Type {media or 'missing'!r}: send the body as application/json")
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return Refusal(411, "send the body with a Content-Length (chunked bodies are not read)")
    if int(length) > MAX_BODY:
        return Refusal(413, f"body of {length} bytes: at most {MAX_BODY:,} bytes")
    return None
