"""A review belongs to one version of its output: a run that rewrites the output makes it stale."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from conftest import spans_output
from kit.hard_scripts import RECORDS
from typer.testing import CliRunner

from babelforge.cli import app
from babelforge.errors import ReviewError
from babelforge.review import default_db, open_review
from babelforge.review.origin import output_identity

#: The input after a change: two records gone, the others renamed.
REWRITTEN = [{**r, "id": f"{r['id']}-v2"} for r in RECORDS[:6]]


def _accept(output, count: int) -> set[str]:
    store, _ = open_review(output)
    for _ in range(count):
        store.decide(store.next_item("ana"), "ana", "accept")
    ids = {d["id"] for d in store.decisions()}
    store.close()
    return ids


def _rows(folder) -> set[str]:
    import pyarrow.parquet as pq

    return {row_id for path in (folder / "data").rglob("*.parquet") for row_id in pq.read_table(path)["id"].to_pylist()}


def test_a_review_of_a_rewritten_output_is_refused_unless_asked(review_output, tmp_path):
    reviewed = _accept(review_output, 5)
    spans_output(tmp_path, REWRITTEN)  # the input changed and `run` replaced the output at the same path
    db = str(default_db(review_output))
    serve = [sys.executable, "-m", "babelforge", "review", "serve", str(review_output), "--no-browser", "--port", "0"]
    served = subprocess.run(serve, capture_output=True, text=True, timeout=120)
    assert served.returncode == 2
    message = served.stderr.strip()
    assert "\n" not in message  # one line
    for words in ("was rewritten (made ", "since this review began", "--db NEW", "--stale-ok"):
        assert words in message, message
    stats = CliRunner().invoke(app, ["review", "stats", db, "--json"])
    assert stats.exit_code != 0
    assert "its decisions refer to the old rows" in str(stats.exception)
    imported = CliRunner().invoke(app, ["review", "import", "answers.jsonl", "--db", db, "--format", "doccano"])
    assert "--stale-ok" in str(imported.exception)
    for fmt in ("babelforge", "doccano"):
        refused = CliRunner().invoke(app, ["review", "export", db, "--format", fmt, "-o", str(tmp_path / fmt)])
        assert refused.exit_code != 0
        assert "--stale-ok" in str(refused.exception)
        assert not (tmp_path / fmt).exists()
    stale = CliRunner().invoke(app, ["review", "export", db, "-o", str(tmp_path / "reviewed"), "--stale-ok"])
    assert stale.exit_code == 0, stale.output
    assert _rows(tmp_path / "reviewed") == reviewed  # the old rows, as reviewed
    account = json.loads((tmp_path / "reviewed" / "provenance.json").read_text())["review"]
    reviewed_path = os.path.relpath(review_output.resolve(), (tmp_path / "reviewed").resolve())
    assert account["reviewed_from"].startswith(reviewed_path + " (a previous version, made ")
    assert account["reviewed_from"].endswith("; rewritten since)")
    assert account["reviewed_version"]["current"] is False
    assert json.loads(CliRunner().invoke(app, ["review", "stats", db, "--json", "--stale-ok"]).output)["reviewed"] == 5


def test_an_unchanged_output_resumes_and_its_export_names_it(review_output, tmp_path):
    _accept(review_output, 2)
    store, _ = open_review(review_output)
    assert len(store.decisions()) == 2
    result = CliRunner().invoke(app, ["review", "export", str(store.path), "-o", str(tmp_path / "reviewed")])
    assert result.exit_code == 0, result.output
    account = json.loads((tmp_path / "reviewed" / "provenance.json").read_text())["review"]
    assert account["reviewed_from"] == os.path.relpath(review_output.resolve(), (tmp_path / "reviewed").resolve())
    assert (tmp_path / "reviewed" / account["database"]).resolve() == store.path.resolve()
    for path in (tmp_path / "reviewed").rglob("*"):  # no absolute path of this machine in what may be published
        if path.is_file() and path.suffix in (".json", ".md"):
            assert f'"{tmp_path}' not in path.read_text(), path
            assert f"`{tmp_path}" not in path.read_text(), path
    assert account["reviewed_version"] == {"made": output_identity(review_output)["created"], "current": True}


def test_identity_follows_the_rows_not_the_path(review_output, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(review_output, copy)
    assert output_identity(copy) == output_identity(review_output)
    data = next((copy / "data").rglob("*.parquet"))
    data.write_bytes(data.read_bytes() + b"\0")
    assert output_identity(copy)["digest"] != output_identity(review_output)["digest"]


def test_a_database_made_before_identities_were_recorded(review_output):
    _accept(review_output, 1)
    db = default_db(review_output)

    def forget_identity(began: float | None = None) -> None:
        old = sqlite3.connect(db)
        old.execute("DELETE FROM meta WHERE key = 'output_identity'")
        if began is not None:
            old.execute("UPDATE meta SET value = ? WHERE key = 'created'", (json.dumps(began),))
        old.commit()
        old.close()

    forget_identity()  # its output was made before the review began: the same version, recorded now
    store, _ = open_review(review_output)
    assert store.meta()["output_identity"] == output_identity(review_output)
    store.close()
    forget_identity(began=0.0)  # its output was made after the review began: a later version
    with pytest.raises(ReviewError, match=r"was rewritten .* since this review began"):
        open_review(review_output)


def test_an_export_of_a_review_whose_output_is_gone_says_so(review_output, tmp_path):
    _accept(review_output, 1)
    db = str(default_db(review_output))
    shutil.rmtree(review_output)
    refused = CliRunner().invoke(app, ["review", "export", db, "-o", str(tmp_path / "reviewed")])
    assert refused.exit_code != 0
    assert "no longer there" in str(refused.exception)
    stale = CliRunner().invoke(app, ["review", "export", db, "-o", str(tmp_path / "reviewed"), "--stale-ok"])
    assert stale.exit_code == 0, stale.output
    account = json.loads((tmp_path / "reviewed" / "provenance.json").read_text())["review"]
    assert account["reviewed_from"].endswith("; no longer there)")
