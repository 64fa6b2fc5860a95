"""What the app offers as data, without Streamlit: the dataset selector, loading and the Kyrgyz build.

The demo, the datasets built into the cache, the contract GeoPackages of the app's data folder
(``streamlit run app.py -- --data-dir DIR`` or ``$ATR_DATA_DIR``: :func:`data_dirs`), the user's
uploaded GeoPackages and "build the Kyrgyz dataset from the shared open data"; the selector keys a
shareable link writes (:func:`dataset_link_name`, :func:`dataset_key_from_link`); a territory cut
out of a dataset with its travel model (:func:`subset_dataset` and :func:`territory_raions` are the
data layer's, offered here beside :func:`subset_travel_model` for the app and
``benchmarks/bench_app.py``); the ``dataset`` value that reruns a scenario on another machine.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

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
    "DATA_DIR_ENV",
    "DATA_DIR_OPTION",
    "UPLOAD_LINK_PREFIX",
    "data_dirs",
    "data_travel_models",
    "data_folder_names",
]

#: Environment variable naming the app's data folder (several: separated by ``os.pathsep``).
DATA_DIR_ENV = "ATR_DATA_DIR"
#: The page script's option naming a data folder: ``streamlit run app.py -- --data-dir DIR``.
DATA_DIR_OPTION = "--data-dir"
#: A link's ``dataset`` value for one of the user's own uploads: ``upload:<file stem>``.
UPLOAD_LINK_PREFIX = "upload:"

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


def data_dirs(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The app's data folders: each ``--data-dir DIR`` of the page script's arguments
    (``streamlit run app.py -- --data-dir DIR``), then those of ``$ATR_DATA_DIR``.

    Every contract GeoPackage (``*.gpkg`` with the dataset layers) in them, subfolders included,
    is offered in the dataset selector.

    Examples
    --------
    >>> [p.name for p in data_dirs(["--data-dir", "/srv/a"], {"ATR_DATA_DIR": "/srv/b"})]
    ['a', 'b']
    """
    args = list(sys.argv[1:] if argv is None else argv)
    found = [Path(args[i + 1]) for i, arg in enumerate(args[:-1]) if arg == DATA_DIR_OPTION]
    found += [Path(arg.split("=", 1)[1]) for arg in args if arg.startswith(f"{DATA_DIR_OPTION}=")]
    env = (os.environ if environ is None else environ).get(DATA_DIR_ENV, "")
    found += [Path(part) for part in env.split(os.pathsep) if part.strip()]
    out: list[Path] = []
    for folder in (p.expanduser().resolve() for p in found):
        if folder not in out:
            out.append(folder)
    return out


def data_folder_names(path: Path) -> list[str]:
    """The names a scenario file beside the app's data folder may give a path inside it: the path
    in its data folder, the same under the folder's own name (``build/fixture-travel`` for the
    tutorial's ``--data-dir build``) and, for a file, its folder's two names (a build folder).

    Examples
    --------
    >>> data_folder_names(Path("/srv/build/fixture/a.gpkg"))  # doctest: +SKIP
    ['fixture/a.gpkg', 'build/fixture/a.gpkg', 'fixture', 'build/fixture']
    """
    names: list[str] = []
    for folder in data_dirs():
        try:
            inside = path.resolve().relative_to(folder)
        except ValueError:
            continue
        for rel in (inside, *([inside.parent] if path.suffix and inside.parent != Path(".") else [])):
            for name in (rel.as_posix(), (Path(folder.name) / rel).as_posix()):
                if name not in names:
                    names.append(name)
    return names


