"""Keep records whose length, in characters or words, lies within bounds."""

from __future__ import annotations

from datatrove.data import Document

from babelforge.records import TOKEN_OFFSETS
from babelforge.steps.base import Drop, RecordStep
from babelforge.words import words


class LengthFilter(RecordStep):
    """Drop records shorter or longer than the bounds (``None`` means unbounded).

    Tokens are the record's own tokens when it has them (CoNLL input), else the words of
    :func:`babelforge.words.words` (so Chinese or Thai text counts its words, not its spaces).

    Example:
        >>> from datatrove.data import Document
        >>> LengthFilter(min_tokens=3).process(Document("too short", "1"))
        Drop(reason='too_few_tokens', detail='2 < 3')
    """

    name = "filter_length"
    reads = (TOKEN_OFFSETS,)

    def __init__(
        self,
        min_tokens: int | None = None,
        max_tokens: int | None = None,
        min_chars: int | None = None,
        max_chars: int | None = None,
    ):
        super().__init__()
        self.min_tokens, self.max_tokens = min_tokens, max_tokens
        self.min_chars, self.max_chars = min_chars, max_chars

    def process(self, doc: Document) -> Document | Drop:
        offsets = doc.metadata.get(TOKEN_OFFSETS)
        tokens = len(offsets) if offsets is not None else len(words(doc.text))
        for value, low, high, unit in (
            (tokens, self.min_tokens, self.max_tokens, "tokens"),
            (len(doc.text), self.min_chars, self.max_chars, "chars"),
        ):
            if low is not None and value < low:
                return Drop(f"too_few_{unit}", f"{value} < {low}")
            if high is not None and value > high:
                return Drop(f"too_many_{unit}", f"{value} > {high}")
        return doc
