"""The ``mine`` step: margin-mined sentence pairs between two languages of the embedded records.

A barrier: it runs after every ``embed`` task has finished, reads their shards, and mines (in the
pass's first task; the others pass). Pairs become bitext records (``text``, ``target_text``,
``target_language``, ``score`` = the margin), checked by the quality gates: the margin threshold,
the length ratio, language identification of both sides (lingua, between the two languages, when it
knows both; or a fastText model such as GlotLID), repeated pairs and, with ``near_dedup``, pairs whose
two sides together near-duplicate a kept pair (MinHash LSH); documents can be scored by their best
chunk pair (``documents``, see :mod:`babelforge.builders.documents`); with ``links`` (a
``source_id<TAB>target_id`` file, such as Wikipedia's inter-language links) the pairs are the linked
ones, scored by margin all the same; each rejected pair is counted under its reason, and so are
records left unpaired.
"""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from babelforge import langs
from babelforge.augment.dedup import NearDuplicates
from babelforge.builders.embed import read_embeddings
from babelforge.builders.margin import MarginMiner, MarginSettings
from babelforge.builders.stages import MiningStages, stage_arguments
from babelforge.records import LANGUAGE, TARGET_LANGUAGE, TARGET_TEXT, add_lineage


class MineStep(PipelineStep):
    type = "⛏️ - MINE"
    name = "mine"

    def __init__(self, folder: str, source: str, target: str, settings: MarginSettings, max_length_ratio: float | None,
                 identify: bool, links: str | None = None, dedup: bool = True, identifier: str = "lingua",
                 documents: str = "mean", near_dedup: float | None = None, nprobe: int | None = None):  # fmt: skip
        super().__init__()
        self.folder, self.source, self.target, self.settings = folder, source, target, settings
        self.max_length_ratio, self.identify, self.links, self.dedup = max_length_ratio, identify, links, dedup
        self.identifier, self.documents, self.near_dedup, self.nprobe = identifier, documents, near_dedup, nprobe

    def run(self, data, rank: int = 0, world_size: int = 1):
        for _ in data or ():
            self.stat_update("in")  # the records themselves are in the shards
        if rank != 0:
            return
        source_rows, source_vectors = read_embeddings(self.folder, self.source, "float16")
        target_rows, target_vectors = read_embeddings(self.folder, self.target, "float16")
        if not source_rows or not target_rows:
            return
        with self.track_time():
            candidates = max(self.settings.k, self.settings.candidates)
            arguments = stage_arguments(
                self.folder, self.source, self.target, self.settings.index, candidates, self.nprobe
            )
            stages = MiningStages(**arguments, log=logger.info)
            neighbours = stages.neighbours()  # index, then search: each stage resumed from its files
            if self.documents != "mean":
                neighbours = self._by_best_chunk(neighbours)
            if self.links:
                pairs = self._linked(source_rows, source_vectors, target_rows, target_vectors, neighbours)
            else:
                pairs = MarginMiner(self.settings).pairs(source_vectors, target_vectors, *neighbours)
        detector = self._detector() if self.identify else None
        seen: set[tuple[str, str]] = set()
        near = NearDuplicates(self.near_dedup) if self.near_dedup is not None else None
        for pair in pairs:
            src, tgt = source_rows[pair.source], target_rows[pair.target]
            reason = self._gate(src["text"], tgt["text"], detector)
            key = (" ".join(src["text"].casefold().split()), " ".join(tgt["text"].casefold().split()))
            if not reason and self.dedup:
                reason = "duplicate_pair" if key in seen else ""
                seen.add(key)
            if not reason and near is not None and near.seen(f"{src['text']}\n{tgt['text']}"):
                reason = "near_duplicate_pair"
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

    def _by_best_chunk(self, neighbours):
        from babelforge.builders.documents import rescore
        from babelforge.builders.embed import read_chunk_vectors
        from babelforge.errors import BabelforgeError

        source, target = read_chunk_vectors(self.folder, self.source), read_chunk_vectors(self.folder, self.target)
        if source is None or target is None:
            raise BabelforgeError(
                f"mine: documents: {self.documents} needs chunk vectors: set pooling: mean on the embed step"
            )
        sim_st, ids_st, sim_ts, ids_ts = neighbours
        sim_st, ids_st = rescore(sim_st, ids_st, source[0], target[0], source[1], target[1], self.documents)
        sim_ts, ids_ts = rescore(sim_ts, ids_ts, target[0], source[0], target[1], source[1], self.documents)
        return sim_st, ids_st, sim_ts, ids_ts

    def _linked(self, source_rows, source_vectors, target_rows, target_vectors, neighbours):
        """Pairs named by a links file (``source_id<TAB>target_id`` per line), scored by margin all the same."""
        import numpy as np

        from babelforge.builders.margin import Pair
        from babelforge.errors import BabelforgeError

        by_source = {row["id"]: i for i, row in enumerate(source_rows)}
        by_target = {row["id"]: j for j, row in enumerate(target_rows)}
        sim_st, _, sim_ts, _ = neighbours
        source_density, target_density = MarginMiner(self.settings).densities(sim_st, sim_ts)
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
                cosine = float(np.dot(source_vectors[i].astype(np.float32), target_vectors[j].astype(np.float32)))
                margin = cosine / (source_density[i] / 2 + target_density[j] / 2)
                pairs.append(Pair(i, j, float(margin), cosine))
        return pairs

    def _gate(self, source: str, target: str, detector) -> str:
        if self.max_length_ratio:
            a, b = max(len(source), 1), max(len(target), 1)
            if max(a, b) / min(a, b) > self.max_length_ratio:
                return "length_ratio"
        if detector and "fasttext" in detector:
            return self._fasttext_gate(source, target, detector["fasttext"])
        if detector is not None:
            for text, language in ((source, self.source), (target, self.target)):
                expected = detector.get(language)
                if expected is not None:
                    found = detector["_"].detect_language_of(text)
                    if found is not None and found != expected:
                        return f"wrong_language_{'source' if language == self.source else 'target'}"
        return ""

    def _fasttext_gate(self, source: str, target: str, identifier) -> str:
        """A fastText model (GlotLID...) over all its languages; lines too short to tell are not judged."""
        from babelforge.augment.fidelity import MIN_LETTERS

        for text, language, side in ((source, self.source, "source"), (target, self.target, "target")):
            if sum(ch.isalpha() for ch in text) < MIN_LETTERS or not identifier.known(language):
                continue
            found = identifier.identify(text)
            if found is not None and langs.resolve(found).iso639_3 != langs.resolve(language).iso639_3:
                return f"wrong_language_{side}"
        return ""

    def _detector(self) -> dict:
        if self.identifier != "lingua":
            from babelforge.augment.fidelity import LanguageFidelity

            return {"fasttext": LanguageFidelity(self.identifier)}
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
