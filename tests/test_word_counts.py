"""Steps that count words use the project's tokenizer, so text written without spaces counts right."""

from datatrove.data import Document

from babelforge.augment.dedup import NearDuplicates
from babelforge.steps.base import Drop
from babelforge.steps.length import LengthFilter


def test_length_counts_the_words_of_text_without_spaces():
    step = LengthFilter(min_tokens=3)
    assert not isinstance(step.process(Document("我们今天学习", "zh")), Drop)  # 6 Han words, no space
    assert isinstance(step.process(Document("สวัสดี", "th")), Drop)  # one Thai word
    assert step.process(Document("two words .", "en")) == Drop("too_few_tokens", "2 < 3")  # a lone dot is no word


def test_near_duplicates_of_chinese_are_found_by_their_words():
    near = NearDuplicates(0.8)
    assert not near.seen("我们今天在北京的大学里学习了很多新的知识和技能。")
    assert near.seen("我们今天在北京的大学里学习了很多新的知识和技能！")  # only the final mark differs
    assert not near.seen("他们明天去上海参观博物馆和美术馆。")
