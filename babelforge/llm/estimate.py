"""What a manifest's LLM steps will cost, before running it.

For each LLM step, a sample of the source records goes through the step's own code with a
recording client (:mod:`babelforge.llm.recording`): nothing is sent, and the requests are exactly
those the run would send. Their prompt tokens are counted with the model's tokenizer
(:mod:`babelforge.llm.tokens`: low-resource languages often take several times more tokens per word
than English, which a words-times-1.3 rule misses). Completion tokens are either *assumed* as many
as the text the request carries (right for translation and rewriting), or *measured* on ``pilot``
real requests (sent and cached, so the run does not pay for them twice). Requests already in the
cache cost nothing. The sample is scaled to the records the sources hold.

Records are counted as read from the sources: steps before the LLM step that drop or multiply
records are not run.
"""

from __future__ import annotations

import copy
import random
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from babelforge.errors import BabelforgeError

if TYPE_CHECKING:
    from babelforge.manifest import ManifestBase


@dataclass(frozen=True)
class StepCost:
    """The estimate for one LLM step (``index`` into the manifest's ``steps``)."""

    index: int
    kind: str
    model: str
    endpoint: str
    records: int
    sampled: int
    requests: int
    cached: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    tokenizer: str
    exact_tokens: bool
    output: str
    confirm_above: float | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return f"steps[{self.index}].{self.kind}"

    def line(self) -> str:
        """One printable line, e.g. for ``babelforge run --dry-run``."""
        if self.note and not self.sampled:
            return f"llm {self.label} ({self.model}): no estimate: {self.note}"
        tokens = "" if self.exact_tokens else ", inexact"
        return (
            f"llm {self.label} ({self.model} at {self.endpoint}): ~{self.requests:,} request(s) "
            f"({self.cached:,} cached) for {self.records:,} record(s), ~{self.prompt_tokens:,} prompt + "
            f"~{self.completion_tokens:,} completion tokens, ~{usd(self.cost_usd)} USD "
            f"(tokens: {self.tokenizer}{tokens}; output {self.output}; from {self.sampled} sampled record(s))"
        )


def usd(amount: float) -> str:
    """``12.3457``, or six decimals below a cent (``0.000042``)."""
    return f"{amount:,.4f}" if amount >= 0.01 or amount == 0 else f"{amount:.6f}"


def estimate_step_costs(manifest: ManifestBase, sample: int = 50, pilot: int = 0, seed: int = 0) -> list[StepCost]:
    """Estimate requests, tokens and cost of each LLM step of ``manifest``.

    Args:
        manifest: a validated manifest.
        sample: records drawn (evenly, by a seeded draw) from the sources to run the steps on.
        pilot: real requests per step sent to measure answer lengths (cached; 0 sends nothing).
        seed: the sample's draw.

    Returns:
        One :class:`StepCost` per step that talks to an LLM, in manifest order.
    """
    from babelforge.pipeline import BuildContext, work_dir_for

    ctx = BuildContext(manifest, work_dir_for(manifest.output.path))
    steps = [(i, s) for i, s in enumerate(manifest.step_settings) if _is_llm(s)]
    if not steps:
        return []
    try:
        records, docs = _sample(manifest, sample, seed)
    except Exception as error:  # noqa: BLE001 - a source that cannot be read here leaves no estimate, said so
        records, docs = 0, []
        unread = f"the sources could not be read ({type(error).__name__}: {error})"
        return [_estimate(i, settings, ctx, docs, records, pilot, unread) for i, settings in steps]
    return [_estimate(i, settings, ctx, docs, records, pilot) for i, settings in steps]


def cost_lines(costs: list[StepCost]) -> list[str]:
    """Printable lines: one per step and a total."""
    lines = [cost.line() for cost in costs]
    if len(costs) > 1:
        lines.append(f"llm total: ~{usd(sum(c.cost_usd for c in costs))} USD")
    return lines


