"""Reading typed values out of the configuration's nested YAML mappings, collecting every problem.

:class:`Reader` never stops at the first bad value: each problem names the key, the value and what was
expected, and ``stationd config check`` lists them all at once. The converters raise ``ValueError`` or
``TypeError`` with a short reason that the reader appends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from stationd.errors import ConfigProblem

T = TypeVar("T")

CREDENTIAL_WORDS = ("secret", "access_key", "password", "token", "credential")
"""Key names that hold secrets: their values never appear in a problem."""


class Reader:
    """Reads typed values out of nested mappings and collects every problem instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []
        self.warnings: list[str] = []

    def renamed(
        self, section: Mapping[str, Any], where: str, renames: Mapping[str, str]
    ) -> Mapping[str, Any]:
        """The section with keys of earlier versions under their new names, each with a warning."""
        out = dict(section)
        for old, new in renames.items():
            if old not in out:
                continue
            if new in out:
                self.problems.append(
                    ConfigProblem(f"{where}.{old}", out.pop(old), f"only {where}.{new} (the same setting)")
                )
                continue
            self.warnings.append(
                f"{where}.{old} is now called {where}.{new}: rename it (the old name still works)"
            )
            out[new] = out.pop(old)
        return out

    def get(
        self,
        section: Mapping[str, Any],
        key: str,
        where: str,
        convert: Callable[[Any], T],
        expected: str,
        default: Any = ...,
    ) -> T:
        """``section[key]`` through ``convert``; a missing key gives ``default`` (required when none), a bad
        value a problem and the default."""
        full = f"{where}.{key}" if where else key
        if key not in section or section[key] is None:
            if default is ...:
                self.problems.append(ConfigProblem(full, None, f"{expected} (the key is required)"))
                return None  # type: ignore[return-value]
            return default  # type: ignore[no-any-return]
        value = section[key]
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            detail = f" ({exc})" if str(exc) else ""
            self.problems.append(ConfigProblem(full, value, expected + detail))
            fallback: T = None if default is ... else default  # type: ignore[assignment]
            return fallback

    def mapping(self, section: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        """A sub-section (empty when absent; a problem when it is not a mapping)."""
        value = section.get(key) or {}
        if not isinstance(value, Mapping):
            self.problems.append(ConfigProblem(f"{where}.{key}".strip("."), value, "a mapping"))
            return {}
        return value

    def unknown(self, section: Mapping[str, Any], known: set[str], where: str) -> None:
        """A problem for every key of ``section`` that is not ``known`` (a typo must not pass silently)."""
        for key in section:
            if key not in known:
                full = f"{where}.{key}" if where else str(key)
                # an unknown key that names a secret (a partner's access key, say) is never echoed
                secret = any(word in str(key).lower() for word in CREDENTIAL_WORDS)
                value = "<hidden>" if secret else section[key]
                self.problems.append(ConfigProblem(full, value, f"one of the keys {sorted(known)}"))


def number(
    low: float | None = None, high: float | None = None, above: float | None = None
) -> Callable[[Any], float]:
    """A number (not a bool) within the bounds: ``low <= v <= high``, ``v > above``."""

    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError
        v = float(value)
        if (
            (low is not None and v < low)
            or (high is not None and v > high)
            or (above is not None and v <= above)
        ):
            raise ValueError
        return v

    return convert


def integer(low: int) -> Callable[[Any], int]:
    """An integer (not a bool) of at least ``low``."""

    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError
        return value

    return convert


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    """One of ``options``."""

    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError
        return str(value)

    return convert


def path_value(value: Any) -> Path:
    """A non-empty path text, ``~`` expanded."""
    if not isinstance(value, str) or not value:
        raise TypeError
    return Path(value).expanduser()


def flag(value: Any) -> bool:
    """A YAML boolean (``yes``/``no`` are booleans in YAML 1.1; ``1`` is not)."""
    if not isinstance(value, bool):
        raise TypeError
    return value


def emails(value: Any) -> tuple[str, ...]:
    """One e-mail address or a list of them."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(a, str) and "@" in a for a in items):
        raise ValueError
    return tuple(items)


def url(value: Any) -> str:
    """An http(s) URL."""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError
    return value
