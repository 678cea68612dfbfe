"""Word alignment (simalign over the tiny BERT fixture), the align projector and AER evaluation."""

import json
import subprocess
import sys

import pytest

from babelforge.errors import BabelforgeError
from babelforge.projection.align import AlignProjector, aligner
from babelforge.projection.evaluate import evaluate_alignment, read_pharaoh_gold
from babelforge.projection.projector import ProjectionInput
from babelforge.spans import Span


class Diagonal:
    """A stand-in aligner that links word i to word i."""

    spec = "diagonal"

    def align(self, source, target):
        return [(i, i) for i in range(min(len(source), len(target)))]


def test_gold_links_and_aer(tmp_path):
    (tmp_path / "pairs").write_text("a b c ||| x y z\nd e ||| u v\n")
    (tmp_path / "gold").write_text("1-1 2-2 3p3\n1-1 2p1\n")
    assert read_pharaoh_gold(tmp_path / "gold")[0] == ({(0, 0), (1, 1)}, {(0, 0), (1, 1), (2, 2)})
    report = evaluate_alignment(str(tmp_path / "pairs"), str(tmp_path / "gold"), Diagonal())
    # predicted {00,11,22} and {00,11}: A=5, S=3, A&S=3, A&P=4 -> AER = 1 - 7/8
    assert report["aer"] == pytest.approx(0.125)
    assert report["precision"] == 0.8
    assert report["recall"] == 1.0


def test_malformed_gold_names_the_line(tmp_path):
    (tmp_path / "gold").write_text("1-1\n1x2\n")
    with pytest.raises(BabelforgeError, match=r"gold:2: expected links like 3-4 or 3p4, got '1x2'"):
        read_pharaoh_gold(tmp_path / "gold")


def test_unknown_aligner_spec():
    with pytest.raises(BabelforgeError, match="unknown aligner 'fast_align': valid: simalign:MODEL"):
        aligner("fast_align")


def test_align_projector_takes_the_tightest_cover_and_reports_losses():
    projector = AlignProjector.__new__(AlignProjector)
    projector.aligner, projector.min_coverage, projector.name = Diagonal(), 0.5, "align"
    item = ProjectionInput("Ada met Rome today", [Span(0, 3, "PER"), Span(8, 12, "LOC")], "Ada traf Rom")
    (result,) = projector.project([item])
    assert result.spans == [Span(0, 3, "PER"), Span(9, 12, "LOC")]
    (empty,) = projector.project([ProjectionInput("Rome", [Span(0, 4, "LOC")], "")])
    assert empty.status == "failed"


@pytest.mark.slow
def test_simalign_on_the_tiny_bert(tiny_bert, data_dir):
    projector = AlignProjector(f"simalign-argmax:{tiny_bert}")
    item = ProjectionInput("the european parliament met", [Span(4, 23, "ORG")], "le parlement européen")
    (result,) = projector.project([item])
    assert result.status in {"complete", "failed"}
    assert all(s is None or 0 <= s.start < s.end <= len(item.target_text) for s in result.spans)
    command = [
        sys.executable, "-m", "babelforge", "eval", "alignment", "--pairs", str(data_dir / "enfr-40.src-tgt"),
        "--gold", str(data_dir / "enfr-40.gold"), "--aligner", f"simalign:{tiny_bert}", "--json",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["pairs"] == 40
    assert 0.0 <= report["aer"] <= 1.0
