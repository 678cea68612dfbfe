from itertools import pairwise

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


@given(
    st.lists(st.text(alphabet=st.sampled_from(HARD + " "), max_size=4), max_size=8), st.sampled_from([" ", "", " | "])
)
def test_join_tokens_offsets_slice_the_tokens_back(tokens, sep):
    text, offsets = join_tokens(tokens, sep)
    assert text == sep.join(tokens)
    assert [text[start:end] for start, end in offsets] == tokens
    assert all(b[0] - a[1] == len(sep) for a, b in pairwise(offsets))


@st.composite
def spans_on_tokens(draw):
    """Token offsets (sorted, some tokens empty) and sorted, disjoint spans: aligned to tokens or not, empty or not."""
    lengths = draw(st.lists(st.integers(0, 3), min_size=1, max_size=10))
    _, offsets = join_tokens(["x" * n for n in lengths])
    end = offsets[-1][1] + 1
    bounds = sorted(draw(st.lists(st.integers(0, end), max_size=8)))
    labels = draw(st.lists(LABELS, min_size=len(bounds), max_size=len(bounds)))
    spans = [Span(a, b, label) for a, b, label in zip(bounds[::2], bounds[1::2], labels, strict=False)]
    return spans, offsets


@given(spans_on_tokens(), st.sampled_from(["BIO", "IOB1", "BIOES"]))
def test_sorted_disjoint_spans_tag_as_the_general_path_does(case, scheme):
    from babelforge.spans import _tag_with_owners

    spans, offsets = case
    assert spans_to_tags(spans, offsets, scheme) == _tag_with_owners(spans, offsets, scheme)


@given(spans_on_tokens(), st.sampled_from(["BIO", "IOB1", "BIOES"]), st.randoms(use_true_random=False))
def test_spans_on_tokens_out_of_order_tag_as_the_general_path_does(case, scheme, random):
    from babelforge.spans import _tag_with_owners

    spans, offsets = case
    random.shuffle(offsets)  # not what the offsets should be, but the answer must not depend on the path taken
    assert spans_to_tags(spans, offsets, scheme) == _tag_with_owners(spans, offsets, scheme)


def test_adjacent_spans_of_one_label_and_sentences_without_entities():
    _, offsets = join_tokens(["Ada", "Bob", "Cy", "met"])
    spans = [Span(0, 3, "PER"), Span(4, 7, "PER"), Span(8, 10, "LOC")]
    assert spans_to_tags(spans, offsets, "BIO").tags == ["B-PER", "B-PER", "B-LOC", "O"]
    assert spans_to_tags(spans, offsets, "IOB1").tags == ["I-PER", "B-PER", "I-LOC", "O"]
    assert spans_to_tags(spans, offsets, "BIOES").tags == ["S-PER", "S-PER", "S-LOC", "O"]
    assert tags_to_spans(("O", "O", "O", "O"), offsets) == []
    assert tags_to_spans([], []) == []


def test_token_offsets_read_back_from_json_as_lists_tag_as_tuples_do():
    import json

    offsets = [(0, 3), (4, 9), (10, 14)]
    spans = [Span(4, 14, "LOC")]
    as_lists = json.loads(json.dumps(offsets))
    assert spans_to_tags(spans, as_lists, "BIO") == spans_to_tags(spans, offsets, "BIO")
    assert spans_to_tags(spans, as_lists, "BIO").tags == ["O", "B-LOC", "I-LOC"]
