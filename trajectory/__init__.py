"""trajectory."""

__all__: list[str] = []
