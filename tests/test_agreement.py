"""Agreement of a plan with a reference plan (issue 24): ARI, pair precision/recall, differing units, bad input."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atr_model._atomic import MARKER
from atr_model.errors import DataError
from atr_model.presentation.cli import main
from atr_model.scenarios.agreement import (
    adjusted_rand_index,
    agreement,
    pair_counts,
    read_reference,
    reference_from_table,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_plan(demo_dataset) -> pd.DataFrame:
    """The assignments of the shipped demo scenario, solved on the demo territory."""
    from atr_model.scenarios import load_scenario, run_scenario

    return run_scenario(load_scenario(ROOT / "scenarios" / "demo.yaml"), dataset=demo_dataset).assignments


def _self_reference(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan's own aiyl-aimak grouping as a reference table."""
    aa = plan[plan["level"] == "aiyl_aimak"]
    return pd.DataFrame({"unit_code": aa["unit_code"], "group": aa["new_unit_id"]})


def _write(path: Path, table: pd.DataFrame) -> Path:
    table.to_csv(path, index=False)
    return path


def test_ari_by_hand_and_pair_counts() -> None:
    # reference {a,b} {c} {d,e}; plan {a,b,c} {d} {e}: 10 pairs, together in both: ab;
    # reference only: de; plan only: ac, bc; neither: 6. ARI = 2(1*6 - 1*2) / (2*7 + 3*8) = 8/38
    ref, plan = ["1", "1", "2", "3", "3"], ["x", "x", "x", "y", "z"]
    assert pair_counts(ref, plan) == (1, 2, 3, 10)
    assert adjusted_rand_index(ref, plan) == pytest.approx(8 / 38)
    assert adjusted_rand_index(ref, ref) == 1.0
    # labels are names only: renaming the groups changes nothing
    assert adjusted_rand_index(ref, ["p", "p", "q", "r", "r"]) == 1.0
    # one group against all singletons: no pair agrees, ARI 0
    assert adjusted_rand_index(["g"] * 4, ["a", "b", "c", "d"]) == 0.0


def test_ari_matches_scikit_learn() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 25))
        a = [str(v) for v in rng.integers(0, int(rng.integers(1, 6)), n)]
        b = [str(v) for v in rng.integers(0, int(rng.integers(1, 8)), n)]
        assert adjusted_rand_index(a, b) == pytest.approx(sklearn_metrics.adjusted_rand_score(a, b), abs=1e-12)


def test_a_plan_agrees_with_itself(demo_plan: pd.DataFrame) -> None:
    found = agreement(demo_plan, reference_from_table(_self_reference(demo_plan)))
    o = found.overall
    assert o["ari"] == 1.0 and o["mean_raion_ari"] == 1.0
    assert o["precision"] == 1.0 and o["recall"] == 1.0 and o["units_differ"] == 0
    assert sorted(o["raions_full"]) == sorted(demo_plan["raion_code"].unique()) and o["raions_partial"] == []
    assert found.differences.empty
    # the demo plan merges units, so the pairs measured are real ones
    assert o["pairs_reference"] > 0
    # the reference's merged units, with their population in the plan's figures
    aa = demo_plan[demo_plan["level"] == "aiyl_aimak"]
    sizes = aa.groupby("new_unit_id").size()
    merged = sizes[sizes >= 2]
    groups = found.groups.set_index("group")
    assert sorted(groups.index) == sorted(merged.index)
    for new_unit, count in merged.items():
        members = aa[aa["new_unit_id"] == new_unit]
        assert groups.loc[new_unit, "units"] == count
        assert groups.loc[new_unit, "population"] == pytest.approx(pd.to_numeric(members["population"]).sum())


