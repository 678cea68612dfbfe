"""Which record fields ``translate`` reads, and where their translations go.

A name in ``translate: {fields: [...]}`` is read from the record's metadata when the record has that
key: ``question`` and ``title`` (SQuAD readers), or any key a reader or an earlier step wrote
(``premise``, ``hypothesis``, ``prompt``, ``chosen``, ``rejected`` ...). ``text`` is the record's
text, and so is ``context`` when the record has no ``context`` key (a SQuAD record's context is its
text). A translation goes to ``target_<name>`` (``target_question``, ``target_premise``); the text's
goes to ``target_text``, whichever name read it. Spans stay on the text, for ``project``.
"""

from __future__ import annotations

import re

from datatrove.data import Document

from babelforge import records as r

#: Names that read the record's text (``context`` only when the record has no ``context`` key).
TEXT, CONTEXT = "text", "context"
#: The fields translated when ``fields`` is not set: the text, and a QA record's question where it has one.
DEFAULT_FIELDS, DEFAULT_OPTIONAL = (TEXT, r.QUESTION), (r.QUESTION,)
#: Metadata keys that hold no text to translate.
RESERVED = frozenset(
    {r.LANGUAGE, r.LANGUAGES, r.SPLIT, r.SOURCE, r.SOURCE_ID, r.LINEAGE, r.SPANS, r.TOKEN_OFFSETS, r.MESSAGES}
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_field_name(name: str) -> str:
    """``name`` if it can name a translated field, else a ``ValueError`` saying why."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"field {name!r} is no record field name (letters, digits and '_', e.g. 'premise')")
    if name in RESERVED or name.startswith("target_"):
        raise ValueError(
            f"field {name!r} holds no text to translate: choose text, context, question, title or a metadata key "
            "holding text (premise, hypothesis, prompt, chosen, rejected ...)"
        )
    return name


def reads_text(doc: Document, name: str) -> bool:
    return name == TEXT or (name == CONTEXT and CONTEXT not in doc.metadata)


def read_fields(doc: Document, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> tuple[dict, list[str]]:
    """``({name: text}, [missing names])``: the record's non-empty fields among ``names``, in that order.

    A field in ``optional`` that is absent is left out without counting as missing.
    """
    found, missing = {}, []
    for name in names:
        value = doc.text if reads_text(doc, name) else doc.metadata.get(name)
        if isinstance(value, str) and value.strip():
            found[name] = value
        elif name not in optional or value is not None:
            missing.append(name)
    return found, missing


def target_key(doc: Document, name: str) -> str:
    """Where the translation of field ``name`` goes."""
    return r.TARGET_TEXT if reads_text(doc, name) else f"target_{name}"
