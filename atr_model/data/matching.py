"""Locate COATE villages by matching their names to located places in the same raion.

Tiers, tried in order, each within the village's raion only:

``exact``
    strict key equality (case, ``ё``, hyphens, spaces, prefixes such as ``село`` ignored);
``variant``
    loose key equality (Russian/Kyrgyz letter swaps, transliteration of Latin names);
``vowel``
    loose keys equal once ``e`` and ``o`` are merged (COATE writes Kyrgyz ``ө`` as ``е``);
``stem``
    strict keys equal once a Russian adjectival ending is dropped (``Дорожное`` ~ ``Дорожный``,
    ``Интернациональное`` ~ ``Интернационал``); needs a reference point and
    ``fuzzy_max_distance_km``;
``fuzzy``
    one clear best place with a sequence similarity >= ``fuzzy_cutoff`` of the vowel keys
    (keys of at least 6 letters, same first letter, digits equal).

Guards against false matches: the place must lie within ``max_distance_km`` of the unit's
reference point when one is known (and within ``fuzzy_max_distance_km`` for fuzzy matches, which
also require a reference point); several distinct places for one key are resolved by distance
only when the nearest is clearly nearer (``ambiguity_ratio``), else the village is left
unlocated and reported as ambiguous; a place claimed by villages of two units goes to the unit
whose reference point is nearer and the other village is reported as a conflict.

Cross-raion pass: a village whose raion has no namesake at all may take an unclaimed place of
any raion within ``cross_raion_km`` (12 km, about the 95th percentile of exact matches'
distances to their unit point) of its unit reference point, by the exact, variant or vowel tier
only, unless the place's own raion has a village of that name; the method is suffixed
``cross-raion``. It catches places that fall just over a digitised raion border or lake shore.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from atr_model.data.names import loose_key, name_keys, strict_key

__all__ = ["MatchResult", "match_villages", "place_keys"]

_TIERS = ("exact", "variant", "vowel", "stem", "fuzzy")

#: Russian adjectival endings of Soviet-era names ("Фрунзенское" ~ "Фрунзе",
#: "Интернациональное" ~ "Интернационал"), longest first
_ADJ_ENDINGS = ("енское", "енский", "енская", "ское", "ский", "ская", "ьное", "ьный", "ьная",
                "ное", "ный", "ная", "ое", "ый", "ая", "ой")


def _stem(key: str) -> str:
    """Strict key without an adjectival ending (empty when too short to be telling)."""
    for ending in _ADJ_ENDINGS:
        if key.endswith(ending):
            key = key[: -len(ending)]
            break
    return key if len(key) >= 5 else ""


def _vowel(key: str) -> str:
    return key.replace("e", "o")


def place_keys(places: pd.DataFrame, name_columns: tuple[str, ...]) -> pd.DataFrame:
    """Add ``strict_keys``, ``loose_keys`` and ``vowel_keys`` (sets) to a frame of places."""
    out = places.copy()
    strict, loose = [], []
    for row in out[list(name_columns)].itertuples(index=False):
        s, lk = name_keys(*row)
        strict.append(s)
        loose.append(lk)
    out["strict_keys"] = strict
    out["loose_keys"] = loose
    out["vowel_keys"] = [{_vowel(k) for k in ks} for ks in loose]
    return cast("pd.DataFrame", out)


class _KeyTable:
    """Plain lists of the places' key sets (pandas cell access is too slow in the loops)."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.raion_code = [str(r) for r in places["raion_code"]]
        self.strict: list[set[str]] = list(places["strict_keys"])
        self.loose: list[set[str]] = list(places["loose_keys"])
        self.vowel: list[set[str]] = list(places["vowel_keys"])
        self.stem: list[set[str]] = [{_stem(k) for k in ks} - {""} for ks in self.strict]


@dataclass(frozen=True)
class MatchResult:
    """Outcome of matching one village.

    Attributes
    ----------
    place_index : int or None
        Row of the located place, or None.
    method : str
        ``exact``, ``variant``, ``vowel``, ``fuzzy`` or why it failed: ``no match``,
        ``ambiguous``, ``too far``, ``conflict``.
    candidates : int
        Distinct places that matched the name in the deciding tier.
    distance_km : float
        Distance to the unit reference point (NaN when unknown).
    """

    place_index: int | None
    method: str
    candidates: int
    distance_km: float


def _distinct(indices: list[int], xy: np.ndarray, merge_km: float) -> list[int]:
    """Drop places that duplicate an earlier one within ``merge_km``."""
    kept: list[int] = []
    for i in indices:
        if all(np.hypot(*(xy[i] - xy[j])) / 1000.0 > merge_km for j in kept):
            kept.append(i)
    return kept


def _digits(text: str) -> str:
    return "".join(re.findall(r"\d", text))


