"""The ``transliterate`` step: write records, or the words of one origin in them, in another script.

Transliteration is a cheap, strong transfer trick for languages written in several scripts (Hausa in
Ajami and Latin, Serbian, Uzbek) or close to a high-resource language in another script: a model
that knows Hindi in Devanagari learns Hindi in Latin script faster than a new language, and Maltese
(Latin script, half Arabic by origin) borrows more from Arabic once its Arabic-origin words are
written in Arabic script.

Each word (:func:`babelforge.words.word_spans`) that holds a character of the source script is
transliterated on its own (``scheme``: ``uroman``, ``icu`` or a language's ``table``, see
:mod:`~babelforge.augment.transliterators`); everything else (words in other scripts, spaces,
numbers in Latin digits) is kept as it is. The source script is ``from_script``, or the script of
the record's ``language``; a record already in the target script is left unchanged (a Latin record
still gets any words of other scripts it holds romanised when ``to`` is ``Latn``).

With ``only``, just the words of one origin change: those listed in a lexicon or word list, or those
a language identifier assigns to a language (see :mod:`~babelforge.augment.transliterate_only`).

Offsets stay right (:mod:`~babelforge.augment.transliterate_offsets`): spans cover the
transliteration of what they covered, token offsets and interleaved ``segments`` offsets move with
the text. The record's ``language`` changes script (``hau_Arab`` -> ``hau_Latn``) when the whole
record was transliterated (not with ``only``: the text is then in two scripts, and keeps its
language); chat turns and a QA record's ``question`` in the record's language are transliterated
too, and ``prompt_lang``/``response_lang``/segment languages follow. Other texts (``target_text``,
``source_text``) are in other languages and are left alone. The text before is kept in
``original_text`` (unless ``keep_original: false``; a second transliteration keeps the first).

Counts: ``records_changed``, ``records_unchanged`` (with ``unchanged:already_target_script``,
``unchanged:no_word_selected`` under ``only``, or ``unchanged:nothing_changed``),
``words_transliterated``, ``words_incomplete`` (words whose transliteration still holds a character
of the source script), ``spans_widened``, ``spans_removed`` (spans on letters the transliteration
drops, such as Uzbek ``ь`` alone). A record the step cannot transliterate (``no_table``:
``scheme: table`` and no table for its language; ``no_transform``: no ICU transform for its script;
``transliterator_error``: the romaniser failed on a word) is dropped under that reason, or kept
unchanged and counted under ``kept_untransliterated:REASON`` with ``on_failure: keep``.

Example manifest (romanise Hausa Ajami before code-mixing with English; then mine against Latin
Hausa)::

    steps:
      - transliterate: {to: Latn}                       # hau_Arab -> hau_Latn, by uroman
      - codemix: {lexicon: lexicons/hau-eng.tsv, embedded: eng_Latn}

    # Serbian Cyrillic NER data in Latin script, by the Serbian table (the default where one exists):
      - transliterate: {to: Latn}
    # Maltese: only the words of Arabic origin, in Arabic script, by ICU:
      - transliterate: {to: Arab, scheme: icu, only: {lexicon: lexicons/mlt-arabic-origin.txt}}
    # only the words an identifier calls Russian, romanised:
      - transliterate: {to: Latn, only: {identifier: lingua, language: rus_Cyrl}}

Example:
    >>> step = TransliterateStep("Latn", scheme="table")
    >>> doc = step.process(Document("Београд је главни град.", "1", metadata={"language": "srp_Cyrl",
    ...                                                                      "spans": [(0, 7, "LOC")]}))
    >>> doc.text, doc.metadata["language"], doc.metadata["spans"]
    ('Beograd je glavni grad.', 'srp_Latn', [Span(start=0, end=7, label='LOC')])
"""

from __future__ import annotations

from typing import NamedTuple

import regex
from datatrove.data import Document