def test_a_moved_unit_is_named_with_its_partners(demo_plan: pd.DataFrame) -> None:
    ref = _self_reference(demo_plan)
    sizes = ref["group"].value_counts()
    group = sizes[sizes >= 3].index[0]  # a merged unit of three or more
    members = sorted(ref.loc[ref["group"] == group, "unit_code"])
    moved = members[0]
    ref.loc[ref["unit_code"] == moved, "group"] = "alone"
    found = agreement(demo_plan, reference_from_table(ref))
    raion = demo_plan.loc[demo_plan["unit_code"] == moved, "raion_code"].iloc[0]
    row = found.raions.set_index("raion_code").loc[raion]
    assert row["ari"] < 1.0
    assert row["recall"] == 1.0  # every pair the reference keeps together is still together
    assert row["precision"] < 1.0  # but the plan keeps the moved unit with its old partners
    diff = found.differences.set_index("unit_code")
    assert set(diff.index) == set(members)
    assert diff.loc[moved, "extra_partners"].split() == members[1:]
    assert diff.loc[moved, "missing_partners"] == ""
    assert diff.loc[members[1], "extra_partners"] == moved
    # the other raions are untouched
    others = found.raions[found.raions["raion_code"] != raion]
    assert (others["ari"] == 1.0).all()


def test_partial_raions_count_pairs_but_get_no_ari(demo_plan: pd.DataFrame) -> None:
    ref = _self_reference(demo_plan)
    raions = sorted(demo_plan["raion_code"].unique())
    in_first = ref["unit_code"].isin(demo_plan.loc[demo_plan["raion_code"] == raions[0], "unit_code"])
    in_second = ref["unit_code"].isin(demo_plan.loc[demo_plan["raion_code"] == raions[1], "unit_code"])
    partial = ref[in_second].head(3)
    found = agreement(demo_plan, reference_from_table(pd.concat([ref[in_first], partial])))
    assert found.overall["raions_full"] == [raions[0]]
    assert found.overall["raions_partial"] == [raions[1]]
    second = found.raions.set_index("raion_code").loc[raions[1]]
    assert np.isnan(second["ari"]) and second["units_covered"] == 3 and not second["full"]
    assert found.overall["units_covered"] == int(in_first.sum()) + 3


def test_unknown_codes_are_all_named(demo_plan: pd.DataFrame, tmp_path: Path) -> None:
    ref = pd.concat([_self_reference(demo_plan),
                     pd.DataFrame({"unit_code": ["XX-1", "XX-2", "XX-3"], "group": ["g", "g", "h"]})])
    path = _write(tmp_path / "ref.csv", ref)
    with pytest.raises(DataError, match=r"ref\.csv: 3 unit code\(s\) not in the plan's territory .*: XX-1, XX-2, XX-3$"):
        agreement(demo_plan, read_reference(path))


def test_a_unit_in_two_groups_is_refused(demo_plan: pd.DataFrame, tmp_path: Path) -> None:
    ref = _self_reference(demo_plan)
    code = ref["unit_code"].iloc[0]
    twice = pd.concat([ref, pd.DataFrame({"unit_code": [code], "group": ["elsewhere"]})])
    path = _write(tmp_path / "ref.csv", twice)
    first_group = ref["group"].iloc[0]
    with pytest.raises(DataError, match=rf"1 unit\(s\) listed more than once.*{code} in '{first_group}' \(row 2\), "
                                        rf"'elsewhere' \(row {len(ref) + 2}\)"):
        read_reference(path)


def test_a_reference_covering_no_raion_fully_is_refused(demo_plan: pd.DataFrame) -> None:
    ref = _self_reference(demo_plan)
    partial = ref.groupby(demo_plan.set_index("unit_code").loc[ref["unit_code"], "raion_code"].to_numpy()).head(2)
    with pytest.raises(DataError, match=r"covers no raion fully.*\(2 of \d+ units\)"):
        agreement(demo_plan, reference_from_table(partial))


