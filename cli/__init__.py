"""The ``stationd`` command line: parses, calls library code, renders with rich. No logic.

The entry point is :func:`cli.main.main` (the ``stationd`` console script); nothing else is public.
"""

__all__: list[str] = []
