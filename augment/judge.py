"""``prefer: {mode: judge}``: two answers to a prompt, ranked by a judge LLM asked in both orders.

Each record's prompt is answered twice in the language it asks in: by ``model`` and ``model_b``, or
by ``model`` sampled twice (two seeds at ``temperature``). The judge (``judge``, default ``model``)
reads the request, the ``rubric`` and both answers, and answers JSON ``{"better": "A" | "B" | "tie",
"reason": ...}``. It is asked twice, with the answers in both orders, to control position bias: a pair
is kept only when both verdicts name the same answer. Counted drops: ``same_answers`` (nothing to
rank), ``judge_tie``, ``judge_inconsistent`` (the verdict followed the order, not the answers),
``judge_<reason>`` when a verdict never came as valid JSON (``judge_invalid_output``) or the request
failed, ``llm_<reason>`` when an answer failed.
"""

from __future__ import annotations

from datatrove.data import Document

from babelforge import langs
from babelforge.augment.prefer import Ask, ask_of, model_name
from babelforge.llm.accounting import llm_usage
from babelforge.steps import Drop

ANSWER = "Answer the user's request in {language}, whatever language it is written in. Use {language} only."
RUBRIC = (
    "The better answer does what the request asks, is correct, is written entirely in {language} (the language "
    "the request expects), and reads fluently and naturally. Neither its length nor the order the answers are "
    "shown in is a reason to prefer an answer."
)
JUDGE = (
    "You judge two answers, A and B, to the same request. {rubric}\n"
    'Reply with only a JSON object: {{"better": "A", "B", or "tie" when neither is better, "reason": one sentence}}.'
)
SHOWN = "Request:\n{request}\n\n[Answer A]\n{a}\n\n[Answer B]\n{b}"
VERDICT = {
    "type": "object",
    "properties": {"better": {"enum": ["A", "B", "tie"]}, "reason": {"type": "string"}},
    "required": ["better"],
}


class JudgedPairs:
    """Answer twice, judge in both orders, keep the pairs the judge ranks the same way both times."""

    def __init__(self, step, model: str, model_b: str | None = None, judge: str | None = None,
                 rubric: str | None = None, temperature: float = 0.8, seed: int = 0, **_):  # fmt: skip
        self.step, self.answerers = step, (model, model_b or model)
        self.judge, self.rubric, self.temperature, self.seed = judge or model, rubric or RUBRIC, temperature, seed

    def make(self, docs: list[Document]) -> list[Document | Drop]:
        results: list[Document | Drop | None] = [None] * len(docs)
        asks: dict[int, Ask] = {}
        for i, doc in enumerate(docs):
            ask = ask_of(doc)
            if ask is None:
                results[i] = Drop("no_prompt", "a chat record with a user turn, or a text record with text")
            else:
                asks[i] = ask
        answers = self._answers(asks)
        for i, pair in answers.items():
            if isinstance(pair, Drop):
                results[i] = pair
        ranked = {i: pair for i, pair in answers.items() if not isinstance(pair, Drop)}
        for i, winner in self._verdicts(asks, ranked).items():
            results[i] = winner if isinstance(winner, Drop) else self._pair(docs[i], asks[i], ranked[i], *winner)
        return results

    def _answers(self, asks: dict[int, Ask]) -> dict[int, tuple[str, str] | Drop]:
        """Two answers per prompt, or the drop that says why there are not two different ones."""
        from babelforge.llm.client import Failure, Request

        sides = []
        for k, spec in enumerate(self.answerers, start=1):
            params = {"temperature": self.temperature, "seed": self.seed + k}  # two seeds: two answers, two cache keys
            requests = [Request(_answering(ask), params) for ask in asks.values()]
            client = self.step.client(spec)
            with llm_usage(self.step, client):
                sides.append(client.complete_many(requests) if requests else [])
        found: dict[int, tuple[str, str] | Drop] = {}
        for i, first, second in zip(asks, *sides, strict=True):
            failed = next((a for a in (first, second) if isinstance(a, Failure)), None)
            if failed is not None:
                found[i] = Drop(f"llm_{failed.reason}", failed.detail)
            elif not first.text.strip() or not second.text.strip():
                found[i] = Drop("llm_empty_answer")
            elif " ".join(first.text.casefold().split()) == " ".join(second.text.casefold().split()):
                found[i] = Drop("same_answers", "both answers are the same text")
            else:
                found[i] = (first.text.strip(), second.text.strip())
        return found

    def _verdicts(self, asks: dict[int, Ask], ranked: dict[int, tuple[str, str]]) -> dict[int, tuple | Drop]:
        """Per pair, ``(winner, loser, reasons)`` (indices 0 and 1 of its answers), or why it was dropped."""
        from babelforge.llm.client import Request

        requests = []
        for i, (one, two) in ranked.items():
            language = langs.resolve(asks[i].language).name
            system = JUDGE.format(rubric=self.rubric.format(language=language))
            request = _shown(asks[i].prompt)
            for a, b in ((one, two), (two, one)):
                user = SHOWN.format(request=request, a=a, b=b)
                messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
                requests.append(Request(messages, {"temperature": 0}, VERDICT))
        if not requests:
            return {}
        client = self.step.client(self.judge)
        with llm_usage(self.step, client):
            verdicts = client.complete_many(requests)
        return {i: decide(verdicts[2 * n], verdicts[2 * n + 1]) for n, i in enumerate(ranked)}

    def _pair(self, doc: Document, ask: Ask, answers: tuple[str, str], winner: int, loser: int, reasons: list):
        language = langs.resolve(ask.language).code
        made = [{"method": "llm_answer", "model": model_name(spec)} for spec in self.answerers]
        return self.step.pair(
            doc, ask.prompt, answers[winner], answers[loser], (language,) * 3, made[winner], made[loser],
            judge=model_name(self.judge), reasons=reasons,
        )  # fmt: skip


def decide(first, second) -> tuple[int, int, list] | Drop:
    """The winner and loser (0: the first answer, 1: the second) from the verdict with the answers in their
    order (``first``) and swapped (``second``); a drop when either failed, either is a tie, or they disagree."""
    from babelforge.llm.client import Failure

    for verdict in (first, second):
        if isinstance(verdict, Failure):
            return Drop(f"judge_{verdict.reason}", verdict.detail)
    better = (first.data["better"], second.data["better"])
    if "tie" in better:
        return Drop("judge_tie", f"verdicts {better[0]} (in order) and {better[1]} (swapped)")
    winner_first, winner_second = "AB".index(better[0]), "BA".index(better[1])
    if winner_first != winner_second:
        return Drop("judge_inconsistent", f"the answer shown as {better[0]} won both times: the order decided")
    reasons = [v.data.get("reason") for v in (first, second) if v.data.get("reason")]
    return winner_first, 1 - winner_first, reasons


def _answering(ask: Ask) -> list[dict]:
    """The prompt with the instruction to answer in its language first (merged into its own system turn)."""
    system = ANSWER.format(language=langs.resolve(ask.language).name)
    turns = list(ask.prompt)
    if turns and turns[0]["role"] == "system":
        system, turns = f"{system}\n\n{turns[0]['content']}", turns[1:]
    return [{"role": "system", "content": system}, *turns]


def _shown(prompt: list[dict]) -> str:
    """The request as the judge reads it: the user turn alone, or every turn with its role."""
    if len(prompt) == 1:
        return prompt[0]["content"]
    return "\n".join(f"{m['role']}: {m['content']}" for m in prompt)
