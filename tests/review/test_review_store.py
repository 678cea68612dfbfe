"""The review database: items from an output, decisions committed as made, overlap, sampling."""

from __future__ import annotations

import sqlite3

import pytest
from kit.hard_scripts import RECORDS

from babelforge.errors import ReviewError
from babelforge.review import ReviewStore, default_db, open_review, stratified_sample


def test_items_keep_text_and_spans_of_every_row(review_output):
    store, manifest = open_review(review_output)
    by_id = {store.item(n)["id"].split("/", 1)[1]: store.item(n) for n in store.item_numbers()}
    assert set(by_id) == {r["id"] for r in RECORDS}
    for record in RECORDS:
        item = by_id[record["id"]]
        assert item["text"] == record["text"]
        assert sorted(item["spans"]) == sorted(record["spans"])
    assert manifest["name"] == "hard-scripts"


def test_database_is_wal_and_each_decision_is_visible_to_another_connection(review_output):
    store, _ = open_review(review_output)
    assert store._query("PRAGMA journal_mode")[0][0] == "wal"
    n = store.next_item("ann")
    store.decide(n, "ann", "accept", spans=[[0, 2, "PER"]])
    other = sqlite3.connect(store.path)  # as a second process would see it, without closing the first
    assert other.execute("SELECT decision, spans FROM decisions").fetchall() == [("accept", '[[0, 2, "PER"]]')]


def test_restart_resumes_where_each_annotator_stopped(review_output):
    store, _ = open_review(review_output)
    first = store.next_item("ann")
    store.decide(first, "ann", "accept")
    store.close()
    store, _ = open_review(review_output)
    assert store.next_item("ann") != first
    assert store.progress("ann") == {"total": len(RECORDS), "done": 1, "mine": 1}


def test_overlap_serves_each_item_to_n_annotators_then_closes_it(review_output):
    store, _ = open_review(review_output, overlap=2)
    n = store.next_item("ann")
    assert store.next_item("bob") == n  # overlap 2: the claim of one leaves room for a second
    assert store.next_item("cy") != n  # but not a third
    store.decide(n, "ann", "accept")
    store.decide(n, "bob", "reject", reason="wrong spans")
    assert store.progress("x")["done"] == 1
    assert n not in {store.next_item(a) for a in ("cy", "dee")}


def test_single_overlap_does_not_show_one_item_to_two_annotators_at_once(review_output):
    store, _ = open_review(review_output)
    assert store.next_item("ann") != store.next_item("bob")


