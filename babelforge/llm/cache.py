"""A content-addressed cache of LLM requests, per endpoint: the same request is answered once, ever.

The key hashes everything that decides an answer: the endpoint (its normalised base URL), the
model, the messages, the sampling parameters and the output schema, under a version tag. Entries of
one endpoint are never served for another, even with the same model name. Entries written before
the endpoint was part of the key (version 1) are never found by a version-2 key, so they are never
served again; ``babelforge llm cache stats`` counts them apart and ``clear --legacy`` removes them.

Each answer is committed as soon as it arrives, so a run killed at any point re-sends none of the
requests it completed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from babelforge.kvstore import SqliteStore

KEY_VERSION = "babelforge-llm-cache-v2"
DEFAULT_PORTS = {"http": 80, "https": 443}
LEGACY = "(no endpoint: written before v2, never served)"


def normalise_url(base_url: str | None) -> str:
    """``HTTPS://Api.Example.com:443/v1/`` -> ``https://api.example.com/v1``."""
    if not base_url:
        return "https://api.openai.com/v1"
    parts = urlsplit(base_url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    netloc = host if parts.port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


def request_key(
    base_url: str | None, model: str, messages: list[dict], params: dict[str, Any], schema: dict | None
) -> str:
    blob = json.dumps(
        [KEY_VERSION, normalise_url(base_url), model, messages, params, schema], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class RequestCache(SqliteStore):
    """Answers (``{"text", "data", "endpoint", "model"}``) by :func:`request_key`."""

    def get(self, key: str) -> dict | None:
        found = self.get_many([key]).get(key)
        return json.loads(found) if found is not None else None

    def put(self, key: str, answer: dict) -> None:
        self.put_many({key: json.dumps(answer, ensure_ascii=False)})

    def stats(self) -> dict[str, dict[str, int]]:
        """Entries and stored bytes per endpoint (legacy entries under :data:`LEGACY`)."""
        rows = self.db.execute(
            "SELECT json_extract(value, '$.endpoint'), json_extract(value, '$.model'), COUNT(*), "
            "SUM(LENGTH(value)) FROM store GROUP BY 1, 2 ORDER BY 1, 2"
        )
        found: dict[str, dict[str, int]] = {}
        for endpoint, _model, count, size in rows:
            entry = found.setdefault(endpoint or LEGACY, {"entries": 0, "bytes": 0, "models": 0})
            entry["entries"] += count
            entry["bytes"] += size or 0
            entry["models"] += 1
        return found

    def clear(self, endpoint: str | None = None, legacy: bool = False) -> int:
        """Remove the entries of one endpoint, the legacy ones, or (neither given) all. Returns how many."""
        with self.db:
            if endpoint is not None:
                cursor = self.db.execute(
                    "DELETE FROM store WHERE json_extract(value, '$.endpoint') = ?", (normalise_url(endpoint),)
                )
            elif legacy:
                cursor = self.db.execute("DELETE FROM store WHERE json_extract(value, '$.endpoint') IS NULL")
            else:
                cursor = self.db.execute("DELETE FROM store")
        return cursor.rowcount
