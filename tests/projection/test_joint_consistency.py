"""Term consistency across translated fields, on handmade cases whose answers are known."""

from hypothesis import given
from hypothesis import strategies as st

from babelforge.projection.content_words import content_words
from babelforge.projection.term_consistency import ConsistencyJudge, measure

QUESTION = "Which doctor treated the liver?"
CONTEXT = "The doctor from Kano treated the liver of the emir."


def test_content_words_leave_function_words_out():
    assert content_words(QUESTION, "eng_Latn") == ["doctor", "treated", "liver"]
    assert content_words("Der Arzt aus Kano hat die Leber behandelt.", "deu_Latn") == ["arzt", "kano", "leber",
                                                                                          "behandelt"]  # fmt: skip
    assert content_words("北京 ภาษาไทย 2014", "eng_Latn") == ["ภาษา", "ไทย"]  # Han alone and numbers: none


def test_the_same_rendering_in_both_fields_is_identical():
    result = measure(
        [QUESTION, CONTEXT],
        ["Wane likita ya yi maganin hanta?", "Likita daga Kano ya yi maganin hanta ta sarki."],
        "eng_Latn",
    )
    assert (result.shared, result.identical, result.undecided) == (3, 3, 0)  # doctor, treated (maganin), liver
    assert result.share == 1.0
    assert result.method == "heuristic"


def test_two_renderings_of_a_term_are_different():
    result = measure(
        [QUESTION, CONTEXT],
        ["Wane boka ya yi maganin kurciya?", "Likita daga Kano ya yi maganin hanta ta sarki."],
        "eng_Latn",
    )
    assert result.shared == 3
    assert len(result.different) == 2  # which two is positional guesswork ('maganin' is nearer 'liver' in place)
    assert result.share == 1 / 3
    assert result.to_dict()["share"] == 0.3333


def test_a_name_kept_in_every_field_is_identical_whatever_the_judge():
    sources = ["Where is Kano?", "Kano is a city."]
    result = measure(sources, ["Ina Kano take?", "Kano birni ne."], "eng_Latn", lexicon={})
    assert (result.shared, result.identical) == (1, 1)


def test_the_lexicon_judges_renderings_and_leaves_unknown_ones_undecided():
    lexicon = {"doctor": ["likita", "boka"], "liver": ["hanta"], "treated": ["warkar"]}
    result = measure(
        [QUESTION, CONTEXT],
        ["Wane boka ya yi maganin hanta?", "Likita daga Kano ya yi maganin hanta ta sarki."],
        "eng_Latn", lexicon=lexicon,
    )  # fmt: skip
    assert result.method == "lexicon"
    assert result.identical == 1  # liver: hanta in both
    assert result.different == ["doctor"]  # boka in one, likita in the other
    assert result.undecided == 1  # treated: the lexicon's 'warkar' is in neither
    assert result.share == 0.5


def test_an_aligner_decides_by_the_words_aligned_to_the_term():
    def align(source, target):  # a handmade monotone aligner: word i to word i
        return [(i, i) for i in range(min(len(source), len(target)))]

    sources = ["liver disease", "liver cells"]
    same = measure(sources, ["hanta cuta", "hanta sel"], "eng_Latn", align=align)
    other = measure(sources, ["hanta cuta", "kurciya sel"], "eng_Latn", align=align)
    assert (same.method, same.share, other.share, other.different) == ("aligner", 1.0, 0.0, ["liver"])


def test_text_without_words_to_pair_leaves_terms_undecided():
    result = measure([QUESTION, CONTEXT], ["哪位医生治疗了肝脏？", "来自卡诺的医生治疗了埃米尔的肝脏。"], "eng_Latn")
    assert result.shared == 3
    assert result.undecided == 3
    assert result.share is None


def test_the_judge_reads_the_dictionary_target_column(tmp_path):
    path = tmp_path / "multi.tsv"
    path.write_text("eng_Latn\thau_Latn\tfra_Latn\nliver\thanta\tfoie\n", encoding="utf-8")
    judge = ConsistencyJudge({"*": str(path)}, "hau_Latn")
    result = judge.measure(["liver", "the liver"], ["hanta", "kurciya"], "eng_Latn")
    assert (result.method, result.undecided, result.shared) == ("lexicon", 1, 1)


words = st.sampled_from(["doctor", "liver", "city", "blood", "the", "of", "Kano", "market", "river"])
fields = st.lists(st.lists(words, min_size=1, max_size=8).map(" ".join), min_size=2, max_size=4)


@given(fields, st.randoms(use_true_random=False))
def test_counts_add_up_and_an_untouched_copy_is_fully_consistent(sources, rnd):
    targets = [" ".join(rnd.sample(s.split(), len(s.split()))) for s in sources]
    result = measure(sources, targets, "eng_Latn")
    assert result.identical + result.undecided + len(result.different) == result.shared
    assert result.share is None or 0 <= result.share <= 1
    copied = measure(sources, sources, "eng_Latn")
    assert copied.identical == copied.shared
