"""The review web app: a JSON API over a :class:`ReviewStore` and one static page (no build step).

Every text in the data is untrusted. The page only ever sets it as text (never as HTML), and every
response carries a Content-Security-Policy that forbids inline scripts, so an injected ``<script>``
is shown, not run. Every request first passes :class:`~babelforge.review.guard.RequestGuard`: a
``Host`` that names this server, the page's own origin on the API and on writes, the token when there
is one, a JSON body. Every decision body is checked field by field (:mod:`babelforge.review.schema`).

This module needs the ``review`` extra (FastAPI); the store and the reports do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from babelforge.errors import ReviewError
from babelforge.review.access import LOOPBACK_NAMES, HostName
from babelforge.review.guard import GuardMiddleware, RequestGuard
from babelforge.review.schema import MAX_NAME, Decision, check_decision_spans, control_character, validation_detail
from babelforge.review.store import ReviewStore, UnknownItemError

LARGEST_ITEM = 2**62  # beyond SQLite's integers; a larger number is a 422, not an overflow
Item = Annotated[int, Path(ge=0, le=LARGEST_ITEM)]  # module level: routes' string annotations resolve here


@dataclass
class ReviewOptions:
    """What the page needs besides the database, and who may use it.

    Args:
        token: a shared token (any annotator name); None with no ``annotator_tokens``: no token needed.
        annotator_tokens: token -> annotator: a request with one acts only under that name.
        allowed_hosts: ``Host`` values served (:func:`babelforge.review.access.allowed_hosts`); by
            default the loopback names on any port.
    """

    title: str = "babelforge review"
    annotator: str | None = None
    token: str | None = None
    guidelines: str = ""
    labels: list[str] = field(default_factory=list)
    annotator_tokens: dict[str, str] = field(default_factory=dict)
    allowed_hosts: frozenset[HostName] = frozenset((name, None) for name in LOOPBACK_NAMES)

    def guard(self) -> RequestGuard:
        tokens: dict[str, str | None] = dict(self.annotator_tokens)
        if self.token:
            tokens[self.token] = None
        return RequestGuard(self.allowed_hosts, tokens)


def create_app(store: ReviewStore, options: ReviewOptions):
    """The FastAPI application serving ``store``."""
    app = FastAPI(title=options.title, docs_url=None, redoc_url=None, openapi_url=None)
    static = files("babelforge.review") / "static"
    guidelines_html = render_markdown(options.guidelines)
    facets = store.facets()  # items never change after import: once per server
    labels = sorted(set(options.labels) | set(facets["labels"]))
    disjoint = store.meta().get("kind") == "ner"  # one tag per token: overlapping spans cannot be exported

    app.add_middleware(GuardMiddleware, guard=options.guard())

    @app.exception_handler(ReviewError)
    async def bad_input(request: Request, error: ReviewError):
        return JSONResponse({"detail": str(error)}, 422)

    @app.exception_handler(RequestValidationError)
    async def bad_fields(request: Request, error: RequestValidationError):
        return JSONResponse(validation_detail(error.errors()), 422)

    @app.exception_handler(UnknownItemError)
    async def unknown_item(request: Request, error: UnknownItemError):
        return JSONResponse({"detail": f"no item {error.args[0]!r} in this review"}, 404)

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(str(static / "index.html"), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    _api_routes(app, store, options, labels, guidelines_html, facets, disjoint)
    return app


def _api_routes(
    app, store: ReviewStore, options: ReviewOptions, labels: list[str], guidelines_html: str, facets: dict,
    disjoint: bool,
) -> None:  # fmt: skip
    @app.get("/api/session")
    def session(request: Request) -> dict[str, Any]:
        owner = request.state.owner
        return {
            "title": options.title,
            "annotator": owner or options.annotator,
            "annotator_locked": owner is not None,  # a per-annotator token: the page cannot change the name
            "labels": labels,
            "guidelines_html": guidelines_html,
            "facets": facets,
            "overlap": store.overlap,
        }

    @app.get("/api/next")
    def next_item(
        request: Request,
        annotator: str,
        language: str | None = None,
        label: str | None = None,
        method: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        low_first: bool = False,
    ) -> dict[str, Any]:
        name = _annotator(annotator, request.state.owner)
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
    def recent(request: Request, annotator: str) -> dict[str, Any]:
        return {"items": store.recent(_annotator(annotator, request.state.owner))}

    @app.get("/api/items/{n}")
    def item(request: Request, n: Item, annotator: str) -> dict[str, Any]:
        name = _annotator(annotator, request.state.owner)
        return {"item": _view(store, n, name), "progress": store.progress(name)}

    @app.post("/api/items/{n}/decision")
    def decide(request: Request, n: Item, body: Decision) -> dict[str, Any]:
        name = _annotator(body.annotator, request.state.owner)
        spans = check_decision_spans(body.spans, store.item(n)["text"], labels, disjoint)
        store.decide(n, name, body.decision, reason=body.reason, comment=body.comment, spans=spans)
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


def _annotator(name: str, owner: str | None) -> str:
    """The annotator a request acts as; with a per-annotator token, only the token's owner (else 403)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or control_character(name) is not None:
        raise ReviewError(
            f"annotator name {name[:80]!r}: give 1 to {MAX_NAME} characters on one line, no control characters"
        )
    if owner is not None and name != owner:
        raise HTTPException(403, f"this token is {owner!r}'s: it cannot act as annotator {name[:80]!r}")
    return name


def render_markdown(text: str) -> str:
    """Guidelines as HTML; raw HTML in them is escaped and unsafe links are refused (markdown-it)."""
    if not text:
        return ""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).render(text)
