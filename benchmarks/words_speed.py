"""Speed of the word tokenizer (:mod:`babelforge.words`) on real news text, against the pattern it replaced.

The baseline is the pattern projection and code-mixing used before: Python ``re``'s
``\\w+(?:[-'’]\\w+)*|[^\\w\\s]``, which is fast but cuts words at combining marks. Both tokenize the
headline and text of every row of each MasakhaNEWS ``*.dev.tsv`` file given; best of three rounds, in
CPU time (the machine may be shared).

    python benchmarks/words_speed.py ../shared/data/masakhanews/{eng,hau,amh,yor}.dev.tsv

Prints, per file, tokens per second for both and their ratio (babelforge.words / baseline).
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from pathlib import Path

from babelforge.words import word_spans

OLD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


def old_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in OLD.finditer(text)]


def lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))[1:]
    return [cell for row in rows for cell in row[1:3] if cell.strip()]


def rate(tokenize, texts: list[str], rounds: int = 3) -> tuple[float, int]:
    """Tokens per second (best of ``rounds``) and the token count."""
    best, count = float("inf"), 0
    for _ in range(rounds):
        start = time.process_time()
        count = sum(len(tokenize(text)) for text in texts)
        best = min(best, time.process_time() - start)
    return count / best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="MasakhaNEWS dev.tsv files")
    args = parser.parse_args()
    for path in args.files:
        texts = lines(path)
        word_spans(texts[0])  # first call loads what the tokenizer loads lazily
        old, old_count = rate(old_spans, texts)
        new, new_count = rate(word_spans, texts)
        print(
            f"{path.name}: {len(texts)} texts; babelforge.words {new:,.0f} tokens/s ({new_count} tokens), "
            f"old re pattern {old:,.0f} tokens/s ({old_count} tokens); ratio {new / old:.2f}"
        )


if __name__ == "__main__":
    main()
