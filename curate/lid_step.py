"""The ``lid`` step: identify each record's language, keep the scores, drop or relabel what is not wanted.

For each checked field (``text``; ``target_text`` of translations and mined pairs; any ``X_text`` with
an ``X_language``) the step writes to the record's metadata:

- ``lid``: the top ``k`` languages as ``[{"language": "hau_Latn", "score": 0.97}, ...]``;
- ``language_score``: the best score; ``lid_language``: the label given, ``und`` when the best score
  is under ``abstain`` (the identifier does not know, rather than the nearest big language);
- ``lid_confusable``: ``a/b`` when the two best are a known confusable pair less than
  ``confusable_margin`` apart (counted as ``confusable:a/b``).

Other fields use the same keys prefixed with the field's name (``target_text_lid``...).

A record is kept when every field's label is a wanted language (``languages``, else the field's own
language from the record) with a score of at least that language's threshold. Otherwise it is
dropped, counted under ``low_confidence`` (abstained, or under the threshold) or ``wrong_language``.
With ``relabel``, a confident label becomes the field's language instead (counted as ``relabelled``);
a label babelforge's language table lacks cannot be written there and is dropped as
``unsupported_language``.

Why a :class:`~babelforge.steps.RecordStep` and not datatrove's ``LanguageFilter``: that filter writes
the model's raw label into ``language`` (``ha``: babelforge's records hold ``hau_Latn`` there), has
one threshold for all languages, no abstention and no confusable pairs, and counts drops in its own
stats without reasons; the record steps count each drop under its reason and write rejects shards.
The models themselves load through datatrove's LID classes (see :mod:`babelforge.curate.identifiers`).
"""

from __future__ import annotations

from datatrove.data import Document

from babelforge import langs
from babelforge.curate.identifiers import UNDETERMINED
from babelforge.records import LANGUAGE
from babelforge.steps import Drop, RecordStep


def language_key(field: str) -> str:
    """The metadata key holding a field's language: ``text`` -> ``language``, ``target_text`` -> ``target_language``."""
    return LANGUAGE if field == "text" else f"{field.removesuffix('_text')}_language"


def prefix(field: str) -> str:
    return "" if field == "text" else f"{field}_"


class LidStep(RecordStep):
    """Identify the language of each record's fields; keep, relabel or drop it, counting why.

    Example:
        >>> step = LidStep("lingua", fields=("text",), languages=("deu_Latn",))
        >>> kept = list(step.run([Document("Die Kommission hat heute einen Vorschlag vorgelegt.", "1")]))
        >>> kept[0].metadata["lid_language"]
        'deu_Latn'
    """

    name = "lid"
    reads = (LANGUAGE, "target_text", "target_language")
    writes = ("lid", "language_score", "lid_language", "lid_confusable")

    def __init__(
        self,
        identifier: str = "lingua",
        fields: tuple[str, ...] = ("text",),
        languages: tuple[str, ...] = (),
        threshold: float = 0.5,
        thresholds: dict[str, float] | None = None,
        abstain: float = 0.3,
        k: int = 3,
        relabel: bool = False,
        confusables: str | None = None,
        confusable_margin: float = 0.2,
        on_confusable: str = "flag",
    ):
        super().__init__()
        self.identifier_spec, self.fields, self.languages = identifier, fields, frozenset(languages)
        self.threshold, self.thresholds, self.abstain = threshold, dict(thresholds or {}), abstain
        self.k, self.relabel, self.confusables_path = k, relabel, confusables
        self.confusable_margin, self.on_confusable = confusable_margin, on_confusable
        self._identifier = None
        self._confusables = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_identifier": None, "_confusables": None}

    @property
    def identifier(self):
        if self._identifier is None:
            from babelforge.curate.identifiers import load_identifier

            self._identifier = load_identifier(self.identifier_spec)
        return self._identifier

    @property
    def confusables(self):
        if self._confusables is None:
            from babelforge.curate.confusables import Confusables

            self._confusables = Confusables.load(self.confusables_path)
        return self._confusables

    def process(self, doc: Document) -> Document | Drop:
        for field in self.fields:
            text = doc.text if field == "text" else doc.metadata.get(field)
            if not isinstance(text, str):
                self.stat_update(f"no_field:{field}")
                continue
            result = self._judge(doc, field, text)
            if isinstance(result, Drop):
                return result
        return doc

    def _judge(self, doc: Document, field: str, text: str) -> Drop | None:
        ranked = self.identifier.predict(text, max(self.k, 2))  # two at least, for the confusable check
        label, score = ranked[0] if ranked else (UNDETERMINED, 0.0)
        top = ranked[: self.k]
        if score < self.abstain:
            label = UNDETERMINED
            self.stat_update("abstained")
        self._annotate(doc, field, top, label, score)
        where = "" if field == "text" else f"{field}: "
        if label == UNDETERMINED:
            return Drop("low_confidence", f"{where}abstained: best {_shown(top)} under abstain {self.abstain}")
        pair = self._confusable(doc, field, ranked)
        if pair and self.on_confusable == "drop":
            return Drop(f"confusable:{pair}", f"{where}{_shown(ranked[:2])}")
        expected = doc.metadata.get(language_key(field))
        wanted = self.languages or ({expected} if expected and not self.relabel else None)
        if wanted is not None and label not in wanted:
            return Drop("wrong_language", f"{where}identified {label} {score:.2f}, wanted {', '.join(sorted(wanted))}")
        needed = self.thresholds.get(label, self.threshold)
        if score < needed:
            return Drop("low_confidence", f"{where}{label} {score:.2f} under its threshold {needed}")
        if self.relabel and label != expected:
            return self._relabel(doc, field, label, expected)
        return None

    def _annotate(self, doc: Document, field: str, top: list, label: str, score: float) -> None:
        md, p = doc.metadata, prefix(field)
        md[f"{p}lid"] = [{"language": code, "score": round(s, 4)} for code, s in top]
        md[f"{p}language_score"] = round(score, 4)
        md[f"{p}lid_language"] = label

    def _confusable(self, doc: Document, field: str, top: list) -> str | None:
        pair = self.confusables.pair(top, self.confusable_margin)
        if pair:
            self.stat_update(f"confusable:{pair}")
            doc.metadata[f"{prefix(field)}lid_confusable"] = pair
        return pair

    def _relabel(self, doc: Document, field: str, label: str, expected: str | None) -> Drop | None:
        if label not in langs.by_code():
            return Drop("unsupported_language", f"identified {label}: not in babelforge's language table")
        doc.metadata[language_key(field)] = label
        self.stat_update("relabelled")
        self.note(doc, field=field, relabelled=f"{expected} -> {label}", identifier=self.identifier_spec)
        return None


def _shown(top: list[tuple[str, float]]) -> str:
    return ", ".join(f"{code} {score:.2f}" for code, score in top) or "nothing (no letters)"
