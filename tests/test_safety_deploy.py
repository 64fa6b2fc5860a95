"""Issue 26, finding 4 ("no sign-in, open to the network, trusted shared results"): the app's
server binds to 127.0.0.1 and asks the internet nothing at start-up; a team server signs people
in (a users file with scrypt hashes, or an OIDC provider through ``st.login``); each user's
results live in a private folder (mode 0700) of the user cache; a result folder whose files
differ from its digest manifest is neither reused nor shown. docs/deploy.md is the guide these
tests hold to.

Fast tests run the pure logic (hashes, users file, manifest), the page script (AppTest) and the
real server start; the ``browser`` tests start the real server with a users file configured in a
temporary copy of the configuration and sign two users in with Chromium.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, app_env, serve_streamlit
from typer.testing import CliRunner

from atr_model._atomic import MARKER
from atr_model.errors import DataError
from atr_model.presentation.app import auth, results
from atr_model.presentation.app.server import PAGE_SCRIPT
from atr_model.presentation.cli import app as cli_app
from atr_model.scenarios import MANIFEST_NAME, load_scenario, verify_manifest

ROOT = Path(__file__).resolve().parents[1]
DEMO_SCENARIO = ROOT / "scenarios" / "demo.yaml"
#: A cheap scrypt cost for the users the tests sign in (the cost is stored in each hash; the
#: CLI's default cost is tested once, in test_users_cli_adds_lists_and_removes).
TEST_N = 2**12


# ---------------------------------------------------------------------------------------------
# passwords and the users file


def test_password_hashes_are_salted_and_check_only_the_right_password() -> None:
    first, second = auth.hash_password("Бишкек 2013!", n=TEST_N), auth.hash_password("Бишкек 2013!", n=TEST_N)
    assert first != second  # a salt per hash: equal passwords do not show as equal hashes
    assert first.startswith(f"scrypt${TEST_N}$8$1$")
    assert auth.verify_password("Бишкек 2013!", first) and auth.verify_password("Бишкек 2013!", second)
    assert not auth.verify_password("бишкек 2013!", first)
    assert not auth.verify_password("", first)
    assert not auth.verify_password("Бишкек 2013!", first.replace("scrypt$", "md5$"))  # a damaged line: refused
    assert not auth.verify_password("Бишкек 2013!", "scrypt$2$8$1$!!$!!")
    with pytest.raises(auth.AuthError, match="empty"):
        auth.hash_password("")


def test_users_cli_adds_lists_and_removes(tmp_path: Path) -> None:
    users = tmp_path / "srv" / "users.toml"
    runner = CliRunner()
    added = runner.invoke(cli_app, ["users", "add", "aigul", "--file", str(users)], input="s3cret pass\ns3cret pass\n")
    assert added.exit_code == 0, added.output
    assert "s3cret" not in users.read_text(encoding="utf-8")  # only the hash is stored
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    stored = auth.read_users(users)
    assert stored["aigul"].startswith(f"scrypt${auth.SCRYPT_N}$")  # the default cost: OWASP's minimum
    assert auth.authenticate(stored, "aigul", "s3cret pass") and not auth.authenticate(stored, "aigul", "s3cret")
    mismatch = runner.invoke(cli_app, ["users", "add", "bakyt", "--file", str(users)], input="one\ntwo\none\none\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output.lower()
    listed = runner.invoke(cli_app, ["users", "list", "--file", str(users)])
    assert listed.output.split() == ["aigul", "bakyt"] and "scrypt" not in listed.output
    removed = runner.invoke(cli_app, ["users", "remove", "aigul", "--file", str(users)])
    assert removed.exit_code == 0 and list(auth.read_users(users)) == ["bakyt"]
    missing = runner.invoke(cli_app, ["users", "remove", "aigul", "--file", str(users)])
    assert isinstance(missing.exception, auth.AuthError) and "no user 'aigul'" in str(missing.exception)
    bad = runner.invoke(cli_app, ["users", "add", 'x"]\n[users.y', "--file", str(users)], input="p\np\n")
    assert isinstance(bad.exception, auth.AuthError) and list(auth.read_users(users)) == ["bakyt"]  # no TOML injection


def test_unknown_name_and_damaged_file_are_refused(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    auth.add_user(users, "aigul", "pw", n=TEST_N)
    stored = auth.read_users(users)
    assert not auth.authenticate(stored, "nobody", "pw")
    (tmp_path / "broken.toml").write_text('[users."aigul"\npassword = 1\n', encoding="utf-8")
    with pytest.raises(auth.AuthError, match="broken.toml: not a valid users file"):
        auth.read_users(tmp_path / "broken.toml")
    with pytest.raises(auth.AuthError, match="users file not found"):
        auth.read_users(tmp_path / "absent.toml")


def test_sign_in_mode_comes_from_the_servers_secrets(tmp_path: Path) -> None:
    assert auth.sign_in_settings({}).mode == "local"  # nothing configured: the local single-user start
    users = auth.sign_in_settings({"atr_model": {"users_file": str(tmp_path / "u.toml")}})
    assert users.mode == "users" and users.users_file == tmp_path / "u.toml"
    oidc = auth.sign_in_settings({"auth": {"redirect_uri": "x", "cookie_secret": "y", "google": {"client_id": "c"}},
                                  "atr_model": {"users_file": "u.toml"}})
    assert oidc.mode == "oidc" and oidc.providers == ("google",)


# ---------------------------------------------------------------------------------------------
# private result folders and the digest manifest


def test_each_user_has_a_private_results_folder_in_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATR_APP_RESULTS", raising=False)
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    local, aigul, bakyt = (results.results_root(u) for u in (results.LOCAL_USER, "users:aigul", "users:bakyt"))
    assert len({local, aigul, bakyt}) == 3
    for folder in (local, aigul, bakyt):
        assert folder.parent == tmp_path / "cache" / "app-results"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert "aigul" not in folder.name and "bakyt" not in folder.name  # names are digests
    assert stat.S_IMODE(local.parent.stat().st_mode) == 0o700


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from atr_model.data.demo import make_demo_dataset

    return results.run_or_reuse(load_scenario(DEMO_SCENARIO), make_demo_dataset(),
                                out_root=tmp_path_factory.mktemp("res"))


def test_a_result_package_carries_the_digest_of_every_file(demo_result: Path) -> None:
    manifest = json.loads((demo_result / MANIFEST_NAME).read_text(encoding="utf-8"))
    # dotfiles (the output marker, which says whose folder it is) are not part of the result
    files = {p.name for p in demo_result.iterdir() if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(".")}
    assert (demo_result / MARKER).is_file()
    assert set(manifest["files"]) == files and {"kpis.json", "assignments.csv", "new_units.gpkg"} <= files
    assert verify_manifest(demo_result) == []


def test_an_edited_kpis_json_is_not_shown_and_is_computed_again(demo_result: Path, tmp_path: Path) -> None:
    from atr_model.data.demo import make_demo_dataset

    root = tmp_path / "root"
    folder = results.result_folder(load_scenario(DEMO_SCENARIO), make_demo_dataset(), root)
    shutil.copytree(demo_result, folder)
    original = (folder / "kpis.json").read_text(encoding="utf-8")
    kpis = json.loads(original)
    kpis["units_after"] = 1
    (folder / "kpis.json").write_text(json.dumps(kpis, indent=2), encoding="utf-8")
    with pytest.raises(DataError, match=r"kpis.json: changed since it was written"):
        results.load_result(folder)
    assert str(root) not in results.result_problems(folder)[0]  # the message names no server path
    reused = results.run_or_reuse(load_scenario(DEMO_SCENARIO), make_demo_dataset(), out_root=root)
    assert reused == folder and verify_manifest(folder) == []  # solved and written afresh
    assert results.load_result(folder).kpis["units_after"] == json.loads(original)["units_after"] > 1


def test_a_planted_or_removed_file_makes_the_folder_untrusted(demo_result: Path, tmp_path: Path) -> None:
    from atr_model.presentation.app import downloads

    folder = tmp_path / "copy"
    shutil.copytree(demo_result, folder)
    downloads.report_html(folder, "ru")  # written on request: recorded in the manifest
    assert verify_manifest(folder) == [] and "report-ru.html" in json.loads((folder / MANIFEST_NAME).read_text())["files"]
    (folder / "report-ky.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    assert verify_manifest(folder) == ["report-ky.html: not part of the package as written"]
    (folder / "report-ky.html").unlink()
    (folder / "settlements.csv").unlink()
    assert verify_manifest(folder) == ["settlements.csv: missing"]
    (folder / MANIFEST_NAME).unlink()
    with pytest.raises(DataError, match="no manifest.json"):
        results.check_result(folder)


# ---------------------------------------------------------------------------------------------
# the page: nothing but the sign-in form until a valid user signs in (AppTest, no browser)


def _page(secrets: dict, user: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE_SCRIPT), default_timeout=180)
    at.secrets = secrets
    if user is not None:
        at.user = user
    return at.run()


@pytest.fixture
def app_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("ATR_APP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "results"


def _shows_the_app(at) -> bool:
    return any(box.key == "dataset_key" for box in at.selectbox)


def test_users_file_sign_in_shows_only_the_form_until_the_right_password(app_folders: Path, tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    auth.add_user(users, "aigul", "correct horse", n=TEST_N)
    at = _page({"atr_model": {"users_file": str(users)}})
    assert not at.exception
    assert not _shows_the_app(at) and not at.sidebar.button and not at.get("component_instance")
    assert [i.label for i in at.text_input] == ["User name", "Password"]
    at.text_input(key="signin_name").input("aigul")
    at.text_input(key="signin_password").input("wrong horse")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong user name or password."] and not _shows_the_app(at)
    at.text_input(key="signin_name").input("aigul")
    at.text_input(key="signin_password").input("correct horse")
    at.button[0].click().run()
    assert not at.exception and not at.error and _shows_the_app(at)
    at.button(key="run").click().run()
    folder = Path(at.session_state["result_folder"])
    assert folder.is_relative_to(app_folders / auth.user_digest("users:aigul"))
    # removed from the file: signed out at the next rerun
    auth.remove_user(users, "aigul")
    at.run()
    assert not _shows_the_app(at)


def test_a_missing_users_file_lets_nobody_in(app_folders: Path, tmp_path: Path) -> None:
    at = _page({"atr_model": {"users_file": str(tmp_path / "absent.toml")}})
    assert not at.exception and not _shows_the_app(at) and not at.text_input
    assert "users file cannot be read" in at.error[0].value


def test_oidc_configured_requires_login(app_folders: Path) -> None:
    secrets = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
                        "client_id": "atr-model", "client_secret": "s",
                        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}}
    at = _page(secrets, {"is_logged_in": False})
    assert not at.exception and not _shows_the_app(at)
    assert at.title[0].value == "Sign in"
    # without Authlib the page says how to install it instead of a login button that would fail
    assert at.button or "Authlib" in at.error[0].value
    signed_in = _page(secrets, {"is_logged_in": True, "email": "aigul@example.org"})
    assert not signed_in.exception and _shows_the_app(signed_in)
    assert "aigul@example.org" in " ".join(c.value for c in signed_in.sidebar.caption)


def test_no_sign_in_configured_the_local_user_gets_its_own_folder(app_folders: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE_SCRIPT), default_timeout=180).run()
    assert _shows_the_app(at) and "signin_password" not in [box.key for box in at.text_input]
    at.button(key="run").click().run()
    folder = Path(at.session_state["result_folder"])
    assert folder.is_relative_to(app_folders / auth.user_digest(results.LOCAL_USER))
    assert stat.S_IMODE((app_folders / auth.user_digest(results.LOCAL_USER)).stat().st_mode) == 0o700


# ---------------------------------------------------------------------------------------------
# the default start: `streamlit run app.py` listens on 127.0.0.1 and asks the internet nothing


class _Recorder:
    """A TCP listener standing in for an HTTP proxy: records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    self.requests.append(conn.recv(1024))

    def close(self) -> None:
        self.sock.close()


