"""Network layer: roads or a terrain-aware fallback to travel times, remoteness and adjacency."""

__all__: list[str] = []
