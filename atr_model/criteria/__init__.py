"""Criteria layer: the Concept's criteria as parameters, exemptions and the engine's input."""

__all__: list[str] = []
