"""Builders: read task corpora, mine bilingual documents and sentences, interleave them.

The readers behind manifest ``sources`` live in :mod:`babelforge.builders.readers`; mining and
interleaving steps register here.
"""

__all__: list[str] = []
