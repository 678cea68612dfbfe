"""Toy outputs (chat, text, NER) written through the real pipeline, and tiny models to train on them."""

import json
from pathlib import Path

import pytest

from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

CAPITALS = {
    "Nigeria": "Abuja", "Ghana": "Accra", "Kenya": "Nairobi", "Senegal": "Dakar",
    "Mali": "Bamako", "Niger": "Niamey", "Chad": "Ndjamena", "Togo": "Lome",
}  # fmt: skip
CONVERSATIONS = [
    {"messages": [{"role": "user", "content": f"Capital of {k}?"}, {"role": "assistant", "content": v}]}
    for k, v in CAPITALS.items()
]
TEXTS = [f"{k} has its capital at {v}. {v} is in {k}." for k, v in CAPITALS.items()]


def corpus() -> str:
    return " ".join(m["content"] for c in CONVERSATIONS for m in c["messages"]) * 20 + " " + " ".join(TEXTS) * 5


@pytest.fixture(scope="session")
def chat_models(tmp_path_factory) -> dict[str, Path]:
    """Tiny Llamas with a ChatML template: ``turn`` tags (right), ``content`` tags and ``none`` (both wrong)."""
    from kit.models import build_tiny_chat_lm

    folder = tmp_path_factory.mktemp("chat-lm")
    return {tags: build_tiny_chat_lm(folder / tags, corpus(), tags=tags) for tags in ("turn", "content", "none")}


def emit(folder: Path, name: str, rows: list[dict], kind: str, fields: dict, splits: dict | None = None) -> Path:
    data = folder / f"{name}.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    manifest = {
        "name": name,
        "sources": [{"kind": "jsonl", "path": str(data), "language": "en", "fields": fields}],
        "output": {"path": str(folder / name), "kind": kind, **({"splits": splits} if splits else {})},
    }
    path = folder / f"{name}.yaml"
    import yaml

    path.write_text(yaml.safe_dump(manifest))
    run_manifest(load_manifest(path))
    return folder / name


@pytest.fixture(scope="session")
def chat_output(tmp_path_factory) -> Path:
    rows = [dict(c, id=f"c{i}") for i, c in enumerate(CONVERSATIONS * 4)]
    return emit(
        tmp_path_factory.mktemp("out"), "chat", rows, "chat",
        {"messages": "messages", "text": None}, {"train": 0.8, "validation": 0.2},
    )  # fmt: skip


@pytest.fixture(scope="session")
def text_output(tmp_path_factory) -> Path:
    rows = [{"text": t, "id": f"t{i}"} for i, t in enumerate(TEXTS * 4)]
    return emit(
        tmp_path_factory.mktemp("out"), "text", rows, "text", {"text": "text"}, {"train": 0.8, "validation": 0.2}
    )


@pytest.fixture(scope="session")
def ner_output(tmp_path_factory) -> Path:
    """Eight short sentences, each seen four times: a set a tiny tagger can memorise."""
    rows = [
        {"tokens": [k, "has", "capital", v], "tags": ["B-LOC", "O", "O", "B-LOC"], "id": f"n{i}-{r}"}
        for r in range(4)
        for i, (k, v) in enumerate(CAPITALS.items())
    ]
    return emit(tmp_path_factory.mktemp("out"), "ner", rows, "ner", {"tokens": "tokens", "tags": "tags", "text": None})
