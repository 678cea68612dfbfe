import pytest
from hypothesis import given
from hypothesis import strategies as st

from babelforge.spans import (
    Span,
    convert_tags,
    join_tokens,
    spans_to_tags,
    split_tag,
    tag_names,
    tags_to_spans,
    tokenize,
)

# Emoji (with ZWJ sequences and flags), CJK, Thai, Arabic, Hebrew, Devanagari, combining marks.
HARD = "a😀👩‍👩‍👧🇧🇷中文字สวัสดีمرحباשלוםहिन्दीé\u0301\u200d\u200cÅß"
TOKEN = st.text(alphabet=st.sampled_from(HARD), min_size=1, max_size=6)
LABELS = st.sampled_from(["PER", "LOC", "ORG"])


@st.composite
def tagged_sentence(draw):
    tokens = draw(st.lists(TOKEN, min_size=1, max_size=12))
    tags, i = [], 0
    while i < len(tokens):
        if draw(st.booleans()):
            length = draw(st.integers(1, len(tokens) - i))
            label = draw(LABELS)
            tags += [f"B-{label}"] + [f"I-{label}"] * (length - 1)
            i += length
        else:
            tags.append("O")
            i += 1
    return tokens, tags


@given(tagged_sentence())
def test_bio_round_trip_on_hard_scripts(sentence):
    tokens, tags = sentence
    text, offsets = join_tokens(tokens)
    spans = tags_to_spans(tags, offsets)
    assert spans_to_tags(spans, offsets, "BIO") == (tags, [])
    for span in spans:
        first = next(i for i, (s, _) in enumerate(offsets) if s == span.start)
        last = next(i for i, (_, e) in enumerate(offsets) if e == span.end)
        assert text[span.start : span.end] == " ".join(tokens[first : last + 1])


@given(tagged_sentence(), st.sampled_from(["IOB1", "BIOES"]))
def test_every_scheme_round_trips_through_spans(sentence, scheme):
    tokens, tags = sentence
    _, offsets = join_tokens(tokens)
    spans = tags_to_spans(tags, offsets)
    other = spans_to_tags(spans, offsets, scheme).tags
    assert tags_to_spans(other, offsets) == spans
    assert convert_tags(other, "BIO") == tags


@given(st.lists(TOKEN, min_size=1, max_size=10), st.data())
def test_tokenize_makes_any_disjoint_span_expressible(tokens, data):
    text = " ".join(tokens)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=6)))
    spans = [
        Span(a, b, "X")
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
        if a < b and not text[a].isspace() and not text[b - 1].isspace() and text[a:b].strip()
    ]
    offsets = tokenize(text, spans)
    assert all(text[s:e] and not any(c.isspace() for c in text[s:e]) for s, e in offsets)
    assert spans_to_tags(spans, offsets).kept_aside == []


def test_nested_and_overlapping_spans_are_kept_aside():
    _, offsets = join_tokens(["University", "of", "Rome", "staff"])
    outer, inner, overlap = Span(0, 18, "ORG"), Span(14, 18, "LOC"), Span(11, 24, "MISC")
    result = spans_to_tags([inner, outer, overlap], offsets, "BIO")
    assert result.tags == ["B-ORG", "I-ORG", "I-ORG", "O"]
    assert result.kept_aside == [overlap, inner]


def test_iob1_uses_b_only_between_adjacent_same_label_spans():
    _, offsets = join_tokens(["Ada", "Lovelace", "Babbage", "met"])
    spans = [Span(0, 12, "PER"), Span(13, 20, "PER")]
    assert spans_to_tags(spans, offsets, "IOB1").tags == ["I-PER", "I-PER", "B-PER", "O"]
    assert spans_to_tags(spans, offsets, "BIOES").tags == ["B-PER", "E-PER", "S-PER", "O"]


def test_lenient_parsing_like_conlleval():
    _, offsets = join_tokens(["a", "b", "c", "d"])
    assert tags_to_spans(["I-PER", "I-LOC", "O", "U-ORG"], offsets) == [
        Span(0, 1, "PER"),
        Span(2, 3, "LOC"),
        Span(6, 7, "ORG"),
    ]


@pytest.mark.parametrize("bad", ["B", "X-PER", "B-", "per"])
def test_malformed_tags_are_rejected(bad):
    with pytest.raises(ValueError, match="invalid tag"):
        split_tag(bad)


def test_tag_inventory_is_ordered_and_complete():
    assert tag_names(["PER", "LOC"]) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert len(tag_names(["PER"], "BIOES")) == 5
