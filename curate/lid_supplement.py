"""A supplementary language-ID model for the languages a user cares about, backed by a general model.

General models miss many low-resource languages (lid.176 has no Hausa, lingua no Amharic, neither
Nigerian Pidgin), and a model trained only on those languages sends every other text to the nearest
of them: German becomes Pidgin, Xhosa becomes Swahili. GlotLID covers them; where it cannot be had,
:func:`train_supplement` trains a small fastText model on reference text of each language (news, a
Bible, Wikipedia, FLORES) and keeps, beside it, each language's common words and how much of held-out
reference text they cover. The identifier ``fasttext:SUPPLEMENT.bin+GENERAL`` then decides:

1. the supplement names its likeliest language ``L``; the text is *familiar* when the share of its
   words among ``L``'s common words reaches ``L``'s floor (half the median share measured on reference
   chunks against the common words of the other reference chunks, in five folds: German words are not
   Pidgin words, Xhosa words not Swahili ones);
2. a familiar text gets the supplement's answer, unless the general model names a language the
   supplement was not trained on with a score of at least :data:`GENERAL_CONFIDENT`;
3. any other text gets the general model's answer, less the supplement's languages other than ``L``
   (the supplement was trained on them and does not see them in the text). A language neither model
   knows thus ends with a low score, which the ``lid`` step turns into ``und``.

Nothing here knows any particular language: the floors come from the reference text.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from babelforge.curate.identifiers import language_code
from babelforge.errors import BabelforgeError, MissingDependencyError

#: Common words kept per language, and the share of a language's median familiarity used as its floor.
VOCABULARY, FLOOR_SHARE = 2000, 0.5
#: A general model's score from which its answer outside the supplement's languages wins.
GENERAL_CONFIDENT = 0.8
#: Folds over each language's reference chunks when its floor is measured.
FOLDS = 5
#: Characters per training example (reference text is cut at sentence ends into chunks of about this).
CHUNK = 200
#: Trains in a fresh process: fastText's training ends in NaN in a process that has freed a quantized
#: model (a .ftz such as lid.176's), as any process that used an identifier may have.
_FIT = (
    "import fasttext, json, sys; "
    "fasttext.train_supervised(sys.argv[1], **json.loads(sys.argv[3])).save_model(sys.argv[2])"
)
_SENTENCE_END = re.compile(r"(?<=[.!?።۔।。！？])\s+|\n+")


def profile_path(model: str | Path) -> Path:
    """Where the common words and floors of a supplement ``model`` are kept (beside it)."""
    return Path(f"{model}.words.json")


def tokens(text: str) -> list[str]:
    """The words of ``text`` that familiarity counts: case-folded, without digits (babelforge's tokenizer)."""
    from babelforge.words import is_word, words

    return [w.casefold() for w in words(text) if is_word(w) and not any(ch.isdigit() for ch in w)]


def familiarity(text: str, common: frozenset[str]) -> float:
    """The share of ``text``'s words that are among ``common`` (0 for a text without words)."""
    found = tokens(text)
    return sum(word in common for word in found) / len(found) if found else 0.0


def chunks(text: str, size: int = CHUNK) -> list[str]:
    """``text`` cut at sentence ends and line breaks into pieces of about ``size`` characters."""
    pieces, current = [], ""
    for sentence in _SENTENCE_END.split(text):
        current = f"{current} {' '.join(sentence.split())}".strip()
        if len(current) >= size:
            pieces.append(current)
            current = ""
    return [*pieces, current] if current else pieces


class SupplementedIdentifier:
    """``SUPPLEMENT+GENERAL``: the supplement decides among its languages, the general model elsewhere."""

    def __init__(self, spec: str, supplement, general) -> None:
        path = getattr(supplement, "path", None)
        if path is None or not profile_path(path).is_file():
            raise BabelforgeError(
                f"identifier {spec!r}: the supplement must be fasttext:PATH with its PATH.words.json beside it, "
                "as written by `babelforge curate lid-train` (babelforge.curate.lid_supplement.train_supplement)"
            )
        self.spec, self.supplement, self.general = spec, supplement, general
        self._profile: dict[str, tuple[frozenset[str], float]] | None = None

    @property
    def profile(self) -> dict[str, tuple[frozenset[str], float]]:
        if self._profile is None:
            data = json.loads(profile_path(self.supplement.path).read_text(encoding="utf-8"))
            self._profile = {c: (frozenset(p["words"]), p["floor"]) for c, p in data["languages"].items()}
        return self._profile

    def predict(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        own = self.supplement.predict(text, max(k, 2))
        if not own:
            return []
        best = own[0][0]
        general = self.general.predict(text, k + len(self.profile))
        words, floor = self.profile.get(best, (frozenset(), 1.0))
        outside = [(code, score) for code, score in general if code not in self.profile]
        confident_outside = bool(outside) and general[0] == outside[0] and outside[0][1] >= GENERAL_CONFIDENT
        if familiarity(text, words) >= floor and not confident_outside:
            return own[:k]
        return [(code, score) for code, score in general if code == best or code not in self.profile][:k]

    def languages(self) -> frozenset[str]:
        return frozenset(self.profile) | self.general.languages()


def train_supplement(
    references: dict[str, list[str]],
    output: str | Path,
    *,
    dim: int = 32,
    epoch: int = 20,
    buckets: int = 100_000,
    seed: int = 13,
    threads: int = 2,
) -> Path:
    """Train a supplementary fastText model on reference text, and write its common words beside it.

    Args:
        references: language (any spelling :func:`babelforge.langs.resolve` takes, or an ``xxx_Scrp``
            code outside its table such as ``pcm_Latn``) to reference texts (documents or lines).
        output: the model file to write; ``OUTPUT.words.json`` is written beside it.
        dim, epoch, buckets, seed, threads: fastText's settings (char n-grams 2 to 5, softmax loss).

    Returns:
        The model's path. Use it as ``identifier: fasttext:OUTPUT+lid176`` (or ``+glotlid``...).

    Raises:
        BabelforgeError: for fewer than two languages, or a language without text.
    """
    try:
        import fasttext  # noqa: F401 - trained in a child process; fail here with the install line
    except ImportError:
        raise MissingDependencyError("lid-train", ["fasttext-numpy2-wheel"], "curate") from None
    by_code = {language_code(language): texts for language, texts in references.items()}
    if len(by_code) < 2:
        raise BabelforgeError(f"lid-train needs reference text of at least two languages, got {sorted(by_code)}")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    examples, pieces = _examples(by_code, seed)
    train_file = output.with_name(f".{output.name}.train.txt")
    train_file.write_text("\n".join(examples) + "\n", encoding="utf-8")
    settings = {"minn": 2, "maxn": 5, "dim": dim, "epoch": epoch, "lr": 0.5, "wordNgrams": 1, "bucket": buckets,
                "loss": "softmax", "seed": seed, "thread": threads, "verbose": 0}  # fmt: skip
    try:
        fit_fasttext(train_file, output, settings)
    finally:
        train_file.unlink(missing_ok=True)
    profile_path(output).write_text(json.dumps(_profile(pieces, seed), ensure_ascii=False), encoding="utf-8")
    return output


def fit_fasttext(train_file: str | Path, output: str | Path, settings: dict) -> Path:
    """``fasttext.train_supervised(train_file, **settings)`` saved to ``output``, in a fresh process (see ``_FIT``).

    Raises:
        BabelforgeError: when training fails (its last line of error output).
    """
    fit = subprocess.run(
        [sys.executable, "-c", _FIT, str(train_file), str(output), json.dumps(settings)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if fit.returncode != 0:
        last = fit.stderr.strip().splitlines()[-1:] or [f"exit status {fit.returncode}"]
        raise BabelforgeError(f"lid-train: fastText training failed: {last[0]}")
    return Path(output)


def _examples(by_code: dict[str, list[str]], seed: int) -> tuple[list[str], dict[str, list[str]]]:
    """Training lines (``__label__CODE chunk``, shuffled) and each language's chunks."""
    examples, pieces = [], {}
    for code, texts in by_code.items():
        pieces[code] = [piece for text in texts for piece in chunks(text)]
        if len(pieces[code]) < FOLDS:
            raise BabelforgeError(
                f"lid-train: reference text of {code} gives {len(pieces[code])} chunk(s) of ~{CHUNK} characters; "
                f"give at least {FOLDS * CHUNK} characters"
            )
        examples += [f"__label__{code} {piece}" for piece in pieces[code]]
    random.Random(seed).shuffle(examples)
    return examples, pieces


def _profile(pieces: dict[str, list[str]], seed: int) -> dict:
    """Each language's common words, and its floor: ``FLOOR_SHARE`` times the median familiarity of its
    chunks, each measured against the common words of the other folds (so never of a text it has seen)."""
    languages = {}
    for code, own in pieces.items():
        order = list(range(len(own)))
        random.Random(f"{seed}:{code}").shuffle(order)
        shares = []
        for fold in range(FOLDS):
            held = {i for n, i in enumerate(order) if n % FOLDS == fold}
            common = _common([own[i] for i in order if i not in held])
            shares += [familiarity(own[i], common) for i in held]
        languages[code] = {"floor": FLOOR_SHARE * statistics.median(shares), "words": sorted(_common(own))}
    return {"format": 1, "vocabulary": VOCABULARY, "floor_share": FLOOR_SHARE, "languages": languages}


def _common(texts: list[str]) -> frozenset[str]:
    counts = Counter(word for text in texts for word in tokens(text))
    return frozenset(word for word, _ in counts.most_common(VOCABULARY))


def read_references(pairs: Iterable[str]) -> dict[str, list[str]]:
    """``LANG=FILE`` arguments as ``{LANG: [file text, ...]}`` (a language may be given several files)."""
    references: dict[str, list[str]] = {}
    for pair in pairs:
        language, sep, file = pair.partition("=")
        if not sep or not language or not file:
            raise BabelforgeError(f"--reference {pair!r}: expected LANG=FILE, e.g. hau_Latn=hausa-news.txt")
        if not Path(file).is_file():
            raise BabelforgeError(f"--reference {pair!r}: no file at {file!r}")
        references.setdefault(language, []).append(Path(file).read_text(encoding="utf-8"))
    return references
