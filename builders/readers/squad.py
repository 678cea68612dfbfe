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

from babelforge.builders.readers.base import RecordReader
from babelforge.builders.readers.files import EXTENSIONS
from babelforge.builders.readers.ranges import ByteRange
from babelforge.records import QUESTION, SPANS, TITLE
from babelforge.spans import Span

ANSWER = "ANSWER"


class SquadReader(RecordReader):
    """Questions of a SQuAD JSON file, numbered from 1 in file order (the number stands for a line).

    Each file is read whole by one task. A file that does not decode or parse, or has no ``data``
    list, is reported (``on_error: fail``) or counted once under ``unreadable_file`` with its name.
    """

    extensions = EXTENSIONS["squad"]

    def splittable(self, path: str) -> bool:
        return False

    def read_range(self, part: ByteRange) -> DocumentsPipeline:
        articles = self._articles(part.path)
        number = 0
        for article in articles or ():
            paragraphs = article.get("paragraphs", []) if isinstance(article, dict) else None
            if not isinstance(paragraphs, list):
                self.count_drop(
                    "malformed_input", self.malformed(part.path, number + 1, "articles with a paragraphs list")
                )
                continue
            for paragraph in paragraphs:
                for qa in _questions(paragraph):
                    number += 1
                    document = self._question(article, paragraph, qa, part.path, number)
                    if document is not None:
                        yield document

    def _articles(self, filepath: str) -> list | None:
        """The file's ``data`` list; ``None`` (counted, or raised) when the file does not decode or parse."""
        with self.open_bytes(filepath) as f:
            raw = f.read()
        self.position += len(raw)
        try:
            articles = json.loads(raw.decode(self.source.encoding))["data"]
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            problem = (
                f"line {line}: byte {error.start} is not {self.source.encoding} text (set the source's 'encoding')"
            )
        except json.JSONDecodeError as error:
            problem = f"line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})"
        except (KeyError, TypeError, RecursionError):
            problem = 'expected a SQuAD JSON object with a "data" list'
        else:
            if isinstance(articles, list):
                return articles
            problem = f'expected a SQuAD JSON object with a "data" list, got {type(articles).__name__}'
        self.unreadable(filepath, problem)
        return None

    def _question(self, article: dict, paragraph, qa, filepath: str, number: int):
        context = paragraph.get("context", "") if isinstance(paragraph, dict) else ""
        spans, problem = self._answers(context, qa.get("answers", [])) if isinstance(qa, dict) else ([], "")
        if problem or not isinstance(qa, dict) or not isinstance(qa.get("question"), str) or not context:
            expected = "a context, a question, and answers whose text occurs in the context"
            self.count_drop("malformed_input", self.malformed(filepath, number, expected, problem))
            return None
        document = self.make_document(
            context, filepath, number, **{SPANS: spans, QUESTION: qa["question"], TITLE: article.get("title", "")}
        )
        if qa.get("id"):
            document.id = str(qa["id"])
        return document

    def _answers(self, context: str, answers: list) -> tuple[list[Span], str]:
        spans: set[Span] = set()
        if not isinstance(answers, list):
            return [], f"answers {answers!r}"
        for answer in answers:
            text, start = (answer.get("text"), answer.get("answer_start")) if isinstance(answer, dict) else (None, None)
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


def _questions(paragraph) -> list:
    """A paragraph's questions; ``[None]`` (one malformed question) when the paragraph has no list of them."""
    questions = paragraph.get("qas", []) if isinstance(paragraph, dict) else None
    return questions if isinstance(questions, list) else [None]


def _nearest(context: str, text: str, near: int) -> int | None:
    """The start of the occurrence of ``text`` in ``context`` closest to ``near``, if any."""
    starts, at = [], context.find(text)
    while at != -1:
        starts.append(at)
        at = context.find(text, at + 1)
    return min(starts, key=lambda s: abs(s - near)) if starts else None
