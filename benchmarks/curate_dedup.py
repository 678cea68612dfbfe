"""Corpus-wide dedup on real news text: planted near duplicates found, the same kept set for any task count,
and the time against datatrove's own MinHash pipeline.

The corpus is MasakhaNEWS (the ``text`` column of every ``*.tsv`` in ``--data``: English, Hausa,
Swahili, Amharic, Yoruba, Nigerian Pidgin). Documents that already have a near duplicate (a true 5-gram
Jaccard similarity of 0.3 or more with another document) are left out first, so the only duplicates
are planted ones. Half the documents of at least 100 words get one or two edited copies, each made by one
kind of edit:

- ``words``: one word in a hundred replaced by a word of another document of the language;
- ``reorder``: two neighbouring sentences swapped;
- ``add``: a sentence of another document inserted;
- ``format``: spacing changed (double spaces, line breaks), commas dropped, full stops made ``!``;
- ``words+format``: both.

Records are shuffled into ``--files`` JSON Lines files, so a copy mostly sits in another task than its
original. For each group (an original and its copies) the removals beyond the copies are false
positives: recall is the planted copies removed over those planted, precision the correct removals over
all removals. The true Jaccard similarity of each copy to its original is printed beside its kind.

babelforge runs ``jsonl -> dedup -> Parquet output`` with ``tasks`` 1, 2 and 4 (``--tasks``) and checks
the kept ids are the same. datatrove runs its four MinHash stages directly (``LocalPipelineExecutor``:
reader and signatures, buckets with one task per bucket, clusters in one task, reader, filter and a
JSON Lines writer) on the same files with the same settings (5-grams, 14 buckets of 8 hashes, seed 1,
sha1 shingle hashes, babelforge's word tokenizer: datatrove's own tokenizers need spaCy, and its
default xxhash shingle hash fails on ``str`` with xxhash 4). Both sides use ``--workers`` processes;
each is timed ``--repeat`` times and the best time is compared (ratio = babelforge / datatrove, target
at most 1.2).

    python benchmarks/curate_dedup.py --data ../shared/data/masakhanews [--tasks 1 2 4 --workers 1 --repeat 2]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import json
import os
import random
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path

import yaml

SENTENCE_END = re.compile(r"(?<=[.!?።])\s+")
KINDS = ("words", "reorder", "add", "format", "words+format")


def load_documents(folder: Path) -> list[dict]:
    """Every non-empty ``text`` of the TSV files, as ``{id, language, text}``."""
    csv.field_size_limit(1 << 30)
    docs = []
    for path in sorted(folder.glob("*.tsv")):
        language = path.name.split(".")[0]
        with open(path, encoding="utf-8", newline="") as f:
            for i, row in enumerate(csv.DictReader(f, delimiter="\t")):
                if (row.get("text") or "").strip():
                    docs.append({"id": f"{language}-{i}", "language": language, "text": row["text"]})
    return docs


def shingles(text: str, n: int = 5) -> set[str]:
    """The 5-gram shingles the dedup step hashes (the same normalisation and words)."""
    from datatrove.utils.text import simplify_text

    from babelforge.curate.dedup_signatures import NORM, ShingleTokenizer

    words = ShingleTokenizer().word_tokenize(simplify_text(text, NORM))
    return {" ".join(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))} if words else set()


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def with_natural_duplicates(docs: list[dict], floor: float = 0.3) -> set[str]:
    """Ids of documents whose true shingle Jaccard with another reaches ``floor`` (inverted index)."""
    sets = [shingles(d["text"]) for d in docs]
    holders = collections.defaultdict(list)
    for i, s in enumerate(sets):
        for g in s:
            holders[g].append(i)
    shared = collections.Counter()
    for found in holders.values():
        for a in range(len(found)):
            for b in range(a + 1, len(found)):
                shared[found[a], found[b]] += 1
    flagged = set()
    for (a, b), common in shared.items():
        if common / len(sets[a] | sets[b]) >= floor:
            flagged |= {docs[a]["id"], docs[b]["id"]}
    return flagged


def edit(text: str, kind: str, donor: str, vocabulary: list[str], rnd: random.Random) -> str:
    """An edited copy of ``text`` (see the module docstring for the kinds)."""
    if "words" in kind:
        tokens = text.split(" ")
        for i in rnd.sample(range(len(tokens)), max(1, len(tokens) // 100)):
            tokens[i] = rnd.choice(vocabulary)
        text = " ".join(tokens)
    sentences = SENTENCE_END.split(text)
    if kind == "reorder" and len(sentences) >= 3:
        i = rnd.randrange(len(sentences) - 1)
        sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
        text = " ".join(sentences)
    elif kind in ("reorder", "add"):  # a sentence of at most a tenth of the document's words
        extra = " ".join(rnd.choice(SENTENCE_END.split(donor)).split(" ")[: max(len(text.split()) // 10, 5)])
        at = rnd.randrange(len(sentences) + 1)
        text = " ".join([*sentences[:at], extra, *sentences[at:]])
    if "format" in kind:
        text = re.sub(r" ", lambda m: rnd.choice([" ", " ", " ", "  ", "\n"]), text.replace(",", ""))
        text = text.replace(". ", "! ")
    return text


def plant(docs: list[dict], seed: int = 0) -> tuple[list[dict], dict[str, tuple[str, float]]]:
    """Records (originals and copies, each with its ``group``) and, per copy, ``(kind, true Jaccard)``."""
    rnd = random.Random(seed)
    by_language = collections.defaultdict(list)
    for d in docs:
        by_language[d["language"]].append(d)
    rows, copies, turn = [], {}, 0
    for d in docs:
        rows.append({"id": d["id"], "text": d["text"], "group": d["id"]})
        if len(d["text"].split()) < 100 or rnd.random() < 0.5:
            continue
        others = [o for o in rnd.sample(by_language[d["language"]], 5) if o["id"] != d["id"]]
        vocabulary = others[0]["text"].split()
        for k in range(rnd.choice((1, 2))):
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            text = edit(d["text"], kind, others[-1]["text"], vocabulary, rnd)
            copy_id = f"{d['id']}~{k}"
            rows.append({"id": copy_id, "text": text, "group": d["id"]})
            copies[copy_id] = (kind, jaccard(shingles(d["text"]), shingles(text)))
    rnd.shuffle(rows)
    return rows, copies


def write_corpus(rows: list[dict], folder: Path, files: int) -> None:
    folder.mkdir(parents=True)
    for i in range(files):
        with open(folder / f"part-{i:02d}.jsonl", "w", encoding="utf-8") as f:
            for row in rows[i::files]:
                f.write(json.dumps({"id": row["id"], "text": row["text"]}, ensure_ascii=False) + "\n")


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (task processes when workers > 1)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_babelforge(corpus: Path, out: Path, tasks: int, workers: int) -> tuple[set[str], tuple[float, float], dict]:
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    manifest = {
        "name": "dedup-bench",
        "sources": [{"kind": "jsonl", "path": str(corpus), "language": "hau"}],
        "steps": [{"dedup": {"n_grams": 5, "buckets": 14, "hashes_per_bucket": 8}}],
        "output": {"path": str(out), "kind": "text"},
        "executor": {"local": {"tasks": tasks, "workers": workers}},
    }
    path = out.with_suffix(".yaml")
    path.write_text(yaml.safe_dump(manifest))
    started, cpu = time.perf_counter(), cpu_seconds()
    result = run_manifest(load_manifest(path))
    seconds = time.perf_counter() - started, cpu_seconds() - cpu
    import pyarrow.parquet as pq

    kept = {i.split("/", 1)[1] for p in (out / "data").rglob("*.parquet") for i in pq.read_table(p)["id"].to_pylist()}
    return kept, seconds, result.summary


def run_datatrove(corpus: Path, work: Path, tasks: int, workers: int) -> tuple[set[str], tuple[float, float]]:
    """datatrove's own four MinHash stages, as its examples chain them, with the same settings."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    from babelforge.curate.dedup_signatures import NORM, ShingleTokenizer

    config = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1, norm_config=NORM,
                           hash_config=HashConfig(precision=64, hash_fc="sha1"))  # fmt: skip
    sigs, dups, remove, out = (str(work / name) for name in ("sigs", "dups", "remove", "out"))
    work.mkdir(parents=True)

    def reader():
        return JsonlReader(str(corpus), glob_pattern="*.jsonl", id_key="id")

    def executor(pipeline, name, n, depends=None):
        return LocalPipelineExecutor(pipeline=pipeline, tasks=n, workers=workers, depends=depends,
                                     logging_dir=str(work / "logs" / name))  # fmt: skip

    started, cpu = time.perf_counter(), cpu_seconds()
    signatures = executor([reader(), MinhashDedupSignature(sigs, config, language=ShingleTokenizer())], "1", tasks)
    buckets = executor([MinhashDedupBuckets(sigs, dups, config=config)], "2", 14, signatures)
    clusters = executor([MinhashDedupCluster(dups, remove, config=config)], "3", 1, buckets)
    final = executor([reader(), MinhashDedupFilter(remove), JsonlWriter(out)], "4", tasks, clusters)
    with open(work / "console.log", "w") as log, contextlib.redirect_stderr(log):  # as babelforge's runner does
        final.run()
    seconds = time.perf_counter() - started, cpu_seconds() - cpu
    kept = set()
    for path in Path(out).glob("*.jsonl.gz"):
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as f:
            kept |= {json.loads(line)["id"] for line in f}
    return kept, seconds


