"""SQuAD-format JSON (v1.1 and v2.0): one record per question, its answers as spans on the context.

``{"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text",
"answer_start"}], "is_impossible"}]}]}]}``. The context is the record's text; each distinct answer
is an ``ANSWER`` span; the question and title ride along in the metadata. An answer whose offset
does not point at its text is moved to the nearest place the text occurs (counted); one whose text
is nowhere in the context is malformed. Unanswerable questions (v2.0) keep no spans.
"""

from __future__ import annotations

import json

from datatrove.data import DocumentsPipeline

from babelforge.builders.readers.base import RecordReader, with_compression
from babelforge.records import QUESTION, SPANS, TITLE
from babelforge.spans import Span

ANSWER = "ANSWER"


class SquadReader(RecordReader):
    """Questions of a SQuAD JSON file, numbered from 1 in file order (the number stands for a line)."""

    extensions = with_compression(".json")

    def read_file(self, filepath: str) -> DocumentsPipeline:
        with self.open_text(filepath) as f:
            raw = f.read()
        self.position += len(raw)
        try:
            articles = json.loads(raw)["data"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            self.malformed(filepath, 1, 'a SQuAD JSON object with a "data" list', str(error)[:80])
            return
        number = 0
        for article in articles:
            for paragraph in article.get("paragraphs", []):
                context = paragraph.get("context", "")
                for qa in paragraph.get("qas", []):
                    number += 1
                    spans, problem = self._answers(context, qa.get("answers", []))
                    if problem or not isinstance(qa.get("question"), str) or not context:
                        expected = "a context, a question, and answers whose text occurs in the context"
                        self.count_drop("malformed_input", self.malformed(filepath, number, expected, problem))
                        continue
                    document = self.make_document(
                        context,
                        filepath,
                        number,
                        **{SPANS: spans, QUESTION: qa["question"], TITLE: article.get("title", "")},
                    )
                    if qa.get("id"):
                        document.id = str(qa["id"])
                    yield document

    def _answers(self, context: str, answers: list) -> tuple[list[Span], str]:
        spans: set[Span] = set()
        for answer in answers:
            text, start = answer.get("text"), answer.get("answer_start")
            if not isinstance(text, str) or not text or not isinstance(start, int):
                return [], f"answer {answer!r}"
            if context[start : start + len(text)] != text:
                found = _nearest(context, text, start)
                if found is None:
                    return [], f"answer {text!r} is not in the context"
                self.stat_update("answer_realigned")
                start = found
            spans.add(Span(start, start + len(text), ANSWER))
        return sorted(spans), ""


def _nearest(context: str, text: str, near: int) -> int | None:
    """The start of the occurrence of ``text`` in ``context`` closest to ``near``, if any."""
    starts, at = [], context.find(text)
    while at != -1:
        starts.append(at)
        at = context.find(text, at + 1)
    return min(starts, key=lambda s: abs(s - near)) if starts else None
