"""Where atr-model keeps built datasets and other derived files."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir"]


def default_cache_dir() -> Path:
    """Return the cache directory: ``$ATR_CACHE_DIR``, else ``~/.cache/atr-model``.

    The directory is not created here; writers create it when they need it.
    """
    env = os.environ.get("ATR_CACHE_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "atr-model"
