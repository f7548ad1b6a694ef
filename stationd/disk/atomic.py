"""Atomic file writes and moves: write to a temporary name in the same folder, fsync, rename.

A crash at any point leaves either the old file or the new one, never half of one. Temporary names start
with ``.tmp-`` so that sweeps and retention can recognise and remove leftovers.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

TMP_PREFIX = ".tmp-"


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a power cut after it keeps it)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_with(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Create or replace ``path`` with what ``write`` puts into the binary file object it is given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            write(tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Create or replace ``path`` with ``data``."""

    def write(f: BinaryIO) -> None:
        f.write(data)

    atomic_write_with(path, write)


def atomic_write_text(path: Path, text: str) -> None:
    """Create or replace ``path`` with UTF-8 ``text``."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Create or replace ``path`` with ``obj`` as indented JSON (keys in a stable order)."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def atomic_move(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst`` atomically; across file systems copy to a temporary name first."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != 18:  # EXDEV: another file system
            raise
        with src.open("rb") as fin:
            atomic_write_with(dst, lambda fout: shutil.copyfileobj(fin, fout, 1 << 20))
        src.unlink()
    fsync_dir(dst.parent)


def remove_temporaries(folder: Path) -> int:
    """Delete leftover temporary files (of a crash) directly inside ``folder``; returns how many."""
    if not folder.is_dir():
        return 0
    count = 0
    for leftover in folder.glob(TMP_PREFIX + "*"):
        leftover.unlink(missing_ok=True)
        count += 1
    return count
