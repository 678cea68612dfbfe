"""The ``dedup`` step: corpus-wide exact and near duplicates, the same kept set whatever the task count."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from babelforge.curate.dedup import threshold
from babelforge.curate.dedup_filter import rehydration_weight
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def latin_text(seed: int, words: int = 200) -> str:
    rnd = random.Random(seed)
    return " ".join("".join(rnd.choice(LETTERS) for _ in range(rnd.randint(3, 9))) for _ in range(words)) + "."


def edit_words(text: str, seed: int, changes: int = 2) -> str:
    """A near duplicate: ``changes`` words replaced."""
    rnd, tokens = random.Random(seed), text.split()
    for i in rnd.sample(range(len(tokens)), changes):
        tokens[i] = "zz" + tokens[i]
    return " ".join(tokens)


def run_dedup(tmp_path: Path, files: list[list[dict]], tasks: int, name: str = "out", keep_work=False, **settings):
    """Run ``jsonl files -> dedup`` with ``tasks`` tasks; return ``(rows by id, summary)``."""
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        corpus.mkdir()
        for i, rows in enumerate(files):
            (corpus / f"part-{i}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    manifest = {
        "name": "dedup-test",
        "sources": [{"kind": "jsonl", "path": str(corpus), "language": "hau"}],
        "steps": [{"dedup": settings}],
        "output": {"path": str(tmp_path / name), "kind": "text"},
        "executor": {"local": {"tasks": tasks, "workers": 1}},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(manifest))
    result = run_manifest(load_manifest(path), keep_work=keep_work)
    return rows_of(tmp_path / name), result.summary


def rows_of(output: Path) -> dict[str, dict]:
    rows = [row for p in sorted((output / "data").rglob("*.parquet")) for row in pq.read_table(p).to_pylist()]
    return {row["id"].split("/", 1)[1]: row for row in rows}


def lineage(row: dict) -> dict:
    return next((entry for entry in json.loads(row["lineage"]) if entry["step"] == "dedup"), {})


def test_threshold_and_rehydration_weights_are_fineweb2s():
    assert threshold(14, 8) == pytest.approx(0.719, abs=1e-3)
    assert [rehydration_weight(n) for n in (1, 2, 3, 4, 5, 99, 100, 999, 1000, 5000)] == [1, 2, 3, 3, 5, 5, 8, 8, 1, 1]


def test_a_near_duplicate_in_another_task_is_dropped(tmp_path):
    original = latin_text(1)
    files = [[{"id": f"f{f}-{i}", "text": latin_text(100 + 10 * f + i)} for i in range(5)] for f in range(4)]
    files[0].append({"id": "original", "text": original})
    files[3].append({"id": "copy", "text": edit_words(original, 7)})
    rows, summary = run_dedup(tmp_path, files, tasks=4, rehydrate=True)
    assert ("original" in rows) != ("copy" in rows)
    assert len(rows) == 21
    assert summary["drops"] == {"dedup: near_duplicate": 1}
    kept = rows.get("original") or rows["copy"]
    assert lineage(kept) == {"step": "dedup", "cluster_size": 2, "rehydration_weight": 2}
    assert all(lineage(row) == {} for key, row in rows.items() if key not in ("original", "copy"))


def test_a_task_without_records_shifts_nothing(tmp_path):
    """Task 1's byte range falls inside a long first record: it writes no file, so the next pass hands
    the later tasks' files to other tasks (records carry their ``[task, index]``, not their place)."""
    text = latin_text(5)
    rows = [
        {"id": "long", "text": latin_text(6, 1000)},
        {"id": "y", "text": text},
        {"id": "y2", "text": edit_words(text, 3)},
    ]
    kept, summary = run_dedup(tmp_path, [rows], tasks=4, keep_work=True)
    assert sorted(p.name for p in (tmp_path / "out.work" / "shards" / "p1").iterdir()) == [
        "00000.jsonl.gz", "00002.jsonl.gz", "00003.jsonl.gz"
    ]  # fmt: skip
    assert summary["drops"] == {"dedup: near_duplicate": 1}
    assert "long" in kept
    assert ("y" in kept) != ("y2" in kept)


def clustered_corpus() -> list[list[dict]]:
    """Four files: singletons, exact copies (case and spacing changed), near copies and a chain, all spread."""
    rows = [{"id": f"doc{i:02d}", "text": latin_text(i)} for i in range(24)]
    rows += [{"id": f"exact{i}", "text": "  " + latin_text(i).upper()} for i in (0, 5, 5)]
    rows += [{"id": f"near{i}-{k}", "text": edit_words(latin_text(i), k)} for i in (1, 2, 3) for k in (1, 2)]
    chain = latin_text(99)
    for k in range(3):  # each a near copy of the one before
        chain = edit_words(chain, 50 + k)
        rows.append({"id": f"chain{k}", "text": chain})
    random.Random(0).shuffle(rows)
    return [rows[i::4] for i in range(4)]


