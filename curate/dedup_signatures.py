"""The ``dedup`` step's first stage: each record's MinHash bands and exact-text hash, written per task.

What is compared is what the ``gate`` step compares (:func:`babelforge.augment.gate.dedup_text`: case
and spacing folded; a chat record's user and assistant turns). For MinHash, datatrove's
``simplify_text`` then turns punctuation into spaces and digits into ``0``; letters of the Latin, Greek
and Cyrillic scripts lose their accents (so ``Ọjọ́`` and ``Ojo`` shingle alike), while the combining
marks of other scripts stay (a Devanagari vowel sign is part of its syllable: datatrove's default
would strip it and merge distinct Hindi words); and :func:`babelforge.words.words` cuts the words,
one grapheme cluster per word in scripts written without spaces (Han, Thai, ...), so their shingles
are character n-grams. A text with fewer words than ``n_grams`` is one shingle of all its words
(datatrove gives it none, so it could never be a near duplicate).

The signatures are datatrove's (:class:`MinhashDedupSignature`'s permutations and bands, given this
tokenizer; each shingle's hash is made from its words' hashes, see :class:`ShingleSignatures`), written
in datatrove's files so that its bucket stage reads them. Each record leaves
this stage carrying ``dedup_node`` (``[task, index]``) in its metadata: the filter finds the record's
decision by it, whatever task reads the record then (passes may hand a task's records to another).
"""

from __future__ import annotations

import hashlib
import os
import struct
import unicodedata
from array import array
from functools import lru_cache

import numpy as np
import regex
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature
from datatrove.utils.text import TextNormConfig, simplify_text
from datatrove.utils.word_tokenizers import WordTokenizer

from babelforge.augment.gate import dedup_text
from babelforge.curate.dedup_files import KEY_DTYPE, DedupFiles
from babelforge.curate.dedup_sentences import SentenceSpans, takes_part
from babelforge.words import words

#: Metadata key the signature stage writes and the filter removes: ``[task, index]`` of the record.
NODE = "dedup_node"
#: datatrove's text simplification without its accent stripping (done per script by :func:`fold_accents`).
NORM = TextNormConfig(norm_unicode_diacritics=False)
_ACCENTED = regex.compile(r"([\p{Latin}\p{Greek}\p{Cyrillic}])\p{Mn}+")
_HALF = (1 << 60) - 1  # bucket hashes stay below datatrove's 2**61 - 1 ceiling
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def fold_accents(text: str) -> str:
    """``text`` without the combining marks on Latin, Greek and Cyrillic letters; other scripts' marks stay."""
    return text if text.isascii() else _ACCENTED.sub(r"\1", unicodedata.normalize("NFD", text))


@lru_cache(maxsize=1 << 18)
def _folded(word: str) -> str:
    return fold_accents(word)


@lru_cache(maxsize=1 << 18)
def word_hash(word: str) -> int:
    """A 64-bit hash of a word as shingles see it (accents folded), computed once per distinct word."""
    return int.from_bytes(hashlib.blake2b(_folded(word).encode(), digest_size=8).digest(), "little")


class ShingleTokenizer(WordTokenizer):
    """:func:`babelforge.words.words`, accents folded, as the word tokenizer datatrove's MinHash takes."""

    def __init__(self):
        super().__init__("babelforge")

    def word_tokenize(self, text: str) -> list[str]:
        return [_folded(word) for word in words(text)]

    def sent_tokenize(self, text: str) -> list[str]:
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


class ShingleSignatures(MinhashDedupSignature):
    """datatrove's MinHash signatures over babelforge's words; a short text is one shingle of all its words.

    A shingle's hash combines its words' hashes (each distinct word hashed once, see :func:`word_hash`)
    in numpy, instead of hashing each joined n-gram string in Python as datatrove does: the same
    shingles in half the time.
    """

    def __init__(self, files: DedupFiles):
        super().__init__(files.path("sigs"), files.minhash_config(), language=ShingleTokenizer())

    def get_shingles(self, text: str) -> np.ndarray:
        tokens = words(simplify_text(text, self.config.norm_config))
        hashes = np.fromiter(map(word_hash, tokens), dtype=np.uint64, count=len(tokens))
        return shingle_hashes(hashes, self.config.n_grams).reshape((-1, 1))


