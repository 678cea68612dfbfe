"""Take the README's screenshots of the review page (needs the `review` extra, Playwright and Chromium).

    python docs/screenshots.py OUTPUT [OUTPUT_WITH_HARD_SCRIPTS]

OUTPUT is a projected output (the quickstart's out/europarl-de); the page is shown with a few
decisions made, and the agreement panel open. Images go to docs/review-*.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

DOCS = Path(__file__).parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def serve(output: str, db: Path, port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "babelforge",
        "review",
        "serve",
        output,
        "--port",
        str(port),
        "--no-browser",
        "--db",
        str(db),
        "--overlap",
        "2",
    ]
    process = subprocess.Popen(command)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/session", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def decide_some(url: str) -> None:
    """Two annotators answer the first items, so the agreement panel has figures."""
    with httpx.Client(base_url=url) as client:
        for i in range(12):
            for who in ("ana", "ben"):
                item = client.get("/api/next", params={"annotator": who}).json()["item"]
                decision = "reject" if (i % 4 == 0 and who == "ben") or i % 5 == 0 else "accept"
                client.post(
                    f"/api/items/{item['n']}/decision",
                    json={"annotator": who, "decision": decision, "reason": "wrong spans"},
                )


def main(output: str, hard: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        process = serve(output, Path(tmp) / "a.db", 8771)
        try:
            decide_some("http://127.0.0.1:8771")
            page = browser.new_page(viewport={"width": 1300, "height": 700})
            page.goto("http://127.0.0.1:8771/?annotator=carla")
            page.wait_for_selector("#target mark")
            page.screenshot(path=str(DOCS / "review-projection.png"))
            page.click("#guidelines-panel summary")
            page.click("#stats-panel summary")
            page.wait_for_selector("#stats table")
            page.screenshot(path=str(DOCS / "review-agreement.png"), full_page=True)
        finally:
            process.kill()
        if hard:
            process = serve(hard, Path(tmp) / "b.db", 8772)
            try:
                page = browser.new_page(viewport={"width": 1300, "height": 600})
                page.goto("http://127.0.0.1:8772/?annotator=dana&language=arb_Arab")
                page.wait_for_selector("#target mark")
                page.select_option("#f-language", "arb_Arab")
                page.click("#apply")
                page.wait_for_timeout(300)
                page.screenshot(path=str(DOCS / "review-rtl.png"))
            finally:
                process.kill()
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