def match_villages(
    villages: pd.DataFrame,
    places: pd.DataFrame,
    place_xy_m: np.ndarray,
    unit_ref_xy_m: Mapping[str, tuple[float, float]],
    *,
    max_distance_km: float = 30.0,
    fuzzy_max_distance_km: float = 15.0,
    fuzzy_cutoff: float = 0.86,
    ambiguity_ratio: float = 2.0,
    merge_km: float = 3.0,
    cross_raion_km: float = 12.0,
) -> list[MatchResult]:
    """Match villages to places of the same raion.

    Parameters
    ----------
    villages : pandas.DataFrame
        ``settlement_code``, ``name_ru``, ``unit_code``, ``raion_code``.
    places : pandas.DataFrame
        Output of :func:`place_keys` with a ``raion_code`` column.
    place_xy_m : numpy.ndarray
        Metric coordinates of the places, shape (n, 2), aligned with ``places`` rows.
    unit_ref_xy_m : mapping
        Unit code -> metric reference point (the official unit point), when known.
    max_distance_km, fuzzy_max_distance_km, fuzzy_cutoff, ambiguity_ratio, merge_km : float
        Guards (see the module docstring).
    cross_raion_km : float
        Radius around the unit reference point searched for places of any raion when the
        village's own raion has no namesake (0 disables it).

    Returns
    -------
    list of MatchResult
        One per village, in the order of ``villages``.
    """
    table = _KeyTable(places.reset_index(drop=True))
    by_raion: dict[str, list[int]] = {}
    for i, raion in enumerate(table.raion_code):
        by_raion.setdefault(str(raion), []).append(i)
    refs = _anchor_refs(villages, table, place_xy_m, by_raion, unit_ref_xy_m, max_distance_km, merge_km)
    settings = (max_distance_km, fuzzy_max_distance_km, fuzzy_cutoff, ambiguity_ratio, merge_km)
    results: list[MatchResult] = []
    for row in villages.itertuples(index=False):
        pool = by_raion.get(str(row.raion_code), [])
        results.append(_match_one(str(row.name_ru), pool, table, place_xy_m, refs.get(str(row.unit_code)), *settings))
    results = _resolve_conflicts(villages, results, refs, place_xy_m)
    # a village that lost a contested place may still have its own namesake elsewhere
    claimed = {r.place_index for r in results if r.place_index is not None}
    for pos, row in enumerate(villages.itertuples(index=False)):
        if results[pos].method != "conflict":
            continue
        pool = [i for i in by_raion.get(str(row.raion_code), []) if i not in claimed]
        retry = _match_one(str(row.name_ru), pool, table, place_xy_m, refs.get(str(row.unit_code)), *settings)
        if retry.place_index is not None:
            results[pos] = retry
            claimed.add(retry.place_index)
    if cross_raion_km > 0:
        _cross_raion(villages, results, table, place_xy_m, refs, cross_raion_km, settings)
    return results


def _cross_raion(
    villages: pd.DataFrame,
    results: list[MatchResult],
    places: _KeyTable,
    xy: np.ndarray,
    refs: Mapping[str, tuple[float, float]],
    radius_km: float,
    settings: tuple[float, float, float, float, float],
) -> None:
    """Second pass: villages with no namesake in their raion try unclaimed places near their unit.

    Places near a raion border or a lake shore often fall on the other side of the digitised
    boundary; they are accepted only within ``radius_km`` of the unit reference point, with no
    fuzzy tier, and each place still serves one village. Methods get a ``cross-raion`` suffix.
    """
    _, _, _, ratio, merge_km = settings
    claimed = {r.place_index for r in results if r.place_index is not None}
    order = sorted(range(len(results)), key=lambda p: str(villages["settlement_code"].iloc[p]))
    names = villages["name_ru"].astype(str).tolist()
    units = villages["unit_code"].astype(str).tolist()
    # a namesake village of the place's own raion has the better claim, located or not
    own_names = {(str(r), loose_key(n)) for r, n in zip(villages["raion_code"], names)}
    for pos in order:
        if results[pos].method != "no match" or units[pos] not in refs:
            continue
        ref = np.asarray(refs[units[pos]])
        dist_all = np.hypot(*(xy - ref).T) / 1000.0
        pool = [int(i) for i in np.flatnonzero(dist_all <= radius_km) if int(i) not in claimed]
        res = _match_one(names[pos], pool, places, xy, tuple(ref), radius_km, radius_km, 1.01, ratio, merge_km)
        if res.place_index is None or res.method in ("stem", "fuzzy"):
            continue
        if (places.raion_code[res.place_index], loose_key(names[pos])) in own_names:
            continue
        results[pos] = MatchResult(res.place_index, f"{res.method} cross-raion", res.candidates, res.distance_km)
        claimed.add(res.place_index)


