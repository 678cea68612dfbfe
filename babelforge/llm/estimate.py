"""What a manifest's LLM steps will cost, before running it.

For each LLM step, a sample of the source records goes through the step's own code with a
recording client (:mod:`babelforge.llm.recording`): nothing is sent, and the requests are exactly
those the run would send. Their prompt tokens are counted with the model's tokenizer
(:mod:`babelforge.llm.tokens`: low-resource languages often take several times more tokens per word
than English, which a words-times-1.3 rule misses). How long the answers will be is measured on a
pilot, or on answers already cached, or assumed (:mod:`babelforge.llm.calibrate`); an assumed
length comes with the worst case, every answer as long as ``max_tokens``. Requests already in the
cache cost nothing. The sample is scaled to the records the sources hold.

Records are counted as read from the sources: steps before the LLM step that drop or multiply
records are not run.
"""

from __future__ import annotations

import copy
import hashlib
import heapq
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
    measured: bool = False
    worst_usd: float | None = None
    pilot_failed: str = ""

    @property
    def guarded_usd(self) -> float:
        """What ``confirm_above`` compares: the estimate when answers were measured, else the worst case."""
        return self.cost_usd if self.measured or self.worst_usd is None else max(self.cost_usd, self.worst_usd)

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
            + self._unmeasured()
        )

    def _unmeasured(self) -> str:
        if self.measured or self.pilot_failed:
            return ""
        worst = (
            "" if self.worst_usd is None else f"; at most ~{usd(self.worst_usd)} USD if every answer reaches max_tokens"
        )
        return (
            f"{worst}; answers not measured: --pilot 20 sends 20 requests (cached, reused by the run) to measure them"
        )


def usd(amount: float) -> str:
    """``12.3457``, or six decimals below a cent (``0.000042``)."""
    return f"{amount:,.4f}" if amount >= 0.01 or amount == 0 else f"{amount:.6f}"


def estimate_step_costs(manifest: ManifestBase, sample: int = 50, pilot: int = 0, seed: int = 0) -> list[StepCost]:
    """Estimate requests, tokens and cost of each LLM step of ``manifest``.

    Args:
        manifest: a validated manifest.
        sample: records drawn (by a seeded hash of their position) from the sources to price.
        pilot: real requests per step sent to measure answer lengths (cached; 0 sends nothing, and
            answers an earlier pilot or run left in the cache are used instead).
        seed: the draws' seed.

    Returns:
        One :class:`StepCost` per step that talks to an LLM, in manifest order.
    """
    from babelforge.pipeline import BuildContext, work_dir_for

    ctx = BuildContext(manifest, work_dir_for(manifest.output.path))
    steps = [(i, s) for i, s in enumerate(manifest.step_settings) if _is_llm(s)]
    if not steps:
        return []
    try:
        records, (docs, pilot_docs) = _sample(manifest, (sample, max(pilot, PILOT_LOOKUP)), seed)
    except Exception as error:  # noqa: BLE001 - a source that cannot be read here leaves no estimate, said so
        unread = f"the sources could not be read ({type(error).__name__}: {error})"
        return [_estimate(i, settings, ctx, ([], []), 0, pilot, unread) for i, settings in steps]
    return [_estimate(i, settings, ctx, (docs, pilot_docs), records, pilot) for i, settings in steps]


