"""A content-addressed cache of LLM requests, per endpoint: the same request is answered once, ever.

The key hashes everything that decides an answer: the endpoint (its normalised base URL), the
model, the messages, the sampling parameters and the output schema, under a version tag. Entries of
one endpoint are never served for another, even with the same model name. Entries written before
the endpoint was part of the key (version 1) are never found by a version-2 key, so they are never
served again; ``babelforge llm cache stats`` counts them apart and ``clear --legacy`` removes them.

Each answer is committed as soon as it arrives, so a run killed at any point re-sends none of the
requests it completed. A cache file that SQLite cannot read (damaged, not a database, locked past its
timeout) is one :class:`~babelforge.errors.BabelforgeError` naming it; an entry that is not an answer
(not JSON, no text) is a miss, asked again and written over, and counted with the legacy entries.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from babelforge.errors import BabelforgeError
from babelforge.kvstore import SqliteStore

KEY_VERSION = "babelforge-llm-cache-v2"
DEFAULT_PORTS = {"http": 80, "https": 443}
LEGACY = "(no endpoint: written before v2, never served)"
#: An entry's endpoint, NULL for an entry that is not JSON (so it reads as legacy instead of failing the query).
ENDPOINT = "(CASE WHEN json_valid(value) THEN json_extract(value, '$.endpoint') END)"
MODEL = "(CASE WHEN json_valid(value) THEN json_extract(value, '$.model') END)"


def normalise_url(base_url: str | None, keep_userinfo: bool = False) -> str:
    """``HTTPS://Api.Example.com:443/v1/`` -> ``https://api.example.com/v1``; ``http://[::1]:8000/v1`` stays so.

    Credentials in the URL (``user:password@``) are left out, so that they never reach a cache key or
    a record, unless ``keep_userinfo`` (the URL requests are sent to).

    Raises:
        BabelforgeError: for a URL that is not ``http(s)://HOST[:PORT][/PATH]``.
    """
    if not base_url:
        return "https://api.openai.com/v1"
    parts = urlsplit(base_url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        port = -1
    if scheme not in DEFAULT_PORTS or not host or port == -1:
        raise BabelforgeError(
            f"LLM endpoint {base_url.strip()[:200]!r} is not a base URL: give http(s)://HOST[:PORT]/PATH, "
            "e.g. http://127.0.0.1:8000/v1 or https://api.openai.com/v1"
        )
    host = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if keep_userinfo and "@" in parts.netloc:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


def without_userinfo(url: str) -> str:
    """``url`` as it is, less any ``user:password@`` (for messages: unlike :func:`normalise_url`, it never raises)."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl() if parts.netloc else url


def request_key(
    base_url: str | None, model: str, messages: list[dict], params: dict[str, Any], schema: dict | None
) -> str:
    blob = json.dumps(
        [KEY_VERSION, normalise_url(base_url), model, messages, params, schema], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class RequestCache(SqliteStore):
    """Answers (``{"text", "data", "endpoint", "model"}``) by :func:`request_key`.

    Raises:
        BabelforgeError: from any method, when the file cannot be used (see the module docstring).
    """

    @property
    def db(self) -> sqlite3.Connection:
        with self._usable():
            try:
                return super().db
            except sqlite3.Error:
                if self._db is not None:  # connected, then refused: do not keep a half-opened file
                    self._db.close()
                    self._db = None
                raise

    @contextmanager
    def _usable(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise BabelforgeError(
                f"LLM cache {self.path} cannot be used ({error}): move it aside, or delete it (it only holds "
                "answers that can be asked again), and rerun"
            ) from None

    def get(self, key: str) -> dict | None:
        with self._usable():
            found = self.get_many([key]).get(key)
        try:
            entry = json.loads(found) if found is not None else None
        except ValueError:
            return None
        return entry if isinstance(entry, dict) and isinstance(entry.get("text"), str) else None

    def put(self, key: str, answer: dict) -> None:
        with self._usable():
            self.put_many({key: json.dumps(answer, ensure_ascii=False)})

    def stats(self) -> dict[str, dict[str, int]]:
        """Entries and stored bytes per endpoint (legacy and unreadable entries under :data:`LEGACY`)."""
        with self._usable():
            rows = self.db.execute(
                f"SELECT {ENDPOINT}, {MODEL}, COUNT(*), SUM(LENGTH(value)) FROM store GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
        found: dict[str, dict[str, int]] = {}
        for endpoint, _model, count, size in rows:
            entry = found.setdefault(endpoint or LEGACY, {"entries": 0, "bytes": 0, "models": 0})
            entry["entries"] += count
            entry["bytes"] += size or 0
            entry["models"] += 1
        return found

    def clear(self, endpoint: str | None = None, legacy: bool = False) -> int:
        """Remove the entries of one endpoint, the legacy ones, or (neither given) all. Returns how many."""
        with self._usable(), self.db:
            if endpoint is not None:
                cursor = self.db.execute(f"DELETE FROM store WHERE {ENDPOINT} = ?", (normalise_url(endpoint),))
            elif legacy:
                cursor = self.db.execute(f"DELETE FROM store WHERE {ENDPOINT} IS NULL")
            else:
                cursor = self.db.execute("DELETE FROM store")
        return cursor.rowcount
