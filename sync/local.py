"""The local directory backend (DESIGN 6), the embedded default: the semantics of the S3 backend on a disk.

Each object is a plain file at ``<root>/<prefix><key>`` holding exactly its bytes, so an operator can read
it (or serve the folder). Beside it a sidecar ``.meta-<name>`` keeps the ETag (MD5 hex of the bytes, as
S3 gives for a single-part upload), the content type and encoding, and the identity of the file it
describes (inode, size, mtime): a sidecar that does not describe the file beside it (a crash or a
concurrent writer between the two renames) is not trusted and the ETag is computed from the bytes.

- put: the bytes go to a temporary file in the same folder (``.tmp-<pid>-<random>-<name>``, the scheme of
  the station's own atomic writes), fsync, then ``rename`` over the key: a reader sees the old object or
  the new one.
- create-if-absent: the temporary file is ``link``-ed to the key; ``link`` fails when the name exists, so
  of several writers, threads or processes, exactly one wins (POSIX ``link(2)``, ``EEXIST``).
- keys are checked by :func:`sync.keys.check_key` (no ``..``, no part starting with ``.``) and every
  folder on the way is checked to be a real folder inside the root (no symbolic link is followed).
- unlike S3, a key cannot be both an object and the folder of longer keys (``a`` and ``a/b``); the
  key builder never makes such pairs.
- a crash leaves temporaries named as the station's own (``stationd.disk.atomic.remove_temporaries``
  removes them once their writer is gone); they are never listed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sync.errors import StoreConfigError, StoreUnavailable
from sync.keys import KeyPrefix, check_key
from sync.store import NOT_MODIFIED, Checkpoint, ObjectInfo, StoredObject, _NotModified

__all__ = ["LocalStore"]

_CHUNK = 1 << 20
_META = ".meta-"


class LocalStore:
    """A directory that behaves as an object store (the ``Store`` protocol)."""

    def __init__(self, root: Path, *, prefix: str = "") -> None:
        self._root = Path(root)
        self._prefix = KeyPrefix(prefix)
        try:
            self._root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreConfigError(f"cannot use {self._root} as a store: {exc.strerror}") from None
        self._real_root = os.path.realpath(self._root)

    def __repr__(self) -> str:
        return f"LocalStore({str(self._root)!r}, prefix={self._prefix.prefix!r})"

    # -- writing ----------------------------------------------------------------------------------------

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str,
        content_encoding: str | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> ObjectInfo:
        """Copy ``path`` to ``key`` atomically (a local copy needs no resuming: the checkpoint is cleared)."""
        with _reading(path) as src:
            info = self._write(key, _chunks(src), content_type, content_encoding, exclusive=False)
        if checkpoint is not None:
            checkpoint.clear()
        assert info is not None
        return info

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str, content_encoding: str | None = None
    ) -> ObjectInfo:
        """Store ``data`` as ``key``, replacing it atomically."""
        info = self._write(key, iter((data,)), content_type, content_encoding, exclusive=False)
        assert info is not None
        return info

    def create_if_absent(self, key: str, data: bytes, *, content_type: str) -> bool:
        """Create ``key`` with ``data`` unless it exists: True for the one writer that won."""
        return self._write(key, iter((data,)), content_type, None, exclusive=True) is not None

    def delete(self, key: str) -> None:
        """Remove ``key`` (nothing happens when it is absent)."""
        target = self._path(key)
        for name in (target, _sidecar(target)):
            with _io_errors(key), contextlib.suppress(FileNotFoundError, NotADirectoryError):
                name.unlink()

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, key: str, *, if_none_match: str | None = None) -> StoredObject | _NotModified | None:
        """The object, ``NOT_MODIFIED`` when its ETag is ``if_none_match``, or None when absent."""
        target = self._path(key)
        with _io_errors(key):
            try:
                fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
            except (FileNotFoundError, NotADirectoryError):  # NotADirectory: a shorter key is an object
                return None
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):  # a folder of longer keys: no object of this key
                os.close(fd)
                return None
            with os.fdopen(fd, "rb") as f:
                meta = _read_meta(target, st)
                if meta is not None and if_none_match is not None and meta["etag"] == _bare(if_none_match):
                    return NOT_MODIFIED
                data = f.read()
        etag = meta["etag"] if meta is not None else hashlib.md5(data).hexdigest()
        if if_none_match is not None and etag == _bare(if_none_match):
            return NOT_MODIFIED
        encoding = meta.get("content_encoding") if meta is not None else None
        return StoredObject(key=key, data=data, etag=etag, content_encoding=encoding)

    def head(self, key: str) -> ObjectInfo | None:
        """The object's size and ETag, or None when absent."""
        target = self._path(key)
        with _io_errors(key):
            try:
                st = os.stat(target, follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError):
                return None
            if not stat.S_ISREG(st.st_mode):
                return None
            return ObjectInfo(key=key, size=st.st_size, etag=self._etag(target, st))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order."""
        stored_prefix = self._prefix.apply_listing(prefix)
        folder = stored_prefix.rpartition("/")[0]
        start = Path(self._real_root, folder) if folder else Path(self._real_root)
        if os.path.realpath(start) != str(start):  # a symbolic link on the way: nothing of ours there
            return
        names: list[str] = []
        with _io_errors(prefix):
            for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                rel = os.path.relpath(dirpath, self._real_root).replace(os.sep, "/")
                base = "" if rel == "." else rel + "/"
                names += [base + n for n in filenames if not n.startswith(".")]
        for stored in sorted(n for n in names if n.startswith(stored_prefix)):
            info = self.head(self._prefix.strip(stored))
            if info is not None:
                yield info

    def expected_etag(self, path: Path) -> str:
        """The ETag :meth:`put_file` gives ``path``: the MD5 hex of its bytes."""
        digest = hashlib.md5()
        with _reading(path) as f:
            for chunk in _chunks(f):
                digest.update(chunk)
        return digest.hexdigest()

    def check(self) -> None:
        """Raise when the store cannot be written (the folder is gone or read-only)."""
        if not os.access(self._real_root, os.W_OK | os.X_OK):
            raise StoreConfigError(f"the store folder {self._root} cannot be written")

    # -- inside -----------------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        """The file of ``key``: every folder on the way must be a real folder inside the root."""
        stored = self._prefix.apply(check_key(key))
        target = Path(self._real_root, stored)
        parent = os.path.realpath(target.parent)
        if parent != self._real_root and not parent.startswith(self._real_root + os.sep):
            raise StoreConfigError(f"key {key!r} leads outside the store folder (a symbolic link)")
        if parent != str(target.parent):
            raise StoreConfigError(f"key {key!r} passes through a symbolic link in the store folder")
        return target

    def _etag(self, target: Path, st: os.stat_result) -> str:
        meta = _read_meta(target, st)
        return str(meta["etag"]) if meta is not None else self.expected_etag(target)

    def _write(
        self,
        key: str,
        chunks: Iterator[bytes],
        content_type: str,
        content_encoding: str | None,
        *,
        exclusive: bool,
    ) -> ObjectInfo | None:
        target = self._path(key)
        with _io_errors(key):
            _make_folders(target.parent, self._real_root)
            tmp = target.with_name(f".tmp-{os.getpid()}-{secrets.token_hex(4)}-{target.name}")
            try:
                size, etag = _write_temp(tmp, chunks)
                st = os.stat(tmp)
                meta = {
                    "etag": etag,
                    "size": size,
                    "content_type": content_type,
                    "content_encoding": content_encoding,
                    **_identity(st),
                }
                meta_tmp = tmp.with_name(tmp.name + ".meta")
                _write_temp(meta_tmp, iter((json.dumps(meta).encode(),)))
                if exclusive:
                    try:
                        os.link(tmp, target)
                    except FileExistsError:
                        return None
                else:
                    os.replace(tmp, target)
                os.replace(meta_tmp, _sidecar(target))
                _fsync_dir(target.parent)
            finally:
                for name in (tmp, tmp.with_name(tmp.name + ".meta")):
                    with contextlib.suppress(FileNotFoundError):
                        name.unlink()
        return ObjectInfo(key=key, size=size, etag=etag)


def _sidecar(target: Path) -> Path:
    return target.with_name(_META + target.name)


def _identity(st: os.stat_result) -> dict[str, int]:
    return {"ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _read_meta(target: Path, st: os.stat_result) -> dict[str, Any] | None:
    """The sidecar of ``target`` when it describes the file whose stat is ``st``."""
    try:
        meta = json.loads(_sidecar(target).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or any(meta.get(k) != v for k, v in _identity(st).items()):
        return None
    return meta


def _bare(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


def _chunks(f: Any) -> Iterator[bytes]:
    while chunk := f.read(_CHUNK):
        yield chunk


def _write_temp(tmp: Path, chunks: Iterator[bytes]) -> tuple[int, str]:
    """Write ``chunks`` to the new file ``tmp`` and fsync it: its size and MD5 hex."""
    digest, size = hashlib.md5(), 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        for chunk in chunks:
            f.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        f.flush()
        os.fsync(f.fileno())
    return size, digest.hexdigest()


def _make_folders(folder: Path, real_root: str) -> None:
    """Create ``folder`` and its parents below the root, refusing any symbolic link on the way."""
    rel = Path(os.path.relpath(folder, real_root))
    current = Path(real_root)
    for part in rel.parts if str(rel) != "." else ():
        current = current / part
        try:
            os.mkdir(current)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                raise StoreConfigError(f"{current} is in the way of a store folder") from None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[Any]:
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below; the open itself is what may fail)
    except OSError as exc:
        raise StoreConfigError(f"cannot read {path}: {exc.strerror}") from None
    with f:
        yield f


@contextlib.contextmanager
def _io_errors(key: str) -> Iterator[None]:
    """A full disk or an I/O error is the store being unavailable (try again later)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EAGAIN):
            raise StoreUnavailable(f"local store: {key!r}: {exc.strerror}") from None
        raise StoreConfigError(f"local store: {key!r}: {exc.strerror}") from None