def score(rows: list[dict], kept: set[str]) -> dict:
    """Recall and precision on the planted copies, counted per group (an original and its copies)."""
    groups = collections.defaultdict(list)
    for row in rows:
        groups[row["group"]].append(row["id"])
    planted = removed = correct = 0
    for members in groups.values():
        gone = sum(m not in kept for m in members)
        planted += len(members) - 1
        removed += gone
        correct += min(gone, len(members) - 1)
    return {"recall": correct / max(planted, 1), "precision": correct / max(removed, 1), "planted": planted,
            "removed": removed, "false_positives": removed - correct}  # fmt: skip


def recall_by_kind(rows: list[dict], copies: dict, kept: set[str]) -> dict[str, tuple[int, int, float]]:
    """Per kind: copies planted, copies whose group still holds both it and its original, lowest Jaccard."""
    group_of = {row["id"]: row["group"] for row in rows}
    found = collections.defaultdict(lambda: [0, 0, 1.0])
    for copy_id, (kind, similarity) in copies.items():
        entry = found[kind]
        entry[0] += 1
        entry[1] += copy_id in kept and group_of[copy_id] in kept
        entry[2] = min(entry[2], similarity)
    return {kind: tuple(v) for kind, v in sorted(found.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of MasakhaNEWS *.tsv files")
    parser.add_argument("--tasks", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    docs = load_documents(args.data)
    natural = with_natural_duplicates(docs)
    docs = [d for d in docs if d["id"] not in natural]
    rows, copies = plant(docs, args.seed)
    chars = sum(len(r["text"]) for r in rows)
    print(f"corpus: {len(docs)} documents ({len(natural)} with a natural near duplicate left out), "
          f"{len(copies)} planted copies, {len(rows)} records, {chars / 1e6:.2f} M characters")  # fmt: skip
    similarities = sorted(s for _, s in copies.values())
    print(f"planted copies' true 5-gram Jaccard: min {similarities[0]:.2f}, "
          f"median {similarities[len(similarities) // 2]:.2f}")  # fmt: skip
    root = Path(tempfile.mkdtemp(prefix="curate-dedup-"))
    try:
        corpus = root / "corpus"
        write_corpus(rows, corpus, args.files)
        kept_sets, times = {}, {}
        for tasks in args.tasks:
            for attempt in range(args.repeat):
                out = root / f"bf-{tasks}-{attempt}"
                kept, seconds, summary = run_babelforge(corpus, out, tasks, args.workers)
                kept_sets.setdefault(tasks, kept)
                assert kept == kept_sets[tasks], "a rerun kept another set"
                times[tasks] = best(times.get(tasks), seconds)
                shutil.rmtree(out, ignore_errors=True)
        tasks, baseline = args.tasks[-1], None
        for attempt in range(args.repeat):
            dt_kept, seconds = run_datatrove(corpus, root / f"dt-{tasks}-{attempt}", tasks, args.workers)
            baseline = best(baseline, seconds)
        report(rows, copies, kept_sets, times, summary, dt_kept, baseline, tasks, args.workers, chars)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def best(old: tuple[float, float] | None, new: tuple[float, float]) -> tuple[float, float]:
    """The lower wall time and the lower CPU time of two runs."""
    return new if old is None else (min(old[0], new[0]), min(old[1], new[1]))


def report(rows, copies, kept_sets, times, summary, dt_kept, baseline, tasks, workers, chars) -> None:
    kept = kept_sets[tasks]
    same = all(k == kept for k in kept_sets.values())
    ours, theirs = score(rows, kept), score(rows, dt_kept)
    print(f"babelforge: recall {ours['recall']:.4f} precision {ours['precision']:.4f} "
          f"({ours['planted']} planted, {ours['removed']} removed, {ours['false_positives']} false positives); "
          f"drops {summary['drops']}")  # fmt: skip
    print(f"datatrove:  recall {theirs['recall']:.4f} precision {theirs['precision']:.4f} "
          f"({theirs['removed']} removed, {theirs['false_positives']} false positives)")  # fmt: skip
    for kind, (planted, missed, lowest) in recall_by_kind(rows, copies, kept).items():
        print(f"  {kind:<13} {planted:4d} copies, {missed} missed, lowest Jaccard {lowest:.2f}")
    print(f"kept sets for tasks {sorted(kept_sets)}: {'identical' if same else 'DIFFERENT'} ({len(kept)} kept)")
    for t, (wall, cpu) in sorted(times.items()):
        print(f"babelforge tasks {t} workers {workers}: {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"({chars / wall / 1e6:.2f} M chars/s)")  # fmt: skip
    print(f"datatrove  tasks {tasks} workers {workers}: {baseline[0]:.2f} s wall, {baseline[1]:.2f} s CPU "
          f"({chars / baseline[0] / 1e6:.2f} M chars/s)")  # fmt: skip
    wall, cpu = times[tasks][0] / baseline[0], times[tasks][1] / baseline[1]
    print(f"ratio babelforge / datatrove (tasks {tasks}): wall {wall:.2f}, CPU {cpu:.2f} (target <= 1.2); "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
