"""A content-addressed cache of LLM requests: the same request is answered once, ever.

The key hashes everything that decides an answer: the endpoint's model, the messages, the sampling
parameters and the output schema. Each answer is committed as soon as it arrives, so a run killed at
any point re-sends none of the requests it completed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from babelforge.kvstore import SqliteStore


def request_key(model: str, messages: list[dict], params: dict[str, Any], schema: dict | None) -> str:
    blob = json.dumps([model, messages, params, schema], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class RequestCache(SqliteStore):
    """Answers (``{"text", "data"}``) by :func:`request_key`."""

    def get(self, key: str) -> dict | None:
        found = self.get_many([key]).get(key)
        return json.loads(found) if found is not None else None

    def put(self, key: str, answer: dict) -> None:
        self.put_many({key: json.dumps(answer, ensure_ascii=False)})
