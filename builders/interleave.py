"""The ``interleave`` step: bilingual document pairs into packed cross-lingual pre-training samples.

For each pair (the record's ``text`` in the anchor language, its ``target_text`` in the other), both
documents are split into sentences (terminal punctuation of many scripts: ``.!?``, Devanagari ``।``,
Ethiopic ``።``, CJK ``。``; Thai, written without sentence punctuation, at spaces), sentences are
grouped into chunks of at most ``chunk_tokens`` tokens of the target model's tokenizer (consecutive
chunks may share ``overlap`` sentences), and chunks alternate strictly, anchor first: the i-th anchor
chunk, then the i-th chunk of the other document; once one side runs out, the rest of the other
follows. Chunks are packed into samples of at most ``context`` tokens, whole, and a sample never
ends between an anchor chunk and its counterpart, so every sample opens with the anchor language
while anchor chunks remain (a pair longer than ``context`` on its own is the one exception: its two
chunks go to samples of their own, counted under ``pair_split``). A sentence is cut only when it
alone exceeds ``chunk_tokens`` (counted). Each sample's ``segments`` record the language, source
record and character offsets of every chunk in it; its ``language`` is the language it opens with
(the anchor's, unless the anchor ran out) and its ``source`` the manifest sources of both documents.
Every sentence of the input lands in a sample; empty documents are dropped under a reason.
"""

from __future__ import annotations

import re

from datatrove.data import Document

from babelforge import langs
from babelforge.projection.segment import sentence_spans
from babelforge.records import LANGUAGE, SEGMENTS, SOURCE, TARGET_LANGUAGE, TARGET_TEXT, add_lineage
from babelforge.steps import RecordStep

_THAI_SENTENCE = re.compile(r"\S+")
_LINE = re.compile(r"[^\n]+")


def load_tokenizer(name: str):
    """A function counting ``name``'s tokens in a text (no special tokens).

    A ``tokenizer.json`` file, or a folder holding one, loads with the ``tokenizers`` library alone;
    anything else (a Hub id, a folder of another format) through ``transformers.AutoTokenizer``.

    Raises:
        BabelforgeError: naming the tokenizer, when it cannot be found or loaded.
    """
    from pathlib import Path

    from babelforge.errors import BabelforgeError, MissingDependencyError

    path = Path(name)
    file = path if path.is_file() else path / "tokenizer.json"
    try:
        if file.is_file():
            from tokenizers import Tokenizer

            fast = Tokenizer.from_file(str(file))
            return lambda text: len(fast.encode(text, add_special_tokens=False).ids)
        from transformers import AutoTokenizer

        slow = AutoTokenizer.from_pretrained(name)
        return lambda text: len(slow(text, add_special_tokens=False)["input_ids"])
    except ImportError:
        raise MissingDependencyError("the interleave step", ["tokenizers", "transformers"], "models") from None
    except (OSError, ValueError) as error:
        raise BabelforgeError(
            f"tokenizer {name!r} could not be loaded ({str(error).splitlines()[0]}): give a Hub id the Hub has, "
            "a folder with tokenizer files, or a tokenizer.json"
        ) from None


def sentences(text: str, language: str | None) -> list[tuple[int, int]]:
    """Sentence offsets of ``text``; Thai (and Lao, Khmer) split at spaces, which end sentences there."""
    script = langs.resolve(language).script if language else ""
    spans = []
    for line in _LINE.finditer(text):  # a line break ends a sentence too
        start = line.start()
        if script in ("Thai", "Laoo", "Khmr"):
            spans += [(start + a, start + b) for a, b in (m.span() for m in _THAI_SENTENCE.finditer(line.group()))]
        else:
            spans += [(start + a, start + b) for a, b in sentence_spans(line.group())]
    return spans


