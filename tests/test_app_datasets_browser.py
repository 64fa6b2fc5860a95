"""The app opens any dataset (issue 22, item 4), in headless Chromium.

The app is started the README's way, ``streamlit run app.py``, with the data-folder option
(``-- --data-dir DIR``) naming a folder that holds another country's dataset (the demo territory
as Fictionia, ``tests/terms_fixtures.py``). A ``?dataset=`` link names it and the page opens on
it, in its own words; a GeoPackage upload that keeps the contract is selected and its link
restores it in a new session; one that breaks the contract is refused naming layer, column and row.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from browser_support import CHROMIUM_ARGS, app_env, serve_streamlit
from terms_fixtures import FICTIONIA_TERMS, fictionia_dataset, write_fictionia

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def files(demo_dataset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The data folder (Fictionia), and two files to upload: a good dataset and a broken one."""
    base = tmp_path_factory.mktemp("app-datasets")
    data_dir = base / "data"
    write_fictionia(demo_dataset, data_dir)
    uploads = base / "to-upload"
    uploads.mkdir()
    upland = fictionia_dataset(demo_dataset, terms={**FICTIONIA_TERMS, "unit_term_plural": {"en": "parishes"}})
    upland = upland.replace(metadata={**upland.metadata, "name": "Upland (invented)", "build_id": "upland-v1"})
    good = upland.write(uploads / "upland.gpkg")
    units = upland.units.copy()
    code = str(units["unit_code"].iloc[0])
    units.loc[units.index[0], "level"] = "parish"  # one unit's level outside the contract
    bad = upland.replace(units=units).write(uploads / "broken.gpkg")  # written as it is: no check on write
    return {"data": data_dir, "good": good, "bad": bad, "base": base, "bad_code": Path(code)}


@pytest.fixture(scope="module")
def server(files: dict[str, Path]) -> Iterator[str]:
    base = files["base"]
    env = app_env(ATR_APP_RESULTS=str(base / "results"), ATR_CACHE_DIR=str(base / "cache"), PYTHONPATH=str(ROOT))
    env.pop("ATR_DATA_DIR", None)  # the option alone names the folder
    with serve_streamlit(Path("app.py"), cwd=ROOT, env=env, log_path=base / "streamlit.log",
                         extra_args=["--server.fileWatcherType", "none", "--", "--data-dir", str(files["data"])]) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector(IDLE)
    return context, page


def _link(page, name: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query).get(name, [""])[0]


def _link_dataset(page) -> str:
    return _link(page, "dataset")


def test_a_link_opens_a_data_folder_dataset_in_its_own_words(browser, server: str) -> None:
    from playwright.sync_api import expect

    context, page = _open(browser, f"{server}/?dataset=fictionia&lang=en")
    try:
        expect(page.get_by_role("combobox", name="Dataset")).to_have_value("Fictionia (invented) · fictionia-test-v1")
        expect(page.get_by_text("Consolidation modeller for communes (Republic of Fictionia)")).to_be_visible()
        expect(page.get_by_text("Fictionia (invented)", exact=True)).to_be_visible()  # the header names it
        assert _link_dataset(page) == "fictionia"
        # the page's own texts use Fictionia's words; only the (Kyrgyz) scenario file's own title and
        # description, shown as the file has them, may name aiyl aimaks
        scenario = yaml.safe_load((ROOT / "scenarios" / f"{_link(page, 'scenario')}.yaml").read_text(encoding="utf-8"))
        hits = page.get_by_text(re.compile("aiyl|aimak|raion|oblast|okmotu", re.IGNORECASE))
        texts = [hits.nth(i).inner_text() for i in range(hits.count())]
        assert [x for x in texts if scenario["title"] not in x and scenario["description"].strip() not in x] == []
    finally:
        context.close()


def test_an_upload_is_checked_selected_and_restored_by_its_link(browser, server: str, files: dict[str, Path]) -> None:
    from playwright.sync_api import expect

    context, page = _open(browser, f"{server}/?lang=en")
    try:
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Open a dataset")
        uploader.locator('input[type="file"]').set_input_files(str(files["bad"]))
        error = page.get_by_test_id("stAlertContentError").filter(has_text="broken.gpkg")
        expect(error).to_contain_text(f"unit '{files['bad_code']}' has level 'parish'")
        page.wait_for_selector(IDLE)
        expect(page.get_by_role("combobox", name="Dataset")).to_have_value("Demo Republic (fictional)")
        uploader.locator('input[type="file"]').set_input_files(str(files["good"]))
        expect(page.get_by_role("combobox", name="Dataset")).to_have_value("⤴ Upland (invented) · upland-v1")
        expect(page.get_by_text("Consolidation modeller for parishes (Republic of Fictionia)")).to_be_visible()
        page.wait_for_selector(IDLE)
        link = _link_dataset(page)
        assert link.startswith("upload:"), page.url
    finally:
        context.close()
    stored = list((files["base"] / "results").rglob("*.gpkg"))
    assert [p.stem for p in stored] == [link.removeprefix("upload:")]  # the good file only, in the user's folder
    context, page = _open(browser, f"{server}/?dataset={urllib.parse.quote(link)}&lang=en")
    try:
        expect(page.get_by_role("combobox", name="Dataset")).to_have_value("⤴ Upland (invented) · upland-v1")
    finally:
        context.close()
