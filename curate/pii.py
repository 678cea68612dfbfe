"""The ``pii`` step: find personal data and replace it by typed placeholders, drop the record, or flag it.

Kinds: ``email`` (internationalised addresses too), ``phone`` (``phonenumbers``, leniency ``VALID``,
per region: see :mod:`~babelforge.curate.pii_phone`), ``ip`` (IPv4, IPv6), ``iban`` (mod-97
checksum), ``card`` (Luhn and an issuer prefix) and ``id``: the national identifiers named in
``ids`` (:data:`~babelforge.curate.pii_ids.NATIONAL_IDS`), each its own kind (``id_za``). Digits
of any script count as digits; the original characters are what gets replaced.

The record's text is searched, and so are ``target_text``, ``question``, ``target_question``,
``source_text`` and the contents of chat ``messages`` where a record has them.

Actions:
    ``replace`` (default): each value becomes ``placeholder`` (``<EMAIL>``, ``<ID_ZA>``). Spans,
    token offsets and interleaved ``segments`` offsets move with the text; a span that lies inside
    a value or cuts through one is removed and counted as ``spans_removed``, or with
    ``span_overlap: drop`` the record is dropped under ``pii_span_overlap`` (see
    :mod:`~babelforge.curate.pii_edit`).
    ``drop``: a record holding any value is dropped under ``pii``; its rejects row holds the
    placeholders, never the values.
    ``flag``: nothing changes but the metadata.

Writes ``pii`` (``{kind: count}``, ``{}`` when nothing was found) on every record; counts per kind,
``with_pii`` and ``spans_removed`` go to the run summary and provenance.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from typing import Literal, get_args

from datatrove.data import Document
from pydantic import Field, field_validator

from babelforge.curate.pii_edit import Edit, Replacement
from babelforge.records import (
    LANGUAGE,
    MESSAGES,
    PROMPT_LANG,
    QUESTION,
    RESPONSE_LANG,
    SPANS,
    TARGET_LANGUAGE,
    TARGET_QUESTION,
    TARGET_TEXT,
    TOKEN_OFFSETS,
)
from babelforge.registry import StepSettings, register_step
from babelforge.spans import Span
from babelforge.steps import Drop, RecordStep

PII, SEGMENTS = "pii", "segments"
#: Kinds, and national identifiers, as the settings take them (the finders' own tables, checked by a test).
Kind = Literal["email", "phone", "ip", "iban", "card", "id"]
IdName = Literal["za.idnr", "in.aadhaar", "br.cpf", "es.dni", "cn.ric", "tr.tckimlik"]
#: Other text fields searched, and the metadata key of the language each is in.
TEXT_FIELDS = {
    TARGET_TEXT: TARGET_LANGUAGE, QUESTION: LANGUAGE, TARGET_QUESTION: TARGET_LANGUAGE,
    "source_text": "source_language",
}  # fmt: skip


@register_step("pii")
class PiiSettings(StepSettings):
    """Replace emails, phone numbers, IP addresses, IBANs, card numbers and national IDs by placeholders."""

    kinds: list[Kind] = Field(default_factory=lambda: list(get_args(Kind)), min_length=1)
    ids: list[IdName] = Field(default_factory=lambda: list(get_args(IdName)), description="national IDs for kind id")
    regions: list[str] | None = Field(
        None, min_length=1, description="phone regions (ISO 3166 alpha-2: NG, KE) for all records; default: by language"
    )
    placeholder: str = Field("<{KIND}>", description="{KIND}: EMAIL, PHONE, IP, IBAN, CARD, ID_ZA ...; {kind}: lower")
    action: Literal["replace", "drop", "flag"] = "replace"
    span_overlap: Literal["remove_span", "drop"] = Field(
        "remove_span", description="a span inside or across a replaced value: remove it, or drop the record"
    )

    @field_validator("placeholder")
    @classmethod
    def _formattable(cls, value: str) -> str:
        try:
            value.format(kind="email", KIND="EMAIL")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"placeholder {value!r} cannot be filled ({error!r}): its fields may be {{KIND}} or {{kind}}; "
                "write a literal brace twice ({{ or }})"
            ) from None
        return value

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        from babelforge.errors import did_you_mean

        try:
            from phonenumbers import SUPPORTED_REGIONS as supported
        except ImportError:  # build() names the extra to install
            supported = None
        regions = [r.strip().upper() for r in value]
        for region in regions:
            if supported is not None and region not in supported:
                close = did_you_mean(region, supported)
                hint = f"did you mean {', '.join(close)}? " if close else ""
                raise ValueError(
                    f"unknown phone region {region!r}: {hint}valid: ISO 3166 alpha-2 codes such as NG, KE, ET"
                )
        return regions

    def build(self, ctx):
        from babelforge.errors import MissingDependencyError

        needed = {"phonenumbers": {"phone"}, "stdnum": {"iban", "card", "id"}}
        for module, kinds in needed.items():
            if kinds & set(self.kinds) and importlib.util.find_spec(module) is None:
                raise MissingDependencyError("the pii step", ["phonenumbers", "python-stdnum"], "curate")
        return PiiStep(self.kinds, self.ids, self.regions, self.placeholder, self.action, self.span_overlap)


class PiiStep(RecordStep):
    """Find PII in each record and replace, drop or flag it (see the module docstring).

    Example:
        >>> step = PiiStep(["email", "phone"], regions=["KE"])
        >>> doc = step.process(Document("Andika ada@example.org au piga 0712 345678", "1"))
        >>> doc.text, doc.metadata["pii"]
        ('Andika <EMAIL> au piga <PHONE>', {'email': 1, 'phone': 1})
    """

    name = "pii"
    reads = (LANGUAGE, SPANS, TOKEN_OFFSETS, SEGMENTS, MESSAGES, *TEXT_FIELDS)
    writes = (PII, SPANS, TOKEN_OFFSETS, SEGMENTS, MESSAGES, *TEXT_FIELDS)

    def __init__(
        self,
        kinds=get_args(Kind),
        ids=get_args(IdName),
        regions: list[str] | None = None,
        placeholder: str = "<{KIND}>",
        action: str = "replace",
        span_overlap: str = "remove_span",
    ):
        super().__init__()
        self.kinds, self.ids, self.regions = tuple(kinds), tuple(ids), regions
        self.placeholder, self.action, self.span_overlap = placeholder, action, span_overlap
        self._finder = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_finder": None}

    @property
    def finder(self):
        if self._finder is None:
            from babelforge.curate.pii_find import PiiFinder

            self._finder = PiiFinder(self.kinds, self.ids, self.regions)
        return self._finder

    def process(self, doc: Document) -> Document | Drop:
        md = doc.metadata
        found = {"text": self.finder.find(doc.text, md.get(LANGUAGE))}
        for field, language in TEXT_FIELDS.items():
            if isinstance(md.get(field), str):
                found[field] = self.finder.find(md[field], md.get(language) or md.get(LANGUAGE))
        for i, message in enumerate(md.get(MESSAGES) or ()):
            found[i] = self.finder.find(message.get("content") or "", _message_language(message, md))
        counts = Counter(f.kind for values in found.values() for f in values)
        md[PII] = dict(sorted(counts.items()))
        if not counts:
            return doc
        for kind, n in md[PII].items():
            self.stat_update(kind, value=n)
        self.stat_update("with_pii")
        if self.action == "flag":
            return doc
        removed = self._replace(doc, found)  # before a drop too: a rejects row never holds the values
        if self.action == "drop":
            return Drop("pii", ", ".join(f"{n} {kind}" for kind, n in md[PII].items()))
        if removed and self.span_overlap == "drop":
            return Drop("pii_span_overlap", f"{removed} span(s) inside or across a replaced value")
        if removed:
            self.stat_update("spans_removed", value=removed)
        return doc

    def _replace(self, doc: Document, found: dict) -> int:
        """Replace every value found; return how many spans were removed."""
        md = doc.metadata
        removed = 0
        for key, values in found.items():
            if not values:
                continue
            edits = [
                Replacement(f.start, f.end, self.placeholder.format(kind=f.kind, KIND=f.kind.upper())) for f in values
            ]
            if key == "text":
                edit = Edit(doc.text, edits)
                doc.text, removed = edit.text, self._move(md, edit)
            elif isinstance(key, int):
                md[MESSAGES][key] = {**md[MESSAGES][key], "content": Edit(md[MESSAGES][key]["content"], edits).text}
            else:
                md[key] = Edit(md[key], edits).text
        self.note(doc, replaced=md[PII], **({"spans_removed": removed} if removed else {}))
        return removed

    def _move(self, md: dict, edit: Edit) -> int:
        """Move spans, token offsets and segment offsets onto the edited text; return the spans removed."""
        removed = 0
        if md.get(SPANS):
            md[SPANS], removed = edit.spans([Span(*s) for s in md[SPANS]])
        if md.get(TOKEN_OFFSETS):
            md[TOKEN_OFFSETS] = edit.tokens(md[TOKEN_OFFSETS])
        if md.get(SEGMENTS):
            md[SEGMENTS] = [{**s, "offset": edit.offset(s["offset"])} for s in md[SEGMENTS]]
        return removed


def _message_language(message: dict, md: dict) -> str | None:
    own = {"user": PROMPT_LANG, "assistant": RESPONSE_LANG}.get(message.get("role"))
    return (md.get(own) if own else None) or md.get(LANGUAGE)