class InterleaveStep(RecordStep):
    """Make packed samples from each bitext record (a document and its counterpart)."""

    name = "interleave"
    reads = (LANGUAGE, TARGET_TEXT, TARGET_LANGUAGE)
    writes = (SEGMENTS, LANGUAGE, SOURCE)

    def __init__(self, tokenizer: str, context: int, chunk_tokens: int, overlap: int, separator: str):
        super().__init__()
        self.tokenizer_name, self.context, self.chunk_tokens = tokenizer, context, chunk_tokens
        self.overlap, self.separator = overlap, separator
        self._tokenizer = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_tokenizer": None}

    @property
    def models(self) -> list[dict]:
        """The tokenizer whose tokens measure chunks and samples (provenance records it with its files)."""
        return [{"name": self.tokenizer_name, "kind": "tokenizer"}]

    def tokens(self, text: str) -> int:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.tokenizer_name)
        return self._tokenizer(text)

    def run(self, data, rank: int = 0, world_size: int = 1):
        for doc in data or ():
            self.stat_update("in")
            anchor, other = doc.text, doc.metadata.get(TARGET_TEXT) or ""
            if not anchor.strip() or not other.strip():
                self.stat_update("dropped", "dropped:empty_document")
                continue
            a_lang, b_lang = doc.metadata.get(LANGUAGE), doc.metadata.get(TARGET_LANGUAGE)
            a_id, b_id = doc.metadata.get("source_record", doc.id), doc.metadata.get("target_id", doc.id)
            units = _pairs(
                [(a_lang, a_id, anchor, s, e) for s, e in self._chunks(anchor, a_lang)],
                [(b_lang, b_id, other, s, e) for s, e in self._chunks(other, b_lang)],
            )
            source = _sources(doc, a_id, b_id)
            for number, (text, segments) in enumerate(self._pack(units)):
                metadata = {LANGUAGE: segments[0]["language"], SOURCE: source, SEGMENTS: segments}
                out = Document(text, f"{doc.id}#{number}", metadata=metadata)
                add_lineage(out.metadata, self.name, source_id=doc.id, tokens=self.tokens(text))
                self.stat_update("kept")
                yield out

    def _chunks(self, text: str, language: str | None) -> list[tuple[int, int]]:
        """Consecutive sentences grouped under ``chunk_tokens``; a longer sentence is cut into pieces."""
        pieces: list[tuple[int, int]] = []
        for start, end in sentences(text, language):
            if self.tokens(text[start:end]) <= self.chunk_tokens:
                pieces.append((start, end))
                continue
            self.stat_update("sentence_cut")
            pieces += self._cut(text, start, end)
        counts = [self.tokens(text[a:b]) for a, b in pieces]
        chunks, i = [], 0
        while i < len(pieces):
            j, total = i + 1, counts[i]
            while j < len(pieces) and total + counts[j] <= self.chunk_tokens:  # sums first, exact check after
                total += counts[j]
                j += 1
            while j - 1 > i and self.tokens(text[pieces[i][0] : pieces[j - 1][1]]) > self.chunk_tokens:
                j -= 1
            chunks.append((pieces[i][0], pieces[j - 1][1]))
            i = j - self.overlap if self.overlap and j - self.overlap > i else j
        return chunks

    def _cut(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """A sentence longer than a chunk, cut at spaces (or characters) into pieces that fit."""
        out, cursor = [], start
        while cursor < end:
            low, high = cursor + 1, end
            while low < high:  # the longest prefix that fits
                middle = (low + high + 1) // 2
                if self.tokens(text[cursor:middle]) <= self.chunk_tokens:
                    low = middle
                else:
                    high = middle - 1
            cut = low
            space = text.rfind(" ", cursor + 1, cut)
            if cut < end and space > cursor:
                cut = space
            out.append((cursor, cut))
            cursor = cut
            while cursor < end and text[cursor] == " ":
                cursor += 1
        return out

    def _pack(self, units: list[list]) -> list[tuple[str, list[dict]]]:
        """Samples of whole units (an anchor chunk and its counterpart, or a chunk whose counterpart ran
        out), each at most ``context`` tokens once joined by the separator."""
        samples, current = [], []
        for unit in units:
            if len(unit) > 1 and self.tokens(self._join(unit)[0]) > self.context:
                self.stat_update("pair_split")
                samples += [self._join(part) for part in (current, unit[:1], unit[1:]) if part]
                current = []
                continue
            candidate = [*current, *unit]
            if current and self.tokens(self._join(candidate)[0]) > self.context:
                samples.append(self._join(current))
                candidate = list(unit)
            current = candidate
        if current:
            samples.append(self._join(current))
        return samples

    def _join(self, chunks) -> tuple[str, list[dict]]:
        parts, segments, length = [], [], 0
        for language, source_id, source_text, start, end in chunks:
            if parts:
                parts.append(self.separator)
                length += len(self.separator)
            piece = source_text[start:end]
            segments.append(
                {"language": language, "source_id": str(source_id), "start": start, "end": end, "offset": length}
            )
            parts.append(piece)
            length += len(piece)
        return "".join(parts), segments


def _pairs(a: list, b: list) -> list[list]:
    """Anchor and other chunks in strict turns, anchor first: ``[a0, b0], [a1, b1], ...``, then the
    chunks of the longer side alone once the other has run out."""
    return [[*a[i : i + 1], *b[i : i + 1]] for i in range(max(len(a), len(b)))]


def _sources(doc: Document, a_id: str, b_id: str) -> str | None:
    """The manifest sources a pair comes from: the record's own ``source``, else those its two documents'
    ids name (a reader's ids are ``SOURCE/ROW_ID``), joined by ``+`` when they differ."""
    if doc.metadata.get(SOURCE):
        return doc.metadata[SOURCE]
    names = [str(i).partition("/")[0] for i in (a_id, b_id) if "/" in str(i)]
    return "+".join(dict.fromkeys(names)) or None
