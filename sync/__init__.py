"""Object storage and the network of stations (DESIGN 6): nothing here yet; the sync issue builds it."""

__all__: list[str] = []
