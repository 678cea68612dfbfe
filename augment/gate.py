"""The ``gate`` step: keep only records that are in the language asked for, well-sized, new and faithful.

Checks, each optional, each rejection counted under its reason:

- ``fidelity`` (``language_confusion``): every line of the response (chat records: the assistant's
  last turn, in ``response_lang``; others: the text, in the record's language) identified as that
  language, as in the Language Confusion Benchmark (lingua, or a fastText LID model such as GlotLID
  with ``identifier: fasttext:PATH``; a language the identifier does not know is counted as
  ``fidelity_unchecked`` and passes);
- ``script`` (``wrong_script``): the share of letters written in another script than the language's
  own stays under ``max_foreign_script`` (a word-level check that catches a reply in the wrong script
  even where the identifier cannot judge);
- ``min_chars`` / ``max_chars`` (``too_short`` / ``too_long``);
- ``dedup`` (``duplicate``): exact duplicates of a record already seen in this task (case and spacing
  folded);
- ``near_dedup`` (``near_duplicate``): records whose word-shingle Jaccard similarity to one already seen
  in this task reaches the threshold, by MinHash LSH (datasketch);
- ``min_similarity`` (``semantic_drift``): for records with a ``source_text`` (code-mixed or
  projected), the embedding similarity of text and source must reach it (any embedder spec).

Both duplicate checks compare what the record holds (:func:`dedup_text`): for a chat record its user
and assistant turns, in order and with their roles (so the same answer to another question is new);
system turns are left out, since one system prompt usually frames a whole data set and would
otherwise make every record look alike. Other records compare their text. A record with nothing to
compare (an empty text, or turns without content) is never a duplicate; it is counted as
``dedup_unchecked``.
"""

from __future__ import annotations

import hashlib
import unicodedata

from datatrove.data import Document

from babelforge import langs
from babelforge.augment.dedup import NearDuplicates
from babelforge.records import LANGUAGE, MESSAGES, RESPONSE_LANG
from babelforge.steps import Drop, RecordStep

#: ISO 15924 script codes and the first word of Unicode character names written in them.
SCRIPT_NAMES = {
    "Latn": {"LATIN"}, "Cyrl": {"CYRILLIC"}, "Arab": {"ARABIC"}, "Deva": {"DEVANAGARI"}, "Ethi": {"ETHIOPIC"},
    "Hans": {"CJK"}, "Hant": {"CJK"}, "Hani": {"CJK"}, "Jpan": {"CJK", "HIRAGANA", "KATAKANA"},
    "Kore": {"HANGUL", "CJK"}, "Grek": {"GREEK"}, "Hebr": {"HEBREW"}, "Thai": {"THAI"}, "Beng": {"BENGALI"},
    "Taml": {"TAMIL"}, "Telu": {"TELUGU"}, "Mlym": {"MALAYALAM"}, "Knda": {"KANNADA"}, "Gujr": {"GUJARATI"},
    "Guru": {"GURMUKHI"}, "Orya": {"ORIYA"}, "Sinh": {"SINHALA"}, "Mymr": {"MYANMAR"}, "Khmr": {"KHMER"},
    "Laoo": {"LAO"}, "Tibt": {"TIBETAN"}, "Geor": {"GEORGIAN"}, "Armn": {"ARMENIAN"}, "Tfng": {"TIFINAGH"},
}  # fmt: skip


def foreign_script_share(text: str, script: str) -> float | None:
    """The share of letters of ``text`` not written in ``script`` (``None``: script unknown, or no letters)."""
    expected = SCRIPT_NAMES.get(script)
    if expected is None:
        return None
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    foreign = sum(unicodedata.name(ch, "UNKNOWN").split(" ")[0] not in expected for ch in letters)
    return foreign / len(letters)


def dedup_text(doc: Document) -> str:
    """What the duplicate checks compare for ``doc``, case and spacing folded (``""``: nothing to compare).

    A chat record gives its user and assistant turns, one line each as ``role<TAB>content``; any other
    record its text.
    """
    messages = doc.metadata.get(MESSAGES)
    if not messages:
        return " ".join(doc.text.casefold().split())
    turns = [(m["role"], " ".join(m["content"].casefold().split())) for m in messages if m["role"] != "system"]
    if not any(content for _, content in turns):
        return ""
    return "\n".join(f"{role}\t{content}" for role, content in turns)


