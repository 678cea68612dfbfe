"""Language fidelity, in the style of the Language Confusion Benchmark: is every line in the language asked for?

A response passes when each of its non-trivial lines is identified as the requested language. The
identifier is lingua (75 languages, offline) by default, or a fastText language-ID model file
(``fasttext:PATH``: GlotLID, OpenLID or NLLB's LID with ``__label__hau_Latn`` labels, or fastText's
``lid.176`` with ``__label__ha``). A language the identifier does not know cannot be checked and says
so rather than passing silently. Shared by augment's ``gate`` step and the fine-tuner's evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babelforge import langs
from babelforge.errors import BabelforgeError, MissingDependencyError

#: Lines shorter than this (in letters) are too short to identify and are not judged.
MIN_LETTERS = 12


@dataclass
class Fidelity:
    lines: int
    passed: int
    unjudged: int

    @property
    def rate(self) -> float:
        return self.passed / self.lines if self.lines else 1.0


class LanguageFidelity:
    """Judge lines of text against an expected language with lingua or a fastText model."""

    def __init__(self, identifier: str = "lingua"):
        if identifier != "lingua" and not identifier.startswith("fasttext:"):
            raise BabelforgeError(f"unknown language identifier {identifier!r}: valid: lingua, fasttext:PATH")
        if identifier.startswith("fasttext:") and not Path(identifier[len("fasttext:") :]).is_file():
            raise BabelforgeError(f"no fastText model file at {identifier[len('fasttext:') :]!r}")
        self.identifier = identifier
        self._detector = None
        self._labels: set[str] | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_detector": None}

    def _load(self):
        if self._detector is not None:
            return self._detector
        if self.identifier == "lingua":
            try:
                from lingua import LanguageDetectorBuilder
            except ImportError:
                raise MissingDependencyError("language fidelity", ["lingua-language-detector"], "models") from None
            self._detector = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()
        else:
            try:
                import fasttext
            except ImportError:
                raise MissingDependencyError("a fastText identifier", ["fasttext-numpy2-wheel"], "models") from None
            self._detector = fasttext.load_model(self.identifier[len("fasttext:") :])
            self._labels = {_code(label) for label in self._detector.get_labels()} - {None}
        return self._detector

    def known(self, language: str) -> bool:
        """Whether the identifier can identify ``language`` (any spelling :func:`babelforge.langs.resolve` takes)."""
        resolved = langs.resolve(language)
        if self.identifier != "lingua":
            self._load()
            return resolved.code in self._labels
        from lingua import IsoCode639_3, Language

        code = resolved.iso639_3.upper()
        return hasattr(IsoCode639_3, code) and Language.from_iso_code_639_3(getattr(IsoCode639_3, code)) is not None

    def identify(self, line: str) -> str | None:
        """The canonical code of the line's language, or ``None`` when the identifier cannot tell."""
        detector = self._load()
        if self.identifier == "lingua":
            found = detector.detect_language_of(line)
            if found is None:
                return None
            try:
                return langs.resolve(found.iso_code_639_3.name.lower()).code
            except BabelforgeError:
                return None
        labels, _ = detector.predict(line.replace("\n", " "))
        return _code(labels[0]) if labels else None

    def check(self, texts: list[str], language: str) -> Fidelity:
        """Line-level fidelity of ``texts`` to ``language`` (the language, whatever its script: the gate's
        script check judges scripts)."""
        expected = langs.resolve(language).iso639_3
        lines = passed = unjudged = 0
        for text in texts:
            for line in (line.strip() for line in text.splitlines()):
                if sum(ch.isalpha() for ch in line) < MIN_LETTERS:
                    unjudged += bool(line)
                    continue
                lines += 1
                found = self.identify(line)
                passed += found is not None and langs.resolve(found).iso639_3 == expected
        return Fidelity(lines, passed, unjudged)


def _code(label: str) -> str | None:
    """``__label__hau_Latn`` or ``__label__ha`` as a canonical code (``None`` for labels no language has)."""
    try:
        return langs.resolve(label.removeprefix("__label__")).code
    except BabelforgeError:
        return None
