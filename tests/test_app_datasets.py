"""The app's datasets without a browser (issue 22, item 4): data folders, links and uploads."""

from __future__ import annotations

from pathlib import Path

import pytest
from terms_fixtures import fictionia_dataset

from atr_model.errors import DataError
from atr_model.presentation.app import datasets
from atr_model.presentation.app.dataset_upload import store_uploaded_dataset


@pytest.fixture
def data_folder(demo_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    (folder / "east").mkdir(parents=True)
    fictionia_dataset(demo_dataset).write(folder / "east" / "fictionia.gpkg")
    (folder / "notes.gpkg").write_bytes(b"not a GeoPackage")  # not a dataset: not listed
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(folder))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def test_a_data_folder_is_listed_and_its_links_restore_it(data_folder: Path) -> None:
    keys = {c.key: c.label for c in datasets.dataset_choices()}
    path = str((data_folder / "east" / "fictionia.gpkg").resolve())
    assert keys[path] == "Fictionia (invented) · fictionia-test-v1"
    assert not any(k.endswith("notes.gpkg") for k in keys)
    assert datasets.dataset_link_name(path) == "east/fictionia"
    assert datasets.dataset_key_from_link("east/fictionia") == path
    assert datasets.dataset_key_from_link("/etc/passwd") is None  # a link never opens a path it names


def test_an_upload_is_checked_and_kept_under_its_digest(demo_dataset, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    good = fictionia_dataset(demo_dataset).write(tmp_path / "good.gpkg").read_bytes()
    kept = store_uploaded_dataset(good, "good.gpkg", uploads)
    assert kept.parent == uploads and store_uploaded_dataset(good, "again.gpkg", uploads) == kept
    assert datasets.dataset_link_name(str(kept), uploads) == f"upload:{kept.stem}"
    assert datasets.dataset_key_from_link(f"upload:{kept.stem}", uploads) == str(kept)
    units = demo_dataset.units.copy()
    units.loc[units.index[3], "population"] = -5
    bad = fictionia_dataset(demo_dataset.replace(units=units)).write(tmp_path / "bad.gpkg").read_bytes()
    with pytest.raises(DataError, match=rf"^bad\.gpkg: units: unit '{units['unit_code'].iloc[3]}' has a negative population"):
        store_uploaded_dataset(bad, "bad.gpkg", uploads)
    with pytest.raises(DataError, match=r"^junk\.gpkg: not a readable GeoPackage"):
        store_uploaded_dataset(b"junk", "junk.gpkg", uploads)
    assert sorted(p.name for p in uploads.iterdir()) == [kept.name]  # refused files are not kept