def confirm_costs(costs: list[StepCost], interactive: bool | None = None, ask=input) -> None:
    """Ask before a run whose estimate exceeds a step's ``llm.confirm_above``.

    Args:
        costs: from :func:`estimate_step_costs`.
        interactive: whether a person can answer (default: stdin and stdout are terminals).
        ask: reads the answer (``input`` by default).

    Raises:
        BabelforgeError: the person said no, or nobody can be asked (one clear line).
    """
    over = [c for c in costs if c.confirm_above is not None and c.cost_usd > c.confirm_above]
    if not over:
        return
    what = "; ".join(f"{c.label} ~{usd(c.cost_usd)} USD > confirm_above {usd(c.confirm_above)}" for c in over)
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not interactive:
        raise BabelforgeError(
            f"estimated LLM cost above llm.confirm_above ({what}) and no terminal to confirm on: "
            "raise confirm_above, or run from a terminal to confirm"
        )
    answer = ask(f"Estimated LLM cost above llm.confirm_above ({what}). Run anyway? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise BabelforgeError(f"run cancelled: estimated LLM cost above llm.confirm_above ({what})")


def check_llm_costs(manifest: ManifestBase, interactive: bool | None = None, ask=input) -> list[StepCost]:
    """Estimate and confirm, only where a step sets ``llm.confirm_above`` (else nothing is read).

    Returns:
        The estimates made (empty when no step asks for confirmation).

    Raises:
        BabelforgeError: as :func:`confirm_costs`.
    """
    if not any(_is_llm(s) and s.llm.confirm_above is not None for s in manifest.step_settings):
        return []
    costs = estimate_step_costs(manifest)
    confirm_costs(costs, interactive, ask)
    return costs


def _is_llm(settings) -> bool:
    from babelforge.llm.options import SCHEME, LLMOptions

    model = getattr(settings, "model", None)
    return (
        isinstance(getattr(settings, "llm", None), LLMOptions) and isinstance(model, str) and model.startswith(SCHEME)
    )


def _sample(manifest: ManifestBase, size: int, seed: int):
    """``(records in all, a seeded sample of them)``: every source read once, a reservoir kept."""
    draw = random.Random(seed)
    kept, seen = [], 0
    tasks = getattr(manifest.executor, manifest.executor.use).tasks
    for index, source in enumerate(manifest.sources):
        read = 0
        for doc in source.reader(index).run(None, 0, 1):
            read += 1
            seen += 1
            if len(kept) < size:
                kept.append(doc)
            elif (slot := draw.randrange(seen)) < size:
                kept[slot] = doc
        if source.limit > 0 and read >= source.limit:
            seen += read * (tasks - 1)  # the limit holds per task
    return seen, kept


def _estimate(index: int, settings, ctx, docs, records: int, pilot: int, unread: str = "") -> StepCost:
    from babelforge.llm.options import parse_spec
    from babelforge.llm.recording import recording
    from babelforge.llm.tokens import token_counter

    options = settings.llm
    model, _ = parse_spec(settings.model)
    counter = token_counter(model, options.tokenizer)
    client = options.real_client(settings.model)
    base = dict(index=index, kind=settings.kind, model=model, endpoint=client.base_url, records=records,
                tokenizer=counter.name, exact_tokens=counter.exact, confirm_above=options.confirm_above)  # fmt: skip
    if unread:
        return _empty(base, unread)
    try:
        with recording() as recorder:
            built = settings.build(ctx)
            for step in built if isinstance(built, list) else [built]:
                if hasattr(step, "rejects_folder"):
                    step.rejects_folder = None
                for _ in step.run(iter(copy.deepcopy(docs)), 0, 1):
                    pass
    except Exception as error:  # noqa: BLE001 - an estimate must not stop a dry run; it says why it has none
        return _empty(base, f"the step failed on the sample ({type(error).__name__}: {error})")
    asked = [r for r in recorder.requests if r.spec == settings.model]
    if not docs or not asked:
        return _empty(base, "no records to sample" if not docs else "the sample made no LLM request")
    return _price(base, client, counter, asked, len(docs), records, pilot, options)


def _empty(base: dict, note: str) -> StepCost:
    return StepCost(**base, sampled=0, requests=0, cached=0, prompt_tokens=0, completion_tokens=0, cost_usd=0.0,
                    output="-", note=note)  # fmt: skip


def _price(base, client, counter, asked, sampled: int, records: int, pilot: int, options) -> StepCost:
    from babelforge.llm.client import Request

    keys = [client.key(r.request) for r in asked]
    cached = [client.cache is not None and client.cache.get(k) is not None for k in keys]
    prompt_scale, ratio, output = _calibrate(client, counter, [r.request for r in asked], pilot)
    prompt = completion = 0
    cost = 0.0
    discount = options.batch_discount if options.batch else 1.0
    for recorded, hit in zip(asked, cached, strict=True):
        if hit:
            continue
        request: Request = recorded.request
        p = round(prompt_scale * counter.count_messages(request.messages))
        c = round(ratio * counter.count(_last_user(request.messages)))
        if recorded.params.get("max_tokens"):
            c = min(c, int(recorded.params["max_tokens"]))
        prompt, completion = prompt + p, completion + c
        cost += client.ledger.price(client.model, p, c, discount)
    scale = records / sampled
    return StepCost(
        **base, sampled=sampled, requests=round(len(asked) * scale), cached=round(sum(cached) * scale),
        prompt_tokens=round(prompt * scale), completion_tokens=round(completion * scale), cost_usd=cost * scale,
        output=output,
    )  # fmt: skip


def _calibrate(client, counter, requests: list, pilot: int) -> tuple[float, float, str]:
    """``(prompt scale, completion tokens per token of the text sent, how it was found)``.

    Without a pilot: the counter's prompt count as is, answers as long as the text sent. With one:
    both measured against the endpoint's own usage on ``pilot`` real requests (cached answers and
    answers without usage are counted with the tokenizer instead).
    """
    if pilot <= 0:
        return 1.0, 1.0, "assumed as long as the text sent"
    tried = requests[:pilot]
    before = client.ledger.to_dict()
    try:
        answers = client.complete_many(tried)
    except BabelforgeError as error:  # a budget too small even for the pilot
        return 1.0, 1.0, f"assumed as long as the text sent (no pilot: {error})"
    after = client.ledger.to_dict()
    fresh = [(r, a) for r, a in zip(tried, answers, strict=True) if _ok(a) and not a.cached]
    billed = after["requests"] - before["requests"]
    if fresh and billed == len(fresh) and after["estimated_requests"] == before["estimated_requests"]:
        prompt_scale = (after["prompt_tokens"] - before["prompt_tokens"]) / max(
            1, sum(counter.count_messages(r.messages) for r, _ in fresh)
        )
        got = after["completion_tokens"] - before["completion_tokens"]
    else:
        fresh = [(r, a) for r, a in zip(tried, answers, strict=True) if _ok(a)]
        prompt_scale, got = 1.0, sum(counter.count(a.text) for _, a in fresh)
    sent = sum(counter.count(_last_user(r.messages)) for r, _ in fresh)
    if not sent:
        return 1.0, 1.0, f"assumed as long as the text sent (the {len(tried)} pilot request(s) got no answer)"
    return prompt_scale, got / sent, f"measured on {len(tried)} pilot request(s): {got / sent:.2f} per token sent"


def _ok(answer) -> bool:
    from babelforge.llm.client import Completion

    return isinstance(answer, Completion)


def _last_user(messages: list[dict]) -> str:
    users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
    return str(users[-1]) if users else ""
