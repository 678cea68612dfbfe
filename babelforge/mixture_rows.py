"""A component's rows in the mixture's layout: its kind's ``Features`` plus where each row came from.

Every mixture row keeps its own columns (``language`` and ``languages`` included) and gains
``component`` (the component's name), ``repeat`` (0 the first time a row is taken, 1 the second ...),
``license`` (its component's, or the row's own when the component is itself a mixture) and
``non_commercial`` (true where that licence forbids commercial use). Hub rows without babelforge's
columns get them: an ``id`` from the component and row number, ``source``, an empty ``lineage``.
NER tag ids are renumbered into the union of the components' tag names.
"""

from __future__ import annotations

import numpy as np

from babelforge.errors import BabelforgeError
from babelforge.mixture_components import OpenComponent, non_commercial

#: The columns a mixture adds to its kind's Features, in order.
EXTRA_COLUMNS = ("component", "repeat", "license", "non_commercial")


def mixture_features(kind: str, names: list[str] | None, columns: list[str] | tuple[str, ...] = ()):
    """The ``datasets.Features`` of a mixture of ``kind`` rows; ``columns``: the components' own string
    columns (their outputs' ``output.columns``), carried along, null in rows of components without them."""
    from datasets import Features, Value

    from babelforge.records import features_for

    extra = {
        "component": Value("string"),
        "repeat": Value("int32"),
        "license": Value("string"),
        "non_commercial": Value("bool"),
    }
    return Features({**features_for(kind, names), **{c: Value("string") for c in columns}, **extra})


def own_columns(components: list[OpenComponent], kind: str, names: list[str] | None) -> list[str]:
    """The string columns babelforge output components hold beyond their kind's (``output.columns``), in order.

    A mixture keeps them: dropped, an XNLI-like output would lose its hypothesis and its translation.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from babelforge.records import features_for

    own = set(features_for(kind, names)) | set(EXTRA_COLUMNS)
    found: dict[str, None] = {}
    for component in components:
        for path in component.files.get("train", [])[:1] if component.folder is not None else ():
            schema = pq.read_schema(path)
            found.update({f.name: None for f in schema if f.name not in own and pa.types.is_string(f.type)})
    return list(found)


def union_names(components: list[OpenComponent]) -> list[str] | None:
    """The NER tag names of all components, in first-seen order (``None`` for other kinds)."""
    lists = [c.class_names for c in components if c.class_names]
    return list(dict.fromkeys(name for names in lists for name in names)) if lists else None


def conform(table, component: OpenComponent, features, names: list[str] | None, language: str | None):
    """``table`` (one split of ``component``) in the mixture's layout, ``repeat`` 0.

    Raises:
        BabelforgeError: language values no code resolves, named.
    """
    import pyarrow as pa

    from babelforge.records import with_languages

    n = table.num_rows
    if "language" not in table.column_names:
        table = table.append_column("language", pa.array([language] * n, pa.string()))
    if "chosen" in features and "chosen" in table.column_names:
        from babelforge.mixture_pairs import as_babelforge_pairs, needs_conversion

        if needs_conversion(table):  # a Hub preference set in one of TRL's layouts
            table = as_babelforge_pairs(table, component.name)
    table = _canonical_languages(table, component)
    if names is not None and component.class_names and component.class_names != names:
        table = _renumbered(table, component.class_names, names)
    fill = {
        "id": lambda: pa.array([f"{component.name}:{i}" for i in range(n)]),
        "source": lambda: pa.array([component.name] * n),
        "lineage": lambda: pa.array(["[]"] * n),
    }
    if "messages" in table.column_names and "prompt" in features and "prompt" not in table.column_names:
        table = _prompt_completion(table)
    for name, _feature in features.items():
        if name not in table.column_names and name not in EXTRA_COLUMNS and name != "languages":
            column = fill[name]() if name in fill else pa.nulls(n, features.arrow_schema.field(name).type)
            table = table.append_column(name, column)
    table = with_languages(table)
    licenses = table.column("license") if "license" in table.column_names else pa.array([component.license] * n)
    flags = np.array([non_commercial(str(v)) for v in licenses.to_pylist()], dtype=bool)
    if "non_commercial" in table.column_names:
        flags |= np.asarray(table.column("non_commercial").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    extra = {
        "component": pa.array([component.name] * n),
        "repeat": pa.array(np.zeros(n, np.int32)),
        "license": licenses,
        "non_commercial": pa.array(flags),
    }
    table = table.drop_columns([c for c in EXTRA_COLUMNS if c in table.column_names])
    for name, column in extra.items():
        table = table.append_column(name, column)
    return table.select(list(features)).cast(features.arrow_schema)


def _prompt_completion(table):
    """Chat rows from elsewhere (a Hub dataset) given ``prompt`` and ``completion`` from their ``messages``, as
    babelforge's chat outputs have them: the last user turn and the assistant's answer after it."""
    import pyarrow as pa

    prompts, completions = [], []
    for messages in table.column("messages").to_pylist():
        messages = messages or []
        last = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
        after = messages[last + 1 :] if last is not None else []
        prompts.append(messages[last]["content"] if last is not None else None)
        completions.append(next((m["content"] for m in after if m.get("role") == "assistant"), None))
    table = table.append_column("prompt", pa.array(prompts, pa.string()))
    return table.append_column("completion", pa.array(completions, pa.string()))


def _canonical_languages(table, component: OpenComponent):
    """``language`` values as canonical codes (a Hub dataset may write ``ha``); an error names those none resolves."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from babelforge.errors import UnknownLanguageError
    from babelforge.langs import resolve

    column = table.column("language").cast(pa.string())
    values = [v for v in pc.unique(column).to_pylist() if v is not None]
    mapping, unknown = {}, []
    for value in values:
        try:
            mapping[value] = resolve(value).code
        except UnknownLanguageError:
            unknown.append(value)
    if unknown or column.null_count:
        shown = ", ".join(repr(v) for v in unknown[:5]) + (
            f" and {column.null_count} empty" if column.null_count else ""
        )
        raise BabelforgeError(
            f"{component.name}: rows whose language is {shown}: give the component a 'language' or "
            "fix the rows' language codes (ISO 639-3 plus script, e.g. hau_Latn)"
        )
    if all(k == v for k, v in mapping.items()):
        return table.set_column(table.column_names.index("language"), "language", column)
    keys, codes = pa.array(list(mapping)), pa.array(list(mapping.values()))
    return table.set_column(table.column_names.index("language"), "language", codes.take(pc.index_in(column, keys)))


