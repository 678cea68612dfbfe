"""End to end in a real browser: Playwright driving Debian's Chromium against a real server."""

from __future__ import annotations

import shutil

import pytest
from kit.hard_scripts import XSS
from review_server import serving
from typer.testing import CliRunner

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip("no Chromium at /usr/bin/chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def open_page(browser, url: str, **query: str):
    page = browser.new_page(viewport={"width": 1300, "height": 850})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
    page.goto(url + "/?" + "&".join(f"{k}={v}" for k, v in query.items()))
    page.wait_for_selector("#item[data-n]:not([data-n=''])")
    return page, errors


def select_code_points(page, start: int, end: int) -> None:
    """Select target[start:end] (code points) as a user's drag would, through DOM ranges."""
    page.evaluate(
        """([start, end]) => {
            const point = (cp) => {
                for (const seg of document.querySelectorAll('#target [data-start]')) {
                    const s = Number(seg.dataset.start), chars = Array.from(seg.textContent);
                    if (cp >= s && cp <= s + chars.length) {
                        return [seg.firstChild, chars.slice(0, cp - s).join('').length];
                    }
                }
            };
            const range = document.createRange();
            range.setStart(...point(start));
            range.setEnd(...point(end));
            const sel = window.getSelection();
            sel.removeAllRanges();
            sel.addRange(range);
        }""",
        [start, end],
    )


def item_id(page) -> str:
    return page.locator("#meta span").first.inner_text().removeprefix("id: ")


def go_to(page, wanted: str) -> None:
    """Skip items until the one whose id ends with ``wanted`` is shown."""
    for _ in range(12):
        if item_id(page).endswith("/" + wanted):
            return
        n = page.get_attribute("#item", "data-n")
        page.keyboard.press("s")
        page.wait_for_selector(f"#item[data-n]:not([data-n='{n}'])")
    raise AssertionError(f"item {wanted} never shown")


def test_add_a_span_accept_reload_and_export(browser, review_output, tmp_path):
    with serving(review_output, "--annotator", "ann") as url:
        page, errors = open_page(browser, url)
        go_to(page, "emoji")
        assert page.locator("#target mark").count() >= 2  # Paris and NASA highlighted
        assert page.locator("#source-box").is_hidden()
        text = page.locator("#target").inner_text()
        ada = "Ada"
        start = len(list(text[: text.index(ada)]))  # the page shows the text as it is: count code points
        select_code_points(page, start, start + 3)
        page.keyboard.press("3")  # labels sorted: LOC, ORG, PER
        assert page.locator("#span-list tbody tr").count() == 3
        n = page.get_attribute("#item", "data-n")
        page.keyboard.press("a")
        page.wait_for_selector(f"#item[data-n]:not([data-n='{n}'])")
        page.reload()
        page.wait_for_selector("#item[data-n]:not([data-n=''])")
        assert page.get_attribute("#item", "data-n") != n  # the accepted item is done
        mine = page.request.get(f"{url}/api/items/{n}?annotator=ann").json()["item"]["mine"]
        assert mine["decision"] == "accept"
        item_text = page.request.get(f"{url}/api/items/{n}?annotator=ann").json()["item"]["text"]
        added = [s for s in mine["spans"] if s[2] == "PER"]
        assert [item_text[s:e] for s, e, _ in added] == ["Ada"]
        assert errors == []
    # restart: the decision survived, and reaches the reviewed dataset
    from babelforge.cli import app
    from babelforge.review import default_db

    result = CliRunner().invoke(app, ["review", "export", str(default_db(review_output)), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    import datasets

    rows = datasets.load_dataset(str(tmp_path / "r"), split="train")
    assert [r["id"].split("/", 1)[1] for r in rows] == ["emoji"]
    surfaces = {(s["label"], rows[0]["text"][s["start"] : s["end"]]) for s in rows[0]["spans"]}
    assert surfaces == {("PER", "Ada"), ("LOC", "Paris"), ("ORG", "NASA")}


@pytest.mark.parametrize(
    ("record", "surface"),
    [
        ("thai", "สมชาย"),
        ("cjk", "碎叶城"),
        ("arabic", "القاهرة"),
        ("combining", "Nguyễn"),
        ("devanagari", "मोदी"),
        ("hebrew", "Google"),
    ],
)
def test_selection_offsets_are_exact_code_points(browser, review_output, record, surface):
    with serving(review_output, "--annotator", f"offsets-{record}") as url:
        page, errors = open_page(browser, url)
        go_to(page, record)
        text = page.request.get(f"{url}/api/items/{page.get_attribute('#item', 'data-n')}?annotator=x").json()
        text = text["item"]["text"]
        start = text.index(surface)
        select_code_points(page, start, start + len(surface))
        page.keyboard.press("2")
        spans = page.evaluate("state.spans")
        assert [start, start + len(surface), "ORG"] in spans
        assert errors == []


def test_injected_script_is_shown_not_run(browser, review_output):
    with serving(review_output, "--annotator", "xss") as url:
        page, errors = open_page(browser, url)
        go_to(page, "xss")
        assert XSS in page.locator("#target").inner_text()
        assert page.evaluate("window.__xss") is None
        assert page.locator("#target script, #target img").count() == 0
        assert errors == []


def test_reject_needs_a_reason_and_is_saved(browser, review_output):
    with serving(review_output, "--annotator", "rej") as url:
        page, _ = open_page(browser, url)
        n = page.get_attribute("#item", "data-n")
        page.keyboard.press("r")
        page.fill("#reject-detail", "title kept")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#item[data-n]:not([data-n='{n}'])")
        mine = page.request.get(f"{url}/api/items/{n}?annotator=rej").json()["item"]["mine"]
        assert mine["decision"] == "reject"
        assert mine["reason"] == "wrong translation: title kept"


@pytest.fixture(scope="module")
def quickstart_output(tmp_path_factory):
    """The quickstart's own output, made by its manifest."""
    import os

    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    root = tmp_path_factory.mktemp("quickstart")
    repo = __import__("pathlib").Path(__file__).parents[2]
    os.environ["BABELFORGE_OUT"] = str(root)
    try:
        run_manifest(load_manifest(repo / "manifests" / "quickstart.yaml"))
    finally:
        del os.environ["BABELFORGE_OUT"]
    return root / "quickstart"


def test_quickstart_decision_survives_a_restart_and_reaches_the_export(browser, quickstart_output, tmp_path):
    from babelforge.cli import app
    from babelforge.review import default_db

    with serving(quickstart_output, "--annotator", "ana") as url:
        page, errors = open_page(browser, url)
        assert page.locator("#target mark").count() > 0 or page.locator("#target span").count() > 0
        n = page.get_attribute("#item", "data-n")
        text = page.request.get(f"{url}/api/items/{n}?annotator=ana").json()["item"]["text"]
        word = text.split(" ")[0]
        select_code_points(page, 0, len(word))
        page.keyboard.press("1")
        page.keyboard.press("c")
        page.keyboard.type("first word is a place")
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        page.wait_for_selector(f"#item[data-n]:not([data-n='{n}'])")
        assert errors == []
    with serving(quickstart_output, "--annotator", "ana") as url:  # a new server process on the same database
        page, errors = open_page(browser, url)
        assert page.get_attribute("#item", "data-n") != n
        page.keyboard.press("b")  # back reaches the item answered before the restart
        page.wait_for_selector(f"#item[data-n='{n}']")
        assert "you answered accept" in page.locator("#status").inner_text()
        mine = page.request.get(f"{url}/api/items/{n}?annotator=ana").json()["item"]["mine"]
        assert mine["decision"] == "accept"
        assert mine["comment"] == "first word is a place"
        assert [0, len(word), page.evaluate("state.labels[0]")] in mine["spans"]
    result = CliRunner().invoke(
        app, ["review", "export", str(default_db(quickstart_output)), "-o", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    import datasets

    names = datasets.load_dataset(str(tmp_path / "r"), split=None)
    rows = [r for split in names.values() for r in split]
    assert len(rows) == 1
    tags = names[next(iter(names))].features["ner_tags"].feature.names
    assert rows[0]["tokens"][0] == word
    assert tags[rows[0]["ner_tags"][0]].startswith("B-")


def test_token_link_keyboard_delete_and_agreement_panel(browser, review_output):
    with serving(review_output, "--annotator", "tok", env={"BABELFORGE_REVIEW_TOKEN": "s3cret"}) as url:
        page = browser.new_page()
        assert page.goto(url + "/").status == 401
        page, errors = open_page(browser, url, token="s3cret")
        before = page.locator("#span-list tbody tr").count()
        assert before > 0
        page.locator("#target mark").first.click()
        page.keyboard.press("x")
        assert page.locator("#span-list tbody tr").count() == before - 1
        page.click("#stats-panel summary")
        page.wait_for_selector("#stats table")
        assert "Fleiss' kappa" in page.locator("#stats").inner_text()
        assert errors == []


def test_an_annotator_token_names_the_annotator_and_leaves_the_address_bar(browser, review_output, tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("ana ana-token-0123456789abcdef\nbob bob-token-0123456789abcdef\n")
    with serving(review_output, "--annotator", "someone-else", "--tokens", str(tokens)) as url:
        page, errors = open_page(browser, url, token="ana-token-0123456789abcdef", annotator="bob")
        assert "token" not in page.url  # the cookie carries it now
        assert page.locator("#who").inner_text() == "annotator: ana"
        n = page.get_attribute("#item", "data-n")
        page.keyboard.press("a")  # a same-origin POST: Origin matches, the cookie is the token
        page.wait_for_selector(f"#item[data-n]:not([data-n='{n}'])")
        mine = page.request.get(f"{url}/api/items/{n}?annotator=ana").json()["item"]["mine"]
        assert mine["decision"] == "accept"
        assert page.request.get(f"{url}/api/items/{n}?annotator=bob").status == 403
        assert errors == []
