"""Sentence-level exact dedup (``sentences: N``): a span of N sentences seen before is cut from later records.

C4's rule, as datatrove's ``SentenceDedup*`` stages apply it: every span of ``N`` consecutive sentences
occurring more than once in the corpus stays in one record only. datatrove keeps the occurrence that
comes first in its sorted files (by a record's place in its task's stream), so which record keeps the
sentences would depend on the task count; here it is the kept record with the smallest stable key
(:func:`~babelforge.curate.dedup_signatures.record_key`; within one record, the earliest span), and
records that whole-record dedup drops do not count as keeping anything.

Sentences end at ``. ! ?`` and the full stops and question marks of other scripts (``。！？।॥။።؟``),
or a line break; they are compared case and spacing folded. Records whose text other fields point into
(spans, token offsets, messages, segments, a target text) are left alone (``sentences_unchecked``).
A record left without a word is dropped as ``duplicate_sentences``; any other keeps its remaining
sentences, their spacing as it was, with ``sentences_removed`` in its lineage.

Files, beside the bucket files (see :mod:`~babelforge.curate.dedup_files`)::

    sents/PART/RANK.npy      per task: (span hash, record index, sentence index), hashes of part PART
    sent_dups/PART.npy       per part: the occurrences of spans seen more than once
    sent_decisions/RANK.npy  per task: (record index, sentence index) of the spans to cut
"""

from __future__ import annotations

import glob
import hashlib
import os

import numpy as np
import regex
from datatrove.data import Document

from babelforge.records import MESSAGES, SPANS, TARGET_TEXT, TOKEN_OFFSETS

#: Metadata holding offsets into the text, or text that must stay parallel to it.
TEXT_BOUND = (SPANS, TOKEN_OFFSETS, MESSAGES, TARGET_TEXT, "segments", "tokens")
OCCURRENCE = np.dtype([("hash", "<u8"), ("doc", "<u4"), ("sent", "<u4")])
PLACED = np.dtype([("hash", "<u8"), ("rank", "<u4"), ("doc", "<u4"), ("sent", "<u4")])
CUT = np.dtype([("doc", "<u4"), ("sent", "<u4")])
_SENTENCE = regex.compile(r"[^\n.!?。！？।॥။።؟]*(?:[.!?。！？।॥။።؟]+[\"'”’»)\]]*|\n|$)\s*")


def sentences(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, folded)`` of each sentence with a word character; trailing spaces belong to it."""
    found = []
    for match in _SENTENCE.finditer(text):
        folded = " ".join(match.group().casefold().split())
        if regex.search(r"\w", folded):
            found.append((match.start(), match.end(), folded))
    return found


def span_hashes(text: str, n: int) -> list[tuple[int, int]]:
    """``(hash, first sentence)`` of every span of ``n`` consecutive sentences of ``text``."""
    folded = [s[2] for s in sentences(text)]
    return [(_hash("\n".join(folded[i : i + n])), i) for i in range(len(folded) - n + 1)]


def takes_part(doc: Document) -> bool:
    """Whether sentences may be cut from ``doc`` (no other field points into its text)."""
    return not any(doc.metadata.get(key) for key in TEXT_BOUND)


def _hash(span: str) -> int:
    return int.from_bytes(hashlib.blake2b(span.encode(), digest_size=8).digest(), "little")


class SentenceSpans:
    """One task's span hashes, collected, then written split into ``parts`` by hash."""

    def __init__(self, folder: str, rank: int, n: int):
        self.folder, self.rank, self.n = folder, rank, n
        self._rows: list[tuple[int, int, int]] = []

    def add(self, doc: Document, index: int) -> None:
        self._rows.extend((h, index, sent) for h, sent in span_hashes(doc.text, self.n))

    def write(self, parts: int) -> None:
        table = np.array(self._rows, dtype=OCCURRENCE) if self._rows else np.zeros(0, OCCURRENCE)
        part = (table["hash"] % np.uint64(parts)).astype(np.int64)
        for p in range(parts):
            _save(os.path.join(self.folder, "sents", f"{p:05d}", f"{self.rank:05d}.npy"), table[part == p])