def _anchor_refs(
    villages: pd.DataFrame,
    places: _KeyTable,
    xy: np.ndarray,
    by_raion: dict[str, list[int]],
    unit_ref_xy_m: Mapping[str, tuple[float, float]],
    max_km: float,
    merge_km: float,
) -> dict[str, tuple[float, float]]:
    """Reference point per unit: the median of its anchor villages, else the given point.

    An anchor is a village whose strict name key is unique among the villages of its raion
    and matches exactly one distinct place of the raion. Two or more anchors that agree (within
    ``max_km`` of their median) locate the unit better than a single official point, which can
    be off for a few units (the check that a name match is plausible measures distance from
    this reference).
    """
    keys = [strict_key(n) for n in villages["name_ru"].astype(str)]
    frame = villages.assign(_key=keys)
    dup = frame.duplicated(["raion_code", "_key"], keep=False)
    anchors: dict[str, list[np.ndarray]] = {}
    for (row, key, is_dup) in zip(frame.itertuples(index=False), keys, dup):
        if is_dup or not key:
            continue
        pool = by_raion.get(str(row.raion_code), [])
        hits = _distinct(sorted(i for i in pool if key in places.strict[i]), xy, merge_km)
        if len(hits) == 1:
            anchors.setdefault(str(row.unit_code), []).append(xy[hits[0]])
    refs: dict[str, tuple[float, float]] = {str(k): (v[0], v[1]) for k, v in unit_ref_xy_m.items()}
    for unit, pts in anchors.items():
        arr = np.array(pts)
        if len(arr) < 2:
            continue
        centre = np.median(arr, axis=0)
        near = arr[np.hypot(*(arr - centre).T) / 1000.0 <= max_km]
        if len(near) >= 2:
            med = np.median(near, axis=0)
            refs[unit] = (float(med[0]), float(med[1]))
    return refs


def _tier_hits(tier: str, name: str, pool: list[int], places: _KeyTable, cutoff: float) -> list[int]:
    if tier == "exact":
        key = strict_key(name)
        return [i for i in pool if key and key in places.strict[i]]
    if tier == "variant":
        key = loose_key(name)
        return [i for i in pool if len(key) >= 2 and key in places.loose[i]]
    if tier == "stem":
        key = _stem(strict_key(name))
        return [i for i in pool if key and key in places.stem[i]]
    key = _vowel(loose_key(name))
    if tier == "vowel":
        return [i for i in pool if len(key) >= 3 and key in places.vowel[i]]
    if len(key) < 6:
        return []
    scored: list[tuple[float, int]] = []
    for i in pool:
        best = 0.0
        for other in places.vowel[i]:
            if other[:1] != key[:1] or _digits(other) != _digits(key):
                continue
            best = max(best, difflib.SequenceMatcher(None, key, other).ratio())
        if best >= cutoff:
            scored.append((best, i))
    if not scored:
        return []
    top = max(s for s, _ in scored)
    return [i for s, i in scored if s == top]


def _match_one(
    name: str,
    pool: list[int],
    places: _KeyTable,
    xy: np.ndarray,
    ref: tuple[float, float] | None,
    max_km: float,
    fuzzy_km: float,
    cutoff: float,
    ratio: float,
    merge_km: float,
) -> MatchResult:
    failure = MatchResult(None, "no match", 0, float("nan"))
    for tier in _TIERS:
        if tier in ("stem", "fuzzy") and ref is None:
            break
        hits = _distinct(sorted(_tier_hits(tier, name, pool, places, cutoff)), xy, merge_km)
        if not hits:
            continue
        limit = fuzzy_km if tier in ("stem", "fuzzy") else max_km
        if ref is None:
            if len(hits) == 1:
                return MatchResult(hits[0], tier, 1, float("nan"))
            return MatchResult(None, "ambiguous", len(hits), float("nan"))
        dist = np.array([np.hypot(*(xy[i] - np.asarray(ref))) / 1000.0 for i in hits])
        order = np.argsort(dist, kind="stable")
        nearest = float(dist[order[0]])
        if nearest > limit:
            # a namesake far away is not this village; a weaker tier may still find it nearby
            failure = MatchResult(None, "too far", len(hits), nearest)
            continue
        if len(hits) > 1 and float(dist[order[1]]) < ratio * nearest + merge_km:
            return MatchResult(None, "ambiguous", len(hits), nearest)
        return MatchResult(hits[int(order[0])], tier, len(hits), nearest)
    return failure


def _resolve_conflicts(
    villages: pd.DataFrame,
    results: list[MatchResult],
    unit_ref_xy_m: Mapping[str, tuple[float, float]],
    xy: np.ndarray,
) -> list[MatchResult]:
    claims: dict[int, list[int]] = {}
    for pos, res in enumerate(results):
        if res.place_index is not None:
            claims.setdefault(res.place_index, []).append(pos)
    out = list(results)
    names = villages["name_ru"].astype(str).tolist()
    units = villages["unit_code"].astype(str).tolist()
    for place, positions in claims.items():
        if len(positions) < 2:
            continue
        # parts of one village split between units ("... (часть)") may share a place
        if all("часть" in names[p].lower() for p in positions):
            continue
        def rank(p: int) -> tuple[int, float]:  # sorted() below uses it within this iteration
            ref = unit_ref_xy_m.get(units[p])
            d = np.hypot(*(xy[place] - np.asarray(ref))) if ref is not None else np.inf  # noqa: B023
            tier = _TIERS.index(results[p].method)
            return (tier, float(d))
        ordered = sorted(positions, key=rank)
        for p in ordered[1:]:
            out[p] = MatchResult(None, "conflict", results[p].candidates, results[p].distance_km)
    return out
