"""Checkpoints for tests: progress kept in memory, as the outbox keeps it in its row."""

from __future__ import annotations

import copy
from typing import Any


class MemoryCheckpoint:
    """A ``Checkpoint`` in memory that records how often it was saved."""

    def __init__(self, progress: dict[str, Any] | None = None) -> None:
        self.progress = copy.deepcopy(progress)
        self.n_saves = 0

    def load(self) -> dict[str, Any] | None:
        return copy.deepcopy(self.progress)

    def save(self, progress: dict[str, Any]) -> None:
        self.progress = copy.deepcopy(progress)
        self.n_saves += 1

    def clear(self) -> None:
        self.progress = None
