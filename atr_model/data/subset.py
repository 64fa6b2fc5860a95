"""Data layer: the part of a dataset in some raions or oblasts (a *territory subset*).

The app works on one raion or one oblast at a time: with raion nesting the new units of a raion
do not depend on any other raion, so re-solving it alone gives the same plan there, in a
fraction of the time. A subset keeps the units of its raions, their settlements and
indicators, its raions and their oblasts (the country outline stays whole, as the backdrop).

The build report's ``territories`` (data README section 2.4: raion pieces, raion exclaves,
unplaced raion land) is restricted here, once, to the subset's raions and units, so every
reader of it (the display layers' land notes, a run's ``territory_notes.json``,
``data info``) sees a report that names only what the subset holds. Figures of the whole build
that a subset cannot restate (neighbour pairs counted over every raion, units in pieces
under Voronoi cells) are left out rather than kept wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from atr_model.data.dataset import Dataset
from atr_model.errors import DataError

__all__ = ["restrict_territories", "subset_dataset", "territory_raions"]

#: Entries of ``territories`` that list unit codes: kept for the subset's units only.
_UNIT_LISTS = ("raion_piece_units", "exclave_units", "listed_exclaves", "no_seed_cell")
#: Entries that list neighbour pairs ``[unit_a, unit_b, border m]``: kept when both are in the subset.
_PAIR_LISTS = ("pairs_added", "pairs_removed")
#: Counts over the whole build that the subset's entries cannot give again (left out).
_WHOLE_BUILD_COUNTS = (
    "adjacent_pairs", "adjacent_pairs_voronoi", "units_multipart", "units_multipart_total", "units_multipart_voronoi",
)


def territory_raions(dataset: Dataset, codes: Iterable[str]) -> list[str]:
    """The raion codes a list of raion or oblast codes stands for (an oblast: all its raions).

    A code that is both a raion and an oblast (Bishkek and Osh cities) is that one raion.

    Parameters
    ----------
    dataset : Dataset
        The territory the codes refer to.
    codes : iterable of str
        Raion codes (``raions.raion_code``) or oblast codes (``oblasts.oblast_code``).

    Returns
    -------
    list of str
        Sorted, without repeats.

    Raises
    ------
    DataError
        When a code is neither a raion nor an oblast of the dataset (all such codes named).
    """
    raions = dataset.raions.assign(raion_code=dataset.raions["raion_code"].astype(str),
                                   oblast_code=dataset.raions["oblast_code"].astype(str))
    by_oblast = raions.groupby("oblast_code")["raion_code"].agg(set).to_dict()
    known = set(raions["raion_code"])
    wanted: set[str] = set()
    unknown = []
    for code in sorted({str(c) for c in codes}):
        if code in known:
            wanted.add(code)
        elif code in by_oblast:
            wanted |= by_oblast[code]
        else:
            unknown.append(code)
    if unknown:
        raise DataError(f"dataset {dataset.name!r}: unknown raion or oblast code(s) {', '.join(unknown)}")
    return sorted(wanted)


def restrict_territories(territories: Mapping[str, Any], raion_codes: Collection[str],
                         unit_codes: Collection[str]) -> dict[str, Any]:
    """The build report's ``territories`` entry for the part of the build in some raions.

    Parameters
    ----------
    territories : mapping
        The whole build's entry (see :func:`atr_model.data.kyrgyz.territories.compare_territories`).
    raion_codes, unit_codes : collection of str
        The subset's raions and units.

    Returns
    -------
    dict
        ``raion_pieces`` of those raions; ``raion_exclave_units`` and the lists of unit codes
        (``raion_piece_units``, ``exclave_units``, ``listed_exclaves``, ``no_seed_cell``) for
        those units; ``pairs_added`` / ``pairs_removed`` between two of them; the counts that
        follow from these (``unplaced_raion_pieces``, ``unplaced_raion_land_km2``,
        ``units_multipart_raion_exclave``) counted again; the build's settings and notes as they
        are. Neighbour-pair and Voronoi counts of the whole build are left out. A piece's
        ``touches_raions`` still names neighbouring raions outside the subset: it says where
        the piece lies, not what the subset holds.
    """
    raions, units = {str(c) for c in raion_codes}, {str(c) for c in unit_codes}
    out = {k: v for k, v in territories.items() if k not in _WHOLE_BUILD_COUNTS}
    if "raion_pieces" in territories:
        pieces = [p for p in territories["raion_pieces"] or [] if str(p["raion_code"]) in raions]
        unplaced = [float(p["area_km2"]) for p in pieces if p.get("unplaced")]
        out.update(raion_pieces=pieces, unplaced_raion_pieces=len(unplaced),
                   unplaced_raion_land_km2=round(sum(unplaced), 3))
    if "raion_exclave_units" in territories:
        exclaves = [e for e in territories["raion_exclave_units"] or [] if str(e["unit_code"]) in units]
        out.update(raion_exclave_units=exclaves, units_multipart_raion_exclave=len(exclaves))
    for key in _UNIT_LISTS:
        if key in territories:
            out[key] = [c for c in territories[key] or [] if str(c) in units]
    for key in _PAIR_LISTS:
        if key in territories:
            out[key] = [p for p in territories[key] or [] if str(p[0]) in units and str(p[1]) in units]
    return out


def _restricted_report(report: Any, raion_codes: Collection[str], unit_codes: Collection[str]) -> Any:
    """The build report with its ``territories`` restricted to the subset (else as it is)."""
    if not isinstance(report, Mapping) or not report.get("territories"):
        return report
    return {**report, "territories": restrict_territories(report["territories"], raion_codes, unit_codes)}


def subset_dataset(dataset: Dataset, codes: Iterable[str]) -> Dataset:
    """The part of a dataset in some raions or oblasts (units, settlements, raions, oblasts).

    Parameters
    ----------
    dataset : Dataset
        The whole territory; not modified.
    codes : iterable of str
        Raion or oblast codes (:func:`territory_raions`): an oblast stands for all its raions.

    Returns
    -------
    Dataset
        The subset. Its build id is the dataset's followed by ``-r`` and the codes as given
        (sorted, ``-``-joined), so caches and result folders keep it apart from the whole
        territory; ``metadata["subset_of"]`` names the whole build, and the build report's
        ``territories`` names only the subset's raions and units (:func:`restrict_territories`).

    Raises
    ------
    DataError
        When a code is neither a raion nor an oblast of the dataset.
    """
    given = sorted({str(c) for c in codes})
    wanted = territory_raions(dataset, given)
    units = dataset.units[dataset.units["raion_code"].astype(str).isin(wanted)].copy()
    unit_codes = set(units["unit_code"].astype(str))
    raions = dataset.raions[dataset.raions["raion_code"].astype(str).isin(wanted)].copy()
    indicators = dataset.indicators
    if not indicators.empty:
        indicators = indicators[indicators["unit_code"].astype(str).isin(unit_codes)].copy()
    metadata = dict(dataset.metadata)
    metadata["build_id"] = f"{dataset.build_id}-r{'-'.join(given)}"
    metadata["name"] = f"{dataset.name} — {', '.join(given)}"
    metadata["subset_of"] = dataset.build_id
    if "report" in metadata:
        metadata["report"] = _restricted_report(metadata["report"], wanted, unit_codes)
    return dataset.replace(
        units=units,
        settlements=dataset.settlements[dataset.settlements["unit_code"].astype(str).isin(unit_codes)].copy(),
        raions=raions,
        oblasts=dataset.oblasts[dataset.oblasts["oblast_code"].isin(set(raions["oblast_code"]))].copy(),
        indicators=indicators,
        metadata=metadata,
    )
