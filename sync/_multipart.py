"""A multipart upload that survives a restart (S3 ``CreateMultipartUpload``/``UploadPart``/``Complete``).

Parts go ``workers`` at a time (each read with ``pread`` when its turn comes, so memory holds at most
``workers`` parts). Progress is the upload id and the ETag of every part sent, saved through the caller's
``Checkpoint`` after each part, from the calling thread. On resuming, the saved parts are checked against
what the server holds (``ListParts``); parts it does not hold with the same ETag are sent again. A
checkpoint for another version of the file (size, mtime or part size changed) is abandoned and its upload
aborted, as are other unfinished uploads of the same key (left by a crash before the first checkpoint),
so none keeps using space on the server.

The ETag of the finished object is S3's multipart form: the MD5 of the concatenated binary MD5s of the
parts, then ``-<number of parts>`` (what AWS and S3-compatible servers answer; checked against the server
in the tests).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sync._s3errors import code_of
from sync.errors import StoreUnavailable, SyncError
from sync.store import Checkpoint, ObjectInfo

_GONE = (400, 404)  # NoSuchUpload is 404 on AWS; some servers answer 400 for an unknown upload id


def multipart_etag(path: Path, part_size_bytes: int) -> str:
    """The ETag of ``path`` uploaded in parts of ``part_size_bytes``."""
    digests = []
    with open(path, "rb") as f:
        while chunk := f.read(part_size_bytes):
            digests.append(hashlib.md5(chunk).digest())
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


class MultipartUpload:
    """One file going up in parts to ``bucket``/``name`` (``key`` is the name without the store prefix).

    ``call(what, method, **kwargs)`` runs a client method with the store's error translation.
    """

    def __init__(
        self,
        *,
        client: Any,
        call: Callable[..., Any],
        bucket: str,
        name: str,
        key: str,
        part_size_bytes: int,
        body: Callable[[bytes], Any],
        workers: int = 1,
    ) -> None:
        self._call, self._client = call, client
        self._bucket, self._name, self._key = bucket, name, key
        self._part = part_size_bytes
        self._body = body
        self._workers = workers

    def run(
        self, path: Path, content_type: str, content_encoding: str | None, checkpoint: Checkpoint | None
    ) -> ObjectInfo:
        """Upload (or finish uploading) ``path``; the checkpoint is cleared once the object exists."""
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            identity = {"key": self._key, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "part": self._part}
            upload_id, done = self._resume(identity, checkpoint)
            if upload_id is None:
                upload_id, done = self._start(content_type, content_encoding), {}
                _save(checkpoint, identity, upload_id, done)
            n_parts = max(1, math.ceil(st.st_size / self._part))
            todo = [n for n in range(1, n_parts + 1) if n not in done]

            def keep(number: int, etag: str) -> None:
                done[number] = etag
                _save(checkpoint, identity, upload_id, done)

            self._send_parts(f.fileno(), upload_id, todo, keep)
        expected = (
            f"{hashlib.md5(b''.join(bytes.fromhex(done[n]) for n in sorted(done))).hexdigest()}-{n_parts}"
        )
        etag = self._complete(upload_id, done, expected, st.st_size, checkpoint)
        if checkpoint is not None:
            checkpoint.clear()
        return ObjectInfo(key=self._key, size=st.st_size, etag=etag)

    def abandon(self, checkpoint: Checkpoint) -> None:
        """Abort the upload ``checkpoint`` holds (if any) and clear it."""
        progress = checkpoint.load()
        if progress and isinstance(progress.get("upload_id"), str):
            self._abort(progress["upload_id"])
        checkpoint.clear()

    def _resume(
        self, identity: dict[str, Any], checkpoint: Checkpoint | None
    ) -> tuple[str | None, dict[int, str]]:
        progress = checkpoint.load() if checkpoint is not None else None
        if not progress or not isinstance(progress.get("upload_id"), str):
            return None, {}
        upload_id = progress["upload_id"]
        if any(progress.get(k) != v for k, v in identity.items()):
            self._abort(upload_id)
            return None, {}
        saved = {int(n): str(e) for n, e in (progress.get("parts") or {}).items()}
        held = self._held_parts(upload_id)
        if held is None:
            return None, {}
        return upload_id, {n: e for n, e in saved.items() if held.get(n) == e}

    def _held_parts(self, upload_id: str) -> dict[int, str] | None:
        """The parts the server holds for ``upload_id`` (None: it no longer knows the upload)."""
        held: dict[int, str] = {}
        marker = 0
        while True:
            try:
                page = self._call(
                    f"list parts of {self._key!r}",
                    self._client_method("list_parts"),
                    Bucket=self._bucket,
                    Key=self._name,
                    UploadId=upload_id,
                    PartNumberMarker=marker,
                    _pass=_GONE,
                )
            except ClientError:
                return None
            for part in page.get("Parts", ()):
                held[int(part["PartNumber"])] = _bare(part["ETag"])
            if not page.get("IsTruncated"):
                return held
            marker = int(page["NextPartNumberMarker"])

    def _start(self, content_type: str, content_encoding: str | None) -> str:
        self._abort_unfinished()
        extra = {"ContentEncoding": content_encoding} if content_encoding else {}
        answer = self._call(
            f"start upload of {self._key!r}",
            self._client_method("create_multipart_upload"),
            Bucket=self._bucket,
            Key=self._name,
            ContentType=content_type,
            **extra,
        )
        return str(answer["UploadId"])

    def _send_parts(self, fd: int, upload_id: str, todo: list[int], keep: Callable[[int, str], None]) -> None:
        """Send the parts ``todo``, ``workers`` at a time; ``keep`` (in this thread) each one that went up,
        also when another failed (its error is raised once the parts in flight are done)."""
        if self._workers == 1 or len(todo) <= 1:
            for number in todo:
                keep(number, self._send_part(fd, upload_id, number))
            return
        error: BaseException | None = None
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="s3-part") as pool:
            futures = {pool.submit(self._send_part, fd, upload_id, n): n for n in todo}
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                try:
                    keep(futures[future], future.result())
                except BaseException as exc:
                    error = error or exc
                    for other in futures:
                        other.cancel()
        if error is not None:
            raise error

    def _send_part(self, fd: int, upload_id: str, number: int) -> str:
        data = os.pread(fd, self._part, (number - 1) * self._part)
        md5 = hashlib.md5(data)
        answer = self._call(
            f"upload part {number} of {self._key!r}",
            self._client_method("upload_part"),
            Bucket=self._bucket,
            Key=self._name,
            UploadId=upload_id,
            PartNumber=number,
            Body=self._body(data),
            ContentMD5=base64.b64encode(md5.digest()).decode(),
        )
        etag = _bare(answer.get("ETag"))
        if etag != md5.hexdigest():
            raise StoreUnavailable(
                f"part {number} of {self._key!r}: the server stored other bytes (ETag {etag})"
            )
        return etag

    def _complete(
        self, upload_id: str, done: dict[int, str], expected: str, size: int, checkpoint: Checkpoint | None
    ) -> str:
        parts = [{"ETag": f'"{done[n]}"', "PartNumber": n} for n in sorted(done)]
        try:
            answer = self._call(
                f"complete upload of {self._key!r}",
                self._client_method("complete_multipart_upload"),
                Bucket=self._bucket,
                Key=self._name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                _pass=_GONE,
            )
        except ClientError as exc:
            # A retried Complete whose first try did finish meets NoSuchUpload: the object tells.
            found = self._head()
            if found is not None and found == (size, expected):
                return expected
            if checkpoint is not None:
                checkpoint.clear()
            raise StoreUnavailable(
                f"complete upload of {self._key!r}: {code_of(exc)}: the upload starts again"
            ) from None
        etag = _bare(answer.get("ETag"))
        if etag and etag != expected:
            raise SyncError(f"upload of {self._key!r}: the server's ETag {etag} is not {expected}")
        return etag or expected

    def _head(self) -> tuple[int, str] | None:
        try:
            answer = self._call(
                f"head {self._key!r}",
                self._client_method("head_object"),
                Bucket=self._bucket,
                Key=self._name,
                _pass=(404,),
            )
        except ClientError:
            return None
        return int(answer["ContentLength"]), _bare(answer["ETag"])

    def _abort(self, upload_id: str) -> None:
        with contextlib.suppress(ClientError):  # already gone
            self._call(
                f"abort upload of {self._key!r}",
                self._client_method("abort_multipart_upload"),
                Bucket=self._bucket,
                Key=self._name,
                UploadId=upload_id,
                _pass=_GONE,
            )

    def _abort_unfinished(self) -> None:
        """Abort unfinished uploads of this key that no checkpoint knows (a crash before the first save)."""
        try:
            page = self._call(
                f"list uploads of {self._key!r}",
                self._client_method("list_multipart_uploads"),
                Bucket=self._bucket,
                Prefix=self._name,
                _pass=(400, 404, 501),
            )
        except ClientError:
            return  # a server without the listing: stale uploads stay until its own clean-up
        for upload in page.get("Uploads", ()):
            if upload.get("Key") == self._name:
                self._abort(str(upload["UploadId"]))

    def _client_method(self, name: str) -> Callable[..., Any]:
        return getattr(self._client, name)  # type: ignore[no-any-return]


def _save(
    checkpoint: Checkpoint | None, identity: dict[str, Any], upload_id: str, done: dict[int, str]
) -> None:
    if checkpoint is not None:
        checkpoint.save(
            {**identity, "upload_id": upload_id, "parts": {str(n): e for n, e in sorted(done.items())}}
        )


def _bare(etag: str | None) -> str:
    return (etag or "").strip().removeprefix("W/").strip('"')
