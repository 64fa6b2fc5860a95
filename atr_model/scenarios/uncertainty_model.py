"""Scenario layer: the ``uncertainty:`` block of a scenario (:class:`Uncertainty`), its spreads and
their documented defaults (assumptions, not measured facts).

The model only (pydantic): a scenario file is read with it, so reading a scenario does not
load the draws' libraries. :mod:`.uncertainty` says how the spreads are drawn and re-exports
these classes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdjacencyUncertainty",
    "PopulationLogSD",
    "PopulationUncertainty",
    "TravelUncertainty",
    "Uncertainty",
]


#: Median absolute error of the estimated aiyl-aimak populations found by an outside check
#: (against official figures of groups merged in 2024; issue 14): about 40 %. For a log-normal
#: error the median of |log error| is 0.6745 sd, so sd = ln(1.4) / 0.6745 = 0.50.
_CHECKED_LOG_SD = 0.5


class _Block(BaseModel):
    """A block of the ``uncertainty:`` section: frozen, and an unknown key is an error that names it."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _log_sd(default: float, description: str) -> Any:
    """A population method's log-normal spread (sd of the log, 0 to 3), with its documented default."""
    return Field(default, ge=0, le=3, description=description)


class PopulationLogSD(_Block):
    """Log-normal spread (sd of the log) of a unit population, per estimation method (assumptions)."""

    raion_share: float = _log_sd(
        _CHECKED_LOG_SD,
        "Assumption, default 0.5: raion total minus known units, split by number of villages (an outside check "
        "found these off by a median of about 40 %, i.e. sd = ln 1.4 / 0.6745). Drawn shares are rescaled so the "
        "real raion total holds.")
    per_village: float = _log_sd(
        _CHECKED_LOG_SD, "Assumption, default 0.5: mean residents per village x the unit's villages.")
    town_figure: float = _log_sd(
        0.3, "Assumption, default 0.3: an old GeoNames figure of the town (a count, but dated).")
    other_estimate: float = _log_sd(
        _CHECKED_LOG_SD, "Assumption, default 0.5: any other estimate without a per-unit spread in the data.")
    census: float = _log_sd(0.0, "Default 0: census and official figures are real and stay fixed.")
    census_2009: float = _log_sd(
        0.0, "Default 0: 2009 census figures stay fixed; set a spread for their ageing since 2009.")


class PopulationUncertainty(_Block):
    """How unit populations are drawn."""

    log_sd: PopulationLogSD = Field(default_factory=PopulationLogSD)
    use_unit_log_sd: bool = Field(
        True, description="Default true: use the dataset's per-unit population_log_sd where it has one (estimates only).")
    keep_raion_totals: bool = Field(
        True, description="Default true: shares of a real raion total are rescaled so the total stays real.")


class TravelUncertainty(_Block):
    """How travel times are drawn (a multiplicative detour/speed factor)."""

    modelled_log_sd: float = Field(
        0.15, ge=0, le=2,
        description="Assumption, default 0.15: spread of the detour/speed factor of modelled times (no road data).")
    roads_log_sd: float = Field(0.0, ge=0, le=2, description="Default 0: road-network times stay fixed.")
    per: Literal["raion", "unit"] = Field("raion", description="Default 'raion': one factor per raion (or per unit).")


class AdjacencyUncertainty(_Block):
    """Whether links resting only on approximate territories may drop out (off by default)."""

    approximate_drop_probability: float = Field(
        0.0, ge=0, le=1,
        description="Default 0 (off): chance that a link between two approximate territories drops out in a draw.")


class Uncertainty(_Block):
    """The ``uncertainty:`` block of a scenario: spreads of every estimated input (assumptions)."""

    population: PopulationUncertainty = Field(default_factory=PopulationUncertainty)
    travel: TravelUncertainty = Field(default_factory=TravelUncertainty)
    adjacency: AdjacencyUncertainty = Field(default_factory=AdjacencyUncertainty)

    @classmethod
    def zero(cls) -> Uncertainty:
        """Every spread zero (each draw is the nominal input)."""
        return cls(
            population=PopulationUncertainty(log_sd=PopulationLogSD(
                raion_share=0, per_village=0, town_figure=0, other_estimate=0, census=0, census_2009=0)),
            travel=TravelUncertainty(modelled_log_sd=0, roads_log_sd=0),
        )

    def assumptions(self) -> list[dict[str, Any]]:
        """Every spread as ``{key, value, description}`` rows (for the package and the report)."""
        rows: list[dict[str, Any]] = []

        def walk(model: BaseModel, prefix: str) -> None:
            for name, info in type(model).model_fields.items():
                value = getattr(model, name)
                key = f"{prefix}.{name}"
                if isinstance(value, BaseModel):
                    walk(value, key)
                else:
                    rows.append({"key": key, "value": value, "description": info.description or ""})

        walk(self, "uncertainty")
        return rows
