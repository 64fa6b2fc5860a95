"""Sign-in for a team server, without Streamlit: password hashes, the users file, user folders.

The app serves one person on their own machine with no sign-in; served to a team it signs
people in, either through an OpenID Connect provider (Streamlit's ``st.login``, configured by an
``[auth]`` section in ``.streamlit/secrets.toml``) or, on an offline LAN, through a users file
named by ``users_file`` in the ``[atr_model]`` section of the same file (docs/deploy.md). This
module holds the plain-Python part: scrypt password hashes (stdlib :func:`hashlib.scrypt`, a
random salt per user), reading and writing the users file, and the digest that names a user's
private results folder. :mod:`.signin` is the thin Streamlit gate on top of it.

The users file is TOML, one table per user, written by ``atr-model users add/remove``::

    [users."aigul"]
    password = "scrypt$131072$8$1$<salt, base64>$<key, base64>"
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from atr_model._atomic import atomic_file
from atr_model.errors import ATRError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Streamlit >= 1.67 (the app) needs Python 3.11, so tomli is never needed
    import tomli as tomllib  # type: ignore[import-not-found]  # mypy checks as Python 3.10

__all__ = [
    "SCRYPT_N",
    "AuthError",
    "SignInSettings",
    "hash_password",
    "verify_password",
    "valid_user_name",
    "read_users",
    "write_users",
    "add_user",
    "remove_user",
    "authenticate",
    "sign_in_settings",
    "user_digest",
]

#: scrypt cost (OWASP's minimum for scrypt: N=2^17, r=8, p=1; 128 MiB and under a second per
#: check here). Stored in each hash, so a file written with other costs still verifies.
SCRYPT_N = 2**17
_SCRYPT_R = 8
_SCRYPT_P = 1
_KEY_BYTES = 32
_SALT_BYTES = 16
#: A name is a login: letters, digits and ``. _ @ -`` (an e-mail address fits), 1 to 64 characters.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_HEADER = (
    "# atr-model sign-in users (docs/deploy.md). Passwords are scrypt hashes with a salt per user.\n"
    "# Manage with: atr-model users add NAME --file FILE / atr-model users remove NAME --file FILE\n"
)
#: Checked against when a name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = f"scrypt${SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${'A' * 24}${'A' * 44}"


class AuthError(ATRError):
    """A users file that cannot be read or written, or a name or password that is not allowed."""


@dataclass(frozen=True)
class SignInSettings:
    """How the app signs people in, read from the server's secrets (``.streamlit/secrets.toml``).

    Attributes
    ----------
    mode
        ``"oidc"`` (an ``[auth]`` section: Streamlit's ``st.login``), ``"users"`` (a users file)
        or ``"local"`` (no sign-in: one person on their own machine).
    users_file
        The users file in ``"users"`` mode.
    providers
        The named OIDC providers (``[auth.NAME]`` sections); empty for the default one.
    """

    mode: str
    users_file: Path | None = None
    providers: tuple[str, ...] = ()


def sign_in_settings(secrets: Mapping[str, object]) -> SignInSettings:
    """The sign-in mode the server's secrets ask for.

    An ``[auth]`` section means OpenID Connect (it wins over a users file); else
    ``[atr_model] users_file`` means the users file; else no sign-in.
    """
    auth = secrets.get("auth")
    if isinstance(auth, Mapping) and auth:
        providers = tuple(sorted(k for k, v in auth.items() if isinstance(v, Mapping)))
        return SignInSettings("oidc", providers=providers)
    section = secrets.get("atr_model")
    users_file = section.get("users_file") if isinstance(section, Mapping) else None
    if users_file:
        return SignInSettings("users", users_file=Path(str(users_file)).expanduser())
    return SignInSettings("local")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """An scrypt hash of ``password`` with a fresh random salt: ``scrypt$N$r$p$salt$key``.

    Raises
    ------
    AuthError
        For an empty password.
    """
    if not password:
        raise AuthError("the password is empty")
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, n, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(key)}"


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem: scrypt needs 128 * n * r * p bytes; hashlib's default cap (32 MiB) is below N=2^17
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r * p + 2**20, dklen=_KEY_BYTES)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` text); False for a
    malformed hash, never an exception (a damaged line refuses that user only)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
        if not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16 and key):
            return False
        return hmac.compare_digest(_scrypt(password, salt, n, r, p)[: len(key)], key)
    except ValueError:
        return False


def valid_user_name(name: str) -> bool:
    """Whether ``name`` may be a user name (see :data:`_NAME`)."""
    return _NAME.fullmatch(name) is not None


def read_users(path: Path) -> dict[str, str]:
    """The users file: name -> password hash.

    Raises
    ------
    AuthError
        When the file is missing, not TOML, or holds a user without a password text, naming
        the file (and the line TOML reports).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuthError(f"{path}: users file not found (create it with `atr-model users add NAME --file {path}`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthError(f"{path}: cannot read the users file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise AuthError(f"{path}: not a valid users file: {exc}") from None
    users = data.get("users", {})
    if not isinstance(users, dict):
        raise AuthError(f"{path}: 'users' must be a table of [users.NAME] sections")
    out: dict[str, str] = {}
    for name, entry in users.items():
        password = entry.get("password") if isinstance(entry, dict) else None
        if not valid_user_name(name) or not isinstance(password, str):
            raise AuthError(f"{path}: user {name!r}: needs a valid name and a 'password' hash text")
        out[name] = password
    return out


def write_users(path: Path, users: Mapping[str, str]) -> None:
    """Write the users file (names sorted) atomically, readable by its owner only (mode 0600)."""
    lines = [_HEADER]
    for name in sorted(users):
        if not valid_user_name(name):
            raise AuthError(f"{name!r}: not a valid user name (letters, digits and . _ @ -, up to 64)")
        lines.append(f'\n[users."{name}"]\npassword = "{users[name]}"\n')
    path = Path(path)
    with atomic_file(path) as staging:
        # created 0600 from the start: the hashes are never readable by others, not even briefly
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("".join(lines))


def add_user(path: Path, name: str, password: str, *, n: int = SCRYPT_N) -> bool:
    """Add ``name`` to the users file (created when missing), or set its new password.

    Returns
    -------
    bool
        True when the user is new, False when an existing user's password was replaced.
    """
    if not valid_user_name(name):
        raise AuthError(f"{name!r}: not a valid user name (letters, digits and . _ @ -, up to 64)")
    users = read_users(path) if Path(path).exists() else {}
    new = name not in users
    users[name] = hash_password(password, n=n)
    write_users(path, users)
    return new


def remove_user(path: Path, name: str) -> None:
    """Remove ``name`` from the users file.

    Raises
    ------
    AuthError
        When the file has no such user.
    """
    users = read_users(path)
    if name not in users:
        raise AuthError(f"{path}: no user {name!r}")
    del users[name]
    write_users(path, users)


def authenticate(users: Mapping[str, str], name: str, password: str) -> bool:
    """Whether ``name`` is a user and ``password`` theirs. An unknown name is checked against
    a dummy hash, so the answer takes as long either way (no probing for names)."""
    stored = users.get(name.strip())
    ok = verify_password(password, stored if stored is not None else _DUMMY_HASH)
    return ok and stored is not None


def user_digest(identity: str) -> str:
    """The name of a user's results folder: 16 hex digits of SHA-256 of their identity
    (``"local"``, ``"users:NAME"`` or ``"oidc:EMAIL"``), so no folder name shows who it is."""
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]