def test_the_kept_set_is_the_same_for_1_2_and_4_tasks(tmp_path):
    files = clustered_corpus()
    runs = [run_dedup(tmp_path, files, tasks, name=f"t{tasks}") for tasks in (1, 2, 4)]
    (rows, summary), *others = runs
    for other_rows, other_summary in others:
        assert other_rows == rows
        assert other_summary["drops"] == summary["drops"]
    assert summary["drops"]["dedup: duplicate"] == 3
    assert summary["drops"]["dedup: near_duplicate"] == 8
    assert {f"doc{i:02d}" for i in range(4, 24) if i != 5} <= set(rows)  # the singletons
    assert sum(lineage(row).get("cluster_size", 1) for row in rows.values()) == 36  # every record counted once


def test_exact_method_drops_identical_texts_only(tmp_path):
    text = latin_text(3)
    files = [[{"id": "a", "text": text}, {"id": "near", "text": edit_words(text, 1)}],
             [{"id": "b", "text": f"{text.upper()}\n"}, {"id": "other", "text": latin_text(4)}]]  # fmt: skip
    rows, summary = run_dedup(tmp_path, files, tasks=2, method="exact")
    assert summary["drops"] == {"dedup: duplicate": 1}
    assert {"near", "other"} <= set(rows)
    assert ("a" in rows) != ("b" in rows)


def test_a_rerun_resumes_after_the_finished_passes(tmp_path):
    """Passes that finished are not run again: their files stay as they were, and the output is the same."""
    from babelforge.executors import build_executors
    from babelforge.pipeline import compile_manifest
    from babelforge.runner import prepare_work_dir
    from babelforge.workspace import Workspace

    files = clustered_corpus()
    clean, _ = run_dedup(tmp_path, files, tasks=2, name="clean")
    manifest = load_manifest(_manifest_path(tmp_path, "clean", "resumed"))
    plan = compile_manifest(manifest)
    with Workspace(manifest.output.path) as workspace:
        prepare_work_dir(plan, workspace)
        for index in range(2):  # the signature and bucket passes finish, then the run is "killed"
            for rank in range(2):
                build_executors(compile_manifest(manifest), "local")[index]._run_for_rank(rank)  # fresh steps
    sigs = sorted((plan.work_dir / "dedup" / "01" / "sigs").rglob("*.sig"))
    before = [p.stat().st_mtime_ns for p in sigs]
    result = run_manifest(manifest, keep_work=True)
    assert result.resumed_tasks == 4
    assert [p.stat().st_mtime_ns for p in sigs] == before
    assert rows_of(tmp_path / "resumed") == clean


def test_decisions_are_computed_again_only_when_the_bucket_files_change(tmp_path):
    import os

    from babelforge.curate.dedup_clusters import ensure_decisions
    from babelforge.curate.dedup_files import DedupFiles

    run_dedup(tmp_path, clustered_corpus(), tasks=2, keep_work=True)
    files = DedupFiles(str(tmp_path / "out.work" / "dedup" / "01"), 5, 14, 8, exact=True)
    done = Path(files.path("decisions", "done.json"))
    before = done.stat().st_mtime_ns
    ensure_decisions(files)
    assert done.stat().st_mtime_ns == before
    dups = Path(files.path("dups", "00003_00.dups"))
    os.utime(dups, ns=(dups.stat().st_atime_ns, dups.stat().st_mtime_ns + 10**9))  # as a rerun rewrote it
    ensure_decisions(files)
    assert done.stat().st_mtime_ns != before
    assert str(dups.stat().st_mtime_ns) in done.read_text()


def _manifest_path(tmp_path: Path, source: str, name: str) -> Path:
    manifest = json.loads((tmp_path / f"{source}.yaml").read_text())
    manifest["output"]["path"] = str(tmp_path / name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(manifest))
    return path


def han_text(seed: int, chars: int = 400) -> str:
    rnd = random.Random(seed)
    return "".join(chr(0x4E00 + rnd.randrange(3000)) for _ in range(chars)) + "。"


def thai_syllables(seed: int, syllables: int = 300) -> list[str]:
    rnd = random.Random(seed)
    consonants, vowels = "กขคงจฉชซญดตถทนบปผพฟมยรลวสหอฮ", ["", "า", "ิ", "ี", "ุ", "ู", "ึ"]  # fmt: skip
    return [rnd.choice(consonants) + rnd.choice(vowels) for _ in range(syllables)]


def hindi_text(seed: int, words: int = 150) -> str:
    rnd = random.Random(seed)
    consonants, marks = "कखगघचछजझटठडढतथदधनपफबभमयरलवशसह", ["", "ा", "ि", "ी", "े", "ै", "ो", "ौ"]  # fmt: skip
    return " ".join("".join(rnd.choice(consonants) + rnd.choice(marks) for _ in range(rnd.randint(2, 4)))
                    for _ in range(words)) + "।"  # fmt: skip


