"""A non-Kyrgyz dataset for the terms tests: the demo territory with another country's metadata.

The demo's geometry and figures, renamed "Fictionia" (a made-up country), with a ``terms`` entry
(commune / canton / province, EUR, no legal basis) and, optionally, an administrative cost model
of its own in EUR; and a scenario that names none of the Kyrgyz Concept's words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from atr_model.data import Dataset

#: Another country's words (TERMS-SPEC.md layout).
FICTIONIA_TERMS: dict[str, Any] = {
    "country": {"en": "Republic of Fictionia", "ru": "Республика Фикциония", "ky": "Фикциония Республикасы"},
    "unit_term": {"en": "commune", "ru": "коммуна", "ky": "коммуна"},
    "unit_term_plural": {"en": "communes", "ru": "коммуны", "ky": "коммуналар"},
    "district_term": {"en": "canton", "ru": "кантон", "ky": "кантон"},
    "region_term": {"en": "province", "ru": "провинция", "ky": "провинция"},
    "office_term": {"en": "town hall", "ru": "мэрия", "ky": "мэрия"},
    "currency": "EUR",
    "legal_basis": None,
}

#: An administrative cost model of Fictionia's own, in euros (the layout of admin_cost_model.yaml).
FICTIONIA_COST_MODEL: dict[str, Any] = {
    "label": "assumption: illustrative unit costs of a Fictionian town hall",
    "currency": "EUR",
    "price_year": 2025,
    "staff_per_okmotu": {"value": 6.0, "basis": "assumption: six posts per town hall"},
    "share_of_staff_saved": {"value": 0.5, "basis": "assumption: half the posts are duplicated"},
    "annual_cost_per_staff_som": {"value": 30000.0, "basis": "assumption: EUR 30,000 a year per post"},
    "office_cost_per_year_som": {"value": 20000.0, "basis": "assumption: EUR 20,000 a year per office"},
    "transition_cost_per_abolished_som": {"value": 50000.0, "basis": "assumption: EUR 50,000 per merger"},
}

#: A scenario of Fictionia's own: no roads or elevation of its own (straight-line times), no
#: Kyrgyz words in its title or description.
FICTIONIA_SCENARIO = """\
name: fictionia
title: "Fictionia: small communes merged"
description: Communes under 5,000 residents merged within their canton; invented data.
dataset: demo
roads: null
elevation: null
level: aiyl_aimak
criteria:
  population_floor: 5000
  max_travel_time_min: 90
  nesting: raion
solver:
  name: highs
  time_limit_s: 60
"""


def fictionia_dataset(demo: Dataset, *, terms: dict[str, Any] | None = None, cost_model: bool = True) -> Dataset:
    """The demo territory as Fictionia's data (kind "import"): the ``terms`` entry (default
    :data:`FICTIONIA_TERMS`; None: no entry), and its own cost model unless ``cost_model`` is False."""
    metadata = {k: v for k, v in demo.metadata.items() if k not in ("kind", "name", "build_id", "note")}
    metadata.update(kind="import", name="Fictionia (invented)", build_id="fictionia-test-v1",
                    note="Invented territory for tests.")
    if terms is not None:
        metadata["terms"] = terms
    if cost_model:
        metadata["cost_model"] = FICTIONIA_COST_MODEL
    country = demo.country.assign(name_en="Republic of Fictionia")
    return demo.replace(metadata=metadata, country=country)


def write_fictionia(demo: Dataset, folder: Path, **kwargs: Any) -> tuple[Path, Path]:
    """Fictionia's GeoPackage and scenario file in ``folder``: (dataset path, scenario path)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = fictionia_dataset(demo, terms=kwargs.pop("terms", FICTIONIA_TERMS), **kwargs).write(folder / "fictionia.gpkg")
    scenario = folder / "fictionia.yaml"
    scenario.write_text(FICTIONIA_SCENARIO, encoding="utf-8")
    return data, scenario
