"""Write ``instructions-sample/``: translation instructions in six languages, for ``mixture-instructions.yaml``.

Each Tatoeba pair (facebookresearch/LASER ``data/tatoeba/v1``, CC BY 2.0 FR) becomes one chat row: a
user turn asking, in English, for the sentence in the target language, and the assistant's answer, the
human translation. The languages have deliberately unequal sizes (German 120 down to Xhosa and Amharic
24), from three Glottolog families, so that temperature and family sampling have something to do;
``europe/`` and ``africa/`` are the recipe's two components (each a folder ``datasets`` reads).

    python manifests/data/make_instructions_sample.py PATH/TO/tatoeba
"""

import json
import sys
from pathlib import Path

#: Tatoeba code: (babelforge code, English name, rows, folder: one mixture component each)
LANGUAGES = {
    "deu": ("deu_Latn", "German", 120, "europe"),
    "fra": ("fra_Latn", "French", 80, "europe"),
    "spa": ("spa_Latn", "Spanish", 60, "europe"),
    "swh": ("swh_Latn", "Swahili", 48, "africa"),
    "xho": ("xho_Latn", "Xhosa", 24, "africa"),
    "amh": ("amh_Ethi", "Amharic", 24, "africa"),
}
ASKS = (
    "Translate into {name}: {text}",
    "How do you say this in {name}? {text}",
    "Write this sentence in {name}: {text}",
)


def rows(tatoeba: Path, code: str) -> list[dict]:
    language, name, n, _ = LANGUAGES[code]
    english = (tatoeba / f"tatoeba.{code}-eng.eng").read_text(encoding="utf-8").splitlines()
    target = (tatoeba / f"tatoeba.{code}-eng.{code}").read_text(encoding="utf-8").splitlines()
    made = []
    for i, (source, answer) in enumerate(zip(english[:n], target[:n], strict=True)):
        ask = ASKS[i % len(ASKS)].format(name=name, text=source.strip())
        messages = [{"role": "user", "content": ask}, {"role": "assistant", "content": answer.strip()}]
        made.append({"id": f"tatoeba-{code}-{i}", "language": language, "messages": messages})
    return made


def main(tatoeba: Path) -> None:
    for code, (*_, part) in LANGUAGES.items():
        folder = Path(__file__).parent / "instructions-sample" / part
        folder.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps(row, ensure_ascii=False) for row in rows(tatoeba, code)]
        (folder / f"{code}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