class GateStep(RecordStep):
    """Reject records that fail any configured check, each under its own reason."""

    name = "gate"
    reads = (LANGUAGE, MESSAGES, RESPONSE_LANG)

    def __init__(
        self,
        fidelity: bool,
        script: bool,
        max_foreign_script: float,
        min_chars: int | None,
        max_chars: int | None,
        dedup: bool,
        min_similarity: float | None,
        embedder: str,
        near_dedup: float | None = None,
        shingle: int = 3,
        identifier: str = "lingua",
    ):
        super().__init__()
        self.fidelity, self.script, self.max_foreign_script = fidelity, script, max_foreign_script
        self.min_chars, self.max_chars, self.dedup = min_chars, max_chars, dedup
        self.min_similarity, self.embedder_spec = min_similarity, embedder
        self.near_dedup, self.shingle, self.identifier = near_dedup, shingle, identifier
        self._seen: set[bytes] = set()
        self._near = NearDuplicates(near_dedup, shingle) if near_dedup is not None else None
        self._judge = None
        self._embedder = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_seen": set(), "_judge": None, "_embedder": None}

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        results: list[Document | Drop] = [self._check(doc) for doc in docs]
        if self.min_similarity is not None:
            self._similarity([d for d in results if isinstance(d, Document)], results, docs)
        return results

    def _check(self, doc: Document) -> Document | Drop:
        return self._side(*self._response(doc)) or self._repeated(doc) or doc

    def _sized(self, text: str) -> Drop | None:
        if self.min_chars is not None and len(text) < self.min_chars:
            return Drop("too_short", f"{len(text)} < {self.min_chars} characters")
        if self.max_chars is not None and len(text) > self.max_chars:
            return Drop("too_long", f"{len(text)} > {self.max_chars} characters")
        return None

    def _side(self, text: str, language: str | None) -> Drop | None:
        """Why a response (or one answer of a pair) in ``language`` fails: its size, script or language lines."""
        if (sized := self._sized(text)) is not None:
            return sized
        resolved = langs.resolve(language) if language else None
        if self.script and resolved is not None:
            share = foreign_script_share(text, resolved.script)
            if share is not None and share > self.max_foreign_script:
                return Drop("wrong_script", f"{share:.0%} of letters outside {resolved.script}")
        if self.fidelity and resolved is not None:
            judged = self._fidelity(text, resolved.code)
            if judged is not None and judged.passed < judged.lines:
                wrong = judged.lines - judged.passed
                return Drop("language_confusion", f"{wrong} of {judged.lines} lines not {language}")
        return None

    def _repeated(self, doc: Document) -> Drop | None:
        """A drop when ``doc`` repeats an earlier record (exactly or nearly); remembers it otherwise."""
        if not self.dedup and self._near is None:
            return None
        compared = dedup_text(doc)
        if not compared:
            self.stat_update("dedup_unchecked")
            return None
        if self.dedup:
            key = hashlib.blake2b(compared.encode(), digest_size=16).digest()
            if key in self._seen:
                return Drop("duplicate")
            self._seen.add(key)
        if self._near is not None and self._near.seen(compared):
            return Drop("near_duplicate", f"Jaccard >= {self.near_dedup} with an earlier record")
        return None

    def _response(self, doc: Document) -> tuple[str, str | None]:
        md = doc.metadata
        messages = md.get(MESSAGES)
        if messages:
            answers = [m["content"] for m in messages if m["role"] == "assistant"]
            return (answers[-1] if answers else ""), md.get(RESPONSE_LANG) or md.get(LANGUAGE)
        return doc.text, md.get(LANGUAGE)

    def _fidelity(self, text: str, language: str):
        from babelforge.augment.fidelity import LanguageFidelity

        if self._judge is None:
            self._judge = LanguageFidelity(self.identifier)
        if not self._judge.known(language):
            self.stat_update("fidelity_unchecked")
            return None
        return self._judge.check([text], language)

    def _similarity(self, kept: list[Document], results: list, docs: list[Document]) -> None:
        from babelforge.embedders import embedder

        pairs = [d for d in kept if d.metadata.get("source_text")]
        if not pairs:
            return
        if self._embedder is None:
            self._embedder = embedder(self.embedder_spec)
        vectors = self._embedder.embed([d.text for d in pairs] + [d.metadata["source_text"] for d in pairs])
        n = len(pairs)
        for doc, similarity in zip(pairs, (vectors[:n] * vectors[n:]).sum(axis=1), strict=True):
            if similarity < self.min_similarity:
                results[docs.index(doc)] = Drop(
                    "semantic_drift", f"similarity {similarity:.2f} < {self.min_similarity}"
                )
