"""How far a plan is from a reference plan (for example the groupings of a reform already carried out).

A *reference* is a CSV file ``unit_code,group[,source]`` or ``raion,unit_name,group[,source]``:
each unit it names and the group it went into (a group is any label; units sharing it form one
new unit). Units named by raion and name are resolved against the territory when the file is
read (:mod:`atr_model.scenarios.reference_names`). Units the reference does
not name are ignored: the agreement is measured on the units it covers.

Two measures, per raion and overall:

- the **adjusted Rand index** (ARI; Hubert and Arabie 1985): 1 when the plan groups the covered
  units exactly as the reference, about 0 for a grouping no better than chance, negative when
  worse. It is scored only in raions the reference covers *fully* (every aiyl aimak of the raion
  named; towns count where the reference names them), because a partial list says nothing about
  where the unnamed units went. Computed here from the pair counts (the same formula as
  ``sklearn.metrics.adjusted_rand_score``, whose results the tests compare with): scikit-learn
  is not a dependency of the project and one formula does not justify adding it.
- **pair precision and recall**: of the pairs of covered units the plan keeps together, the
  share the reference also has together (precision); of the pairs together in the reference,
  the share the plan keeps together (recall). Meaningful on partial raions too.

And the units whose grouping differs: for each covered unit, the covered units it is with in the
reference but not in the plan, and the other way round.

Pure: pandas in, dataclasses and tables out; no Streamlit, no files written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from atr_model._atomic import atomic_directory
from atr_model.data import Dataset
from atr_model.errors import DataError
from atr_model.scenarios.reference_names import NAME_COLUMNS, resolve_names

__all__ = [
    "Agreement",
    "Reference",
    "adjusted_rand_index",
    "agreement",
    "agreement_payload",
    "pair_counts",
    "plan_from_result",
    "read_reference",
    "reference_from_bytes",
    "reference_from_table",
    "unit_agreement",
    "write_agreement",
]

logger = logging.getLogger(__name__)

#: Columns of a resolved reference; a file may give ``raion`` + ``unit_name`` instead of
#: ``unit_code`` (row by row); ``source`` is optional, other columns are ignored.
REFERENCE_COLUMNS = ("unit_code", "group")
#: Columns a plan table must have (an ``assignments.csv`` has them all).
PLAN_COLUMNS = ("unit_code", "new_unit_id", "raion_code")
#: How many unit codes an error message names before it says "and N more".
_NAMED = 40


# --------------------------------------------------------------------------- the reference


@dataclass(frozen=True)
class Reference:
    """A reference plan: the group of each unit it covers.

    Attributes
    ----------
    groups : pandas.DataFrame
        ``unit_code, group, source`` (strings; ``source`` may be empty), one row per covered unit.
    where : str
        The file (or label) it came from, for messages.
    digest : str
        SHA-256 of the file's bytes (or of the table's CSV text), to record what a calibration
        was fitted to.
    """

    groups: pd.DataFrame
    where: str
    digest: str

    @property
    def units(self) -> frozenset[str]:
        """The covered unit codes."""
        return frozenset(self.groups["unit_code"])

    def label_of(self) -> dict[str, str]:
        """Unit code -> group label."""
        return dict(zip(self.groups["unit_code"], self.groups["group"]))


def _decode(data: bytes, where: str) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{where}: not a text file (neither UTF-8 nor Windows-1251)")


def _separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def read_reference(path: str | os.PathLike[str],
                   territory: Dataset | Callable[[], Dataset] | None = None) -> Reference:
    """Read a reference file (comma, semicolon or tab separated; ``#`` lines are comments).

    Each row names one unit by ``unit_code``, or by ``raion`` + ``unit_name`` (the spellings
    public sources use; resolved against ``territory``), and gives its ``group``.

    Parameters
    ----------
    path : path-like
        The CSV file.
    territory : Dataset or callable returning one, optional
        Where names are looked up; a callable is called only when a row names its unit (so a
        file of codes needs no dataset loaded).

    Returns
    -------
    Reference

    Raises
    ------
    DataError
        One line naming the file: missing file or columns, an empty cell (with its row), a
        unit name that fits no unit or several (with the row and the candidates), names with
        no territory to look them up in, or units listed in two groups (all named, with rows).
    """
    source = Path(path)
    if not source.is_file():
        raise DataError(f"{source}: reference file not found")
    return reference_from_bytes(source.read_bytes(), str(source), territory)


def reference_from_bytes(data: bytes, source: str,
                         territory: Dataset | Callable[[], Dataset] | None = None) -> Reference:
    """Read a reference from a file's bytes (an upload); ``source`` names it in messages.

    See :func:`read_reference` for the format, ``territory`` and the errors.
    """
    text = _decode(data, str(source))
    lines = [(k, line) for k, line in enumerate(text.splitlines(), start=1) if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise DataError(f"{source}: the reference is empty (expected a header unit_code,group or "
                        "raion,unit_name,group and one row per unit)")
    sep = _separator(lines[0][1])
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines)), delimiter=sep))
    header = [h.strip().lower() for h in rows[0]]
    named = all(c in header for c in NAME_COLUMNS)
    missing = [c for c in REFERENCE_COLUMNS if c not in header and not (c == "unit_code" and named)]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)} (the header has: {', '.join(header)}; "
                        "a unit is named by unit_code, or by raion and unit_name)")
    columns = (*REFERENCE_COLUMNS, *NAME_COLUMNS, "source")
    records = []
    for (line_no, _), fields in zip(lines[1:], rows[1:]):
        values = dict(zip(header, (f.strip() for f in fields)))
        records.append({"row": line_no, **{c: values.get(c, "") for c in columns}})
    table = pd.DataFrame(records, columns=["row", *columns])
    if (table["unit_code"] == "").any() and named:
        if territory is None:
            raise DataError(f"{source}: names units by raion and unit_name; a territory (dataset) is needed "
                            "to look them up")
        land = territory() if callable(territory) else territory
        table = resolve_names(table, land, str(source))
    return reference_from_table(table, where=str(source), digest=hashlib.sha256(data).hexdigest())


def reference_from_table(table: pd.DataFrame, *, where: str = "reference", digest: str | None = None) -> Reference:
    """Check a reference table and make a :class:`Reference` of it.

    Parameters
    ----------
    table : pandas.DataFrame
        ``unit_code, group`` and optionally ``source`` and ``row`` (the file's line numbers, for
        messages; else 2, 3, ... as in a file with a header).
    where : str
        The file or label named in messages.
    digest : str, optional
        The file's SHA-256; by default that of the table's CSV text.

    Raises
    ------
    DataError
        On no rows, an empty code or group, or units in two groups (all named).
    """
    missing = [c for c in REFERENCE_COLUMNS if c not in table]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)}")
    frame = pd.DataFrame({
        "row": table["row"].astype(int) if "row" in table else range(2, len(table) + 2),
        "unit_code": table["unit_code"].astype(str).str.strip(),
        "group": table["group"].astype(str).str.strip(),
        "source": table["source"].fillna("").astype(str).str.strip() if "source" in table else "",
    })
    if frame.empty:
        raise DataError(f"{where}: the header is there but no unit rows follow it")
    for column in REFERENCE_COLUMNS:
        empty = frame.loc[frame[column].isin(["", "nan"]), "row"].tolist()
        if empty:
            raise DataError(f"{where}: row {empty[0]}: empty {column}")
    _check_duplicates(frame, where)
    groups = frame.drop(columns="row").reset_index(drop=True)
    if digest is None:
        digest = hashlib.sha256(groups.to_csv(index=False).encode("utf-8")).hexdigest()
    return Reference(groups=groups, where=where, digest=digest)


def _check_duplicates(frame: pd.DataFrame, where: str) -> None:
    """One message for every unit listed more than once (a unit in two groups, or twice in one)."""
    repeated = frame[frame["unit_code"].duplicated(keep=False)]
    if repeated.empty:
        return
    parts = []
    for code, rows in repeated.groupby("unit_code", sort=True):
        listed = ", ".join(f"{g!r} (row {r})" for g, r in zip(rows["group"], rows["row"]))
        parts.append(f"{code} in {listed}")
    raise DataError(f"{where}: {len(parts)} unit(s) listed more than once, each unit must be in one group: "
                    f"{'; '.join(parts)}")


def _named(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:_NAMED])
    return shown if len(codes) <= _NAMED else f"{shown} and {len(codes) - _NAMED} more"


# --------------------------------------------------------------------------- the measures


def pair_counts(reference: Sequence[str], plan: Sequence[str]) -> tuple[int, int, int, int]:
    """Pair counts of two groupings of the same units.

    Parameters
    ----------
    reference, plan : sequence of str
        The group label of each unit, in the same unit order.

    Returns
    -------
    (int, int, int, int)
        ``(together_both, together_reference, together_plan, pairs)``: unordered pairs of units
        together in both, in the reference, in the plan, and all pairs.
    """
    n = len(reference)
    if n != len(plan):
        raise ValueError("pair_counts: the two groupings must label the same units")
    if n == 0:
        return 0, 0, 0, 0
    table = pd.crosstab(pd.Series(list(reference), name="r"), pd.Series(list(plan), name="p")).to_numpy(dtype=np.int64)

    def pairs(counts: np.ndarray) -> int:
        return int((counts * (counts - 1) // 2).sum())

    return pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0)), n * (n - 1) // 2


def adjusted_rand_index(reference: Sequence[str], plan: Sequence[str]) -> float:
    """Adjusted Rand index of two groupings of the same units (1 = identical).

    The pair-count form of ``sklearn.metrics.adjusted_rand_score``, including its convention that
    two groupings with no disagreeing pair score 1.0 (both all singletons, or both one group).
    """
    both, ref, plan_pairs, total = pair_counts(reference, plan)
    only_ref, only_plan = ref - both, plan_pairs - both
    neither = total - both - only_ref - only_plan
    if only_ref == 0 and only_plan == 0:
        return 1.0
    # 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)), in exact integers first
    numerator = 2 * (both * neither - only_ref * only_plan)
    denominator = (both + only_ref) * (only_ref + neither) + (both + only_plan) * (only_plan + neither)
    return float(numerator / denominator)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --------------------------------------------------------------------------- the agreement


@dataclass(frozen=True)
class Agreement:
    """The agreement of a plan with a reference.

    Attributes
    ----------
    raions : pandas.DataFrame
        One row per raion the reference touches: ``raion_code, units, units_covered, full``,
        ``ari`` (full raions only, else NaN), ``pairs_reference, pairs_plan, pairs_both``,
        ``precision, recall`` (NaN without pairs) and ``units_differ``.
    overall : dict
        ``ari`` (over the units of the fully covered raions, one grouping), ``mean_raion_ari``
        (the mean over those raions, each counting once: what calibration maximises),
        ``precision``, ``recall`` (over every covered unit), ``units_covered``,
        ``units_differ``, ``raions_full``, ``raions_partial`` (codes).
    differences : pandas.DataFrame
        One row per covered unit whose grouping differs: ``unit_code, unit_name, raion_code,
        group, new_unit_id, missing_partners`` (together in the reference, apart in the plan)
        and ``extra_partners`` (together in the plan, apart in the reference), codes
        space-separated.
    reference : str
        The reference's file or label.
    digest : str
        The reference's SHA-256.
    names : mapping
        Unit code -> name (from the plan).
    covered : tuple of str
        The covered unit codes (in the plan's order).
    groups : pandas.DataFrame
        The reference's merged groups (two units or more): ``group, units, population`` (the
        plan's population figures summed; NaN when the plan has none), ``raion_codes`` and
        ``exempt_in_plan`` (members the plan keeps by an exemption: merged by the reference, so
        it did not apply that exemption): what the reference did in effect, in the plan's figures.
    """

    raions: pd.DataFrame
    overall: dict[str, float | int | list[str] | None]
    differences: pd.DataFrame
    reference: str = ""
    digest: str = ""
    names: Mapping[str, str] = field(default_factory=dict)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    covered: tuple[str, ...] = ()

    def raion_ari(self) -> dict[str, float]:
        """ARI of each fully covered raion (raion code -> ARI)."""
        full = self.raions[self.raions["full"]]
        return {str(c): float(a) for c, a in zip(full["raion_code"], full["ari"])}


def plan_from_result(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The plan of a result folder (its ``assignments.csv``), or of an ``assignments.csv`` itself.

    Returns
    -------
    pandas.DataFrame
        The assignments with codes as strings.

    Raises
    ------
    DataError
        When the folder has no ``assignments.csv`` or the file lacks the plan's columns.
    """
    source = Path(path)
    file = source / "assignments.csv" if source.is_dir() else source
    if not file.is_file():
        raise DataError(f"{source}: not a result folder (no assignments.csv)")
    table = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in PLAN_COLUMNS if c not in table]
    if missing:
        raise DataError(f"{file}: missing column(s) {', '.join(missing)} (a result's assignments.csv has them)")
    return table


def _check_plan(plan: pd.DataFrame, reference: Reference, where: str) -> pd.DataFrame:
    missing = [c for c in PLAN_COLUMNS if c not in plan]
    if missing:
        raise DataError(f"{where}: the plan lacks column(s) {', '.join(missing)}")
    table = plan.assign(unit_code=plan["unit_code"].astype(str), new_unit_id=plan["new_unit_id"].astype(str),
                        raion_code=plan["raion_code"].astype(str))
    unknown = sorted(reference.units - set(table["unit_code"]))
    if unknown:
        raise DataError(f"{reference.where}: {len(unknown)} unit code(s) not in the plan's territory ({where}): "
                        f"{_named(unknown)}")
    return cast("pd.DataFrame", table)


def _coverage(plan: pd.DataFrame, covered: frozenset[str]) -> pd.DataFrame:
    """Per raion: its units, the covered ones, and whether every aiyl aimak is covered."""
    is_aa = plan["level"].astype(str).eq("aiyl_aimak") if "level" in plan else pd.Series(True, index=plan.index)
    frame = plan.assign(covered=plan["unit_code"].isin(covered), aa=is_aa)
    # towns need not be named: a raion is full when each of its aiyl aimaks is named
    rows = []
    for raion, part in frame.groupby("raion_code", sort=True):
        if not part["covered"].any():
            continue
        aa = part[part["aa"]]
        full = bool(aa["covered"].all()) if len(aa) else bool(part["covered"].all())
        rows.append({"raion_code": str(raion), "units": len(part), "units_covered": int(part["covered"].sum()),
                     "full": full})
    return cast("pd.DataFrame", pd.DataFrame(rows, columns=["raion_code", "units", "units_covered", "full"]))


def _differences(part: pd.DataFrame) -> pd.DataFrame:
    """Covered units whose set of covered partners differs between reference and plan."""
    by_group = part.groupby("group")["unit_code"].agg(frozenset).to_dict()
    by_unit = part.groupby("new_unit_id")["unit_code"].agg(frozenset).to_dict()
    rows = []
    for row in part.itertuples(index=False):
        ref, mine = by_group[row.group], by_unit[row.new_unit_id]
        if ref != mine:
            rows.append({
                "unit_code": row.unit_code, "unit_name": row.unit_name, "raion_code": row.raion_code,
                "group": row.group, "new_unit_id": row.new_unit_id,
                "missing_partners": " ".join(sorted(ref - mine)), "extra_partners": " ".join(sorted(mine - ref)),
            })
    return cast("pd.DataFrame", pd.DataFrame(rows, columns=["unit_code", "unit_name", "raion_code", "group",
                                                            "new_unit_id", "missing_partners", "extra_partners"]))


def agreement(plan: pd.DataFrame, reference: Reference, *, where: str = "plan", partial: bool = False) -> Agreement:
    """The agreement of a plan with a reference plan.

    Parameters
    ----------
    plan : pandas.DataFrame
        One row per unit of the plan's territory: ``unit_code, new_unit_id, raion_code`` (and
        ``level``, ``unit_name`` when known), as in a result's ``assignments.csv``.
    reference : Reference
        The reference (:func:`read_reference`).
    where : str
        The plan's file or name, for messages.
    partial : bool, default False
        Accept a reference that covers no raion fully (the groupings public sources state are
        often a few mergers here and there): pairs are scored, the ARI figures are NaN.

    Returns
    -------
    Agreement

    Raises
    ------
    DataError
        When the reference names units the plan's territory does not have (all named), or
        covers no raion fully (naming the raions it touches and how many units of each it
        names) unless ``partial``.
    """
    table = _check_plan(plan, reference, where)
    coverage = _coverage(table, reference.units)
    if not partial and not coverage["full"].any():
        touched = ", ".join(f"{r} ({c} of {n} units)" for r, c, n in
                            zip(coverage["raion_code"], coverage["units_covered"], coverage["units"]))
        raise DataError(f"{reference.where}: covers no raion fully, so no adjusted Rand index can be scored "
                        f"(raions it touches: {touched}); list every aiyl aimak of at least one raion, "
                        "or score pairs only (--partial)")
    labels = reference.label_of()
    names = table["unit_name"].astype(str) if "unit_name" in table else table["unit_code"]
    part = table.assign(unit_name=names)[table["unit_code"].isin(reference.units)].copy()
    part["group"] = part["unit_code"].map(labels)
    differences = _differences(part)
    rows = []
    for cov in coverage.to_dict(orient="records"):
        raion = str(cov["raion_code"])
        inside = part[part["raion_code"] == raion]
        groups, plan_units = inside["group"].tolist(), inside["new_unit_id"].tolist()
        both, ref_pairs, plan_pairs, _ = pair_counts(groups, plan_units)
        rows.append({
            **cov,
            "ari": adjusted_rand_index(groups, plan_units) if cov["full"] else math.nan,
            "pairs_reference": ref_pairs, "pairs_plan": plan_pairs, "pairs_both": both,
            "precision": _share(both, plan_pairs), "recall": _share(both, ref_pairs),
            "units_differ": int((differences["raion_code"] == raion).sum()),
        })
    raions = pd.DataFrame(rows)
    for column in ("precision", "recall"):
        raions[column] = pd.to_numeric(raions[column], errors="coerce")
    return Agreement(raions=raions, overall=_overall(part, raions, differences), differences=differences,
                     groups=_merged_groups(part),
                     reference=reference.where, digest=reference.digest,
                     names=dict(zip(table["unit_code"], names)), covered=tuple(part["unit_code"]))


def _merged_groups(part: pd.DataFrame) -> pd.DataFrame:
    """The reference's groups of two units or more, with their population in the plan's figures."""
    population = pd.to_numeric(part["population"], errors="coerce") if "population" in part else math.nan
    # a plan read from assignments.csv has its flags as text
    exempt = part["exempt"].astype(str).str.strip().str.lower().isin(["true", "1"]) if "exempt" in part else False
    frame = part.assign(population=population, exempt=exempt)
    rows = []
    for group, members in frame.groupby("group", sort=True):
        if len(members) < 2:
            continue
        rows.append({"group": str(group), "units": len(members),
                     "population": float(members["population"].sum(min_count=len(members))),
                     "raion_codes": " ".join(sorted(set(members["raion_code"]))),
                     "exempt_in_plan": int(members["exempt"].sum())})
    return cast("pd.DataFrame", pd.DataFrame(rows, columns=["group", "units", "population", "raion_codes",
                                                            "exempt_in_plan"]))


def _overall(part: pd.DataFrame, raions: pd.DataFrame, differences: pd.DataFrame) -> dict[str, float | int | list[str] | None]:
    full_codes = raions.loc[raions["full"], "raion_code"].tolist()
    in_full = part[part["raion_code"].isin(full_codes)]
    # pairs across raions: a reference group may cross a raion border (a town took in an aiyl aimak)
    both, ref_pairs, plan_pairs, _ = pair_counts(part["group"].tolist(), part["new_unit_id"].tolist())
    scored = len(in_full) > 0
    return {
        "ari": adjusted_rand_index(in_full["group"].tolist(), in_full["new_unit_id"].tolist()) if scored else math.nan,
        "mean_raion_ari": float(raions.loc[raions["full"], "ari"].mean()) if scored else math.nan,
        "precision": _share(both, plan_pairs),
        "recall": _share(both, ref_pairs),
        "pairs_reference": ref_pairs, "pairs_plan": plan_pairs, "pairs_both": both,
        "units_covered": len(part),
        "units_differ": len(differences),
        "raions_full": full_codes,
        "raions_partial": raions.loc[~raions["full"], "raion_code"].tolist(),
    }


def unit_agreement(result: Agreement) -> dict[str, str]:
    """Each covered unit's agreement: ``"agree"`` (grouped with the same covered units as in the
    reference) or ``"differ"``; units the reference does not cover are absent."""
    differ = set(result.differences["unit_code"].astype(str))
    return {str(code): ("differ" if str(code) in differ else "agree") for code in result.covered}


# --------------------------------------------------------------------------- output


def _plain(value: object) -> object:
    """A JSON-safe value: NaN becomes None, numpy scalars plain numbers."""
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def agreement_payload(result: Agreement) -> dict[str, object]:
    """The agreement as plain data (what ``--json`` prints and ``agreement.json`` holds)."""
    return {
        "reference": result.reference,
        "reference_sha256": result.digest,
        "overall": {k: _plain(v) for k, v in result.overall.items()},
        "raions": [{k: _plain(v) for k, v in row.items()} for row in result.raions.to_dict(orient="records")],
        "differences": result.differences.to_dict(orient="records"),
        "reference_merged_groups": [{k: _plain(v) for k, v in row.items()}
                                    for row in result.groups.to_dict(orient="records")],
    }


def write_agreement(result: Agreement, target: str | os.PathLike[str], *, force: bool = False,
                    extra: Callable[[Path], object] | None = None) -> Path:
    """Write ``agreement.json``, ``raions.csv``, ``differences.csv`` and ``reference_groups.csv``
    into a folder, atomically (an ``agreement`` output: :func:`atr_model._atomic.claim_output`).

    Parameters
    ----------
    result : Agreement
    target : path-like
        The folder.
    force : bool, default False
        Replace ``target`` whatever it holds.
    extra : callable, optional
        Called with the staging folder to add files (the CLI's ``report.html``: the report is
        presentation, which this layer does not import).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    final = Path(target)
    with atomic_directory(final, kind="agreement", force=force) as staging:
        (staging / "agreement.json").write_text(
            json.dumps(agreement_payload(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        result.raions.to_csv(staging / "raions.csv", index=False)
        result.differences.to_csv(staging / "differences.csv", index=False)
        result.groups.to_csv(staging / "reference_groups.csv", index=False)
        if extra is not None:
            extra(staging)
    return final
