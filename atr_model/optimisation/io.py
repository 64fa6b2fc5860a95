"""Input: read matrix-level instances laid out like the published county benchmark.

A directory holds ``<ST>_nodes.csv`` (``id, population``; other columns ignored, ``name`` used
for messages when present), ``<ST>_edges.csv`` (``u, v``) and ``<ST>_distances_km.csv`` (an
``n x n`` matrix whose first column is the node id). The model is the Hess districting model of
Validi, Buchanan & Lykhovyd (2022): cost ``population_i * (d_ij / 1000) ** 2``, ``k`` units and a
population band ``L = ceil(P/k * 0.995)``, ``U = floor(P/k * 1.005)`` computed in float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atr_model.data import reading
from atr_model.errors import DataError
from atr_model.optimisation.formulation import inertia_cost
from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.settings import EngineSettings

__all__ = ["BenchmarkInstance", "read_instance_dir", "population_band"]


@dataclass(frozen=True)
class BenchmarkInstance:
    """An instance read from a directory plus its benchmark parameters."""

    name: str
    instance: MergerInstance
    k: int | None
    population_floor: float | None
    population_cap: float | None

    def settings(self, **overrides: object) -> EngineSettings:
        """Exact benchmark settings: hard band, ``k`` units, no admin cost, gap 0."""
        base: dict[str, Any] = dict(population_floor=self.population_floor, floor_mode="hard",
                                    population_cap=self.population_cap, cap_mode="hard", n_units=self.k,
                                    admin_cost_per_unit=0.0, gap_rel=0.0, decompose=False)
        base.update(overrides)
        return EngineSettings(**base)


def population_band(total_population: float, k: int, tolerance: float = 0.005) -> tuple[int, int]:
    """``(L, U)`` of the benchmark: ``ceil(P/k (1 - tol))``, ``floor(P/k (1 + tol))`` in float32."""
    mean = np.float32(total_population) / np.float32(k)
    low = math.ceil(float(np.float32(mean * np.float32(1 - tolerance))))
    high = math.floor(float(np.float32(mean * np.float32(1 + tolerance))))
    return low, high


def _one(directory: Path, suffix: str) -> Path:
    found = sorted(directory.glob(f"*_{suffix}"))
    if len(found) != 1:
        raise DataError(f"{directory}: expected exactly one *_{suffix} file, found {len(found)}")
    return found[0]


def read_instance_dir(directory: str | Path, k: int | None = None, tolerance: float = 0.005) -> BenchmarkInstance:
    """Read a benchmark-style instance directory.

    Parameters
    ----------
    directory : path
        Directory with ``<ST>_nodes.csv``, ``<ST>_edges.csv`` and ``<ST>_distances_km.csv``.
    k : int, optional
        Number of units; without it no count and no band are set.
    tolerance : float
        Relative half-width of the population band around ``P / k``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory")
    nodes_path = _one(directory, "nodes.csv")
    edges_path = _one(directory, "edges.csv")
    dist_path = _one(directory, "distances_km.csv")
    with reading(nodes_path, "nodes table"):
        nodes = pd.read_csv(nodes_path)
    for col in ("id", "population"):
        if col not in nodes.columns:
            raise DataError(f"{nodes_path}: missing column {col!r}")
    nodes = nodes.sort_values("id").reset_index(drop=True)
    n = len(nodes)
    if not (nodes["id"].to_numpy() == np.arange(n)).all():
        raise DataError(f"{nodes_path}: ids must be 0..{n - 1}")
    with reading(edges_path, "edges table"):
        edges = pd.read_csv(edges_path)
    if not {"u", "v"} <= set(edges.columns):
        raise DataError(f"{edges_path}: expected columns u, v")
    with reading(dist_path, "distance matrix"):
        dist = pd.read_csv(dist_path, index_col=0)
    if dist.shape != (n, n):
        raise DataError(f"{dist_path}: matrix is {dist.shape}; expected ({n}, {n})")
    dist_km = dist.to_numpy(dtype=float)
    pop = nodes["population"].to_numpy(dtype=float)
    names = nodes["name"].astype(str).tolist() if "name" in nodes.columns else None
    codes = nodes["geoid"].astype(str).tolist() if "geoid" in nodes.columns else [str(i) for i in range(n)]
    instance = MergerInstance(unit_codes=codes, population=pop, cost=inertia_cost(pop, dist_km, 1 / 1000),
                              adjacency=edges[["u", "v"]].to_numpy(dtype=np.int64), names=names)
    floor = cap = None
    if k is not None:
        floor, cap = population_band(float(pop.sum()), k, tolerance)
    name = nodes_path.name[: -len("_nodes.csv")]
    return BenchmarkInstance(name, instance, k, floor, cap)
