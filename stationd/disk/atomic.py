"""Atomic file writes and moves: write to a temporary name in the same folder, fsync, rename.

A crash at any point leaves either the old file or the new one, never half of one.

One naming scheme for every temporary the station makes (files, FF blocks, exports, meteor record folders,
with the clips written inside them): ``.tmp-<pid>-<random>-<final name>`` in the folder of the final path
(:func:`temporary_path`). Watchers and sweeps skip such names; start-up recovery
(:func:`remove_temporaries`) removes those whose process is gone, and leaves alone those of a live process
(a manual ``stationd reprocess`` recovers while the daemon may be writing).

Every file written or moved into place here gets one mode, :data:`FILE_MODE` (0640: the station's user
writes, its group reads, others nothing), whatever the process umask and the mode the camera gave a
minute file; operators in the station's group read products and logs without sudo. Folders follow the
process umask: the unit's ``UMask=0027`` makes them 0750.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

TMP_PREFIX = ".tmp-"

#: The mode of every product file (meteor records, clips, stacks, FF and values files, exports, quarantined
#: minutes and their reasons, processed originals): read and write for the station, read for its group.
FILE_MODE = 0o640
_TMP_NAME = re.compile(r"\.tmp-(?P<pid>\d+)-[0-9a-z_]+-(?P<final>.+)")


def temporary_path(final: Path) -> Path:
    """A fresh temporary name beside ``final`` in the station's one scheme."""
    return final.with_name(f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{final.name}")


def parse_temporary(name: str) -> tuple[int, str] | None:
    """The writer's pid and the final name of a temporary of this scheme; None for other names."""
    m = _TMP_NAME.fullmatch(name)
    return (int(m["pid"]), m["final"]) if m else None


def pid_alive(pid: int) -> bool:
    """Whether a process of this id runs (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a power cut after it keeps it)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_with(path: Path, write: Callable[[BinaryIO], None], mode: int = FILE_MODE) -> None:
    """Create or replace ``path`` (with ``mode``) with what ``write`` puts into the binary file object it is
    given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=f"-{path.name}", dir=path.parent
    )
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; the mode is set, not left to the umask
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


def atomic_move(src: Path, dst: Path, mode: int = FILE_MODE) -> None:
    """Move ``src`` to ``dst`` atomically, giving it ``mode``; across file systems copy to a temporary name
    first. A file of another user (a camera's upload) we may move but not chmod keeps its mode."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        os.chmod(src, mode)
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != 18:  # EXDEV: another file system
            raise
        with src.open("rb") as fin:
            atomic_write_with(dst, lambda fout: shutil.copyfileobj(fin, fout, 1 << 20), mode)
        src.unlink()
    fsync_dir(dst.parent)


def remove_temporaries(folder: Path, recursive: bool = False) -> int:
    """Delete the temporaries a crash left in ``folder`` (and below it); returns how many.

    Temporaries of a live process are left alone; names of an earlier scheme (``.tmp-<random>``, without
    a pid) are removed as before.
    """
    if not folder.is_dir():
        return 0
    count = 0
    with os.scandir(folder) as entries:
        for entry in list(entries):
            if entry.name.startswith(TMP_PREFIX):
                parsed = parse_temporary(entry.name)
                if parsed is not None and pid_alive(parsed[0]):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    Path(entry.path).unlink(missing_ok=True)
                count += 1
            elif recursive and entry.is_dir(follow_symlinks=False):
                count += remove_temporaries(Path(entry.path), recursive=True)
    return count