def test_two_servers_on_one_database_never_claim_the_same_item(many_output, tmp_path):
    """The item is chosen and claimed in one transaction: two connections racing cannot both win."""
    import threading

    first, _ = open_review(many_output, tmp_path / "race.db")
    second = ReviewStore(tmp_path / "race.db")  # another server process on the same file
    served: list[int] = []

    def annotate(store: ReviewStore, name: str) -> None:
        for _ in range(60):
            n = store.next_item(name)
            served.append(n)
            store.decide(n, name, "accept")

    threads = [threading.Thread(target=annotate, args=(s, f"a{k}")) for k, s in enumerate([first, second] * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(served) == 240
    assert len(set(served)) == 240
    assert len(first.decisions()) == 240


def test_bad_spans_are_review_errors_not_crashes(review_output):
    from babelforge.review.store import check_spans

    for spans in ([[1, 2]], [{"start": 1, "end": 2}], [[True, 2, "L"]], [[1, 2, "L", 4]], "1,2,L", [None]):
        with pytest.raises(ReviewError, match="spans"):
            check_spans(spans, "some text")
    assert check_spans([{"start": 0, "end": 4, "label": "L"}, [5, 9, "M"]], "some text") == [[0, 4, "L"], [5, 9, "M"]]


def test_a_label_filter_is_exact(review_output):
    store, _ = open_review(review_output)
    assert store.next_item("ann", {"label": "_OC"}) is None
    assert store.next_item("ann", {"label": "%"}) is None
    assert store.next_item("ann", {"label": "LOC"}) is not None


def test_latest_decision_of_an_annotator_counts(review_output):
    store, _ = open_review(review_output)
    n = store.next_item("ann")
    store.decide(n, "ann", "reject", reason="bad")
    store.decide(n, "ann", "accept")
    assert [d["decision"] for d in store.decisions(n)] == ["accept"]


@pytest.mark.parametrize(
    ("decision", "kwargs", "message"),
    [
        ("maybe", {}, "not one of accept, reject, skip"),
        ("reject", {}, "needs a reason"),
        ("accept", {"spans": [[5, 999, "PER"]]}, "outside the text"),
        ("accept", {"spans": [[3, 3, "PER"]]}, "outside the text"),
        ("accept", {"spans": [[0, 2, ""]]}, "no label"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_written(review_output, decision, kwargs, message):
    store, _ = open_review(review_output)
    with pytest.raises(ReviewError, match=message):
        store.decide(1, "ann", decision, **kwargs)
    assert store.decisions() == []


def test_a_database_of_another_output_or_sample_is_refused(review_output, tmp_path):
    import shutil

    db = tmp_path / "r.db"
    open_review(review_output, db, sample=4, stratify=["language"])[0].close()
    with pytest.raises(ReviewError, match="sampled with"):
        open_review(review_output, db, sample=5)
    other = tmp_path / "other"
    shutil.copytree(review_output, other)
    with pytest.raises(ReviewError, match="pass --db with a new file"):
        open_review(other, db)
    (tmp_path / "junk.db").write_text("not sqlite at all, just text" * 50)
    with pytest.raises(ReviewError, match="not a review database"):
        ReviewStore(tmp_path / "junk.db")


def test_stratified_sample_keeps_each_stratum_share():
    items = [{"language": "hau" if i < 60 else "yor", "method": "m"} for i in range(100)]
    sample = stratified_sample(items, 10, ["language"], seed=3)
    assert len(sample) == 10
    assert sum(s["language"] == "hau" for s in sample) == 6
    assert stratified_sample(items, 10, ["language"], seed=3) == sample
    with pytest.raises(ReviewError, match="unknown"):
        stratified_sample(items, 10, ["colour"])


def test_filters_and_low_confidence_first(review_output):
    store, _ = open_review(review_output)
    n = store.next_item("ann", {"language": "tha_Thai"})
    assert store.item(n)["id"] == "records/thai"
    assert store.next_item("ann", {"label": "ORG", "language": "heb_Hebr"}) is not None
    assert store.next_item("bob", {"language": "nope"}) is None


def test_every_output_kind_becomes_an_item_with_what_the_page_shows():
    from babelforge.review import item_from_row

    lineage = '[{"step":"instruct","task":"qa"},{"step":"gate","similarity":0.91}]'
    chat = item_from_row(
        {
            "id": "c",
            "language": "hau_Latn",
            "prompt": "Tambaya?",
            "completion": "Amsa.",
            "prompt_lang": "hau_Latn",
            "response_lang": "eng_Latn",
            "lineage": lineage,
        },
        "chat",
        "train",
    )
    assert (chat["prompt"], chat["text"], chat["editable"]) == ("Tambaya?", "Amsa.", False)
    assert chat["metrics"]["response_lang"] == "eng_Latn"
    assert (chat["method"], chat["score"]) == ("instruct", 0.91)
    mixed = item_from_row(
        {
            "id": "m",
            "language": "eng_Latn",
            "text": "the Haus is big",
            "spans": [],
            "cmi": 25.0,
            "m_index": 0.5,
            "i_index": 0.3,
            "source_text": "the house is big",
            "lineage": '[{"step":"codemix","method":"lexicon","cmi":25.0}]',
        },
        "codemix",
        "train",
    )
    assert mixed["source_side"]["text"] == "the house is big"
    assert mixed["metrics"]["cmi"] == 25.0
    assert mixed["method"] == "lexicon"
    pair = item_from_row(
        {
            "id": "b",
            "language": "eng_Latn",
            "text": "Hello",
            "target_text": "Hallo",
            "target_language": "deu_Latn",
            "score": 1.2,
            "lineage": "[]",
        },
        "bitext",
        "train",
    )
    assert (pair["source_side"]["text"], pair["text"]) == ("Hello", "Hallo")
    projected = item_from_row(
        {
            "id": "p",
            "language": "deu_Latn",
            "text": "Ada kam",
            "spans": [{"start": 0, "end": 3, "label": "PER"}],
            "lineage": '[{"step":"project","method":"spanmatch","status":"complete","scores":[0.8,0.6],'
            '"source":{"language":"eng_Latn","text":"Ada came","spans":[[0,3,"PER"]]}}]',
        },
        "spans",
        "train",
    )
    assert projected["source_side"] == {"language": "eng_Latn", "text": "Ada came", "spans": [[0, 3, "PER"]]}
    assert (projected["method"], projected["score"]) == ("spanmatch", 0.6)


def test_a_review_opened_by_a_relative_path_resumes_from_anywhere(review_output, monkeypatch):
    monkeypatch.chdir(review_output.parent)
    store, _ = open_review(review_output.name)
    store.decide(1, "ann", "accept")
    assert store.meta()["output"] == str(review_output.resolve())
    store.close()
    monkeypatch.chdir(review_output)
    store, _ = open_review("../" + review_output.name)
    assert [d["decision"] for d in store.decisions()] == ["accept"]


def test_an_accept_changed_to_a_skip_reopens_the_item(review_output):
    from babelforge.review import outcomes

    store, _ = open_review(review_output)
    n = store.next_item("ana")
    store.decide(n, "ana", "accept")
    assert store.progress("ana") == {"total": len(RECORDS), "done": 1, "mine": 1}
    store.decide(n, "ana", "skip")  # she went back and changed her mind
    assert store.progress("ana") == {"total": len(RECORDS), "done": 0, "mine": 0}
    assert store.next_item("bob") == n  # offered to the next annotator again
    assert store.next_item("ana") != n  # not to the one who skipped it
    assert n not in outcomes(store.decisions())  # an export counts it as not reviewed, until bob answers
    store.decide(n, "bob", "reject", reason="wrong span")
    assert outcomes(store.decisions())[n].decision == "reject"
    assert store.progress("x")["done"] == 1


def test_with_overlap_a_skip_frees_only_its_annotators_place(review_output):
    store, _ = open_review(review_output, overlap=2)
    n = store.next_item("ana")
    assert store.next_item("bob") == n
    store.decide(n, "ana", "accept")
    store.decide(n, "bob", "accept")
    assert n not in {store.next_item(a) for a in ("cy", "dee")}
    store.decide(n, "bob", "skip")
    assert store.progress("x")["done"] == 0
    assert store.next_item("eve") == n  # one place free: eve's claim fills it
    assert store.next_item("fay") != n
    store.decide(n, "ana", "reject", reason="no")  # a change between answers keeps the item closed once full
    store.decide(n, "eve", "accept")
    assert store.progress("x")["done"] == 1


def test_a_database_made_before_answered_was_counted_is_mended_on_open(review_output):
    store, _ = open_review(review_output)
    closed = store.next_item("ana")
    store.decide(closed, "ana", "accept")
    skipped = store.next_item("ana")
    store.decide(skipped, "ana", "accept")
    store.decide(skipped, "ana", "skip")
    store.close()
    old = sqlite3.connect(default_db(review_output))  # as the earlier version left it: closed for good
    old.execute("UPDATE items SET open = 0 WHERE n = ?", (skipped,))
    old.execute("ALTER TABLE items DROP COLUMN answered")
    old.commit()
    old.close()
    store = ReviewStore(default_db(review_output))
    rows = {n: (answered, is_open) for n, answered, is_open in store._query("SELECT n, answered, open FROM items")}
    assert rows[closed] == (1, 0)
    assert rows[skipped] == (0, 1)
    assert store.progress("ana") == {"total": len(RECORDS), "done": 1, "mine": 1}


def test_a_larger_overlap_reopens_answered_items_and_a_smaller_one_closes_them(review_output):
    store, _ = open_review(review_output)
    n = store.next_item("ana")
    store.decide(n, "ana", "accept")
    assert store.next_item("bob") != n
    store.close()
    store, _ = open_review(review_output, overlap=2)
    assert store.progress("x")["done"] == 0
    assert store.next_item("bob") == n
    store.close()
    store, _ = open_review(review_output, overlap=1)
    assert store.progress("x")["done"] == 1