def shingle_hashes(word_hashes: np.ndarray, n: int) -> np.ndarray:
    """The hash of every ``n`` consecutive words (all of them, when fewer), from the words' hashes."""
    count = max(len(word_hashes) - n + 1, 1) if len(word_hashes) else 0
    width = min(n, len(word_hashes))
    combined = word_hashes[:count].copy()
    for k in range(1, width):
        combined = combined * _MULTIPLIER + word_hashes[k : k + count]  # wraps modulo 2**64
    combined ^= combined >> np.uint64(30)  # splitmix64's finaliser: every input bit reaches every output bit
    combined *= np.uint64(0xBF58476D1CE4E5B9)
    combined ^= combined >> np.uint64(27)
    combined *= np.uint64(0x94D049BB133111EB)
    return combined ^ (combined >> np.uint64(31))


def exact_hash(compared: str) -> tuple[int, int]:
    """Two 60-bit halves of the 128-bit blake2b of the compared text."""
    digest = hashlib.blake2b(compared.encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little") & _HALF, int.from_bytes(digest[8:], "little") & _HALF


def record_key(doc: Document, exact: tuple[int, int]) -> int:
    """The record's stable key: which record of a cluster stays does not depend on tasks or order."""
    blob = f"{doc.id}\0{exact[0]}:{exact[1]}".encode()
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "little")


class DedupSignatures(PipelineStep):
    """Write each record's bucket lines and key; records pass on unchanged but for ``dedup_node``."""

    type = "🫂 - DEDUP"
    name = "dedup-signatures"
    writes = (NODE,)

    def __init__(self, files: DedupFiles):
        super().__init__()
        self.files = files
        self.minhash = ShingleSignatures(files) if files.minhash_buckets else None

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        keys = array("Q")
        spans = SentenceSpans(self.files.folder, rank, self.files.sentences) if self.files.sentences else None
        with BucketFiles(self.files, rank) as buckets:
            for index, doc in enumerate(data or ()):
                self.stat_update("in")
                with self.track_time():
                    keys.extend(self._sign(doc, index, buckets))
                    if spans is not None:
                        self._spans(doc, index, spans)
                doc.metadata[NODE] = [rank, index]
                yield doc
        with self.track_time():
            buckets.sort()
            _save_keys(self.files.path("sigs", "keys", f"{rank:05d}.npy"), keys)
            if spans is not None:
                spans.write(world_size)

    def _spans(self, doc: Document, index: int, spans: SentenceSpans) -> None:
        if takes_part(doc):
            spans.add(doc, index)
        else:
            self.stat_update("sentences_unchecked")

    def _sign(self, doc: Document, index: int, buckets: BucketFiles) -> tuple[int, int]:
        compared = dedup_text(doc)
        if not compared:
            self.stat_update("unchecked")  # nothing to compare: never anyone's duplicate
            return 0, 0
        exact = exact_hash(compared)
        if self.files.exact:
            buckets.write(self.files.exact_bucket, (*exact, *[0] * (self.files.hashes_per_bucket - 2)), index)
        if self.minhash is not None:
            shingles = self.minhash.get_shingles(compared)
            if shingles.size:
                for bucket, band in enumerate(self.minhash.get_signature(shingles)):
                    buckets.write(bucket, band, index)
        return record_key(doc, exact), exact[0]


class BucketFiles:
    """One task's bucket files, written line by line, then each sorted (datatrove's bucket stage merges them)."""

    def __init__(self, files: DedupFiles, rank: int):
        self.width = files.hashes_per_bucket
        self.paths = [files.path("sigs", f"bucket_{b:03d}", f"{rank:05d}.minhash.sig") for b in range(files.buckets)]
        self._line = struct.Struct(f"<{self.width}QI")
        self._files = []

    def __enter__(self) -> BucketFiles:
        for path in self.paths:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self._files.append(open(path, "wb"))
        return self

    def write(self, bucket: int, band, index: int) -> None:
        self._files[bucket].write(self._line.pack(*band[: self.width], index))

    def __exit__(self, *exc) -> None:
        for f in self._files:
            f.close()

    def sort(self) -> None:
        """Sort every file by its hashes (then index), as datatrove's merge requires; replaced atomically."""
        dtype = np.dtype([(f"h{i}", "<u8") for i in range(self.width)] + [("doc", "<u4")])
        for path in self.paths:
            lines = np.fromfile(path, dtype=dtype)
            lines.sort(order=dtype.names)
            partial = f"{path}.partial"
            lines.tofile(partial)
            os.replace(partial, path)


def _save_keys(path: str, flat: array) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    keys = np.frombuffer(flat, dtype=np.uint64).reshape(-1, 2) if flat else np.zeros((0, 2), np.uint64)
    table = np.empty(len(keys), dtype=KEY_DTYPE)
    table["key"], table["exact"] = keys[:, 0], keys[:, 1]
    partial = f"{path}.partial.npy"
    np.save(partial, table)
    os.replace(partial, path)
