"""What the app offers as data, without Streamlit: the dataset selector, loading and the Kyrgyz build.

The demo, the datasets built into the cache and "build the Kyrgyz dataset from the shared open
data"; the selector keys a shareable link writes; a territory cut out of a dataset with its travel
model (:func:`subset_dataset` and :func:`territory_raions` are the data layer's, offered here beside
:func:`subset_travel_model` for the app and ``benchmarks/bench_app.py``); the ``dataset`` value that
reruns a scenario on another machine.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio

from atr_model.data import default_cache_dir, make_demo_dataset, subset_dataset, territory_raions, write_kyrgyz_build
from atr_model.data.dataset import Dataset, read_dataset
from atr_model.errors import DataError
from atr_model.network import TravelModel
from atr_model.scenarios import kyrgyz_source_dir

__all__ = [
    "DEMO_KEY",
    "KYRGYZ_KEY",
    "KYRGYZ_BUILD",
    "DatasetChoice",
    "dataset_choices",
    "load_dataset",
    "subset_dataset",
    "territory_raions",
    "subset_travel_model",
    "portable_dataset",
    "kyrgyz_build_path",
    "dataset_link_name",
    "dataset_key_from_link",
]

#: Dataset selector key of the generated demo territory.
DEMO_KEY = "demo"
#: Dataset selector key of "build the Kyrgyz dataset from the shared open data".
KYRGYZ_KEY = "kyrgyz"


@dataclass(frozen=True)
class DatasetChoice:
    """One entry of the dataset selector.

    Attributes
    ----------
    key
        ``"demo"``, ``"kyrgyz"`` or the path of a built dataset GeoPackage.
    label
        Text for the selector (English; the page translates the demo's).
    path
        The GeoPackage for built datasets, else None.
    """

    key: str
    label: str
    path: Path | None = None


def _cache_dir() -> Path:
    return Path(default_cache_dir())


def _dataset_label(path: Path) -> str | None:
    """'<name> · <build id>' from a dataset GeoPackage's metadata; None if it is not one."""
    try:
        names = {name for name, _ in pyogrio.list_layers(path)}
        if not {"units", "settlements", "metadata"} <= names:
            return None
        meta = pyogrio.read_dataframe(path, layer="metadata")
    except Exception:  # unreadable files are simply not offered
        return None
    values = {str(k): json.loads(v) for k, v in zip(meta["key"], meta["value"])}
    name = str(values.get("name") or values.get("kind") or path.stem)
    return f"{name} · {values.get('build_id', path.stem)}"


def _kyrgyz_source() -> Path | None:
    source = kyrgyz_source_dir()
    return source if source.exists() else None


#: Where the app (like ``atr-model quickstart``) keeps the Kyrgyz build in the cache.
KYRGYZ_BUILD = Path("kyrgyzstan") / "kyrgyzstan.gpkg"


def kyrgyz_build_path(cache_dir: Path | None = None) -> Path:
    """Where ``atr-model quickstart`` / ``data build`` put the Kyrgyz dataset in the cache."""
    root = Path(cache_dir) if cache_dir is not None else _cache_dir()
    return root / KYRGYZ_BUILD


def dataset_link_name(key: str) -> str:
    """A dataset key as a shareable link writes it: ``demo``, ``kyrgyz`` or the path."""
    return KYRGYZ_KEY if key in (KYRGYZ_KEY, str(kyrgyz_build_path())) else key


def dataset_key_from_link(name: str) -> str | None:
    """The selector key for a link's ``dataset`` value (None when nothing matches here)."""
    if not name:
        return None
    if name == DEMO_KEY:
        return DEMO_KEY
    if name == KYRGYZ_KEY:
        built = kyrgyz_build_path()
        return str(built) if built.exists() else (KYRGYZ_KEY if _kyrgyz_source() is not None else None)
    # only a dataset the app lists: a link must not make the server open a path it names
    return name if name in {choice.key for choice in dataset_choices()} else None


def dataset_choices(cache_dir: Path | None = None) -> list[DatasetChoice]:
    """Datasets the app can offer: the demo, datasets built into the cache, the Kyrgyz build.

    Parameters
    ----------
    cache_dir
        Where built datasets live; default ``atr_model.data.cache.default_cache_dir()``.

    Returns
    -------
    list of DatasetChoice
        Demo first (when available), then built GeoPackages sorted by path, then "build the
        Kyrgyz dataset" when the shared open data is present.
    """
    choices: list[DatasetChoice] = [DatasetChoice(DEMO_KEY, "Demo Republic (fictional)")]
    root = Path(cache_dir) if cache_dir is not None else _cache_dir()
    if root.exists():
        for path in sorted(root.rglob("*.gpkg")):
            if "results" in path.parts or path.parent.name == "demo":
                continue
            label = _dataset_label(path)
            if label is not None:
                choices.append(DatasetChoice(str(path), label, path))
    if _kyrgyz_source() is not None and not (root / KYRGYZ_BUILD).exists():
        choices.append(DatasetChoice(KYRGYZ_KEY, "Kyrgyz Republic (build from open data, ~2 min)"))
    return choices


def load_dataset(key: str) -> Dataset:
    """Load the dataset behind a selector key.

    Raises
    ------
    DataError
        When the key names nothing loadable (missing file, demo not available...).
    """
    if key == DEMO_KEY:
        return make_demo_dataset()
    if key == KYRGYZ_KEY:
        return _build_kyrgyz()
    return read_dataset(Path(key))


def _build_kyrgyz() -> Dataset:
    """Build the Kyrgyz dataset from the shared open data into the cache (as quickstart does)."""
    source = _kyrgyz_source()
    if source is None:
        raise DataError("the shared Kyrgyz open data (../shared/kg-open-data, or $ATR_KG_DATA) is not present")
    path, _report = write_kyrgyz_build(source, _cache_dir() / KYRGYZ_BUILD.parent)
    return read_dataset(path)


def subset_travel_model(travel_model: TravelModel, unit_codes: Iterable[str]) -> TravelModel:
    """The travel model restricted to some units (rows whose units are all in the set)."""
    codes = {str(c) for c in unit_codes}

    def keep(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
        mask = pd.Series(True, index=frame.index)
        for column in columns:
            if column in frame.columns:
                mask &= frame[column].astype(str).isin(codes)
        return frame[mask].copy()

    return dataclasses.replace(
        travel_model,
        settlement_centre_times=keep(travel_model.settlement_centre_times, "unit_code", "centre_unit_code"),
        settlement_access=keep(travel_model.settlement_access, "unit_code"),
        unit_remoteness=keep(travel_model.unit_remoteness, "unit_code"),
        adjacency=keep(travel_model.adjacency, "unit_a", "unit_b"),
    )


@functools.lru_cache(maxsize=32)
def _dataset_kind(path: Path) -> str:
    """The ``kind`` in a dataset GeoPackage's metadata ('' when unreadable)."""
    try:
        meta = pyogrio.read_dataframe(path, layer="metadata")
    except Exception:  # not a dataset: no kind
        return ""
    values = {str(k): v for k, v in zip(meta["key"], meta["value"])}
    try:
        return str(json.loads(values.get("kind", '""')))
    except ValueError:
        return str(values.get("kind", ""))


def portable_dataset(dataset_key: str | None) -> str:
    """The ``dataset`` value that reruns a scenario on another machine.

    ``demo`` and ``kyrgyz`` for the demo and for the Kyrgyz build (whatever cache path it was
    loaded from); another built GeoPackage is named by its file name (put it beside the
    scenario file: relative paths are read from there).
    """
    if not dataset_key or dataset_key == DEMO_KEY:
        return DEMO_KEY
    if dataset_key == KYRGYZ_KEY:
        return KYRGYZ_KEY
    path = Path(dataset_key)
    if _dataset_kind(path) == "kyrgyzstan-open-data":
        return KYRGYZ_KEY
    return path.name