def _renumbered(table, own: list[str], names: list[str]):
    """``ner_tags`` ids into ``own`` renumbered into ``names``."""
    import pyarrow as pa

    lookup = np.array([names.index(name) for name in own], dtype=np.int64)
    column = table.column("ner_tags").combine_chunks()
    ids = lookup[np.asarray(column.flatten().to_numpy(zero_copy_only=False), dtype=np.int64)]
    return table.set_column(
        table.column_names.index("ner_tags"), "ner_tags", pa.ListArray.from_arrays(column.offsets, pa.array(ids))
    )


def row_texts(table, kind: str) -> list[str]:
    """The text of each row that a tokenizer counts for a token budget: what a trainer feeds the model."""
    if kind == "chat":
        return [
            "\n".join(m["content"] or "" for m in messages or []) for messages in table.column("messages").to_pylist()
        ]
    if kind == "ner":
        return [" ".join(tokens or []) for tokens in table.column("tokens").to_pylist()]
    if kind == "preference":  # the prompt's turns and both answers: what a DPO step feeds the model
        sides = [table.column(side).to_pylist() for side in ("prompt", "chosen", "rejected")]
        return ["\n".join(m["content"] or "" for turns in row for m in turns or []) for row in zip(*sides, strict=True)]
    if kind == "qa":
        pairs = zip(table.column("question").to_pylist(), table.column("context").to_pylist(), strict=True)
        return [f"{q or ''}\n{c or ''}" for q, c in pairs]
    texts = [t or "" for t in table.column("text").to_pylist()]
    if kind == "bitext":
        return [f"{t}\n{u or ''}" for t, u in zip(texts, table.column("target_text").to_pylist(), strict=True)]
    return texts


def token_sizes(table, kind: str, counter) -> np.ndarray:
    """Tokens per row, counted by ``counter`` (a :class:`babelforge.llm.tokens.TokenCounter`)."""
    return np.fromiter((counter.count(text) for text in row_texts(table, kind)), dtype=np.float64, count=table.num_rows)
