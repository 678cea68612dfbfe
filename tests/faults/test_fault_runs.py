"""Concurrent runs, inputs changed between attempts, damaged work folders, a full disk."""

import pytest
from kit.faults import concurrent_runs, damaged_work, full_disk, inputs_between_attempts


@pytest.mark.slow
@pytest.mark.parametrize("runs", [2, 3])
def test_concurrent_runs_one_writes_the_others_refuse(tmp_path, runs):
    outcome = concurrent_runs(tmp_path, runs=runs, lines=3000)
    assert outcome.ok, outcome


@pytest.mark.parametrize("change", ["changed", "added", "removed"])
def test_inputs_changed_between_attempts_start_afresh(tmp_path, change):
    outcome = inputs_between_attempts(tmp_path, change, lines=200)
    assert outcome.ok, outcome
    assert "started afresh True" in outcome.outcome


def test_deleted_shards_are_rewritten_not_published_missing(tmp_path):
    outcome = damaged_work(tmp_path, lines=200)
    assert outcome.ok, outcome


def test_a_full_disk_fails_clearly_and_publishes_nothing(tmp_path):
    outcome = full_disk(tmp_path, lines=4000)
    if outcome.outcome.startswith("skipped"):
        pytest.skip(outcome.outcome)
    assert outcome.ok, outcome
    assert "one line: True" in outcome.outcome
