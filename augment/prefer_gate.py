"""The ``gate`` step on preference pairs: each side checked as an instruction's answer is, then the pair.

For a preference record (see :mod:`babelforge.records`) the gate checks each side, ``chosen`` in
``chosen_lang`` and ``rejected`` in ``rejected_lang``, with the gate's own settings: size
(``min_chars``/``max_chars``), script and line-level language fidelity (the language identifier).
A failing side drops the pair under the side and the reason (``chosen_language_confusion``,
``rejected_too_short`` ...). A side made by ``mixed`` confusion is meant to hold two languages: instead
of the whole-side checks it must hold at least one sentence identified as its language
(``rejected_not_mixed`` otherwise). Then the pair: two sides that are the same text teach nothing
(``same_sides``), and a pair repeating an earlier one (prompt and both sides, exactly or nearly) is a
``duplicate``/``near_duplicate``. Other records are gated as :class:`~babelforge.augment.gate.GateStep` does.
"""

from __future__ import annotations

import hashlib

from datatrove.data import Document

from babelforge import langs
from babelforge.augment.gate import GateStep
from babelforge.records import CHOSEN, LANGUAGE, PROMPT, REJECTED
from babelforge.steps import Drop


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def pair_text(doc: Document) -> str:
    """What the duplicate checks compare for a pair: its prompt's user turns and both sides, folded."""
    md = doc.metadata
    turns = [f"{m['role']}\t{_folded(m['content'])}" for m in md[PROMPT] if m["role"] != "system"]
    return "\n".join([*turns, f"chosen\t{_folded(md[CHOSEN])}", f"rejected\t{_folded(md[REJECTED])}"])


class PreferenceGate(GateStep):
    """:class:`GateStep` that also gates preference pairs, side by side and as pairs."""

    reads = (*GateStep.reads, PROMPT, CHOSEN, REJECTED, "chosen_lang", "rejected_lang", "rejected_by")

    def _check(self, doc: Document) -> Document | Drop:
        md = doc.metadata
        if not md.get(PROMPT) or md.get(CHOSEN) is None or md.get(REJECTED) is None:
            return super()._check(doc)
        for side in (CHOSEN, REJECTED):
            language = md.get(f"{side}_lang") or md.get(LANGUAGE)
            mixed = (md.get(f"{side}_by") or {}).get("method") == "mixed"
            found = self._mixed(md[side], language) if mixed else self._side(md[side], language)
            if found is not None:
                return Drop(f"{side}_{found.reason}", found.detail)
        if _folded(md[CHOSEN]) == _folded(md[REJECTED]):
            return Drop("same_sides", "chosen and rejected are the same text")
        return self._repeated_pair(doc) or doc

    def _mixed(self, text: str, language: str | None) -> Drop | None:
        """A mixed answer: sized, and holding at least one sentence identified as ``language``."""
        from babelforge.augment.prefer_modes import sentences

        if (sized := self._sized(text)) is not None:
            return sized
        if not (self.fidelity and language):
            return None
        judged = self._fidelity("\n".join(sentences(text)), langs.resolve(language).code)
        if judged is not None and judged.lines and not judged.passed:
            return Drop("not_mixed", f"none of {judged.lines} sentences in {language}")
        return None

    def _repeated_pair(self, doc: Document) -> Drop | None:
        """A drop when the pair repeats an earlier one (exactly or nearly); remembers it otherwise."""
        compared = pair_text(doc)
        if self.dedup:
            key = hashlib.blake2b(compared.encode(), digest_size=16).digest()
            if key in self._seen:
                return Drop("duplicate")
            self._seen.add(key)
        if self._near is not None and self._near.seen(compared):
            return Drop("near_duplicate", f"Jaccard >= {self.near_dedup} with an earlier pair")
        return None
