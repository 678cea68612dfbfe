"""The review web app: a JSON API over a :class:`ReviewStore` and one static page (no build step).

Every text in the data is untrusted. The page only ever sets it as text (never as HTML), and every
response carries a Content-Security-Policy that forbids inline scripts, so an injected ``<script>``
is shown, not run. With a token, every request must carry it: as ``Authorization: Bearer``, as the
``token`` query parameter (the page's first load, which then sets an HTTP-only cookie) or as that
cookie.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from pydantic import BaseModel

from babelforge.errors import ReviewError
from babelforge.review.store import ReviewStore

COOKIE = "babelforge_review_token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
MAX_NAME = 64


class Decision(BaseModel):
    """The body of ``POST /api/items/{n}/decision``; spans as ``[start, end, label]`` in code points."""

    annotator: str
    decision: str
    reason: str | None = None
    comment: str | None = None
    spans: list[list | dict] | None = None


@dataclass
class ReviewOptions:
    """What the page needs besides the database."""

    title: str = "babelforge review"
    annotator: str | None = None
    token: str | None = None
    guidelines: str = ""
    labels: list[str] = field(default_factory=list)


def create_app(store: ReviewStore, options: ReviewOptions):
    """The FastAPI application serving ``store``."""
    from fastapi import FastAPI, Request
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles

    app = FastAPI(title=options.title, docs_url=None, redoc_url=None, openapi_url=None)
    static = files("babelforge.review") / "static"
    guidelines_html = render_markdown(options.guidelines)
    facets = store.facets()  # items never change after import: once per server
    labels = sorted(set(options.labels) | set(facets["labels"]))

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if options.token and not _authorised(request, options.token):
            return JSONResponse({"detail": "missing or wrong token: open the link printed by `review serve`"}, 401)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        if options.token and request.query_params.get("token") == options.token:
            response.set_cookie(COOKIE, options.token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(ReviewError)
    async def bad_input(request: Request, error: ReviewError):
        return JSONResponse({"detail": str(error)}, 422)

    @app.exception_handler(KeyError)
    async def unknown_item(request: Request, error: KeyError):
        return JSONResponse({"detail": f"no item {error.args[0]!r} in this review"}, 404)

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(str(static / "index.html"), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    _api_routes(app, store, options, labels, guidelines_html, facets)
    return app


def _api_routes(
    app, store: ReviewStore, options: ReviewOptions, labels: list[str], guidelines_html: str, facets: dict
) -> None:
    @app.get("/api/session")
    def session() -> dict[str, Any]:
        return {
            "title": options.title,
            "annotator": options.annotator,
            "labels": labels,
            "guidelines_html": guidelines_html,
            "facets": facets,
            "overlap": store.overlap,
        }

    @app.get("/api/next")
    def next_item(
        annotator: str,
        language: str | None = None,
        label: str | None = None,
        method: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        low_first: bool = False,
    ) -> dict[str, Any]:
        name = _annotator(annotator)
        filters = {
            "language": language,
            "label": label,
            "method": method,
            "min_score": min_score,
            "max_score": max_score,
        }
        n = store.next_item(name, filters, low_first)
        return {"item": _view(store, n, name) if n is not None else None, "progress": store.progress(name)}

    @app.get("/api/recent")
    def recent(annotator: str) -> dict[str, Any]:
        return {"items": store.recent(_annotator(annotator))}

    @app.get("/api/items/{n}")
    def item(n: int, annotator: str) -> dict[str, Any]:
        name = _annotator(annotator)
        return {"item": _view(store, n, name), "progress": store.progress(name)}

    @app.post("/api/items/{n}/decision")
    def decide(n: int, body: Decision) -> dict[str, Any]:
        name = _annotator(body.annotator)
        store.decide(n, name, body.decision, reason=body.reason, comment=body.comment, spans=body.spans)
        return {"ok": True, "progress": store.progress(name)}

    @app.get("/api/stats")
    def stats() -> dict[str, Any]:
        from babelforge.review.report import review_report

        return review_report(store)


def _view(store: ReviewStore, n: int, annotator: str) -> dict[str, Any]:
    """An item as the page shows it: without the raw row, with this annotator's last decision."""
    item = store.item(n)
    item.pop("row", None)
    mine = [d for d in store.decisions(n) if d["annotator"] == annotator]
    item["mine"] = mine[0] if mine else None
    return item


def _annotator(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(c in name for c in "\n\r\t"):
        raise ReviewError(f"annotator name {name[:80]!r}: give 1 to {MAX_NAME} characters on one line")
    return name


def _authorised(request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    given = [
        header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else "",
        request.query_params.get("token", ""),
        request.cookies.get(COOKIE, ""),
    ]
    return any(g and secrets.compare_digest(g.encode(), token.encode()) for g in given)


def render_markdown(text: str) -> str:
    """Guidelines as HTML; raw HTML in them is escaped and unsafe links are refused (markdown-it)."""
    if not text:
        return ""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).render(text)
