"""The Kyrgyz dataset build (the data layer's build stages 0-7) from the open-data directory
(``../shared/kg-open-data`` layout).

The build joins the COATE tree (oblasts > raions and cities > aiyl aimaks and towns > villages)
to the OCHA raion polygons, the open-admin-data unit points, the located places of Who's On
First and GeoNames, the GEBCO elevation grid and the population tables. Every value that is not
a sourced fact is labelled (``*_source`` starting with ``"estimate: "`` or ``"approximate: "``).
``data/README.md`` documents each step; :class:`BuildReport` records what happened.

One module per stage, run in this order by :func:`build_kyrgyz_dataset`:

======================  ======================================================================
``build_id``            input files, builder version, build id, the cached build's header
``population_method``   the population estimator's methods and version (part of the build id)
``sources``             the optional user files (and the names of ``build_id``, re-exported)
``tree``                the COATE administrative tree with raion and oblast polygons
``villages``            settlement places and the name matching that locates them
``centres``             unit centres and raion centres
``population``          census figures, raion totals, estimates for the other units
``territories``         approximate unit territories inside each raion (stage 5)
``allocation``          terrain-cost allocation of a raion's land, raions drawn in pieces (5b)
``attributes``          area, elevation, border distance, names
``assembly``            the contract's layers, the pipeline, write and cached load
``report``              the build report
``estimator_report``    the build report's population estimator section
======================  ======================================================================
"""

from typing import TYPE_CHECKING

from atr_model._lazy import lazy_exports

if TYPE_CHECKING:
    from atr_model.data.kyrgyz.assembly import (
        build_kyrgyz_dataset,
        load_or_build_kyrgyz_dataset,
        write_kyrgyz_build,
    )
    from atr_model.data.kyrgyz.build_id import (
        BUILDER_VERSION,
        DATASET_FILENAME,
        RAION_CENTRES_FILE,
        SOURCE_FILES,
        cached_kyrgyz_header,
        kyrgyz_build_id,
    )
    from atr_model.data.kyrgyz.report import BuildReport

__all__ = [
    "BUILDER_VERSION",
    "DATASET_FILENAME",
    "RAION_CENTRES_FILE",
    "SOURCE_FILES",
    "BuildReport",
    "build_kyrgyz_dataset",
    "cached_kyrgyz_header",
    "kyrgyz_build_id",
    "load_or_build_kyrgyz_dataset",
    "write_kyrgyz_build",
]

# imported when first used (atr_model._lazy): the names above, no module at package import
lazy_exports(__name__)
