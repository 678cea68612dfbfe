"""Augment: code-mixing, cross-lingual instructions and quality gates.

Its steps register here.
"""

__all__: list[str] = []