def _travel_build_id(folder: Path) -> str:
    """The dataset build id a built travel model records ('' when it is unreadable)."""
    try:
        meta = json.loads((folder / "travel_model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not a travel model we can read: never offered
        return ""
    info = meta.get("info") if isinstance(meta, dict) else None
    return str(info.get("dataset_build_id") or "") if isinstance(info, dict) else ""


def data_travel_models(build_id: str | None = None) -> list[Path]:
    """Built travel models (the folders ``atr-model network build --out`` writes) in the app's data
    folders, subfolders included; with ``build_id``, only those built on that dataset build.

    They are the operator's own files, like the data folders' datasets: the app reads one for a
    dataset it was built on, and an uploaded scenario may name one (:func:`data_folder_names`).
    """
    found: list[Path] = []
    for folder in data_dirs():
        for meta in sorted(folder.rglob("travel_model.json")) if folder.is_dir() else []:
            if meta.parent in found or any(part.startswith(".") for part in meta.parent.relative_to(folder).parts):
                continue
            if build_id is None or _travel_build_id(meta.parent) == build_id:
                found.append(meta.parent)
    return found


def _cache_dir() -> Path:
    return Path(default_cache_dir())


def _dataset_label(path: Path) -> str | None:
    """'<name> · <build id>' from a dataset GeoPackage's metadata; None if it is not one."""
    try:
        names = {name for name, _ in pyogrio.list_layers(path)}
        if not {"units", "settlements", "metadata"} <= names:
            return None
        meta = pyogrio.read_dataframe(path, layer="metadata")
        values = {str(k): json.loads(v) for k, v in zip(meta["key"], meta["value"])}
    except Exception:  # unreadable files (or metadata that is not JSON) are simply not offered
        return None
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


def _data_link(path: Path, folders: Sequence[Path]) -> str | None:
    """A data-folder dataset's link name: its path in the folder without ``.gpkg``."""
    for folder in folders:
        try:
            return path.resolve().relative_to(folder).with_suffix("").as_posix()
        except ValueError:
            continue
    return None


def dataset_link_name(key: str, uploads: Path | None = None) -> str:
    """A dataset key as a shareable link writes it: ``demo``, ``kyrgyz``, a data-folder dataset's
    name in its folder (``fictionia``), ``upload:<name>`` for one of the user's uploads (folder
    ``uploads``), else the path."""
    if key in (KYRGYZ_KEY, str(kyrgyz_build_path())):
        return KYRGYZ_KEY
    if key == DEMO_KEY:
        return key
    path = Path(key)
    if uploads is not None and path.parent == Path(uploads):
        return f"{UPLOAD_LINK_PREFIX}{path.stem}"
    return _data_link(path, data_dirs()) or key


def dataset_key_from_link(name: str, uploads: Path | None = None) -> str | None:
    """The selector key for a link's ``dataset`` value (None when nothing matches here)."""
    if not name:
        return None
    if name == DEMO_KEY:
        return DEMO_KEY
    if name == KYRGYZ_KEY:
        built = kyrgyz_build_path()
        return str(built) if built.exists() else (KYRGYZ_KEY if _kyrgyz_source() is not None else None)
    # only a dataset the app lists: a link must not make the server open a path it names
    choices = dataset_choices(uploads=uploads)
    by_link = {dataset_link_name(choice.key, uploads): choice.key for choice in choices}
    if name in by_link:
        return by_link[name]
    return name if name in {choice.key for choice in choices} else None


def dataset_choices(cache_dir: Path | None = None, *, uploads: Path | None = None) -> list[DatasetChoice]:
    """Datasets the app can offer: the demo, datasets built into the cache, the data folders'
    datasets (:func:`data_dirs`), the user's uploads, the Kyrgyz build.

    Parameters
    ----------
    cache_dir
        Where built datasets live; default ``atr_model.data.cache.default_cache_dir()``.
    uploads
        The signed-in user's folder of uploaded GeoPackages (private to them), if any.

    Returns
    -------
    list of DatasetChoice
        Demo first (when available), then built GeoPackages sorted by path, the data folders'
        and the uploads' GeoPackages, then "build the Kyrgyz dataset" when the shared open data
        is present.
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
    listed = {choice.key for choice in choices}
    for folder in data_dirs():
        for path in sorted(folder.rglob("*.gpkg")) if folder.is_dir() else []:
            label = _dataset_label(path)
            if label is not None and str(path) not in listed and not path.name.startswith("."):
                choices.append(DatasetChoice(str(path), label, path))
                listed.add(str(path))
    if uploads is not None and Path(uploads).is_dir():
        for path in sorted(p for p in Path(uploads).glob("*.gpkg") if not p.name.startswith(".")):
            label = _dataset_label(path)
            if label is not None:
                choices.append(DatasetChoice(str(path), f"⤴ {label}", path))
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
        return cast("pd.DataFrame", frame[mask].copy())

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
