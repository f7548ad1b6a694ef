"""Explicit fakes for the outbox tests (STYLE 11): an in-memory store with the ``Store`` contract, and
a clock the tests drive.

``MemoryStore`` keeps objects in a dict with the semantics of ``sync.store``: atomic replace, a
single-part ETag that is the MD5 of the body, multipart uploads (``part_bytes``) resumable through the
caller's ``Checkpoint`` with an S3-style ETag ``<md5 of the parts' md5s>-<parts>``, create-if-absent,
conditional get. Faults are injected explicitly: the next calls fail (``fail_next``), every call is
refused (``refuse_credentials``), a put stores damaged bytes (``damage_next_put``), a multipart upload
dies after some parts (``die_after_parts``).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sync import NOT_MODIFIED, Checkpoint, ObjectInfo, StoreAuthError, StoredObject, StoreUnavailable
from sync.store import _NotModified


@dataclass
class _Object:
    data: bytes
    etag: str
    content_type: str
    content_encoding: str | None


class MemoryStore:
    """An object store in memory (see the module docstring for its faults)."""

    def __init__(self, part_bytes: int | None = None) -> None:
        self.objects: dict[str, _Object] = {}
        self.part_bytes = part_bytes  # files larger than this go up in parts
        self.puts: Counter[str] = Counter()  # completed puts per key
        self.calls: list[tuple[str, str]] = []  # (operation, key)
        self._failures: list[Callable[[], Exception]] = []
        self._uploads: dict[str, list[bytes]] = {}  # open multipart uploads: id -> parts
        self.refuse_credentials = False
        self.damage_next_put = False
        self.die_after_parts: int | None = None
        self.secret = "never-printed"  # a fake credential the tests search outputs for
        self._lock = threading.Lock()

    # -- faults --------------------------------------------------------------------------------------

    def fail_next(self, n: int, make: Callable[[], Exception] | None = None) -> None:
        """The next ``n`` calls raise ``make()`` (default: StoreUnavailable, a 503)."""
        make = make or (lambda: StoreUnavailable("http://127.0.0.1:1/bucket: 503 Slow Down"))
        self._failures += [make] * n

    def _enter(self, op: str, key: str) -> None:
        self.calls.append((op, key))
        if self.refuse_credentials:
            raise StoreAuthError("http://127.0.0.1:1/bucket: the store refused the credentials")
        if self._failures:
            raise self._failures.pop(0)()

    # -- the contract --------------------------------------------------------------------------------

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str,
        content_encoding: str | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> ObjectInfo:
        self._enter("put_file", key)
        data = path.read_bytes()
        if self.part_bytes is None or len(data) <= self.part_bytes:
            return self._store(key, data, hashlib.md5(data).hexdigest(), content_type, content_encoding)
        return self._multipart(key, data, content_type, content_encoding, checkpoint)

    def _multipart(
        self,
        key: str,
        data: bytes,
        content_type: str,
        content_encoding: str | None,
        checkpoint: Checkpoint | None,
    ) -> ObjectInfo:
        assert self.part_bytes is not None
        progress = checkpoint.load() if checkpoint is not None else None
        upload_id = progress["upload_id"] if progress and progress["upload_id"] in self._uploads else None
        if upload_id is None:
            upload_id = uuid.uuid4().hex
            self._uploads[upload_id] = []
        parts = self._uploads[upload_id]
        for offset in range(len(parts) * self.part_bytes, len(data), self.part_bytes):
            if self.die_after_parts is not None and len(parts) >= self.die_after_parts:
                self.die_after_parts = None
                raise StoreUnavailable("connection reset during a part")
            parts.append(data[offset : offset + self.part_bytes])
            self.calls.append(("upload_part", key))
            if checkpoint is not None:
                checkpoint.save({"upload_id": upload_id, "parts": len(parts)})
        digests = b"".join(hashlib.md5(p).digest() for p in parts)
        etag = f"{hashlib.md5(digests).hexdigest()}-{len(parts)}"
        del self._uploads[upload_id]
        if checkpoint is not None:
            checkpoint.clear()
        return self._store(key, b"".join(parts), etag, content_type, content_encoding)

    def _store(self, key: str, data: bytes, etag: str, ctype: str, encoding: str | None) -> ObjectInfo:
        if self.damage_next_put:
            self.damage_next_put = False
            data = data[:-1]
        with self._lock:
            self.objects[key] = _Object(data, etag, ctype, encoding)
            self.puts[key] += 1
        return ObjectInfo(key, len(data), etag)

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str, content_encoding: str | None = None
    ) -> ObjectInfo:
        self._enter("put_bytes", key)
        return self._store(key, data, hashlib.md5(data).hexdigest(), content_type, content_encoding)

    def create_if_absent(self, key: str, data: bytes, *, content_type: str) -> bool:
        self._enter("create_if_absent", key)
        with self._lock:
            if key in self.objects:
                return False
            self.objects[key] = _Object(data, hashlib.md5(data).hexdigest(), content_type, None)
            self.puts[key] += 1
            return True

    def get(self, key: str, *, if_none_match: str | None = None) -> StoredObject | _NotModified | None:
        self._enter("get", key)
        obj = self.objects.get(key)
        if obj is None:
            return None
        if if_none_match is not None and if_none_match.strip('"') == obj.etag:
            return NOT_MODIFIED
        return StoredObject(key, obj.data, obj.etag, obj.content_encoding)

    def head(self, key: str) -> ObjectInfo | None:
        self._enter("head", key)
        obj = self.objects.get(key)
        return ObjectInfo(key, len(obj.data), obj.etag) if obj is not None else None

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        self._enter("list", prefix)
        for key in sorted(k for k in self.objects if k.startswith(prefix)):
            obj = self.objects[key]
            yield ObjectInfo(key, len(obj.data), obj.etag)

    def delete(self, key: str) -> None:
        self._enter("delete", key)
        with self._lock:
            self.objects.pop(key, None)


class FakeClock:
    """Wall and monotonic time that move only when the test (or a sleep) moves them."""

    def __init__(self, start_s: float = 1_786_000_000.0) -> None:
        self.now_s = start_s
        self.mono_s = 1000.0
        self.slept_s = 0.0

    def time_s(self) -> float:
        return self.now_s

    def monotonic_s(self) -> float:
        return self.mono_s

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        self.slept_s += seconds

    def advance(self, seconds: float) -> None:
        self.now_s += seconds
        self.mono_s += seconds


class DirStore(MemoryStore):
    """The same contract kept in a directory (so a process killed mid-upload leaves what a real store
    would: the old object or none, never a part): each put writes a temporary file, slowly when
    ``slow_s`` says so, then renames it into place. ETags are the MD5 of the bytes."""

    def __init__(self, root: Path, slow_s: float = 0.0, started: Path | None = None) -> None:
        super().__init__()
        self.root = root
        self.slow_s = slow_s
        self.started = started  # touched when a put begins (the test kills the process then)

    def _path(self, key: str) -> Path:
        return self.root / key

    def put_file(
        self, key: str, path: Path, *, content_type: str, content_encoding: str | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> ObjectInfo:  # fmt: skip
        import os
        import time

        self._enter("put_file", key)
        data = path.read_bytes()
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
        if self.started is not None:
            self.started.write_text(key)
        with tmp.open("wb") as f:
            for i in range(0, len(data), 1024):
                f.write(data[i : i + 1024])
                f.flush()
                time.sleep(self.slow_s)
        tmp.rename(target)
        self.puts[key] += 1
        return ObjectInfo(key, len(data), hashlib.md5(data).hexdigest())

    def head(self, key: str) -> ObjectInfo | None:
        self._enter("head", key)
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        return ObjectInfo(key, len(data), hashlib.md5(data).hexdigest())

    def delete(self, key: str) -> None:
        self._enter("delete", key)
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> list[str]:
        """Every object's key (temporaries of killed writers are not objects)."""
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )
