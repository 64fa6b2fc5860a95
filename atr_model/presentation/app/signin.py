"""The app's sign-in gate (Streamlit): until a visitor is signed in, the page shows the sign-in
form and nothing else.

The mode comes from the server's ``.streamlit/secrets.toml``
(:func:`~atr_model.presentation.app.auth.sign_in_settings`, docs/deploy.md):

* no ``[auth]`` and no ``[atr_model] users_file``: no sign-in, the local user (one person on
  their own machine, the server bound to 127.0.0.1);
* ``[auth]``: Streamlit's ``st.login`` with an OpenID Connect identity provider;
* ``[atr_model] users_file``: a name and password checked against the users file
  (:mod:`.auth`; re-read when it changes, so a removed user is signed out at their next click).

:func:`signed_in_user` returns the identity whose private results folder the session uses.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import time
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from atr_model.presentation.app import auth
from atr_model.presentation.app.results import LOCAL_USER
from atr_model.presentation.i18n import t

__all__ = ["signed_in_user", "account_box", "settings"]

logger = logging.getLogger(__name__)

#: Session key of the name signed in through the users file.
_USER_KEY = "_signed_in_user"
#: Seconds a refused sign-in waits before it answers (slows guessing; the scrypt check is the rest).
_REFUSAL_DELAY_S = 1.0


def settings() -> auth.SignInSettings:
    """The sign-in mode of this server, from ``st.secrets`` (no secrets file: no sign-in)."""
    if not st.secrets.load_if_toml_exists():
        return auth.SignInSettings("local")
    found: dict[str, object] = {key: st.secrets[key] for key in ("auth", "atr_model") if key in st.secrets}
    return auth.sign_in_settings(found)


def signed_in_user(lang: str) -> str:
    """The signed-in identity (``"users:NAME"``, ``"oidc:EMAIL"``, or the local user when the
    server has no sign-in); otherwise draws the sign-in page and stops the script run."""
    mode = settings()
    if mode.mode == "oidc":
        return _oidc_user(mode, lang)
    if mode.mode == "users" and mode.users_file is not None:
        return _users_file_user(mode.users_file, lang)
    return LOCAL_USER


def _oidc_user(mode: auth.SignInSettings, lang: str) -> str:
    if st.user.is_logged_in:
        return f"oidc:{st.user.get('email') or st.user.get('sub') or ''}"
    st.title(t("signin.title", lang))
    if importlib.util.find_spec("authlib") is None:  # st.login would fail at the click: say it now
        st.error(t("signin.no_authlib", lang))
        st.stop()
    st.write(t("signin.intro", lang))
    for provider in mode.providers or (None,):
        label = t("signin.provider", lang, provider=provider or t("signin.provider_default", lang))
        if st.button(label, key=f"signin_{provider or 'default'}", type="primary"):
            if provider:
                st.login(provider)
            else:
                st.login()
    st.stop()
    raise AssertionError("unreachable")  # pragma: no cover - st.stop() does not return


@functools.lru_cache(maxsize=4)
def _users(path: str, stamp: tuple[int, int]) -> Mapping[str, str]:
    """The users file, read again whenever its size or modification time changes."""
    return auth.read_users(Path(path))


def _current_users(path: Path) -> Mapping[str, str]:
    stat = path.stat()
    return _users(str(path), (stat.st_mtime_ns, stat.st_size))


def _users_file_user(path: Path, lang: str) -> str:
    try:
        users = _current_users(path)
    except (OSError, auth.AuthError) as exc:  # fail closed: no users file, nobody signs in
        logger.error("sign-in refused: %s", exc)
        st.error(t("signin.users_file_error", lang))
        st.stop()
    name = st.session_state.get(_USER_KEY)
    if name and name in users:
        return f"users:{name}"
    st.session_state.pop(_USER_KEY, None)
    st.title(t("signin.title", lang))
    st.write(t("signin.intro", lang))
    with st.form("signin", enter_to_submit=True):
        given = st.text_input(t("signin.name", lang), key="signin_name", autocomplete="username")
        password = st.text_input(t("signin.password", lang), type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("signin.submit", lang), type="primary")
    if submitted:
        if auth.authenticate(users, given, password):
            st.session_state[_USER_KEY] = given.strip()
            st.session_state.pop("signin_password", None)
            st.rerun()
        logger.warning("sign-in refused for %r", given[:64])
        time.sleep(_REFUSAL_DELAY_S)
        st.error(t("signin.wrong", lang))
    st.stop()
    raise AssertionError("unreachable")  # pragma: no cover - st.stop() does not return


def account_box(user: str, lang: str) -> None:
    """Who is signed in, and a sign-out button (nothing for the local user)."""
    if user == LOCAL_USER:
        return
    kind, _, name = user.partition(":")
    st.caption(t("signin.as", lang, name=name))
    if st.button(t("signin.sign_out", lang), key="sign_out"):
        st.session_state.clear()  # the next visitor of this browser tab starts from nothing
        if kind == "oidc":
            st.logout()
        st.rerun()
