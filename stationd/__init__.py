"""stationd."""

__all__: list[str] = []
