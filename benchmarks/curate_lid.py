"""Language ID on real news: in-language documents kept, planted other-language documents left out.

For each of the six MasakhaNEWS languages (``--news``: ``{eng,hau,swa,amh,yor,pcm}.dev.tsv``, headline and
text as one document) the ``lid`` step is asked to keep that language only, over a set made of

- the language's own documents (the measured half),
- planted documents: the measured halves of the five other MasakhaNEWS languages, and short paragraphs
  of four Tatoeba sentences (``--tatoeba``: German, French, Spanish, Xhosa, Amharic, Swahili; a
  language's own Tatoeba sentences are left out of its set). Confusable pairs among them: English and
  Nigerian Pidgin, Swahili and Xhosa (a Bantu language that no model here was trained on).

Every document is split into two halves by a hash of its text: the first half is the reference text
that trains the supplementary model (``babelforge.curate.lid_supplement.train_supplement``, one
reference per MasakhaNEWS language: no Tatoeba text, no Xhosa), the second half is measured. Xhosa,
German, French and Spanish are never seen by the supplement.

Printed per identifier and language: the share of the real in-language documents kept (target >= 0.97),
the wrong-language share of the kept records (target <= 0.01), and the counts behind them, with the
drops per reason, abstentions and confusable reports. Identifiers: lingua alone, lid.176 alone, the
supplement alone, and the supplement backed by lid.176 and by lingua. Step settings are the defaults
(``threshold`` 0.5, ``abstain`` 0.3) unless given.

    python benchmarks/curate_lid.py --news ../shared/data/masakhanews --tatoeba ../shared/data/tatoeba
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import tempfile
import time
from pathlib import Path

NEWS = {
    "eng": "eng_Latn",
    "hau": "hau_Latn",
    "swa": "swh_Latn",
    "amh": "amh_Ethi",
    "yor": "yor_Latn",
    "pcm": "pcm_Latn",
}
TATOEBA = {"deu": "deu_Latn", "fra": "fra_Latn", "spa": "spa_Latn", "xho": "xho_Latn", "amh": "amh_Ethi",
           "swh": "swh_Latn"}  # fmt: skip
KEEP_TARGET, WRONG_TARGET = 0.97, 0.01


def measured(text: str) -> bool:
    """Which half a document falls in (the other half trains the supplement)."""
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % 2 == 1


def news(folder: Path) -> dict[str, list[str]]:
    csv.field_size_limit(1 << 30)
    documents = {}
    for name, code in NEWS.items():
        with open(folder / f"{name}.dev.tsv", encoding="utf-8", newline="") as f:
            rows = csv.DictReader(f, delimiter="\t")
            documents[code] = [f"{r['headline']}\n{r['text']}" for r in rows if (r.get("text") or "").strip()]
    return documents


def tatoeba(folder: Path, group: int = 4) -> dict[str, list[str]]:
    """Paragraphs of ``group`` Tatoeba sentences per language (every second sentence: the measured half)."""
    paragraphs = {}
    for name, code in TATOEBA.items():
        path = folder / f"tatoeba.{name}-eng.{name}"
        if path.is_file():
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][1::2]
            paragraphs[code] = [" ".join(lines[i : i + group]) for i in range(0, len(lines), group)]
    return paragraphs


class Memo:
    """An identifier whose answers are remembered, so six targets cost one pass over the documents."""

    def __init__(self, identifier):
        self.identifier, self.spec, self.answers = identifier, identifier.spec, {}

    def predict(self, text: str, k: int = 3):
        if text not in self.answers:
            self.answers[text] = self.identifier.predict(text, k)
        return self.answers[text][:k]

    def languages(self):
        return self.identifier.languages()


def evaluate(identifier, target: str, items: list[tuple[str, str, str]], threshold: float, abstain: float) -> dict:
    """Run the lid step for ``target`` over ``(gold, origin, text)`` items and count what it kept."""
    from datatrove.data import Document

    from babelforge.curate.lid_step import LidStep

    step = LidStep("lingua", languages=(target,), threshold=threshold, abstain=abstain)
    step._identifier = identifier
    docs = [
        Document(text, str(i), metadata={"gold": gold, "origin": origin})
        for i, (gold, origin, text) in enumerate(items)
    ]
    kept = list(step.run(docs))
    own = [d for d in docs if d.metadata["gold"] == target and d.metadata["origin"] == "news"]
    kept_own = sum(d.metadata["gold"] == target and d.metadata["origin"] == "news" for d in kept)
    wrong = collections.Counter(d.metadata["gold"] for d in kept if d.metadata["gold"] != target)
    stats = {key: value.total for key, value in step.stats.stats.items()}
    return {
        "own": len(own), "kept_own": kept_own, "kept": len(kept), "wrong": wrong,
        "planted": sum(d.metadata["gold"] != target for d in docs),
        "drops": {k.removeprefix("dropped:"): v for k, v in stats.items() if k.startswith("dropped:")},
        "abstained": stats.get("abstained", 0),
        "confusable": {k: v for k, v in stats.items() if k.startswith("confusable:")},
    }  # fmt: skip


def report(spec: str, results: dict[str, dict], seconds: float) -> bool:
    print(f"\n== {spec}  ({seconds:.1f} s to identify every document once)")
    print(f"{'language':9} {'kept in-language':>18} {'wrong share of kept':>24}  drops, abstained, confusable")
    passed = True
    for target, r in results.items():
        share = r["kept_own"] / r["own"] if r["own"] else 0.0
        wrong = sum(r["wrong"].values())
        wrong_share = wrong / r["kept"] if r["kept"] else 0.0
        ok = share >= KEEP_TARGET and wrong_share <= WRONG_TARGET
        passed &= ok
        which = ", ".join(f"{code} {n}" for code, n in r["wrong"].most_common()) or "-"
        print(
            f"{target:9} {r['kept_own']:>5}/{r['own']:<4} {share:6.3f} {wrong:>5}/{r['kept']:<5} {wrong_share:6.3f} "
            f"({which})  {r['drops']} abstained {r['abstained']} {r['confusable'] or ''} {'ok' if ok else 'MISSED'}"
        )
    planted = next(iter(results.values()))["planted"] if results else 0
    print(f"targets (kept >= {KEEP_TARGET}, wrong <= {WRONG_TARGET}) met for every language: {passed}; "
          f"planted per set: about {planted}")  # fmt: skip
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--news", type=Path, required=True, help="folder of MasakhaNEWS {lang}.dev.tsv")
    parser.add_argument("--tatoeba", type=Path, required=True, help="folder of tatoeba.XXX-eng.XXX files")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--abstain", type=float, default=0.3)
    parser.add_argument("--identifiers", nargs="*", default=["lingua", "lid176", "SUP", "SUP+lid176", "SUP+lingua"])
    args = parser.parse_args()

    from babelforge.curate.identifiers import load_identifier
    from babelforge.curate.lid_supplement import train_supplement

    documents, paragraphs = news(args.news), tatoeba(args.tatoeba)
    references = {code: [d for d in docs if not measured(d)] for code, docs in documents.items()}
    items = [(code, "news", d) for code, docs in documents.items() for d in docs if measured(d)]
    items += [(code, "tatoeba", p) for code, ps in paragraphs.items() for p in ps]
    print(f"measured: {collections.Counter((g, o) for g, o, _ in items)}")
    print(f"reference (supplement training) documents: { {c: len(d) for c, d in references.items()} }")
    with tempfile.TemporaryDirectory(prefix="bf-lid-") as work:
        start = time.perf_counter()
        model = train_supplement(references, Path(work) / "supplement.bin")
        print(f"supplement trained in {time.perf_counter() - start:.1f} s ({model.stat().st_size / 1e6:.1f} MB)")
        verdicts = {}
        for name in args.identifiers:
            spec = name.replace("SUP", f"fasttext:{model}")
            identifier = Memo(load_identifier(spec))
            start = time.perf_counter()
            for _, _, text in items:
                identifier.predict(text)
            seconds = time.perf_counter() - start
            results = {}
            for target in NEWS.values():
                own_tatoeba = [(g, o, t) for g, o, t in items if not (o == "tatoeba" and g == target)]
                results[target] = evaluate(identifier, target, own_tatoeba, args.threshold, args.abstain)
            verdicts[name] = report(name.replace("SUP", "supplement"), results, seconds)
    print("\nsummary: " + ", ".join(f"{name.replace('SUP', 'supplement')}: {'met' if ok else 'missed'}"
                                    for name, ok in verdicts.items()))  # fmt: skip


if __name__ == "__main__":
    main()
