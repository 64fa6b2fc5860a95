"""Data layer: the data contract, datasets, loaders, the Kyrgyz open-data build and the demo."""

from typing import TYPE_CHECKING

from atr_model._lazy import lazy_exports

if TYPE_CHECKING:
    from atr_model.data.borders import CUT_OFF_KINDS, MIN_SHARED_BORDER_M, detached_pieces_of, part_at, shared_borders
    from atr_model.data.cache import default_cache_dir
    from atr_model.data.contract import (
        APPROXIMATE_PREFIX,
        CRS,
        ESTIMATE_PREFIX,
        LAYERS,
        TERRAIN_COST_SOURCE,
        is_estimate_source,
    )
    from atr_model.data.csv_input import read_text_csv
    from atr_model.data.dataset import Dataset, read_dataset, validate_layer
    from atr_model.data.demo import make_demo_dataset, write_demo_elevation, write_demo_roads
    from atr_model.data.files import check_file, file_sha256, read_text_file, reading, source_digest
    from atr_model.data.generic_import import (
        ImportColumns,
        ImportInputs,
        ImportReport,
        import_dataset,
        read_mapping,
        read_terms,
        write_import,
    )
    from atr_model.data.geo import equal_area_crs, haversine_km
    from atr_model.data.header import DatasetHeader, DatasetLike, read_dataset_header
    from atr_model.data.info import dataset_info
    from atr_model.data.kyrgyz import (
        BuildReport,
        build_kyrgyz_dataset,
        cached_kyrgyz_header,
        kyrgyz_build_id,
        load_or_build_kyrgyz_dataset,
        write_kyrgyz_build,
    )
    from atr_model.data.loaders import (
        check_points_in_polygons,
        read_admin_layer,
        read_coate,
        read_localities,
        read_population_table,
        read_settlement_points,
        read_unit_points,
        sample_elevation,
    )
    from atr_model.data.names import unit_stem
    from atr_model.data.population import cross_validate, estimate_unit_populations, predictor_table
    from atr_model.data.subset import restrict_territories, subset_dataset, territory_raions
    from atr_model.data.terms import GENERIC_TERMS, KYRGYZ_KINDS, KYRGYZ_TERMS, DatasetTerms, dataset_terms, parse_terms
    from atr_model.data.terrain import altitude_factor, neighbour_pairs, terrain_time_min
    from atr_model.data.terrain_defaults import (
        DEFAULT_BLOCKED_PASS_M,
        DEFAULT_CLIMB_MIN_PER_100M,
        DEFAULT_DETOUR_FACTOR,
        DEFAULT_SEASONAL_PASS_M,
        DEFAULT_SPEED_KMH,
    )
    from atr_model.data.translit import TRANSLIT_TABLE, is_cyrillic, latin_unit_name, transliterate

__all__ = [
    "DatasetTerms",
    "dataset_terms",
    "parse_terms",
    "KYRGYZ_TERMS",
    "GENERIC_TERMS",
    "KYRGYZ_KINDS",
    "unit_stem",
    "DEFAULT_BLOCKED_PASS_M",
    "DEFAULT_CLIMB_MIN_PER_100M",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_SEASONAL_PASS_M",
    "DEFAULT_SPEED_KMH",
    "MIN_SHARED_BORDER_M",
    "CUT_OFF_KINDS",
    "altitude_factor",
    "neighbour_pairs",
    "detached_pieces_of",
    "part_at",
    "shared_borders",
    "terrain_time_min",
    "APPROXIMATE_PREFIX",
    "TERRAIN_COST_SOURCE",
    "CRS",
    "ESTIMATE_PREFIX",
    "LAYERS",
    "BuildReport",
    "ImportColumns",
    "ImportInputs",
    "ImportReport",
    "import_dataset",
    "read_mapping",
    "read_terms",
    "write_import",
    "Dataset",
    "DatasetHeader",
    "DatasetLike",
    "read_dataset_header",
    "build_kyrgyz_dataset",
    "cached_kyrgyz_header",
    "check_points_in_polygons",
    "cross_validate",
    "estimate_unit_populations",
    "predictor_table",
    "dataset_info",
    "equal_area_crs",
    "haversine_km",
    "is_estimate_source",
    "default_cache_dir",
    "kyrgyz_build_id",
    "load_or_build_kyrgyz_dataset",
    "make_demo_dataset",
    "read_admin_layer",
    "read_coate",
    "read_dataset",
    "read_localities",
    "read_population_table",
    "read_settlement_points",
    "read_text_csv",
    "check_file",
    "file_sha256",
    "source_digest",
    "read_text_file",
    "reading",
    "read_unit_points",
    "restrict_territories",
    "sample_elevation",
    "subset_dataset",
    "territory_raions",
    "validate_layer",
    "write_demo_elevation",
    "write_demo_roads",
    "write_kyrgyz_build",
    "TRANSLIT_TABLE",
    "is_cyrillic",
    "latin_unit_name",
    "transliterate",
]

# imported when first used (atr_model._lazy): the names above, no module at package import
lazy_exports(__name__)
