"""Names that a translation turned into common words are not projected (projection/name_case.py)."""

import pytest

from babelforge.projection.methods import make_projector
from babelforge.projection.name_case import REASON, drop_unnamed, is_unnamed
from babelforge.projection.projector import ProjectionInput
from babelforge.spans import Span

GERMAN = "Die belgischen Landwirte und die Deutsche Bundesregierung haben sich geeinigt ."


@pytest.mark.parametrize(
    ("source", "target", "text", "label", "unnamed"),
    [
        ("Belgium", "belgischen", GERMAN, "LOC", True),  # an adjective of the place
        ("Census Bureau", "folkbokföringsbyrån", "Enligt folkbokföringsbyrån .", "ORG", True),
        ("Earth", "земли", "Вокруг Земли и земли .", "loc", True),  # labels in any case
        ("European", "belgischen", GERMAN, "MISC", False),  # MISC holds adjectives by definition
        ("Danish", "belgischen", GERMAN, "NORP", False),
        ("German Government", "Deutsche Bundesregierung", GERMAN, "ORG", False),  # capitals kept
        ("German Government", "deutsche Bundesregierung", "die deutsche Bundesregierung", "ORG", False),
        ("the farmers", "belgischen", GERMAN, "LOC", False),  # the source is no name either
        ("the answer", "belgischen", GERMAN, "answer", False),  # not a name label
        ("Belgium", "belgischen", "die belgischen landwirte", "LOC", False),  # text lower-cased as a whole
        ("Belgium", "ბელგიის", "ბელგიის ფერმერები შეთანხმდნენ .", "LOC", False),  # Georgian: no capitals
        ("Belgium", "ბელგიის", "EU და ბელგიის ფერმერები .", "LOC", False),  # Latin capitals: not its script
        ("Tokyo", "東京", "東京 に 行った 。", "LOC", False),  # no case at all
        ("Paris", "2024", "Paris 2024", "LOC", False),  # no letters with case in the span
    ],
)
def test_is_unnamed(source, target, text, label, unnamed):
    assert is_unnamed(source, target, text, label) is unnamed


def test_drop_unnamed_says_how_many_and_keeps_the_rest():
    source = "Belgium and the German Government agreed ."
    spans = [Span(0, 7, "LOC"), Span(16, 33, "ORG")]
    projected = [Span(4, 14, "LOC"), Span(33, 57, "ORG")]
    assert GERMAN[4:14] == "belgischen"
    assert GERMAN[33:57] == "Deutsche Bundesregierung"
    kept, reason = drop_unnamed(source, spans, GERMAN, projected, "earlier")
    assert kept == [None, projected[1]]
    assert reason == f"earlier; {REASON}: 1"
    assert drop_unnamed(source, spans, GERMAN, [None, projected[1]]) == ([None, projected[1]], "")


def test_best_does_not_project_a_name_onto_its_adjective():
    source = "The presidency and the farmers of Belgium have agreed ."
    target = "Die Ratspräsidentschaft und die belgischen Landwirte haben sich geeinigt ."
    span = Span(source.index("Belgium"), source.index("Belgium") + 7, "LOC")
    result = make_projector("best").project([ProjectionInput(source, [span], target)])[0]
    assert result.spans == [None]
    assert result.status == "failed"
    assert REASON in result.reason