def test_malformed_reference_files(tmp_path: Path) -> None:
    (tmp_path / "cols.csv").write_text("unit_code,new_unit_id\nA,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"cols\.csv: missing column\(s\) group"):
        read_reference(tmp_path / "cols.csv")
    (tmp_path / "empty.csv").write_text("unit_code;group\nA;1\nB;\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.csv: row 3: empty group"):
        read_reference(tmp_path / "empty.csv")
    with pytest.raises(DataError, match="reference file not found"):
        read_reference(tmp_path / "absent.csv")
    # comments, a semicolon separator and a source column are read
    (tmp_path / "ok.csv").write_text("# a comment\nunit_code;group;source\nA;1;https://example.org 2024-01-01\n",
                                     encoding="utf-8")
    ok = read_reference(tmp_path / "ok.csv")
    assert ok.groups.to_dict(orient="records") == [{"unit_code": "A", "group": "1",
                                                    "source": "https://example.org 2024-01-01"}]


def test_cli_agree_json_out_and_one_line_errors(demo_plan: pd.DataFrame, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "result"
    folder.mkdir()
    demo_plan.to_csv(folder / "assignments.csv", index=False)
    ref = _self_reference(demo_plan)
    merged = ref["group"].duplicated(keep=False)
    ref.loc[ref.index[merged.to_numpy()][0], "group"] = "moved"  # a unit out of a merged group
    path = _write(tmp_path / "ref.csv", ref)
    main(["agree", str(folder), str(path), "--json", "--out", str(tmp_path / "out")])
    payload = json.loads(capsys.readouterr().out)
    assert payload["overall"]["units_covered"] == len(ref)
    assert 0 < payload["overall"]["mean_raion_ari"] <= 1
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [MARKER, "agreement.json", "differences.csv", "raions.csv", "reference_groups.csv", "report.html"]
    assert len(pd.read_csv(tmp_path / "out" / "differences.csv")) == payload["overall"]["units_differ"] > 0
    # text output names the figures
    main(["agree", str(folder), str(path)])
    text = capsys.readouterr().out
    assert "Adjusted Rand index" in text and "units grouped differently" in text
    assert "What the reference did in effect" not in text and "It merged units into" in text
    # bad input: one line on stderr, exit 1
    bad = _write(tmp_path / "bad.csv", pd.DataFrame({"unit_code": ["NOPE"], "group": ["g"]}))
    with pytest.raises(SystemExit) as stop:
        main(["agree", str(folder), str(bad)])
    err = capsys.readouterr().err
    assert stop.value.code == 1 and err.count("\n") == 1 and "NOPE" in err


def test_partial_reference_scores_pairs_only(demo_plan: pd.DataFrame) -> None:
    ref = _self_reference(demo_plan)
    sizes = ref["group"].value_counts()
    merged = ref[ref["group"].isin(sizes[sizes >= 2].index)].groupby("group").head(2).head(4)
    found = agreement(demo_plan, reference_from_table(merged), partial=True)
    o = found.overall
    assert o["raions_full"] == [] and np.isnan(o["ari"]) and np.isnan(o["mean_raion_ari"])
    assert o["recall"] == 1.0 and o["pairs_reference"] == 2
    with pytest.raises(DataError, match="covers no raion fully"):
        agreement(demo_plan, reference_from_table(merged))


@pytest.mark.kgdata
def test_shipped_reference_matches_the_kyrgyz_build(kg_dataset) -> None:
    """reference/kg-2024-25.csv names its units (no codes) and the names resolve to the aiyl aimaks the sources name."""
    path = ROOT / "reference" / "kg-2024-25.csv"
    rows = pd.read_csv(path, comment="#", dtype=str)
    assert "unit_code" not in rows and {"raion", "unit_name", "group", "source"} <= set(rows)
    assert not rows.apply(lambda col: col.str.fullmatch(r"\d{8,}")).any().any()  # no build code anywhere
    ref = read_reference(path, kg_dataset)
    assert ref.groups["source"].str.startswith("https://").all()
    units = kg_dataset.units.assign(unit_code=kg_dataset.units["unit_code"].astype(str)).set_index("unit_code")
    raions = kg_dataset.raions.assign(raion_code=kg_dataset.raions["raion_code"].astype(str)).set_index("raion_code")
    found = units.loc[ref.groups["unit_code"]]
    assert (found["level"] == "aiyl_aimak").all()
    # the same units the first reference named by code: by the raion and the (Latin) name of each row
    assert [raions.loc[str(r), "name_en"] for r in found["raion_code"]] == list(rows["raion"])
    latin = ["Ala-Buka", "Oruktu", "Torogeldi Baltagulov", "Voznesenovka", "Ortoev"]
    assert list(found["name_en"]) == latin and list(ref.groups["group"]) == list(rows["group"])


def _named_reference(plan: pd.DataFrame, dataset, spell: str = "name_ky") -> pd.DataFrame:
    """The plan's own grouping as a reference that names units by raion and name (no codes)."""
    ref = _self_reference(plan)
    units = dataset.units.set_index("unit_code")
    raions = dataset.raions.set_index("raion_code")
    return pd.DataFrame({
        "raion": [raions.loc[units.loc[c, "raion_code"], "name_ru"] for c in ref["unit_code"]],
        "unit_name": [units.loc[c, spell] for c in ref["unit_code"]],
        "group": ref["group"].to_numpy(),
    })


@pytest.mark.parametrize("spell", ["name_ky", "name_en", "name_ru"])
def test_units_named_by_raion_and_name_resolve(demo_plan: pd.DataFrame, demo_dataset, tmp_path: Path,
                                               spell: str) -> None:
    named = _named_reference(demo_plan, demo_dataset, spell)
    path = _write(tmp_path / "named.csv", named)
    ref = read_reference(path, demo_dataset)
    assert list(ref.groups["unit_code"]) == list(_self_reference(demo_plan)["unit_code"])
    assert agreement(demo_plan, ref).overall["ari"] == 1.0
    # the territory is loaded only when a row names its unit
    calls: list[int] = []
    read_reference(path, lambda: calls.append(1) or demo_dataset)
    assert calls == [1]
    read_reference(_write(tmp_path / "codes.csv", _self_reference(demo_plan)), lambda: calls.append(1) or demo_dataset)
    assert calls == [1]
    with pytest.raises(DataError, match="names units by raion and unit_name"):
        read_reference(path)


def test_names_are_transliteration_tolerant(demo_dataset, tmp_path: Path) -> None:
    unit = demo_dataset.units.iloc[3]  # Чоң-Терек: the Kyrgyz letter, and its Russian and Latin spellings
    raion = demo_dataset.raions.set_index("raion_code").loc[unit["raion_code"]]
    for raion_text, name in [(raion["name_en"] + " raion", "Chong-Terek"), (raion["name_ky"], "Чон-Терек"),
                             (raion["name_ru"] + " район", unit["name_en"].upper())]:
        path = tmp_path / "one.csv"
        path.write_text(f"raion,unit_name,group\n{raion_text},{name},g\n", encoding="utf-8")
        assert list(read_reference(path, demo_dataset).groups["unit_code"]) == [unit["unit_code"]]


def test_unknown_and_ambiguous_names_are_refused_naming_row_and_candidates(demo_dataset, tmp_path: Path) -> None:
    units = demo_dataset.units.copy()
    first = units.iloc[1]
    raion = demo_dataset.raions.set_index("raion_code").loc[first["raion_code"], "name_en"]
    path = tmp_path / "ref.csv"
    path.write_text(f"raion,unit_name,group\n{raion},{first['name_en']},g\n{raion},Nowhere-Demo,g\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 3: unknown unit name .*'Nowhere-Demo'; (close|the candidates): ") as err:
        read_reference(path, demo_dataset)
    assert str(err.value).count("\n") == 0
    path.write_text(f"raion,unit_name,group\nAtlantis,{first['name_en']},g\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: unknown raion 'Atlantis'"):
        read_reference(path, demo_dataset)
    # two units of the raion spelled alike: refused, both named with their codes
    twin = units.index[(units["raion_code"] == first["raion_code"]) & (units.index != units.index[1])][1]
    for column in ("name_en", "name_ky", "name_ru"):
        units.loc[twin, column] = first[column]
    ambiguous = dataclasses.replace(demo_dataset, units=units)
    path.write_text(f"raion,unit_name,group\n{raion},{first['name_ky']},g\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: unit name .* is ambiguous, it fits 2: ") as err:
        read_reference(path, ambiguous)
    assert first["unit_code"] in str(err.value) and units.loc[twin, "unit_code"] in str(err.value)
    # a row with neither a code nor both names
    path.write_text(f"unit_code,raion,unit_name,group\n,{raion},,g\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2: give unit_code, or raion and unit_name"):
        read_reference(path, demo_dataset)


def test_cli_agree_out_is_claimed_before_work_and_force_replaces(demo_plan: pd.DataFrame, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "result"
    folder.mkdir()
    demo_plan.to_csv(folder / "assignments.csv", index=False)
    ref = _write(tmp_path / "ref.csv", _self_reference(demo_plan))
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["agree", str(folder), str(ref), "--out", str(out)])
    err = capsys.readouterr()
    assert stop.value.code == 1 and "refusing to replace" in err.err and err.out == ""  # nothing computed
    assert (out / "mine.txt").exists()
    main(["agree", str(folder), str(ref), "--out", str(out), "--force"])
    assert not (out / "mine.txt").exists()
    assert '"kind": "agreement"' in (out / MARKER).read_text(encoding="utf-8")
    main(["agree", str(folder), str(ref), "--out", str(out)])  # its own output: replaced without --force
    capsys.readouterr()


@pytest.mark.parametrize("lang", ["en", "ru", "ky"])
def test_agree_report_shows_the_json_figures(demo_plan: pd.DataFrame, demo_dataset, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str], lang: str) -> None:
    """``agree --out`` writes report.html whose figures are those of ``agree --json``, in the language."""
    from atr_model.presentation.i18n import format_number, t
    from atr_model.presentation.report.agreement import ari_text, share_text

    folder = tmp_path / "result"
    folder.mkdir()
    plan = demo_plan.copy()
    plan.to_csv(folder / "assignments.csv", index=False)
    ref = _named_reference(demo_plan, demo_dataset)
    first_merged = ref.index[ref["group"].duplicated(keep=False).to_numpy()][0]
    ref.loc[first_merged, "group"] = "moved"
    path = _write(tmp_path / "ref.csv", ref)
    main(["agree", str(folder), str(path), "--json", "--data", "demo", "--out", str(tmp_path / "out"), "--lang", lang])
    payload = json.loads(capsys.readouterr().out)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    o = payload["overall"]
    assert t("agree.title", lang) in html and f"lang='{lang}'" in html
    assert ari_text(o["ari"], lang) in html and ari_text(o["mean_raion_ari"], lang) in html
    assert share_text(o["recall"], lang) in html and share_text(o["precision"], lang) in html
    for row in payload["raions"]:
        assert f"<td>{row['raion_code']}</td>" in html and f">{ari_text(row['ari'], lang)}<" in html
    # every differing unit is listed, and what the reference did in effect is stated
    assert all(f"({d['unit_code']})" in html for d in payload["differences"]) and payload["differences"]
    groups = payload["reference_merged_groups"]
    pops = [g["population"] for g in groups]
    assert format_number(min(pops), lang, digits=0) in html and format_number(max(pops), lang, digits=0) in html
    exempt = sum(g["exempt_in_plan"] for g in groups)
    assert exempt == int(demo_plan.set_index("unit_code").loc[
        [c for c, g in zip(read_reference(path, demo_dataset).groups["unit_code"], ref["group"])
         if g in {x["group"] for x in groups}], "exempt"].sum())
    key = "agree.exempt_not_applied" if exempt else "agree.exempt_none"
    assert t(key, lang, n=format_number(exempt, lang), total=format_number(sum(g["units"] for g in groups), lang)) in html
