"""``review export``: accepted rows with corrected spans, through the same emit path as ``run``."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from babelforge.cli import app
from babelforge.review import open_review
from babelforge.review.export import reviewed_row
from babelforge.review.outcome import Outcome


def test_export_writes_accepted_rows_with_corrections_and_counts_the_rest(review_output, tmp_path):
    import datasets

    store, _ = open_review(review_output)
    items = {store.item(n)["id"].split("/", 1)[1]: store.item(n) for n in store.item_numbers()}
    thai = items["thai"]
    store.decide(thai["n"], "ann", "accept", spans=[[3, 8, "PER"]])  # สมชาย without the title
    store.decide(items["cjk"]["n"], "ann", "reject", reason="wrong language")
    store.decide(items["emoji"]["n"], "ann", "accept")
    result = CliRunner().invoke(app, ["review", "export", str(store.path), "--output", str(tmp_path / "reviewed")])
    assert result.exit_code == 0, result.output
    rows = {r["id"].split("/", 1)[1]: r for r in datasets.load_dataset(str(tmp_path / "reviewed"), split="train")}
    assert set(rows) == {"thai", "emoji"}
    assert [(s["start"], s["end"], s["label"]) for s in rows["thai"]["spans"]] == [(3, 8, "PER")]
    assert rows["thai"]["text"][3:8] == "สมชาย"
    review = json.loads(rows["thai"]["lineage"])[-1]
    assert review == {
        "step": "review",
        "decision": "accept",
        "votes": {"ann": "accept"},
        "edited": True,
        "comments": [],
    }
    provenance = json.loads((tmp_path / "reviewed" / "provenance.json").read_text())
    assert provenance["drops"] == {"review: rejected": 1, "review: not_reviewed": len(items) - 3}
    rates = {r["language"]: (r["accepted"], r["rejected"]) for r in provenance["review"]["acceptance"]}
    assert rates == {
        items["thai"]["language"]: (1, 0),
        items["cjk"]["language"]: (0, 1),
        items["emoji"]["language"]: (1, 0),
    }
    shown = CliRunner().invoke(app, ["inspect", str(tmp_path / "reviewed")]).output
    assert "acceptance per method and language" in shown


@pytest.mark.parametrize(
    ("kind", "row", "spans", "expected"),
    [
        (
            "ner",
            {"tokens": ["Ada", "Lovelace", "wrote"], "ner_tags": ["B-PER", "I-PER", "O"]},
            [[0, 3, "PER"]],
            {"tokens": ["Ada", "Lovelace", "wrote"], "ner_tags": ["B-PER", "O", "O"]},
        ),
        (
            "ner",
            {"tokens": ["Adas", "book"], "ner_tags": ["O", "O"]},
            [[0, 3, "PER"]],
            {"tokens": ["Ada", "s", "book"], "ner_tags": ["B-PER", "O", "O"]},
        ),
        (
            "qa",
            {"context": "Ada Lovelace wrote", "answers": {"text": ["wrote"], "answer_start": [13]}},
            [[0, 12, "ANSWER"]],
            {"answers": {"text": ["Ada Lovelace"], "answer_start": [0]}},
        ),
    ],
)
def test_corrections_reach_every_span_kind(kind, row, spans, expected):
    from babelforge.review.items import item_from_row

    item = item_from_row({"id": "r", "language": "eng_Latn", "lineage": "[]", **row}, kind, "train")
    out = reviewed_row(item, Outcome("accept", spans, ["ann"], {"ann": "accept"}), kind)
    assert {k: out[k] for k in expected} == expected


@pytest.mark.parametrize("fmt", ["babelforge", "doccano"])
def test_export_refuses_a_folder_it_did_not_make_and_replaces_its_own(review_output, tmp_path, fmt):
    store, _ = open_review(review_output)
    store.decide(store.item_numbers()[0], "ann", "accept")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    args = ["review", "export", str(store.path), "--format", fmt, "--output"]
    refused = CliRunner().invoke(app, [*args, str(mine)])
    assert refused.exit_code != 0
    assert "did not make" in str(refused.exception)
    assert (mine / "notes.txt").read_text() == "keep"
    first = CliRunner().invoke(app, [*args, str(tmp_path / "export")])
    again = CliRunner().invoke(app, [*args, str(tmp_path / "export")])
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    database = CliRunner().invoke(app, [*args, str(store.path.parent), "--overwrite"])
    assert database.exit_code != 0
    assert store.path.exists()


@pytest.mark.parametrize("fmt", ["babelforge", "doccano"])
def test_export_never_replaces_the_reviewed_output_nor_goes_inside_it(review_output, tmp_path, fmt):
    store, _ = open_review(review_output, sample=5)
    for n in store.item_numbers()[:2]:
        store.decide(n, "ann", "accept")
    before = {p: p.stat().st_size for p in review_output.rglob("*")}
    (tmp_path / "link").symlink_to(review_output)
    args = ["review", "export", str(store.path), "--format", fmt, "--output"]
    inside = [review_output / "reviewed", review_output / "data", tmp_path / "link" / "reviewed", tmp_path / "out.work"]
    for target in [review_output, *inside]:
        for overwrite in ([], ["--overwrite"]):
            result = CliRunner().invoke(app, [*args, str(target), *overwrite])
            assert result.exit_code != 0, (target, overwrite)
            assert "refusing to write there (it is the reviewed output" in str(result.exception)
    assert {p: p.stat().st_size for p in review_output.rglob("*")} == before
    assert not (tmp_path / "out.work").exists()


def test_export_never_replaces_a_folder_that_holds_the_reviewed_output(review_output, tmp_path):
    holder = tmp_path / "holder"
    holder.mkdir()
    ds = holder / "ds"
    shutil.move(review_output, ds)
    store, _ = open_review(ds, tmp_path / "r.db")
    store.decide(store.item_numbers()[0], "ann", "accept")
    result = CliRunner().invoke(app, ["review", "export", str(store.path), "-o", str(holder), "--overwrite"])
    assert result.exit_code != 0
    assert "refusing to write there (it holds" in str(result.exception)
    assert (ds / "provenance.json").is_file()
