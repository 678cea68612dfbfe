"""Joint translation: the fields of one record translated together, so that a shared term comes out the same.

An LLM gets one request per record, the fields as a JSON object, and must answer a JSON object with the
same keys (:meth:`~babelforge.projection.llm_translate.LLMTranslator.translate_joint`). An MT model
gets one input per record, the fields joined by a separator it preserves, and its output is cut at the
separators again. Either way the result is checked: every field present and non-empty, and no field's
length out of line with the record's (a field that swallowed its neighbour, or lost half of itself).
A record that fails a check is translated field by field instead, and the reason is returned
(``joint_fallback:<reason>`` in the step's counts):

- ``invalid_output``, ``empty_answer``, ``chatter`` or an LLM request's failure (``timeout`` ...);
- ``separator_lost``: the MT output has not exactly one separator between fields (or an empty part);
- ``separator_in_text``: every separator candidate already occurs in the record's fields;
- ``no_separator``: the model's tokenizer keeps none of the candidates;
- ``length_mismatch``: a field's length ratio is more than :data:`MAX_RATIO_SKEW` times off the record's.

Separators, tried in order (:data:`SEPARATORS`): a newline (kept by LLMs and some tokenizers; NLLB,
M2M100 and Marian's SentencePiece normalisers turn it into a space, so it is skipped there), then
`` | ``, `` • ``, `` ¶ `` and `` ### ``: symbols common in web text, so the models' vocabularies hold them
as single pieces, and models trained on web text copy them. A candidate is used for a model only when
its tokenizer round-trips it (:meth:`~babelforge.projection.ct2.CTranslate2Translator.keeps`), and for
a record only when no field contains it. The output is cut on runs of the symbol with the spaces
around them, so a doubled or re-spaced separator still counts once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babelforge.llm.client import Failure

#: Separator candidates for MT, in order of preference (see the module docstring).
SEPARATORS = ("\n", " | ", " • ", " ¶ ", " ### ")
#: A field whose target/source length ratio differs more than this factor from the record's fails the check.
MAX_RATIO_SKEW = 3.0
#: Fields shorter than this (characters) are not held to the ratio: short texts vary too much.
MIN_RATIO_CHARS = 20


@dataclass(frozen=True)
class JointResult:
    """One record's joint translation (``fields``) or why it was not possible (``fallback``)."""

    fields: dict[str, str] | None = None
    fallback: str = ""


def translate_fields(
    translator, records: list[dict[str, str]], joint: bool = True, separator: str | None = None, count=None
) -> tuple[list[dict], list]:
    """Each record's ``{field: translation or Failure}``, jointly where asked and the record has two fields
    or more (:func:`translate_joint`), else field by field; and how: ``True`` (jointly), the fallback's
    reason, or ``None`` (not asked, or one field).

    Args:
        count: called with ``joint_records`` or ``joint_fallback:<reason>`` once per record tried jointly
            (a step's ``stat_update``).
    """
    done: list[dict | None] = [None] * len(records)
    how: list = [None] * len(records)
    if joint:
        several = [k for k, r in enumerate(records) if len(r) >= 2]
        results = translate_joint(translator, [records[k] for k in several], separator)
        for k, result in zip(several, results, strict=True):
            if result.fields is not None:
                done[k], how[k] = result.fields, True
            else:
                how[k] = result.fallback
            if count is not None:
                count("joint_records" if result.fields is not None else f"joint_fallback:{result.fallback}")
    alone = [k for k, d in enumerate(done) if d is None]
    texts = [text for k in alone for text in records[k].values()]
    translations = iter(translator.translate(texts) if texts else [])
    for k in alone:
        done[k] = {name: next(translations) for name in records[k]}
    return done, how


def translate_joint(translator, records: list[dict[str, str]], separator: str | None = None) -> list[JointResult]:
    """Translate each record's fields together (see the module docstring).

    Args:
        translator: an :class:`~babelforge.projection.llm_translate.LLMTranslator` (one JSON request per
            record) or any translator with ``translate(texts)`` (one separated input per record).
        records: per record, ``{field name: source text}``, two fields or more.
        separator: for MT, this separator only (default: the first of :data:`SEPARATORS` that works).

    Returns:
        One :class:`JointResult` per record, in order.
    """
    from babelforge.llm import recording

    if hasattr(translator, "translate_joint"):
        answers = translator.translate_joint(records)
    else:
        answers = SeparatorJoiner(translator, separator).translate(records)
    lengths = recording.active() is None  # a cost estimate's answers are stand-ins of no telling length
    return [_checked(record, answer, lengths) for record, answer in zip(records, answers, strict=True)]


def _checked(record: dict[str, str], answer: dict[str, str] | Failure, lengths: bool = True) -> JointResult:
    if isinstance(answer, Failure):
        return JointResult(fallback=answer.reason)
    if set(answer) != set(record) or not all(answer[name].strip() for name in record):
        return JointResult(fallback="invalid_output")
    if lengths and skewed(record, answer):
        return JointResult(fallback="length_mismatch")
    return JointResult(fields={name: answer[name] for name in record})


def skewed(source: dict[str, str], target: dict[str, str]) -> bool:
    """Whether some field's length ratio is off the record's by more than :data:`MAX_RATIO_SKEW`."""
    whole = sum(len(target[n]) for n in source) / max(1, sum(len(s) for s in source.values()))
    for name, text in source.items():
        if len(text) >= MIN_RATIO_CHARS and whole > 0:
            skew = (len(target[name]) / len(text)) / whole
            if not 1 / MAX_RATIO_SKEW <= skew <= MAX_RATIO_SKEW:
                return True
    return False


class SeparatorJoiner:
    """Join a record's fields with a separator the model keeps, translate once, cut the output again."""

    def __init__(self, translator, separator: str | None = None):
        self.translator = translator
        self.candidates = (separator,) if separator else SEPARATORS

    def translate(self, records: list[dict[str, str]]) -> list[dict[str, str] | Failure]:
        kept = [s for s in self.candidates if self._keeps(s)]
        if not kept:
            return [Failure("no_separator", f"the tokenizer keeps none of {list(self.candidates)}")] * len(records)
        chosen = [next((s for s in kept if not any((s.strip() or s) in t for t in r.values())), None) for r in records]
        joined = [s.join(r.values()) for r, s in zip(records, chosen, strict=True) if s is not None]
        done = iter(self.translator.translate(joined))
        results: list[dict[str, str] | Failure] = []
        for record, separator in zip(records, chosen, strict=True):
            if separator is None:
                results.append(Failure("separator_in_text"))
            else:
                results.append(resplit(next(done), list(record), separator))
        return results

    def _keeps(self, separator: str) -> bool:
        keeps = getattr(self.translator, "keeps", None)
        return True if keeps is None else keeps(separator)


def resplit(translation, names: list[str], separator: str) -> dict[str, str] | Failure:
    """Cut a joined translation into its fields; :class:`Failure` ``separator_lost`` unless it has exactly one
    separator between fields and no empty part."""
    if isinstance(translation, Failure):
        return translation
    symbol = separator.strip()
    if not symbol:  # a newline: any run of line breaks with the spaces around them
        parts = re.split(r"[ \t]*(?:\r?\n)+[ \t]*", translation.strip())
    else:
        parts = re.split(rf"\s*(?:{re.escape(symbol)}\s*)+", translation.strip())
    if len(parts) != len(names) or not all(p.strip() for p in parts):
        found = len(parts) - 1
        return Failure("separator_lost", f"{found} separator(s) {separator!r} for {len(names)} fields")
    return {name: part.strip() for name, part in zip(names, parts, strict=True)}
