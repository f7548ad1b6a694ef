"""sync."""

__all__: list[str] = []
