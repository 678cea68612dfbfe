from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from babelforge.projection.segment import fit_pieces, sentence_spans


def test_sentences_in_several_scripts():
    text = "Hello there. How are you? ሰላም ነው። 你好。我很好！नमस्ते। ठीक है।"
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    assert pieces == ["Hello there.", "How are you?", "ሰላም ነው።", "你好。", "我很好！", "नमस्ते।", "ठीक है।"]


@given(st.text(alphabet=st.sampled_from("ab .。 xyz"), min_size=1, max_size=200), st.integers(3, 40))
def test_pieces_fit_lose_nothing_and_keep_order(text, limit):
    pieces = fit_pieces(text, lambda piece: len(piece) > limit)
    assert all(e - s <= limit for s, e in pieces)
    assert "".join(text[s:e] for s, e in pieces).replace(" ", "") == text.replace(" ", "")
    assert all(a[1] <= b[0] for a, b in pairwise(pieces))
