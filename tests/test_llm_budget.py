"""The budget is one hard limit for a whole run: shared by processes, kept across a resumed attempt."""

import subprocess
import sys
import time

import pytest

from babelforge.llm import BudgetExceededError, Ledger, LLMClient, Request
from babelforge.llm.ledger import SharedBudget

DEAD_PID = 2**22 + 12345

SCRIPT = """
import sys
from babelforge.llm import BudgetExceededError, Ledger, LLMClient, Request
ledger = Ledger(prices={"fake-model": (1.0, 1.0)}, max_budget=float(sys.argv[3]), budget_file=sys.argv[2])
client = LLMClient("fake-model", base_url=sys.argv[1], api_key="t", ledger=ledger, max_concurrency=8, max_tokens=20)
try:
    client.complete_many([Request([{"role": "user", "content": f"{sys.argv[4]} {i}"}]) for i in range(40)])
except BudgetExceededError:
    print("stopped")
"""


def test_two_processes_sharing_a_budget_file_never_overrun_it(llm_server, tmp_path):
    budget, path = 400e-6, tmp_path / "budget.sqlite"
    llm_server.slow_seconds = 0.05
    llm_server.mode = "slow"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, llm_server.base_url, str(path), str(budget), name],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("left", "right")
    ]
    assert [run.communicate(timeout=60)[0].strip() for run in runs] == ["stopped", "stopped"]
    spent, held = SharedBudget(path).totals()
    assert held == 0
    assert 0 < spent <= budget
    billed = 0
    for body in llm_server.chat_paths():
        usage = llm_server.completion(body, llm_server.reply(body))["usage"]
        billed += usage["prompt_tokens"] + usage["completion_tokens"]
    assert billed * 1e-6 == pytest.approx(spent)


def test_what_an_earlier_attempt_spent_still_counts(llm_server, tmp_path):
    path = str(tmp_path / "budget.sqlite")

    def client():
        ledger = Ledger(prices={"fake-model": (1.0, 1.0)}, max_budget=60e-6, budget_file=path)
        return LLMClient("fake-model", base_url=llm_server.base_url, api_key="t", ledger=ledger, max_tokens=10)

    client().complete_many([Request([{"role": "user", "content": f"q{i}"}]) for i in range(3)])
    with pytest.raises(BudgetExceededError):
        client().complete_many([Request([{"role": "user", "content": f"again {i}"}]) for i in range(5)])
    assert SharedBudget(path).totals()[0] <= 60e-6


def test_a_dead_process_s_reservation_counts_as_spent_and_a_batch_s_waits_for_its_rerun(tmp_path):
    budget = SharedBudget(tmp_path / "budget.sqlite")
    online, _, _ = budget.reserve(1.0, 10.0)
    batch, _, _ = budget.reserve(2.0, 10.0, label="batch-key")
    budget.db.execute("UPDATE reserved SET pid = ?", (DEAD_PID,))
    assert budget.totals() == (1.0, 2.0)  # its request was sent and may have been billed
    assert budget.adopt("batch-key") == batch
    budget.settle(batch, 0.5)
    budget.settle(online, 0.25)  # expired already, at its worst case: not charged again
    assert budget.totals() == (1.5, 0)


KILLED = """
import sys
from babelforge.llm import BudgetExceededError, Ledger, LLMClient, Request
ledger = Ledger(prices={"fake-model": (5000.0, 5000.0)}, max_budget=0.5, budget_file=sys.argv[2])
client = LLMClient("fake-model", base_url=sys.argv[1], api_key="t", ledger=ledger, max_concurrency=8, max_tokens=10)
try:
    client.complete_many([Request([{"role": "user", "content": f"q {i}"}]) for i in range(20)])
except BudgetExceededError:
    print("stopped")
"""


def test_runs_killed_with_requests_in_flight_never_overrun_a_shared_budget(llm_server, tmp_path):
    """Each request reserves 0.1 USD (prompt bound 10 + max_tokens 10 at 5000 USD a million tokens) of 0.5."""
    path, script = tmp_path / "budget.sqlite", [sys.executable, "-c", KILLED, llm_server.base_url]
    llm_server.slow_seconds, llm_server.mode = 3.0, "slow"  # answers come after the kill
    for _ in range(3):
        run, sent, deadline = subprocess.Popen([*script, str(path)]), len(llm_server.chat_paths()), time.time() + 5
        while run.poll() is None and time.time() < deadline and len(llm_server.chat_paths()) < sent + 5:
            time.sleep(0.02)
        time.sleep(0.1)
        run.kill()
        run.wait()
    llm_server.mode = "ok"
    done = subprocess.run([*script, str(path)], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "stopped"
    billed = 0.0
    for body in llm_server.chat_paths():
        usage = llm_server.completion(body, llm_server.reply(body))["usage"]
        billed += (usage["prompt_tokens"] + usage["completion_tokens"]) * 5000e-6
    spent, held = SharedBudget(path).totals()
    assert 0 < billed <= 0.5  # the overrun is 0
    assert billed <= spent <= 0.5 + 1e-9
    assert held == 0
    assert len(llm_server.chat_paths()) == 5  # what the first run had in flight; nothing after


def test_a_run_with_two_tasks_spends_at_most_its_budget(tmp_path, write_manifest, llm_server):
    from babelforge.manifest import load_manifest
    from babelforge.pipeline import work_dir_for
    from babelforge.runner import run_manifest

    (tmp_path / "seeds.txt").write_text("".join(f"question number {i}\n" for i in range(30)))
    options = {"price_in": 1.0, "price_out": 1.0, "max_tokens": 10, "max_budget": 300e-6, "max_concurrency": 8}
    spec = {
        "name": "budgeted",
        "sources": [{"kind": "text", "path": str(tmp_path / "seeds.txt"), "language": "en"}],
        "steps": [{"instruct": {"mode": "xl_instruct", "model": f"openai:budgeted@{llm_server.base_url}",
                                "response_language": "de", "llm": options}}],
        "output": {"path": str(tmp_path / "out"), "kind": "chat"},
        "executor": {"local": {"tasks": 2, "workers": 2}},
    }  # fmt: skip
    manifest = load_manifest(write_manifest(spec))
    with pytest.raises(BudgetExceededError):
        run_manifest(manifest)
    step = manifest.step_settings[0]
    spent, held = SharedBudget(step.llm.for_run(work_dir_for(tmp_path / "out")).budget_file(step.model)).totals()
    assert 0 < spent <= 300e-6
    assert held == 0
    assert 0 < len(llm_server.chat_paths()) < 30