def _listening(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                raw = bytes.fromhex(address)
                if width == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # four little-endian 32-bit words
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def _websocket_status(port: int, host: str) -> int:
    """The HTTP status of a WebSocket handshake with the app's live connection, sent as the
    browser at ``http://HOST`` would (same Origin and Host)."""
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request.encode("ascii"))
        return int(conn.recv(1024).split(b" ", 2)[1])


def test_the_default_start_listens_on_127_0_0_1_only_and_looks_nothing_up(tmp_path: Path) -> None:
    import urllib.request

    recorder = _Recorder()
    proxy = f"http://127.0.0.1:{recorder.port}"
    # every outside HTTP(S) request of the server (requests reads these) goes to the recorder
    env = app_env(ATR_APP_RESULTS=str(tmp_path / "results"), ATR_CACHE_DIR=str(tmp_path / "cache"),
                  PYTHONPATH=str(ROOT), HTTP_PROXY=proxy, HTTPS_PROXY=proxy, http_proxy=proxy, https_proxy=proxy,
                  NO_PROXY="", no_proxy="")
    log = tmp_path / "streamlit.log"
    try:
        with serve_streamlit(Path("app.py"), cwd=ROOT, env=env, log_path=log, address=None,
                             extra_args=["--server.fileWatcherType", "none"]) as url:
            port = int(url.rsplit(":", 1)[1])
            assert _listening(port) == {"127.0.0.1"}
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            assert opener.open(f"http://localhost:{port}/_stcore/health", timeout=10).read() == b"ok"  # README's URL
            assert _websocket_status(port, f"localhost:{port}") == 101
            assert _websocket_status(port, f"rebind.example:{port}") != 101  # DNS rebinding: refused
    finally:
        recorder.close()
    text = log.read_text()
    assert f"URL: http://127.0.0.1:{port}" in text
    assert "External URL" not in text and "Network URL" not in text and "external IP" not in text
    assert recorder.requests == [], f"the server asked outside hosts: {recorder.requests[:2]}"


