"""Starting the review server: who may reach it, the database, the app, uvicorn, and the link to open."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser
from pathlib import Path

from babelforge.errors import MissingDependencyError, ReviewError
from babelforge.review.access import TOKEN_ENV, WILDCARDS, allowed_hosts, is_loopback

MIN_TOKEN = 16  # characters: a shorter secret can be guessed by whoever reaches the port


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
    annotator_tokens: dict[str, str] | None = None,
    extra_hosts: list[str] | None = None,
    insecure: bool = False,
    open_browser: bool = True,
    seed: int = 0,
) -> None:
    """Open (or create) the review of ``output`` and serve it until interrupted.

    Args:
        token: a shared secret every request must carry (it may act as any annotator).
        annotator_tokens: token -> annotator; a request with one acts only as that annotator.
        extra_hosts: more ``Host`` values to answer (``--allowed-host``; see :mod:`babelforge.review.access`).
        insecure: allow a non-loopback ``host`` without any token.

    Raises:
        ReviewError: for a non-loopback ``host`` without a token (unless ``insecure``), a busy port,
            or a database that belongs to another output.
    """
    try:
        import uvicorn
    except ImportError:
        raise MissingDependencyError("babelforge review serve", ["fastapi", "uvicorn"], "review") from None
    from babelforge.review.app import ReviewOptions, create_app
    from babelforge.review.session import open_review

    annotator_tokens = annotator_tokens or {}
    loopback = is_loopback(host)
    if not loopback and not (token or annotator_tokens or insecure):
        raise ReviewError(
            f"--host {host} is not loopback and no token is set, so anyone who reaches it could read and change "
            f"decisions: set {TOKEN_ENV}, or pass --token-file or --tokens (or --insecure)"
        )
    port = port or _free_port(host)
    hosts = allowed_hosts(host, port, extra_hosts or [])
    _check_port(host, port)
    store, manifest = open_review(output, db, sample, stratify, overlap, seed)
    options = ReviewOptions(
        title=f"babelforge review: {manifest.get('name', Path(output).name)}",
        annotator=annotator,
        token=token,
        guidelines=(manifest.get("review") or {}).get("guidelines", ""),
        labels=list(manifest.get("output", {}).get("labels") or []),
        annotator_tokens=annotator_tokens,
        allowed_hosts=hosts,
    )
    progress = store.progress(annotator or "")
    print(f"reviewing {progress['total']:,} item(s) of {output} ({progress['done']:,} done); database {store.path}")
    _warn(host, loopback, token, annotator_tokens, hosts)
    url = f"http://{_url_host(host)}:{port}/"
    if annotator_tokens and not token:
        print(f"each annotator opens {url}?token=THEIR_TOKEN  (Ctrl+C stops; decisions are already saved)", flush=True)
    else:
        url += f"?token={token}" if token else ""
        print(f"open {url}  (Ctrl+C stops; decisions are already saved)", flush=True)
    if host in WILDCARDS:  # the link above works on this machine only: others use its name
        query = "?token=THEIR_TOKEN" if annotator_tokens and not token else (f"?token={token}" if token else "")
        print(f"from other machines: http://{socket.gethostname()}:{port}/{query}", flush=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(store, options), host=host, port=port, log_level="warning")


def _warn(host: str, loopback: bool, token: str | None, annotator_tokens: dict, hosts: frozenset) -> None:
    if loopback:
        return
    if not (token or annotator_tokens):
        print(
            f"warning: --insecure: {host} serves without a token; anyone who reaches it can change decisions",
            file=sys.stderr,
        )
    short = [t for t in (token, *annotator_tokens) if t and len(t) < MIN_TOKEN]
    if short:
        print(
            f"warning: {len(short)} token(s) shorter than {MIN_TOKEN} characters on {host}: easy to guess; "
            "make them with `python -c 'import secrets; print(secrets.token_urlsafe())'`",
            file=sys.stderr,
        )
    names = sorted(f"{_url_host(n)}:{p}" if p else f"{_url_host(n)} (any port)" for n, p in hosts)
    print(f"answers requests addressed to: {', '.join(names)} (add more with --allowed-host)", file=sys.stderr)


def _url_host(host: str) -> str:
    if host in WILDCARDS:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


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
