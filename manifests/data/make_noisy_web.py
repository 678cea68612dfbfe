"""Build ``noisy-web/``: a small web-like English corpus with the noise curation removes, planted.

Run from the repository root (deterministic; the files are committed):
``python manifests/data/make_noisy_web.py``. It reads the bundled Europarl sample
(``europarl-docs/{en,de}-*.txt``, sentence-aligned) and writes:

- ``noisy-web/web.jsonl`` (``id``, ``text``): clean English documents of six sentences, and planted
  noise, each kind with its own id prefix so that a run's drops can be checked against it:
  ``de-`` German documents (language ID), ``boiler-`` navigation and cookie boilerplate, ``junk-``
  symbol soup and repeated lines (quality), ``dup-`` edited copies of clean documents (dedup),
  ``leak-`` documents holding a benchmark item verbatim, lightly edited, or in German translation
  (decontamination), and ``pii-`` clean documents with an e-mail address, a phone number and an
  IBAN added (PII, replaced rather than dropped);
- ``noisy-web/bench.jsonl`` (``id``, ``text``): a stand-in benchmark of English sentences from the
  sample that the clean documents do not contain.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).parent
SEED = 13
BOILERPLATE = [
    "Home | About us | Contact | Privacy policy | Terms of use | Sitemap | Login | Register",
    "We use cookies to improve your experience. By continuing to browse you accept our cookie policy. Accept all.",
    "Share on Facebook Share on Twitter Share by e-mail Print this page Subscribe to our newsletter",
    "Copyright 2024 All rights reserved. Powered by WordPress. Back to top. Next page. Previous page.",
]
PII = ("Write to anna.kowalski@example.org or call +44 20 7946 0958; donations to "
       "GB82 WEST 1234 5698 7654 32.")  # fmt: skip


def sentences(language: str) -> list[str]:
    """The sample's sentences, detokenised as web text is written (``Parliament , who`` -> ``Parliament, who``)."""
    lines = []
    for path in sorted((HERE / "europarl-docs").glob(f"{language}-*.txt")):
        lines += [detokenise(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def detokenise(line: str) -> str:
    line = re.sub(r" ([,.;:?!)%])", r"\1", line.strip())
    line = re.sub(r"([(]) ", r"\1", line)
    return re.sub(r" ' s\b", "'s", line).replace(' " ', ' "')


def main() -> None:
    draw = random.Random(SEED)
    english, german = sentences("en"), sentences("de")
    long = [i for i, s in enumerate(english) if 12 <= len(s.split()) <= 40]
    bench = set(draw.sample(long, 12))
    docs, clean, hosts = [], [], []
    kept = [i for i in range(len(english)) if i not in bench and len(english[i].split()) >= 6]
    for n in range(0, len(kept) - 5, 6):
        text = " ".join(english[i] for i in kept[n : n + 6])
        if len(hosts) < len(bench) + 4:  # documents that will carry a leak or PII appear only so
            hosts.append(text)
            continue
        clean.append(text)
        docs.append({"id": f"clean-{len(clean):03d}", "text": text})
    for n, start in enumerate(range(0, 60, 6)):
        docs.append({"id": f"de-{n:02d}", "text": " ".join(german[start : start + 6])})
    for n in range(8):
        lines = [draw.choice(BOILERPLATE) for _ in range(8)]  # menus and banners repeat down a page
        docs.append({"id": f"boiler-{n:02d}", "text": "\n".join(lines)})
    for n in range(6):
        soup = " ".join("".join(draw.choice("#$%&*@~^|<>{}[]=+_0123456789") for _ in range(8)) for _ in range(30))
        docs.append({"id": f"junk-soup-{n:02d}", "text": soup})
        line = clean[n].split(". ")[0] + "."
        docs.append({"id": f"junk-repeat-{n:02d}", "text": "\n".join([line] * 12)})
    for n, text in enumerate(draw.sample(clean, 10)):
        words = text.split()
        for _ in range(1):
            words[draw.randrange(len(words))] = draw.choice(["indeed", "also", "now"])
        docs.append({"id": f"dup-{n:02d}", "text": " ".join(words)})
    items = sorted(bench)
    for n, i in enumerate(items):
        leaked = english[i] if n % 3 == 0 else english[i].replace(" the ", " a ", 1) if n % 3 == 1 else german[i]
        kind = ("verbatim", "edited", "translated")[n % 3]
        host = hosts[n].split(". ")
        text = ". ".join([*host[:3], leaked.rstrip("."), *host[3:]])
        docs.append({"id": f"leak-{kind}-{n:02d}", "text": text if text.endswith(".") else f"{text}."})
    for n in range(4):
        docs.append({"id": f"pii-{n:02d}", "text": f"{hosts[-1 - n]} {PII}"})
    draw.shuffle(docs)
    out = HERE / "noisy-web"
    out.mkdir(exist_ok=True)
    write(out / "web.jsonl", docs)
    write(out / "bench.jsonl", [{"id": f"bench-{n:02d}", "text": english[i]} for n, i in enumerate(items)])


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
