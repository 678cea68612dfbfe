"""Rename or remove span labels (``MISC`` to nothing, ``PERSON`` to ``PER``)."""

from __future__ import annotations

from datatrove.data import Document

from babelforge.records import SPANS
from babelforge.spans import Span
from babelforge.steps.base import Drop, RecordStep


class MapLabels(RecordStep):
    """Map each span label through ``mapping``; a label mapped to ``None`` removes its spans.

    Labels absent from ``mapping`` are kept, unless ``drop_unmapped`` is set.

    Example:
        >>> from datatrove.data import Document
        >>> step = MapLabels({"MISC": None, "PERSON": "PER"})
        >>> doc = Document("Ada in Rome", "1", metadata={"spans": [(0, 3, "PERSON"), (7, 11, "MISC")]})
        >>> step.process(doc).metadata["spans"]
        [Span(start=0, end=3, label='PER')]
    """

    name = "map_labels"
    reads = (SPANS,)
    writes = (SPANS,)

    def __init__(self, mapping: dict[str, str | None], drop_unmapped: bool = False, drop_empty: bool = False):
        super().__init__()
        self.mapping = dict(mapping)
        self.drop_unmapped = drop_unmapped
        self.drop_empty = drop_empty

    def process(self, doc: Document) -> Document | Drop:
        spans = [Span(*s) for s in doc.metadata.get(SPANS, ())]
        kept = []
        for span in spans:
            label = self.mapping.get(span.label, None if self.drop_unmapped else span.label)
            if label is None:
                self.stat_update("spans_removed")
            else:
                kept.append(span._replace(label=label))
        if self.drop_empty and spans and not kept:
            return Drop("no_spans_left")
        if kept != spans:
            doc.metadata[SPANS] = kept
            self.note(doc, removed=len(spans) - len(kept))
        return doc
