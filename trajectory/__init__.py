"""Multi-station trajectory solving (DESIGN 1): nothing here yet; the trajectory issue builds it."""

__all__: list[str] = []