#: Records of the pilot draw looked up in the cache when no pilot is sent.
PILOT_LOOKUP = 50


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
    over = [c for c in costs if c.confirm_above is not None and c.guarded_usd > c.confirm_above]
    if not over:
        return
    what = "; ".join(f"{c.label} {_guarded(c)} > confirm_above {usd(c.confirm_above)}" for c in over)
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not interactive:
        raise BabelforgeError(
            f"estimated LLM cost above llm.confirm_above ({what}) and no terminal to confirm on: "
            "run from a terminal to confirm, pass --yes to approve it, or raise confirm_above"
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
    costs = estimate_step_costs(manifest)  # no pilot: answers measured only where cached, else the worst case
    confirm_costs(costs, interactive, ask)
    return costs


def _guarded(cost: StepCost) -> str:
    if cost.guarded_usd == cost.cost_usd:
        return f"~{usd(cost.cost_usd)} USD"
    return (
        f"up to ~{usd(cost.guarded_usd)} USD with answers unmeasured (babelforge llm estimate MANIFEST --pilot 20 "
        "measures them)"
    )


def _is_llm(settings) -> bool:
    from babelforge.llm.options import SCHEME, LLMOptions

    model = getattr(settings, "model", None)
    return (
        isinstance(getattr(settings, "llm", None), LLMOptions) and isinstance(model, str) and model.startswith(SCHEME)
    )


def _sample(manifest: ManifestBase, sizes: tuple[int, ...], seed: int):
    """``(records in all, one sample per size)``: every source read once.

    Sample ``i`` holds the ``sizes[i]`` records of smallest hash under seed ``seed + i``: the draws are
    independent of each other, and a smaller draw under one seed is part of every larger one (so a
    pilot of 20 answers is found again by a later estimate that looks at 20 or more).
    """
    heaps: list[list] = [[] for _ in sizes]
    seen = 0
    tasks = getattr(manifest.executor, manifest.executor.use).tasks
    for index, source in enumerate(manifest.sources):
        read = 0
        for doc in source.reader(index).run(None, 0, 1):
            for offset, (heap, size) in enumerate(zip(heaps, sizes, strict=True)):
                _keep(heap, size, _priority(seed + offset, index, read), seen, doc)
            read += 1
            seen += 1
        if source.limit > 0 and read >= source.limit:
            seen += read * (tasks - 1)  # the limit holds per task
    return seen, [[doc for *_, doc in sorted(heap, reverse=True)] for heap in heaps]


def _priority(seed: int, source: int, position: int) -> int:
    digest = hashlib.blake2b(f"{seed}:{source}:{position}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _keep(heap: list, size: int, priority: int, order: int, doc) -> None:
    """Keep the ``size`` smallest priorities (a max-heap of negated ones); ``order`` breaks ties."""
    if size <= 0:
        return
    if len(heap) < size:
        heapq.heappush(heap, (-priority, -order, doc))
    elif -priority > heap[0][0]:
        heapq.heapreplace(heap, (-priority, -order, doc))


def _estimate(index: int, settings, ctx, draws: tuple[list, list], records: int, pilot: int, unread: str = ""):
    from babelforge.llm.calibrate import answer_length
    from babelforge.llm.options import parse_spec
    from babelforge.llm.tokens import token_counter

    options = settings.llm
    model, _ = parse_spec(settings.model)
    counter = token_counter(model, options.tokenizer)
    client = options.real_client(settings.model)
    base = dict(index=index, kind=settings.kind, model=model, endpoint=client.base_url, records=records,
                tokenizer=counter.name, exact_tokens=counter.exact, confirm_above=options.confirm_above)  # fmt: skip
    if unread:
        return _empty(base, unread)
    docs, pilot_docs = draws
    try:
        asked = _requests(settings, ctx, docs)
        piloted = [r.request for r in _requests(settings, ctx, pilot_docs)]
    except Exception as error:  # noqa: BLE001 - an estimate must not stop a dry run; it says why it has none
        return _empty(base, f"the step failed on the sample ({type(error).__name__}: {error})")
    if not docs or not asked:
        return _empty(base, "no records to sample" if not docs else "the sample made no LLM request")
    cached = [client.cache is not None and client.cache.get(client.key(r.request)) is not None for r in asked]
    # A pilot tries each request twice at most: a dead endpoint is reported in seconds, not after every back-off.
    sender = options.model_copy(update={"max_retries": min(options.max_retries, 1)}).real_client(settings.model)
    length = answer_length(sender if pilot else client, counter, piloted, pilot)  # the pilot is part of the run
    return _price(base, client, counter, asked, cached, len(docs), length, options)


def _requests(settings, ctx, docs: list) -> list:
    """The requests the step sends for ``docs``, recorded (nothing is sent)."""
    from babelforge.llm.recording import recording

    with recording() as recorder:
        built = settings.build(ctx)
        for step in built if isinstance(built, list) else [built]:
            if hasattr(step, "rejects_folder"):
                step.rejects_folder = None
            for _ in step.run(iter(copy.deepcopy(docs)), 0, 1):
                pass
    return [r for r in recorder.requests if r.spec == settings.model]


def _empty(base: dict, note: str) -> StepCost:
    return StepCost(**base, sampled=0, requests=0, cached=0, prompt_tokens=0, completion_tokens=0, cost_usd=0.0,
                    output="-", note=note)  # fmt: skip


def _price(base, client, counter, asked, cached: list[bool], sampled: int, length, options) -> StepCost:
    from babelforge.llm.calibrate import last_user

    prompt = completion = 0
    cost, worst = 0.0, 0.0
    bounded = True
    discount = options.batch_discount if options.batch else 1.0
    for recorded, hit in zip(asked, cached, strict=True):
        if hit:
            continue
        p = round(length.prompt_scale * counter.count_messages(recorded.request.messages))
        c = round(length.completion(counter.count(last_user(recorded.request.messages))))
        limit = client.sent_params(recorded.request).get("max_tokens")
        c = min(c, int(limit)) if limit else c
        bounded = bounded and bool(limit)
        prompt, completion = prompt + p, completion + c
        cost += client.ledger.price(client.model, p, c, discount)
        worst += client.ledger.price(client.model, p, int(limit or 0), discount)
    scale = base["records"] / sampled
    return StepCost(
        **base, sampled=sampled, requests=round(len(asked) * scale), cached=round(sum(cached) * scale),
        prompt_tokens=round(prompt * scale), completion_tokens=round(completion * scale), cost_usd=cost * scale,
        output=length.how, measured=length.measured, worst_usd=worst * scale if bounded else None,
        pilot_failed=length.failed,
    )  # fmt: skip
