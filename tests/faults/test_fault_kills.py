"""kill -9 at every point of a run, one pass and two: the output is the old one or the new one, never a mix,
and a rerun publishes exactly the new rows."""

import pytest
from kit.faults import KILL_POINTS, kill_mid_pass, kill_then_rerun

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_at_each_point_then_rerun(tmp_path, point):
    outcome = kill_then_rerun(tmp_path, point, lines=200)
    assert outcome.ok, outcome


def test_kill_in_a_two_pass_run_between_emit_and_publish(tmp_path):
    outcome = kill_then_rerun(tmp_path, "before-publish", manifest="m2.yaml", lines=200)
    assert outcome.ok, outcome


def test_kill_mid_pass_resumes(tmp_path):
    outcome = kill_mid_pass(tmp_path, lines=3000)
    assert outcome.ok, outcome
    assert "exit 0" in outcome.outcome