from babelforge import langs
from babelforge.augment.transliterate_offsets import cut_points, cut_words, move
from babelforge.augment.transliterate_settings import SCRIPT_ALIASES
from babelforge.augment.transliterators import Backend, NoBackend, TransliterationFailed, backend
from babelforge.curate.pii_edit import Edit, Replacement
from babelforge.errors import UnknownLanguageError
from babelforge.records import LANGUAGE, MESSAGES, PROMPT_LANG, QUESTION, RESPONSE_LANG, SEGMENTS, SPANS, TOKEN_OFFSETS
from babelforge.steps import Drop, RecordStep
from babelforge.words import is_word, word_spans

ORIGINAL_TEXT = "original_text"


class Plan(NamedTuple):
    """How one language's records are transliterated."""

    backend: Backend | NoBackend  # NoBackend: why the language's records cannot be transliterated
    source: regex.Pattern  # matches a character of the source script
    language: str | None  # the record's new language code (None: it keeps its own)


class TransliterateStep(RecordStep):
    """Transliterate records, or the words of one origin in them (see the module docstring)."""

    name = "transliterate"
    reads = (LANGUAGE, SPANS, TOKEN_OFFSETS, SEGMENTS, MESSAGES, QUESTION, PROMPT_LANG, RESPONSE_LANG)
    writes = (ORIGINAL_TEXT, *reads)

    def __init__(
        self,
        to: str = "Latn",
        scheme: str | None = None,
        from_script: str | None = None,
        transform: str | None = None,
        only=None,
        keep_original: bool = True,
        on_failure: str = "drop",
    ):
        super().__init__()
        self.to, self.scheme, self.from_script, self.transform = to, scheme, from_script, transform
        self.only, self.keep_original, self.on_failure = only, keep_original, on_failure
        self._plans: dict[str | None, Plan] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_plans": {}}

    def process(self, doc: Document) -> Document | Drop:
        md = doc.metadata
        plan = self.plan(md.get(LANGUAGE))
        if not any(plan.source.search(text) for text in _texts(doc)):
            return self._unchanged(doc, "already_target_script")
        if isinstance(plan.backend, NoBackend):
            return self._failed(doc, plan.backend.reason, str(plan.backend))
        try:
            edit, words, incomplete = self._edit(doc.text, plan, cut_points(md))
            others = self._other_fields(md, plan)
        except TransliterationFailed as error:
            return self._failed(doc, "transliterator_error", str(error))
        if incomplete:
            self.stat_update("words_incomplete", value=incomplete)
        if edit is None and not others:
            return self._unchanged(doc, "no_word_selected" if self.only is not None else "nothing_changed")
        self._apply(doc, plan, edit, others, words)
        return doc

    def plan(self, code: str | None) -> Plan:
        """How records of language ``code`` are transliterated (cached per code); its backend is a
        :class:`NoBackend` where they cannot be."""
        if code not in self._plans:
            self._plans[code] = self._new_plan(code)
        return self._plans[code]

    def transliterate(self, text: str, code: str | None) -> str:
        """``text`` as the step writes a record of language ``code`` (offsets aside).

        Raises:
            NoBackend: where records of ``code`` cannot be transliterated.
        """
        plan = self.plan(code)
        if not plan.source.search(text):
            return text
        if isinstance(plan.backend, NoBackend):
            raise plan.backend
        edit, _, _ = self._edit(text, plan, ())
        return edit.text if edit else text

    def _new_plan(self, code: str | None) -> Plan:
        record = _language(code)
        words = self.only.language if getattr(self.only, "language", None) else code
        language = _language(words) if words != code else record
        script = self.from_script or next((x.script for x in (language, record) if x and x.script != self.to), None)
        try:
            convert = backend(self.scheme, language, script, self.to, self.transform)
        except NoBackend as failure:
            convert = failure
        if script:
            source = regex.compile(rf"\p{{scx={SCRIPT_ALIASES.get(script, script)}}}")
        else:  # a record already in the target script (or of no language): any letter of another script
            target = SCRIPT_ALIASES.get(self.to, self.to)
            source = regex.compile(rf"[\p{{L}}--[\p{{sc={target}}}\p{{sc=Zyyy}}\p{{sc=Zinh}}]]", regex.V1)
        whole = self.only is None and record is not None and record.script == script
        return Plan(convert, source, _in_script(record, self.to) if whole else None)

    def _edit(self, text: str, plan: Plan, points) -> tuple[Edit | None, int, int]:
        """The transliteration of ``text`` as an edit (``None``: nothing changed), the words it changed,
        and the words still holding a character of the source script."""
        changed, words, incomplete = [], 0, 0
        for start, end in word_spans(text):
            token = text[start:end]
            if not plan.source.search(token) or (self.only is not None and not (is_word(token) and token in self.only)):
                continue
            new = plan.backend(token)
            if new != token:
                changed.append(Replacement(start, end, new))
                words += is_word(token)
            incomplete += bool(plan.source.search(new))
        if not changed:
            return None, 0, incomplete
        return Edit(text, cut_words(text, changed, points, plan.backend)), words, incomplete

    def _other_fields(self, md: dict, plan: Plan) -> dict:
        """New values of the record's other texts in its language: a QA question, chat turns."""
        language, others = md.get(LANGUAGE), {}
        if isinstance(md.get(QUESTION), str):
            edit, *_ = self._edit(md[QUESTION], plan, ())
            if edit:
                others[QUESTION] = edit.text
        turns = md.get(MESSAGES) or []
        for i, turn in enumerate(turns):
            own = md.get({"user": PROMPT_LANG, "assistant": RESPONSE_LANG}.get(turn.get("role"), LANGUAGE))
            if (own or language) == language and turn.get("content"):
                edit, *_ = self._edit(turn["content"], plan, ())
                if edit:
                    others.setdefault(MESSAGES, list(turns))[i] = {**turn, "content": edit.text}
        return others

    def _apply(self, doc: Document, plan: Plan, edit: Edit | None, others: dict, words: int) -> None:
        md = doc.metadata
        widened = emptied = 0
        if edit is not None:
            if self.keep_original:
                md.setdefault(ORIGINAL_TEXT, doc.text)
            doc.text, (widened, emptied) = edit.text, move(md, edit)
        md.update(others)
        if plan.language:
            old = md.get(LANGUAGE)
            for key in (LANGUAGE, PROMPT_LANG, RESPONSE_LANG):
                if md.get(key) == old:
                    md[key] = plan.language
            if md.get(SEGMENTS):
                md[SEGMENTS] = [{**s, LANGUAGE: plan.language if s.get(LANGUAGE) == old else s.get(LANGUAGE)}
                                for s in md[SEGMENTS]]  # fmt: skip
        self.stat_update("records_changed")
        if words:
            self.stat_update("words_transliterated", value=words)
        details = {"scheme": plan.backend.name, "to": self.to, "words": words}
        if self.only is not None:
            details["only"] = self.only.describe()
        for name, count in (("spans_widened", widened), ("spans_removed", emptied)):
            if count:
                self.stat_update(name, value=count)
                details[name] = count
        self.note(doc, **details)

    def _unchanged(self, doc: Document, reason: str) -> Document:
        self.stat_update("records_unchanged", f"unchanged:{reason}")
        return doc

    def _failed(self, doc: Document, reason: str, detail: str) -> Document | Drop:
        if self.on_failure == "drop":
            return Drop(reason, detail)
        self.stat_update("records_unchanged", f"kept_untransliterated:{reason}")
        return doc


def _texts(doc: Document) -> list[str]:
    """The texts of a record the step may change: its text, a QA question, chat turns."""
    md = doc.metadata
    turns = [m.get("content") or "" for m in md.get(MESSAGES) or ()]
    return [doc.text, md.get(QUESTION) if isinstance(md.get(QUESTION), str) else "", *turns]


def _language(code: str | None) -> langs.Language | None:
    if not code:
        return None
    try:
        return langs.resolve(code)
    except UnknownLanguageError:
        return None


def _in_script(language: langs.Language | None, script: str) -> str | None:
    """The code of ``language`` written in ``script`` (``hau_Arab``, ``Latn`` -> ``hau_Latn``)."""
    if language is None:
        return None
    try:
        return langs.resolve(f"{language.iso639_3}_{script}").code
    except UnknownLanguageError:
        return f"{language.iso639_3}_{script}"
