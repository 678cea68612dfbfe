"""``llm`` code-mixing: a lexicon draft, smoothed by an LLM, re-measured, optionally judged, gated.

The lexicon mixer drafts a sentence at the requested CMI; an LLM rewrites it so it reads as a
bilingual speaker would write it, keeping the embedded-language words and the names. The rewrite's
tokens are labelled again (a word is embedded-language when the draft or the lexicon's translations
have it, neutral when it is no word or part of a name, matrix otherwise) and its CMI measured: a
rewrite outside the tolerance, one that lost a name, or one the judge rejects is dropped under that
reason. The judge (optional) answers JSON ``{"natural": 1-5, "same_meaning": true|false}``. The
rewrite's switched tokens are reported as the draft's are (:mod:`~babelforge.augment.codemix_report`),
a token counting as a function word when it translates one of the matrix language's.
"""

from __future__ import annotations

from babelforge.augment.cmi import measure
from babelforge.augment.codemix_report import switch_report
from babelforge.augment.mix_lexicon import LexiconMixer, Mixed, Rejected
from babelforge.llm.accounting import llm_usage
from babelforge.spans import Span
from babelforge.words import word_spans

SMOOTH = (
    "Rewrite this {matrix}-{embedded} code-mixed sentence so that it reads naturally, as a bilingual speaker "
    "would write it. Keep the {embedded} words in {embedded}, the other words in {matrix}, and every name "
    "unchanged. Answer with the sentence only.\n\n{text}"
)
JUDGE = (
    "Original: {source}\nCode-mixed: {mixed}\n\nIs the code-mixed sentence natural for a {matrix}-{embedded} "
    "bilingual speaker, and does it mean the same as the original? Answer with JSON only."
)
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"natural": {"type": "integer", "minimum": 1, "maximum": 5}, "same_meaning": {"type": "boolean"}},
    "required": ["natural", "same_meaning"],
}


class LLMMixer:
    """Draft with a :class:`LexiconMixer`, smooth with an LLM, then measure and gate again."""

    #: The pipeline step whose stats count the requests' usage (see :mod:`babelforge.llm.accounting`).
    accounting_step = None

    def __init__(self, draft: LexiconMixer, client, matrix_name: str, embedded_name: str, judge: bool = False,
                 min_natural: int = 3):  # fmt: skip
        self.draft, self.client, self.judge, self.min_natural = draft, client, judge, min_natural
        self.names = {"matrix": matrix_name, "embedded": embedded_name}
        self.embedded_words = {t.casefold() for ts in draft.lexicon.entries.values() for t in ts}

    def prepare(self, texts: list[str], translations: list[str] | None = None) -> None:
        """Find the function words the draft avoids (see :meth:`LexiconMixer.prepare`)."""
        self.draft.prepare(texts, translations)

    def mix_many(self, items: list[tuple[str, list[Span], str]]) -> list[Mixed | Rejected]:
        from babelforge.llm.client import Failure, Request

        drafts = [self.draft.mix(text, spans, key) for text, spans, key in items]
        ready = [i for i, d in enumerate(drafts) if isinstance(d, Mixed)]
        prompts = [
            Request([{"role": "user", "content": SMOOTH.format(text=drafts[i].text, **self.names)}]) for i in ready
        ]
        results: list[Mixed | Rejected] = list(drafts)
        with llm_usage(self.accounting_step, self.client):
            answers = self.client.complete_many(prompts)
        for i, answer in zip(ready, answers, strict=True):
            if isinstance(answer, Failure):
                results[i] = Rejected(f"llm_{answer.reason}", answer.detail)
            else:
                results[i] = self._relabel(answer.text.strip(), drafts[i])
        if self.judge:
            judged = [i for i, r in enumerate(results) if isinstance(r, Mixed)]
            requests = [
                Request(
                    [
                        {
                            "role": "user",
                            "content": JUDGE.format(source=items[i][0], mixed=results[i].text, **self.names),
                        }
                    ],
                    schema=JUDGE_SCHEMA,
                )
                for i in judged
            ]
            with llm_usage(self.accounting_step, self.client):
                verdicts = self.client.complete_many(requests)
            for i, verdict in zip(judged, verdicts, strict=True):
                if isinstance(verdict, Failure):
                    results[i] = Rejected(f"judge_{verdict.reason}", verdict.detail)
                elif not verdict.data["same_meaning"]:
                    results[i] = Rejected("judge_meaning_changed")
                elif verdict.data["natural"] < self.min_natural:
                    results[i] = Rejected("judge_unnatural", f"natural {verdict.data['natural']}")
        return results

    def _relabel(self, text: str, draft: Mixed) -> Mixed | Rejected:
        if not text:
            return Rejected("llm_empty_answer")
        moved, cursor = [], 0
        for span in sorted(draft.spans, key=lambda s: s.start):
            surface = draft.text[span.start : span.end]
            at = text.find(surface, cursor)
            if at < 0:
                return Rejected("entity_lost", surface)
            moved.append(Span(at, at + len(surface), span.label))
            cursor = at + len(surface)
        drafted = {
            t.casefold() for t, lang in zip(draft.tokens, draft.langs, strict=True) if lang == self.draft.embedded
        }
        offsets = word_spans(text)
        tokens, langs = [text[a:b] for a, b in offsets], []
        for (a, b), token in zip(offsets, tokens, strict=True):
            if not token[0].isalpha() or any(s.start < b and a < s.end for s in moved):
                langs.append("other")
            elif token.casefold() in drafted or token.casefold() in self.embedded_words:
                langs.append(self.draft.embedded)
            else:
                langs.append(self.draft.matrix)
        metrics = measure(langs)
        if abs(metrics.cmi - self.draft.cmi) > self.draft.tolerance:
            return Rejected("cmi_out_of_tolerance", f"{metrics.cmi:.1f} after smoothing")
        function = [token in self.draft.embedded_function_words for token in tokens]
        return Mixed(text, tokens, offsets, langs, moved, metrics, switch_report(langs, self.draft.embedded, function))