# ---------------------------------------------------------------------------------------------
# the deployment guide, tested in Chromium: sign-in refused, two users see only their own results


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``streamlit run app.py`` as docs/deploy.md sets up a LAN server: a copy of the config with
    a users file named in ``.streamlit/secrets.toml``."""
    base = tmp_path_factory.mktemp("team")
    users = base / "users.toml"
    for name, password in (("aigul", "aigul-pass-1"), ("bakyt", "bakyt-pass-2")):
        auth.add_user(users, name, password, n=TEST_N)
    (base / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", base / ".streamlit" / "config.toml")
    (base / ".streamlit" / "secrets.toml").write_text(f'[atr_model]\nusers_file = "{users}"\n', encoding="utf-8")
    env = app_env(ATR_APP_RESULTS=str(base / "results"), ATR_CACHE_DIR=str(base / "cache"), PYTHONPATH=str(ROOT))
    with serve_streamlit(ROOT / "app.py", cwd=base, env=env, log_path=base / "streamlit.log", address=None,
                         extra_args=["--server.fileWatcherType", "none"]) as url:
        yield url, base / "results"


@pytest.fixture(scope="module")
def chromium(chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=120_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.wait_for_selector(IDLE)
    return page


def _sign_in(page, name: str, password: str) -> None:
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(IDLE)


def _user_folder(results_dir: Path, name: str) -> Path:
    return results_dir / auth.user_digest(f"users:{name}")


@pytest.mark.browser
def test_sign_in_is_refused_without_credentials_and_with_a_wrong_password(chromium, team_server) -> None:
    from playwright.sync_api import expect

    url, _results = team_server
    page = _open(chromium, url)
    try:
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_role("button", name="Sign in").click()  # no credentials
        page.wait_for_selector(IDLE)
        expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
        _sign_in(page, "aigul", "bakyt-pass-2")  # another user's password
        expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
        for absent in ('[data-testid="stSidebar"]', 'iframe[title="streamlit_folium.st_folium"]'):
            assert page.locator(absent).count() == 0, f"{absent} is shown before sign-in"
        assert page.get_by_text("Scenario runs").count() == 0
    finally:
        page.context.close()


@pytest.mark.browser
def test_two_users_each_see_only_their_own_results(chromium, team_server) -> None:
    from playwright.sync_api import expect

    url, results_dir = team_server
    aigul, bakyt = _open(chromium, url), _open(chromium, url)
    try:
        _sign_in(aigul, "aigul", "aigul-pass-1")
        expect(aigul.get_by_text("Signed in as aigul")).to_be_visible()
        aigul.get_by_role("button", name="Show the result of").click()
        expect(aigul.get_by_text("Scenario runs: 1")).to_be_visible()
        aigul.wait_for_selector(IDLE)
        _sign_in(bakyt, "bakyt", "bakyt-pass-2")
        expect(bakyt.get_by_text("Signed in as bakyt")).to_be_visible()
        expect(bakyt.get_by_text("Scenario runs: 0")).to_be_visible()  # aigul's result is not his
        assert bakyt.locator('[data-testid="stMetric"]').count() == 0
        bakyt.get_by_role("button", name="Show the result of").click()
        expect(bakyt.get_by_text("Scenario runs: 1")).to_be_visible()
        bakyt.wait_for_selector(IDLE)
        a_folders = [p.parent for p in _user_folder(results_dir, "aigul").rglob("assignments.csv")]
        b_folders = [p.parent for p in _user_folder(results_dir, "bakyt").rglob("assignments.csv")]
        assert len(a_folders) == 1 and len(b_folders) == 1 and a_folders[0].name == b_folders[0].name
        # the same scenario solved once in the server's own folder, then two private copies
        assert sorted(p.name for p in results_dir.iterdir()) == sorted(
            [*(auth.user_digest(f"users:{n}") for n in ("aigul", "bakyt")), "shared"])
        assert stat.S_IMODE((results_dir / "shared").stat().st_mode) == 0o700
        for name in ("aigul", "bakyt"):
            assert stat.S_IMODE(_user_folder(results_dir, name).stat().st_mode) == 0o700
        assert stat.S_IMODE(results_dir.stat().st_mode) == 0o700
        assert verify_manifest(a_folders[0]) == [] and verify_manifest(b_folders[0]) == []
        # signing out shows the form again, and nothing of the session
        aigul.get_by_role("button", name="Sign out").click()
        aigul.wait_for_selector(IDLE)
        expect(aigul.get_by_role("textbox", name="Password")).to_be_visible()
        assert aigul.get_by_text("Scenario runs").count() == 0
    finally:
        aigul.context.close()
        bakyt.context.close()


def test_the_deployment_guide_is_linked_and_names_the_settings() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "docs/deploy.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ('address = "127.0.0.1"', "[atr_model]", "users_file", "atr-model users add", "[auth]",
                   "st.login", "app-results", "0700", "proxy_pass", "reverse_proxy", "manifest.json"):
        assert needle in guide, needle


def test_a_robustness_package_is_checked_too(tmp_path: Path) -> None:
    from atr_model.scenarios import apply_overrides, run_robustness, write_robustness

    scenario = apply_overrides(load_scenario(DEMO_SCENARIO), **{"uncertainty.population.log_sd.census": 0.3})
    folder = write_robustness(run_robustness(scenario, draws=2, seed=1, workers=1), tmp_path / "rob")
    listed = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    assert {"robustness.json", "nominal/kpis.json", "nominal/manifest.json"} <= set(listed)
    assert verify_manifest(folder) == [] and verify_manifest(folder / "nominal") == []
    meta = json.loads((folder / "robustness.json").read_text(encoding="utf-8"))
    meta["summary"]["new_units_stable"] = 10**6
    (folder / "robustness.json").write_text(json.dumps(meta), encoding="utf-8")
    assert verify_manifest(folder) == ["robustness.json: changed since it was written"]