def edit_chars(text: str, seed: int, changes: int = 3) -> str:
    """A near duplicate of a text without spaces: ``changes`` characters replaced."""
    rnd, chars = random.Random(seed), list(text)
    for i in rnd.sample(range(len(chars) - 1), changes):
        chars[i] = "丁" if "\u4e00" <= chars[i] <= "\u9fff" else chars[i]
    return "".join(chars)


def test_scripts_without_spaces_are_shingled_by_character(tmp_path):
    """A Chinese or Thai text is one 'word' to a space split: a single edit would hide the copy."""
    han, thai = han_text(1), thai_syllables(2)
    thai_copy = [*thai[:100], "ฮา", *thai[101:200], "กี", *thai[201:]]
    thai, thai_copy = "".join(thai), "".join(thai_copy)
    files = [[{"id": "han", "text": han}, {"id": "thai", "text": thai}]
             + [{"id": f"han{i}", "text": han_text(10 + i)} for i in range(4)],
             [{"id": "han-copy", "text": edit_chars(han, 5)}, {"id": "thai-copy", "text": thai_copy}]
             + [{"id": f"thai{i}", "text": "".join(thai_syllables(20 + i))} for i in range(4)]]  # fmt: skip
    rows, summary = run_dedup(tmp_path, files, tasks=2)
    assert summary["drops"] == {"dedup: near_duplicate": 2}
    assert ("han" in rows) != ("han-copy" in rows)
    assert ("thai" in rows) != ("thai-copy" in rows)
    assert {f"han{i}" for i in range(4)} | {f"thai{i}" for i in range(4)} <= set(rows)


def test_devanagari_vowel_signs_keep_words_apart(tmp_path):
    """Swapping vowel signs makes other words: datatrove's accent stripping would call the texts the same."""
    from datatrove.utils.text import simplify_text

    text = hindi_text(1)
    swapped = text.replace("े", "ु")  # both non-spacing marks: another vowel, another word
    assert swapped != text
    assert simplify_text(swapped) == simplify_text(text)
    near = " ".join(w if i != 70 else "नया" for i, w in enumerate(text.split()))
    files = [[{"id": "hindi", "text": text}, {"id": "swapped", "text": swapped}], [{"id": "near", "text": near}]]
    rows, summary = run_dedup(tmp_path, files, tasks=2)
    assert summary["drops"] == {"dedup: near_duplicate": 1}
    assert "swapped" in rows
    assert ("hindi" in rows) != ("near" in rows)


BOILERPLATE = "Subscribe to our newsletter today. Follow us on every network. Share this story with your friends."


def test_a_repeated_sentence_span_stays_in_one_kept_record(tmp_path):
    """C4's rule across tasks; a record dropped as a whole never counts as the one keeping the span."""
    a = f"{latin_text(1, 40)} {BOILERPLATE}\n\nThe end."
    files = [
        [{"id": "a", "text": a}, {"id": "only-boilerplate", "text": BOILERPLATE}],
        [{"id": "a-copy", "text": a.upper()}, {"id": "b", "text": f"Intro. {BOILERPLATE} {latin_text(2, 40)}"}],
        [{"id": "c", "text": f"{latin_text(3, 40)} {BOILERPLATE}"}, {"id": "d", "text": latin_text(4)}],
    ]
    runs = [run_dedup(tmp_path, files, tasks, name=f"t{tasks}", sentences=3) for tasks in (1, 3)]
    (rows, summary), (other_rows, other_summary) = runs
    assert other_rows == rows
    assert other_summary["drops"] == summary["drops"]
    assert summary["drops"]["dedup: duplicate"] == 1
    (holder,) = [key for key, row in rows.items() if "follow us on every network." in row["text"].casefold()]
    cut = [key for key, row in rows.items() if lineage(row).get("sentences_removed")]
    dropped = holder != "only-boilerplate"  # a record of nothing but the span goes when another keeps it
    assert ("only-boilerplate" not in rows) == dropped
    assert summary["drops"].get("dedup: duplicate_sentences", 0) == dropped
    assert len(cut) == 3 - dropped  # of a (or its copy), b, c and only-boilerplate, all but the holder
    assert all(lineage(rows[key])["sentences_removed"] == 3 for key in cut)
    if "a" in cut or "a-copy" in cut:  # the paragraph break after the cut span stays
        assert "\n\nthe end." in (rows.get("a") or rows["a-copy"])["text"].casefold()


def test_sentences_split_in_every_script():
    from babelforge.curate.dedup_sentences import sentences

    folded = [[s[2] for s in sentences(text)] for text in ("李白出生于碎叶城。后来住在长安！", "ሰላም ነው። እንዴት ነህ?",
                                                            "नमस्ते। आप कैसे हैं?", "One.\nTwo")]  # fmt: skip
    assert folded == [
        ["李白出生于碎叶城。", "后来住在长安！"],
        ["ሰላም ነው።", "እንዴት ነህ?"],
        ["नमस्ते।", "आप कैसे हैं?"],
        ["one.", "two"],
    ]
