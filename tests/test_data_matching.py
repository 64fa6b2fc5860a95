"""Name keys and the village matcher on small synthetic inputs (guards against false matches)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from atr_model.data.matching import match_villages, place_keys
from atr_model.data.names import loose_key, strict_key, unit_stem


def test_strict_key_ignores_case_hyphens_and_affixes() -> None:
    assert strict_key("село Ак-Булак") == strict_key("Ак Булак") == strict_key("АК-БУЛАК")
    assert strict_key("Новопокровка (часть)") == strict_key("Новопокровка")
    assert strict_key("Ак-Булак айылы") == strict_key("Ак-Булак")
    assert strict_key("Ак-Булак") != strict_key("Кара-Булак")


def test_loose_key_joins_russian_kyrgyz_and_latin_spellings() -> None:
    assert loose_key("Джалал-Абад") == loose_key("Жалал-Абад") == loose_key("Dzhalal-Abad")
    assert loose_key("Көк-Жар") == loose_key("Кок-Джар")
    assert loose_key("Тюп") == loose_key("Түп")
    assert loose_key("Ала-Тоо") == loose_key("Ala-Too")
    # numbered parts of a village stay distinct
    assert loose_key("Ак-Буура-2") != loose_key("Ак-Буура-3")


def test_unit_stem_links_unit_and_namesake_village() -> None:
    assert unit_stem("Ак-Булунский айылный аймак") == unit_stem("Ак-Булун")
    assert unit_stem("Тюпский район") == unit_stem("Тюп")


def _places(rows: list[tuple[str, str, float, float]]) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame(rows, columns=["name", "raion_code", "x_km", "y_km"])
    frame["name_ru"] = frame["name"]
    keyed = place_keys(frame, ("name", "name_ru"))
    return keyed, frame[["x_km", "y_km"]].to_numpy() * 1000.0


def _villages(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["settlement_code", "name_ru", "unit_code", "raion_code"])


def test_match_same_raion_only_and_methods() -> None:
    places, xy = _places([
        ("Ак-Булак", "R1", 0, 0),
        ("Kara-Dzhal", "R1", 5, 0),
        ("Тегизчил", "R2", 40, 1),  # same name, other raion, beyond the cross-raion radius
    ])
    villages = _villages([
        ("v1", "Ак-Булак", "U1", "R1"),
        ("v2", "Кара-Джал", "U1", "R1"),
        ("v3", "Тегизчил", "U1", "R1"),
    ])
    res = match_villages(villages, places, xy, {"U1": (0.0, 0.0)})
    assert [r.method for r in res] == ["exact", "variant", "no match"]
    assert res[0].place_index == 0 and res[1].place_index == 1 and res[2].place_index is None


def test_cross_raion_fallback_near_unit_point_only() -> None:
    places, xy = _places([
        ("Учар", "R2", 3, 0),  # just over the raion border, near the unit point
        ("Сарбан", "R2", 4, 0),  # near too, but R2 has its own village of that name
        ("Маевка", "R2", 20, 0),  # beyond the 12 km radius
    ])
    villages = _villages([
        ("v1", "Учар", "U1", "R1"),
        ("v2", "Сарбан", "U1", "R1"),
        ("v3", "Маевка", "U1", "R1"),
        ("v4", "Сарбан", "U2", "R2"),
    ])
    res = match_villages(villages, places, xy, {"U1": (0.0, 0.0), "U2": (60_000.0, 0.0)})
    assert res[0].method == "exact cross-raion" and res[0].place_index == 0
    assert round(res[0].distance_km, 1) == 3.0
    assert res[1].place_index is None and res[2].place_index is None
    off = match_villages(villages, places, xy, {"U1": (0.0, 0.0)}, cross_raion_km=0.0)
    assert off[0].method == "no match"


def test_match_rejects_far_and_ambiguous_namesakes() -> None:
    places, xy = _places([
        ("Кызыл-Туу", "R1", 80, 0),   # 80 km from the unit: not this village
        ("Чон-Таш", "R1", 4, 0),
        ("Чон-Таш", "R1", -5, 0),     # two namesakes at similar distances: ambiguous
        ("Боз-Учук", "R1", 2, 0),
        ("Боз-Учук", "R1", 60, 0),    # a far namesake does not make a near one ambiguous
    ])
    villages = _villages([
        ("v1", "Кызыл-Туу", "U1", "R1"),
        ("v2", "Чон-Таш", "U1", "R1"),
        ("v3", "Боз-Учук", "U1", "R1"),
    ])
    res = match_villages(villages, places, xy, {"U1": (0.0, 0.0)})
    assert [r.method for r in res] == ["too far", "ambiguous", "exact"]
    assert res[2].place_index == 3


def test_match_one_place_is_not_given_to_two_units() -> None:
    places, xy = _places([("Жаны-Жер", "R1", 10, 0)])
    villages = _villages([
        ("v1", "Жаны-Жер", "U1", "R1"),
        ("v2", "Жаны-Жер", "U2", "R1"),
    ])
    res = match_villages(villages, places, xy, {"U1": (9000.0, 0.0), "U2": (-15000.0, 0.0)})
    assert res[0].place_index == 0 and res[0].method == "exact"
    assert res[1].place_index is None and res[1].method == "conflict"


def test_fuzzy_match_needs_a_reference_point_and_a_close_place() -> None:
    places, xy = _places([("Jalgyz-Üruk", "R1", 3, 0), ("Ichke-Bulak", "R1", 1, 0)])
    villages = _villages([
        ("v1", "Жалгыз-Орюк", "U1", "R1"),
        ("v2", "Жалгыз-Орюк", "U2", "R1"),  # no reference point: no fuzzy match
        ("v3", "Ичке-Булун", "U1", "R1"),   # a different name ending is not a spelling variant
    ])
    res = match_villages(villages, places, xy, {"U1": (0.0, 0.0)})
    assert res[0].method == "fuzzy" and res[0].place_index == 0
    assert res[1].place_index is None
    assert res[2].place_index is None


def test_stem_tier_joins_adjectival_forms_nearby_only() -> None:
    places, xy = _places([
        ("Дорожный", "R1", 4, 0),
        ("Интернационал", "R1", 25, 0),  # beyond the 15 km limit of the weak tiers
    ])
    villages = _villages([
        ("v1", "Дорожное", "U1", "R1"),
        ("v2", "Интернациональное", "U1", "R1"),
    ])
    res = match_villages(villages, places, xy, {"U1": (0.0, 0.0)}, cross_raion_km=0.0)
    assert res[0].method == "stem" and res[0].place_index == 0
    assert res[1].place_index is None