def find_repeated(folder: str, rank: int, world_size: int) -> int:
    """For the parts of this task, write the occurrences of spans seen more than once; return how many."""
    found = 0
    for part_folder in sorted(glob.glob(os.path.join(glob.escape(folder), "sents", "*"))):
        part = int(os.path.basename(part_folder))
        if part % world_size != rank:
            continue
        tables = []
        for path in sorted(glob.glob(os.path.join(glob.escape(part_folder), "*.npy"))):
            table = np.load(path)
            placed = np.empty(len(table), PLACED)
            placed["hash"], placed["doc"], placed["sent"] = table["hash"], table["doc"], table["sent"]
            placed["rank"] = int(os.path.basename(path).split(".")[0])
            tables.append(placed)
        every = np.concatenate(tables) if tables else np.zeros(0, PLACED)
        hashes, counts = np.unique(every["hash"], return_counts=True)
        repeated = every[np.isin(every["hash"], hashes[counts > 1])]
        _save(os.path.join(folder, "sent_dups", f"{part:05d}.npy"), repeated)
        found += len(repeated)
    return found


def decide_sentences(folder: str, key_of, kept) -> None:
    """Choose, per repeated span, the occurrence that stays; write the cuts per task.

    Args:
        folder: the step's folder.
        key_of: ``(ranks, docs) -> keys`` (the records' stable keys).
        kept: ``(ranks, docs) -> bool array``: whether whole-record dedup keeps each record.
    """
    paths = sorted(glob.glob(os.path.join(glob.escape(folder), "sent_dups", "*.npy")))
    every = np.concatenate([np.load(p) for p in paths]) if paths else np.zeros(0, PLACED)
    rank, doc = every["rank"].astype(np.int64), every["doc"].astype(np.int64)
    every = every[kept(rank, doc)]
    rank, doc = every["rank"].astype(np.int64), every["doc"].astype(np.int64)
    order = np.lexsort((every["sent"], doc, rank, key_of(rank, doc), every["hash"]))
    every = every[order]
    later = np.r_[False, every["hash"][1:] == every["hash"][:-1]] if len(every) else np.zeros(0, bool)
    cuts = every[later]
    for stale in glob.glob(os.path.join(glob.escape(folder), "sent_decisions", "*.npy")):
        os.remove(stale)
    for r in np.unique(cuts["rank"]):
        mine = cuts[cuts["rank"] == r]
        table = np.empty(len(mine), CUT)
        table["doc"], table["sent"] = mine["doc"], mine["sent"]
        table.sort(order=("doc", "sent"))
        _save(os.path.join(folder, "sent_decisions", f"{int(r):05d}.npy"), table)


class SentenceCuts:
    """The spans to cut from each record, by ``[task, index]``; loaded per task."""

    def __init__(self, folder: str, n: int):
        self.folder, self.n = os.path.join(folder, "sent_decisions"), n
        self._tables: dict[int, np.ndarray] = {}

    def starts(self, rank: int, doc: int) -> np.ndarray:
        table = self._tables.get(rank)
        if table is None:
            path = os.path.join(self.folder, f"{rank:05d}.npy")
            table = self._tables[rank] = np.load(path) if os.path.exists(path) else np.zeros(0, CUT)
        lo, hi = np.searchsorted(table["doc"], doc, "left"), np.searchsorted(table["doc"], doc, "right")
        return table["sent"][lo:hi]

    def cut(self, text: str, starts: np.ndarray) -> tuple[str, int]:
        """``text`` without the sentences of the spans starting at ``starts`` (the rest as it was), and how many."""
        found = sentences(text)
        gone = sorted({int(s) + k for s in starts for k in range(self.n)} & set(range(len(found))))
        pieces, position = [], 0
        for i in gone:
            start, end, _ = found[i]
            pieces.append(text[position:start])
            sentence = text[start:end].rstrip()
            position = end if "\n" not in text[start + len(sentence) : end] else start + len(sentence)  # keep a break
        return "".join(pieces) + text[position:], len(gone)


def _save(path: str, table: np.ndarray) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.partial.npy"
    np.save(partial, table)
    os.replace(partial, path)
