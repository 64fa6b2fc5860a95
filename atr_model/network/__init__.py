"""Network layer: roads or a terrain-aware fallback to travel times, remoteness and adjacency.

Quick start::

    from atr_model.network import TravelSettings, build_travel_model
    tm = build_travel_model(dataset, roads="kyrgyzstan-latest.osm.pbf", elevation="gebco.tif")
    tm.settlement_centre_times, tm.settlement_access, tm.unit_remoteness, tm.adjacency
    tm.summary()
"""

from typing import TYPE_CHECKING

from atr_model._lazy import lazy_exports

if TYPE_CHECKING:
    from atr_model.network.adjacency import read_adjacency_edits
    from atr_model.network.model import MODELLED_KIND, MODELLED_LABEL, ROADS_KIND, TravelModel, build_travel_model
    from atr_model.network.roads import RoadGraph, RoadWays, edges_from_ways, load_road_graph, read_road_ways
    from atr_model.network.settings import TravelSettings

__all__ = [
    "MODELLED_KIND",
    "MODELLED_LABEL",
    "ROADS_KIND",
    "RoadGraph",
    "RoadWays",
    "TravelModel",
    "TravelSettings",
    "build_travel_model",
    "edges_from_ways",
    "load_road_graph",
    "read_adjacency_edits",
    "read_road_ways",
]

# imported when first used (atr_model._lazy): the names above, no module at package import
lazy_exports(__name__)
