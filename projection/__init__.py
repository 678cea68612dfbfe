"""Projection: translate span-labelled data and carry the labels across.

Its steps (translators, constrained decoding, markers, alignment, span matching) register here.
"""

__all__: list[str] = []
