"""Language fidelity, in the style of the Language Confusion Benchmark: is every line in the language asked for?

A response passes when each of its non-trivial lines is identified as the requested language. The
identifier is lingua (75 languages, offline); a language lingua does not know cannot be checked and
says so rather than passing silently. Shared by augment's ``gate`` step and the fine-tuner's evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

from babelforge import langs
from babelforge.errors import MissingDependencyError

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
    """Judge lines of text against an expected language with lingua."""

    def __init__(self):
        self._detector = None

    def _lingua(self):
        if self._detector is None:
            try:
                from lingua import LanguageDetectorBuilder
            except ImportError:
                raise MissingDependencyError("language fidelity", ["lingua-language-detector"], "models") from None
            self._detector = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()
        return self._detector

    def known(self, language: str) -> bool:
        """Whether lingua can identify ``language`` (any spelling :func:`babelforge.langs.resolve` takes)."""
        from lingua import IsoCode639_3, Language

        code = langs.resolve(language).iso639_3.upper()
        return hasattr(IsoCode639_3, code) and Language.from_iso_code_639_3(getattr(IsoCode639_3, code)) is not None

    def check(self, texts: list[str], language: str) -> Fidelity:
        """Line-level fidelity of ``texts`` to ``language``."""
        expected = langs.resolve(language).iso639_3.upper()
        detector = self._lingua()
        lines = passed = unjudged = 0
        for text in texts:
            for line in (line.strip() for line in text.splitlines()):
                if sum(ch.isalpha() for ch in line) < MIN_LETTERS:
                    unjudged += bool(line)
                    continue
                lines += 1
                found = detector.detect_language_of(line)
                passed += found is not None and found.iso_code_639_3.name == expected
        return Fidelity(lines, passed, unjudged)
