"""Compare two result packages: partition differences, relabelling, centres, KPI deltas."""

from __future__ import annotations

from pathlib import Path

import extras_fixtures as fx
import pandas as pd
import pytest

from atr_model.errors import DataError
from atr_model.scenarios.compare import compare_results
from atr_model.scenarios.package_files import load_result_files


def _package(tmp_path: Path, name: str, partition: dict[str, str], **kw) -> Path:
    return fx.write_package(tmp_path / name, partition, name=name, **kw)


def test_identical_packages_have_no_difference(tmp_path: Path) -> None:
    a = load_result_files(_package(tmp_path, "a", fx.merged_partition()))
    b = load_result_files(_package(tmp_path, "b", fx.merged_partition()))
    cmp = compare_results(a, b)
    assert cmp.identical
    assert cmp.n_units == fx.ROWS * fx.COLS
    assert (cmp.kpis["delta"].fillna(0) == 0).all()


def test_compare_finds_exactly_the_moved_units(tmp_path: Path) -> None:
    base = fx.merged_partition()
    edited = dict(base)
    # U00 leaves its pair {U00, U01}: both lose a co-member.
    edited["U00"] = "U00"
    # U20 leaves {U20, U21} for {U10, U11}: U20, U21, U10 and U11 all see their co-members change.
    edited["U20"] = "U11"
    a = load_result_files(_package(tmp_path, "a", base))
    b = load_result_files(_package(tmp_path, "b", edited))
    cmp = compare_results(a, b)
    assert set(cmp.changed_units["unit_code"]) == {"U00", "U01", "U20", "U21", "U10", "U11"}
    row = cmp.changed_units.set_index("unit_code").loc["U20"]
    assert row["joined"] == "U10;U11" and row["left"] == "U21"
    assert row["centre_a"] == "U21" and row["centre_b"] == "U11"
    kpis = cmp.kpis.set_index("kpi")
    assert kpis.loc["units_after", "a"] == 6 and kpis.loc["units_after", "b"] == 7
    assert kpis.loc["units_after", "delta"] == 1


def test_relabelled_new_unit_ids_are_not_differences(tmp_path: Path) -> None:
    folder = _package(tmp_path, "a", fx.merged_partition())
    relabelled = _package(tmp_path, "b", fx.merged_partition())
    table = pd.read_csv(relabelled / "assignments.csv", dtype=str)
    swap = {"R1-N1": "R1-N2", "R1-N2": "R1-N1"}
    table["new_unit_id"] = table["new_unit_id"].map(lambda v: swap.get(v, v))
    table.to_csv(relabelled / "assignments.csv", index=False)
    cmp = compare_results(load_result_files(folder), load_result_files(relabelled))
    assert cmp.changed_units.empty
    assert cmp.changed_centres.empty


def test_same_members_other_centre_is_a_changed_centre(tmp_path: Path) -> None:
    base = fx.merged_partition()
    moved = {u: ("U00" if c == "U01" else c) for u, c in base.items()}
    cmp = compare_results(
        load_result_files(_package(tmp_path, "a", base)), load_result_files(_package(tmp_path, "b", moved))
    )
    assert cmp.changed_units.empty
    assert cmp.changed_centres.to_dict(orient="records") == [
        {"members": "U00;U01", "new_unit_id_a": "R1-N1", "new_unit_id_b": "R1-N1", "centre_a": "U01", "centre_b": "U00"}
    ]
    assert not cmp.identical


def test_disjoint_results_cannot_be_compared(tmp_path: Path) -> None:
    a = _package(tmp_path, "a", fx.merged_partition())
    b = _package(tmp_path, "b", fx.merged_partition())
    table = pd.read_csv(b / "assignments.csv", dtype=str)
    table["unit_code"] = "X" + table["unit_code"]
    table.to_csv(b / "assignments.csv", index=False)
    with pytest.raises(DataError, match="share no unit code"):
        compare_results(load_result_files(a), load_result_files(b))


def test_missing_file_is_named(tmp_path: Path) -> None:
    folder = _package(tmp_path, "a", fx.merged_partition())
    (folder / "kpis.json").unlink()
    with pytest.raises(DataError, match="kpis.json"):
        load_result_files(folder)
