"""Wording shared by log lines and command output: counts with the right singular or plural."""

from __future__ import annotations


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``n`` and the noun in the number it takes: ``plural(1, "worker")`` is ``"1 worker"``, 2 gives
    ``"2 workers"``; ``plural_form`` for nouns that do not just add an ``s`` (``plural(2, "match",
    "matches")``).
    """
    return f"{n} {singular if n == 1 else (plural_form or singular + 's')}"
