"""A dataset GeoPackage uploaded in the app: checked against the data contract, kept per user.

The upload is written to the signed-in user's own folder (:func:`uploads_root`, inside their
results folder, mode 0700: never a shared place), read back with the full contract check
(:func:`atr_model.data.read_dataset`, whose message names the layer, column and row) and kept
under a name made of its content's digest, so the same file uploaded twice is one dataset. A
file that fails the check is deleted. The size limit is the app's upload limit
(:func:`atr_model.scenarios.limits.limits`, checked by the page before this is called).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from atr_model.data.dataset import read_dataset
from atr_model.errors import ContractError, DataError
from atr_model.presentation.app.results import results_root

__all__ = ["UPLOADS_FOLDER", "uploads_root", "store_uploaded_dataset"]

#: The folder of a user's uploaded datasets inside their results folder (hidden: not a result).
UPLOADS_FOLDER = ".datasets"


def uploads_root(user: str) -> Path:
    """The folder of ``user``'s uploaded datasets (created, mode 0700)."""
    folder = results_root(user) / UPLOADS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def store_uploaded_dataset(data: bytes, name: str, folder: Path) -> Path:
    """Check an uploaded GeoPackage against the data contract and keep it in ``folder``.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The uploaded file's name (for messages).
    folder : pathlib.Path
        The user's uploads folder (:func:`uploads_root`).

    Returns
    -------
    pathlib.Path
        ``folder / <digest>.gpkg``, a valid dataset.

    Raises
    ------
    DataError, ContractError
        When the file is not a GeoPackage, lacks a layer, or breaks the contract; the message
        starts with the uploaded file's name and names the layer, column and row.
    """
    if not name.lower().endswith(".gpkg"):
        raise DataError(f"{name}: not a GeoPackage (.gpkg); upload a dataset written by 'atr-model data build' or 'data import'")
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = folder / f"{digest}.gpkg"
    if target.exists():
        return target
    staging = folder / f".{digest}.upload.gpkg"
    staging.write_bytes(data)
    try:
        read_dataset(staging)
    except (DataError, ContractError) as exc:
        staging.unlink(missing_ok=True)
        # the message names the staging file: name the user's file instead
        raise type(exc)(str(exc).replace(str(staging), name)) from None
    except ValueError as exc:  # e.g. a metadata value that is not JSON
        staging.unlink(missing_ok=True)
        raise DataError(f"{name}: not a readable dataset ({exc})") from None
    except Exception:
        staging.unlink(missing_ok=True)
        raise
    os.replace(staging, target)
    return target
