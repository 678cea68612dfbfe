"""The ``mine`` step: margin-mined sentence pairs between two languages of the embedded records.

A barrier: it runs after every ``embed`` task has finished, reads their shards, and mines (in the
pass's first task; the others pass). Pairs become bitext records (``text``, ``target_text``,
``target_language``, ``score`` = the margin), checked by the quality gates: the margin threshold,
the length ratio, and language identification of both sides (lingua, between the two languages,
when it knows both);
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
                 identify: bool):  # fmt: skip
        super().__init__()
        self.folder, self.source, self.target, self.settings = folder, source, target, settings
        self.max_length_ratio, self.identify = max_length_ratio, identify

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
            pairs = MarginMiner(self.settings).mine(source_vectors, target_vectors)
        detector = self._detector() if self.identify else None
        for pair in pairs:
            src, tgt = source_rows[pair.source], target_rows[pair.target]
            reason = self._gate(src["text"], tgt["text"], detector)
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
