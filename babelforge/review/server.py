"""Starting the review server: the database, the app, uvicorn, and the link to open."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser
from pathlib import Path

from babelforge.errors import MissingDependencyError, ReviewError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_review(
    output: str | Path,
    *,
    port: int = 8765,
    host: str = "127.0.0.1",
    db: str | Path | None = None,
    annotator: str | None = None,
    sample: int | None = None,
    stratify: list[str] | None = None,
    overlap: int | None = None,
    token: str | None = None,
    open_browser: bool = True,
    seed: int = 0,
) -> None:
    """Open (or create) the review of ``output`` and serve it until interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise MissingDependencyError("babelforge review serve", ["fastapi", "uvicorn"], "review") from None
    from babelforge.review.app import ReviewOptions, create_app
    from babelforge.review.session import open_review

    store, manifest = open_review(output, db, sample, stratify, overlap, seed)
    options = ReviewOptions(
        title=f"babelforge review: {manifest.get('name', Path(output).name)}",
        annotator=annotator,
        token=token,
        guidelines=(manifest.get("review") or {}).get("guidelines", ""),
        labels=list(manifest.get("output", {}).get("labels") or []),
    )
    port = port or _free_port(host)
    _check_port(host, port)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/" + (f"?token={token}" if token else "")
    progress = store.progress(annotator or "")
    print(f"reviewing {progress['total']:,} item(s) of {output} ({progress['done']:,} done); database {store.path}")
    if host not in LOOPBACK and not token:
        print(
            f"warning: bound to {host} without --token: anyone who can reach it can change decisions", file=sys.stderr
        )
    print(f"open {url}  (Ctrl+C stops; decisions are already saved)", flush=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(store, options), host=host, port=port, log_level="warning")


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as error:
            raise ReviewError(
                f"cannot listen on {host}:{port} ({error.strerror}): pass --port with a free one"
            ) from None


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
