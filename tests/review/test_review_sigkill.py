"""A real server killed with SIGKILL between decisions loses none of them."""

from __future__ import annotations

import httpx
from review_server import kill, start

from babelforge.review import ReviewStore, default_db


def test_no_decision_is_lost_when_the_server_is_killed(review_output):
    answered = []
    for round_ in range(3):  # kill, restart, go on: three times
        process, url = start(review_output, "--annotator", "ann")
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(2):
                item = client.get("/api/next", params={"annotator": "ann"}).json()["item"]
                decision = "accept" if round_ % 2 == 0 else "reject"
                body = {
                    "annotator": "ann",
                    "decision": decision,
                    "reason": "r" if decision == "reject" else None,
                    "spans": [[0, 1, "PER"]] if decision == "accept" else None,
                }
                assert client.post(f"/api/items/{item['n']}/decision", json=body).status_code == 200
                answered.append((item["n"], decision))
        kill(process)  # no shutdown, no flush: the answer was already on disk
    store = ReviewStore(default_db(review_output))
    assert [(d["n"], d["decision"]) for d in sorted(store.decisions(), key=lambda d: d["made_at"])] == answered
    assert len({n for n, _ in answered}) == 6  # each restart went on to new items
