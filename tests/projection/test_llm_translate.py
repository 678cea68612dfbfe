"""Translation through an OpenAI-compatible endpoint (the loopback server), alone and under markers."""

import datasets
import pytest

from babelforge.errors import BabelforgeError, OutputError
from babelforge.manifest import load_manifest
from babelforge.projection.markers import MarkersProjector
from babelforge.projection.methods import make_projector
from babelforge.projection.projector import ProjectionInput
from babelforge.runner import run_manifest
from babelforge.spans import Span


def copy_reply(request: dict) -> str:
    """An LLM that 'translates' by copying the text: the markers must come back where they went."""
    return [m["content"] for m in request["messages"] if m["role"] == "user"][-1]


def translate_manifest(data_dir, tmp_path, spec: str, limit: int = 10) -> dict:
    return {
        "name": "llm-mt",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": limit}],
        "steps": [{"translate": {"model": spec, "target": "hau_Latn"}}],
        "output": {"path": str(tmp_path / "out"), "kind": "bitext", "write_rejects": True},
    }


def test_llm_translation_is_cached_across_runs(data_dir, tmp_path, write_manifest, llm_server):
    spec = f"openai:fake@{llm_server.base_url}"
    run_manifest(load_manifest(write_manifest(translate_manifest(data_dir, tmp_path, spec))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 10
    assert all(r["target_text"].startswith("echo: ") and r["target_language"] == "hau_Latn" for r in rows)
    sent = len(llm_server.requests)
    assert sent == 10
    system = llm_server.requests[0]["body"]["messages"][0]["content"]
    assert "from English into Hausa" in system
    manifest = translate_manifest(data_dir, tmp_path, spec)
    manifest["output"]["path"] = str(tmp_path / "again")
    run_manifest(load_manifest(write_manifest(manifest)))
    assert len(llm_server.requests) == sent  # every answer came from the request cache


def test_an_empty_llm_answer_is_a_counted_drop(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda request: "   "
    spec = f"openai:silent@{llm_server.base_url}"  # another model: nothing cached for it
    manifest = translate_manifest(data_dir, tmp_path, spec, limit=4)
    manifest["output"]["write_rejects"] = False
    with pytest.raises(
        OutputError, match=r"no record reached the output \(drops: translate: llm_empty_answer 4\)"
    ) as e:
        run_manifest(load_manifest(write_manifest(manifest)))
    assert "set output.write_rejects: true to keep the rejected records" in str(e.value)
    assert not (tmp_path / "out").exists()


def test_an_empty_output_names_the_first_rejected_record_and_where_the_rest_are(
    data_dir, tmp_path, write_manifest, llm_server
):
    llm_server.mode = "html"
    manifest = translate_manifest(data_dir, tmp_path, f"openai:html@{llm_server.base_url}", limit=3)
    manifest["steps"][0]["translate"]["llm"] = {"max_retries": 0, "backoff": 0.01}
    with pytest.raises(OutputError) as e:
        run_manifest(load_manifest(write_manifest(manifest)))
    message = str(e.value)
    assert "the first: llm_malformed_response: " in message
    assert f"every rejected record is in {tmp_path / 'out.work' / 'rejects'}" in message
    assert "\n" not in message


def test_markers_through_an_llm_that_copies_recover_every_span(llm_server):
    llm_server.reply = copy_reply
    projector = MarkersProjector(f"openai:fake@{llm_server.base_url}", "en", "de")
    items = [
        ProjectionInput("Ada met Grace in Rome .", [Span(0, 3, "PER"), Span(8, 13, "PER"), Span(17, 21, "LOC")], ""),
        ProjectionInput("See [1] by 😀 Zoë", [Span(13, 16, "PER")], ""),
        ProjectionInput("No entity here", [], ""),
    ]
    results = projector.project(items)
    assert [r.status for r in results] == ["complete", "complete", "complete"]
    assert results[0].target_text == "Ada met Grace in Rome ."
    assert results[0].spans == items[0].source_spans
    assert results[1].target_text == "See (1) by 😀 Zoë"  # literal brackets cannot pass as markers
    (zoe,) = results[1].spans
    assert results[1].target_text[zoe.start : zoe.end] == "Zoë"


def test_constrained_refuses_an_llm_endpoint():
    with pytest.raises(BabelforgeError, match="method 'constrained' scores candidates"):
        make_projector("constrained", model="openai:gpt@http://127.0.0.1:9/v1", source="en", target="de")
