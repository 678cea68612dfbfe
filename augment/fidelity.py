"""Language fidelity, in the style of the Language Confusion Benchmark: is every line in the language asked for?

A response passes when each of its non-trivial lines is identified as the requested language. The
identifier is any spec of :func:`babelforge.curate.identifiers.load_identifier`: lingua (75 languages,
offline) by default, a fastText language-ID model file (``fasttext:PATH``: GlotLID, OpenLID or NLLB's
LID with ``__label__hau_Latn`` labels, or fastText's ``lid.176`` with ``__label__ha``), ``lid176``, or
a Hub model (``glotlid``, ``openlid``). A language the identifier does not know cannot be checked and
says so rather than passing silently. Shared by augment's ``gate`` step and the fine-tuner's evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

from babelforge import langs

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
    """Judge lines of text against an expected language with any identifier spec (lingua, fastText files, Hub ids)."""

    def __init__(self, identifier: str = "lingua"):
        from babelforge.curate.identifiers import load_identifier

        self.identifier = identifier
        self.judge = load_identifier(identifier)  # checks the spec and the file now; loads on first use

    def known(self, language: str) -> bool:
        """Whether the identifier can identify ``language`` (any spelling :func:`babelforge.langs.resolve` takes)."""
        return langs.resolve(language).iso639_3 in {code[:3] for code in self.judge.languages()}

    def identify(self, line: str) -> str | None:
        """The canonical code of the line's language, or ``None`` when the identifier cannot tell."""
        top = self.judge.predict(line, 1)
        return top[0][0] if top and top[0][0] in langs.by_code() else None  # None: und, or a code off the table

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
