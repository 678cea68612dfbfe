"""Language fidelity of emitted instruction data, measured with an identifier the gate does not use.

Builds translation-following instructions (English Europarl sentences -> their German translations)
through ``instruct`` and ``gate`` (the gate judges lines with lingua), then re-judges every line of
every kept response with a word-frequency identifier (each word votes for the language in which
wordfreq finds it more frequent; a line is German when German words are the majority; ``pip install
wordfreq``). Prints the line-level pass rate (target >= 0.98) and what the gate dropped.

    python benchmarks/instruct_fidelity.py --source ../shared/data/europarl-ner/en-europarl.test.conll02 \\
        --target ../shared/data/europarl-ner/de-europarl.test.conll02
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

REPO = Path(__file__).parents[1]


def line_language(line: str) -> str | None:
    from wordfreq import zipf_frequency

    votes = {"en": 0, "de": 0}
    for word in (w for w in line.split() if any(ch.isalpha() for ch in w)):
        english, german = zipf_frequency(word, "en"), zipf_frequency(word, "de")
        if english != german:
            votes["en" if english > german else "de"] += 1
    if not any(votes.values()):
        return None
    return max(votes, key=votes.get)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=str(REPO / "tests" / "data" / "europarl-en.conll"))
    parser.add_argument("--target", default=str(REPO / "tests" / "data" / "europarl-de.conll"))
    args = parser.parse_args()
    import datasets
    import yaml

    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    work = Path(tempfile.mkdtemp(prefix="bf-fidelity-"))
    manifest = {
        "name": "fidelity",
        "sources": [
            {
                "kind": "conll", "path": str(Path(args.source).resolve()), "language": "en",
                "translation": {"path": str(Path(args.target).resolve()), "language": "de"},
            }
        ],
        "steps": [{"instruct": {"mode": "translation"}}, {"gate": {"fidelity": True, "script": True}}],
        "output": {"path": str(work / "out"), "kind": "chat"},
    }  # fmt: skip
    (work / "m.yaml").write_text(yaml.safe_dump(manifest))
    result = run_manifest(load_manifest(work / "m.yaml"))
    rows = datasets.load_dataset(str(work / "out"), split="train")
    judged = passed = 0
    for completion in rows["completion"]:
        for line in completion.splitlines():
            language = line_language(line)
            if language is not None:
                judged += 1
                passed += language == "de"
    print(f"{len(rows)} instructions kept; gate drops: {result.summary['drops'] or 'none'}")
    print(
        f"line-level fidelity by word frequencies: {passed}/{judged} = {passed / max(judged, 1):.4f} (target >= 0.98)"
    )


if __name__ == "__main__":
    main()
