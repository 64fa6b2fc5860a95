"""The app in Kyrgyz and Russian, in real headless Chromium: no English catalogue text on the page.

The app is started the default way (``streamlit run app.py``, only the headless, port and
address options a test needs) and every request that does not go to 127.0.0.1 is blocked, as
on a machine without internet. After a run of the demo scenario in English, the language is
switched and each view's visible text (page and map frame) is scanned for the English texts
of the app's own catalogue (those that differ from the language's, four letters or more);
on Compare, after comparing two scenarios (the two maps, the key figures, the units that differ).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS as ARGS
from browser_support import app_env, serve_streamlit

from atr_model.presentation.app.main import VIEWS
from atr_model.presentation.i18n import LANGUAGES, STRINGS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
TIMEOUT_MS = 90_000


def english_hits(text: str, lang: str) -> list[str]:
    """English catalogue texts (differing from ``lang``'s, 4+ letters) found as whole phrases."""
    hits = []
    for key, texts in STRINGS.items():
        english = texts["en"]
        if english == texts.get(lang) or len(re.sub(r"[\W\d_]", "", english)) < 4:
            continue
        # placeholders ({n}, {name}) match anything short on one line
        pattern = r"[^\n]{0,80}?".join(re.escape(part) for part in re.split(r"\{\w+\}", english))
        if re.search(r"(?<![\w])" + pattern + r"(?![\w])", text):
            hits.append(f"{key}: {english!r}")
    return hits


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("i18n-app")
    env = app_env(ATR_APP_RESULTS=str(tmp / "results"), ATR_CACHE_DIR=str(tmp / "cache"), PYTHONPATH=str(ROOT))
    with serve_streamlit(
        Path("app.py"), cwd=ROOT, env=env, log_path=tmp / "streamlit.log",
        extra_args=["--server.headless", "true", "--browser.gatherUsageStats", "false"],
    ) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str, chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    blocked: list[str] = []

    def only_local(route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        context.route("**/*", only_local)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server)
        page.wait_for_selector(IDLE)
        # one run of the demo in English, so the result views (KPIs, passport, tables) exist
        page.get_by_role("button", name="Run scenario").click()
        expect(page.get_by_text("Scenario runs: 1")).to_be_visible()
        page.wait_for_selector(IDLE)
        yield page
        browser.close()


def _choose_language(page, lang: str) -> None:
    box = page.get_by_test_id("stSelectbox").first  # the language selector opens the sidebar
    box.click()
    page.get_by_role("option", name=LANGUAGES[lang], exact=True).click()
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE)


#: The text nodes a reader sees: rendered, visible and not shrunk to nothing (CSS-replaced texts).
SEEN_TEXT = """root => {
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!el || !el.checkVisibility({visibilityProperty: true})) continue;
        if (getComputedStyle(el).fontSize === "0px") continue;
        out.push(node.textContent);
    }
    return out.join("\\n");
}"""


def _visible_text(page) -> str:
    """The page's visible text, the values shown in its inputs (dropdowns) and its frames' text."""
    parts = [page.locator('[data-testid="stApp"]').evaluate(SEEN_TEXT)]
    parts += page.locator('[data-testid="stApp"] input').evaluate_all("els => els.map(e => e.value)")
    for frame in page.frames:
        if frame != page.main_frame:
            with contextlib.suppress(Exception):  # a frame that is gone or empty: nothing to read
                parts.append(frame.locator("body").evaluate(SEEN_TEXT, timeout=5_000))
    return "\n".join(parts)


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_no_english_catalogue_text_in_any_view(page, lang: str) -> None:
    from playwright.sync_api import expect

    _choose_language(page, lang)
    expect(page.get_by_text(STRINGS["app.title"][lang])).to_be_visible()
    # the rerun that drew the new title has ended (under load it may start after _choose_language's
    # wait for an idle app, which then saw the idle state before it)
    page.wait_for_selector(IDLE)
    # in the same rerun as the switch, the dropdowns and the filter chips show the new language
    box = page.get_by_test_id("stMultiSelect").first
    expect(box).to_contain_text(STRINGS["status.merged"][lang])
    assert STRINGS["status.merged"]["en"] not in box.inner_text().split("\n")
    found = {}
    for view in VIEWS:
        page.get_by_test_id("stRadio").get_by_text(STRINGS[f"view.{view}"][lang], exact=True).first.click()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE)
        if view == "compare":
            # the comparison itself: two synced maps, the key figures, the units that differ
            page.get_by_role("button", name=STRINGS["compare.run"][lang]).click()
            page.wait_for_timeout(300)
            page.wait_for_selector(IDLE)
            expect(page.locator('iframe[title="streamlit_folium.st_folium"]')).to_have_count(2)
            expect(page.locator("table.atr-figures")).to_be_visible()
        page.wait_for_timeout(700)  # the map frame draws its legend after the rerun
        hits = english_hits(_visible_text(page), lang)
        if hits:
            found[view] = hits
            page.screenshot(path=str(ARTIFACTS / f"i18n-{lang}-{view}.png"), full_page=True)
    assert not found, found
    page.get_by_test_id("stRadio").get_by_text(STRINGS["view.map"][lang], exact=True).first.click()
    page.wait_for_selector(IDLE)
    page.screenshot(path=str(ARTIFACTS / f"i18n-{lang}-map.png"), full_page=True)
