"""The ``mine`` step: margin-mined sentence pairs between two languages of the embedded records.

A barrier: it runs after every ``embed`` task has finished, reads their shards, and mines (in the
pass's first task; the others pass). Pairs become bitext records (``text``, ``target_text``,
``target_language``, ``score`` = the margin), checked by the quality gates: the margin threshold,
the length ratio, language identification of both sides (lingua, between the two languages, when it
knows both) and repeated pairs; with ``links`` (a ``source_id<TAB>target_id`` file, such as
Wikipedia's inter-language links) the pairs are the linked ones, scored by margin all the same;
each rejected pair is counted under its reason, and so are records left unpaired.
"""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

from babelforge import langs
from babelforge.builders.embed import read_embeddings
from babelforge.builders.margin import MarginMiner, MarginSettings
from babelforge.records import LANGUAGE, TARGET_LANGUAGE, TARGET_TEXT, add_lineage


class MineStep(PipelineStep):
    type = "⛏️ - MINE"
    name = "mine"

    def __init__(self, folder: str, source: str, target: str, settings: MarginSettings, max_length_ratio: float | None,
                 identify: bool, links: str | None = None, dedup: bool = True):  # fmt: skip
        super().__init__()
        self.folder, self.source, self.target, self.settings = folder, source, target, settings
        self.max_length_ratio, self.identify, self.links, self.dedup = max_length_ratio, identify, links, dedup

    def run(self, data, rank: int = 0, world_size: int = 1):
        for _ in data or ():
            self.stat_update("in")  # the records themselves are in the shards
        if rank != 0:
            return
        source_rows, source_vectors = read_embeddings(self.folder, self.source)
        target_rows, target_vectors = read_embeddings(self.folder, self.target)
        if not source_rows or not target_rows:
            return
        with self.track_time():
            if self.links:
                pairs = self._linked(source_rows, source_vectors, target_rows, target_vectors)
            else:
                pairs = MarginMiner(self.settings).mine(source_vectors, target_vectors)
        detector = self._detector() if self.identify else None
        seen: set[tuple[str, str]] = set()
        for pair in pairs:
            src, tgt = source_rows[pair.source], target_rows[pair.target]
            reason = self._gate(src["text"], tgt["text"], detector)
            key = (" ".join(src["text"].casefold().split()), " ".join(tgt["text"].casefold().split()))
            if not reason and self.dedup:
                reason = "duplicate_pair" if key in seen else ""
                seen.add(key)
            if reason:
                self.stat_update("dropped", f"dropped:{reason}")
                continue
            metadata = {
                LANGUAGE: self.source, TARGET_TEXT: tgt["text"], TARGET_LANGUAGE: self.target,
                "score": round(pair.margin, 4), "cosine": round(pair.cosine, 4), "target_id": tgt["id"],
                "source_record": src["id"],
            }  # fmt: skip
            doc = Document(src["text"], f"{src['id']}|{tgt['id']}", metadata=metadata)
            add_lineage(doc.metadata, "mine", margin=round(pair.margin, 4), source_id=src["id"], target_id=tgt["id"])
            self.stat_update("kept")
            yield doc
        self.stat_update("unpaired_source", value=len(source_rows) - len(pairs))

    def _linked(self, source_rows, source_vectors, target_rows, target_vectors):
        """Pairs named by a links file (``source_id<TAB>target_id`` per line), scored by margin all the same."""
        import numpy as np

        from babelforge.builders.margin import Pair
        from babelforge.errors import BabelforgeError

        by_source = {row["id"]: i for i, row in enumerate(source_rows)}
        by_target = {row["id"]: j for j, row in enumerate(target_rows)}
        miner = MarginMiner(self.settings)
        sim_st, _, sim_ts, _ = miner.neighbourhoods(source_vectors, target_vectors)
        source_density, target_density = miner.densities(sim_st, sim_ts)
        pairs = []
        with open(self.links, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                columns = line.rstrip("\n").split("\t")
                if len(columns) < 2:
                    raise BabelforgeError(f"{self.links}:{number}: expected 'source_id<TAB>target_id', got {line!r}")
                i, j = by_source.get(columns[0]), by_target.get(columns[1])
                if i is None or j is None:
                    self.stat_update("dropped", "dropped:link_not_found")
                    continue
                cosine = float(np.dot(source_vectors[i], target_vectors[j]))
                margin = cosine / (source_density[i] / 2 + target_density[j] / 2)
                pairs.append(Pair(i, j, float(margin), cosine))
        return pairs

    def _gate(self, source: str, target: str, detector) -> str:
        if self.max_length_ratio:
            a, b = max(len(source), 1), max(len(target), 1)
            if max(a, b) / min(a, b) > self.max_length_ratio:
                return "length_ratio"
        if detector is not None:
            for text, language in ((source, self.source), (target, self.target)):
                expected = detector.get(language)
                if expected is not None:
                    found = detector["_"].detect_language_of(text)
                    if found is not None and found != expected:
                        return f"wrong_language_{'source' if language == self.source else 'target'}"
        return ""

    def _detector(self) -> dict:
        from lingua import IsoCode639_3, Language, LanguageDetectorBuilder

        known = {}
        for language in (self.source, self.target):
            code = langs.resolve(language).iso639_3.upper()
            if hasattr(IsoCode639_3, code):
                known[language] = Language.from_iso_code_639_3(getattr(IsoCode639_3, code))
        if len(known) < 2:
            return {}
        # Judge between the pair's two languages: a side in the other one is what mining gets wrong
        # (all 75 languages misjudge short sentences too often to serve as a gate).
        known["_"] = LanguageDetectorBuilder.from_languages(*known.values()).build()
        return known
