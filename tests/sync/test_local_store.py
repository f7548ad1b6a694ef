"""What only the local backend can get wrong: symbolic links, several processes, files changed behind it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sync import LocalStore, StoreConfigError, StoredObject

REPO = Path(__file__).resolve().parents[2]


def test_no_key_reaches_outside_the_root_through_a_symbolic_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not the store's")
    root = tmp_path / "store"
    store = LocalStore(root)
    (root / "stations").symlink_to(outside, target_is_directory=True)
    with pytest.raises(StoreConfigError, match="symbolic link"):
        store.put_bytes("stations/XX0001/status.json", b"{}", content_type="application/json")
    with pytest.raises(StoreConfigError):
        store.get("stations/secret.txt")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    (root / "live").mkdir()
    (root / "live" / "link.json").symlink_to(outside / "secret.txt")
    assert store.head("live/link.json") is None
    with pytest.raises(StoreConfigError):
        store.get("live/link.json")
    assert list(store.list("")) == []
    assert list(store.list("stations/")) == []


_RACER = """
import sys, time
from pathlib import Path
from sync import LocalStore
root, key, go, me = sys.argv[1:5]
while not Path(go).exists():
    time.sleep(0.001)
won = LocalStore(Path(root)).create_if_absent(key, me.encode(), content_type="text/plain")
print("won" if won else "lost")
"""


def test_create_if_absent_from_several_processes_has_one_winner(tmp_path: Path) -> None:
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _RACER,
                str(tmp_path / "store"),
                "events/2026-08-12/E1/claim.json",
                str(go),
                f"p{i}",
            ],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        for i in range(6)
    ]
    time.sleep(0.5)  # let them all reach the start line
    go.touch()
    answers = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sorted(answers) == ["lost"] * 5 + ["won"]
    got = LocalStore(tmp_path / "store").get("events/2026-08-12/E1/claim.json")
    assert isinstance(got, StoredObject) and got.data == f"p{answers.index('won')}".encode()


def test_a_reader_sees_whole_versions_with_their_own_etag(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    key = "stations/XX0001/status.json"
    versions = [bytes([65 + i]) * 200_000 for i in range(4)]
    store.put_bytes(key, versions[0], content_type="application/json")
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            store.put_bytes(key, versions[i % 4], content_type="application/json", content_encoding="gzip")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(200):
            got = store.get(key)
            assert isinstance(got, StoredObject)
            assert got.data in versions and got.etag == hashlib.md5(got.data).hexdigest()
    finally:
        stop.set()
        thread.join()


def test_a_file_changed_behind_the_store_gets_its_true_etag_and_temporaries_are_not_objects(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path / "store", prefix="gmn")
    key = "stations/XX0001/status.json"
    store.put_bytes(key, b"old", content_type="application/json", content_encoding="gzip")
    path = tmp_path / "store" / "gmn" / key
    path.write_bytes(b"changed by hand")
    info = store.head(key)
    assert info is not None and info.etag == hashlib.md5(b"changed by hand").hexdigest()
    got = store.get(key)
    assert isinstance(got, StoredObject) and got.content_encoding is None  # the sidecar no longer holds
    (path.parent / ".tmp-123-abcd-status.json").write_bytes(b"a crashed writer's")
    assert [i.key for i in store.list("stations/")] == [key]


_FULL_DISK = """
import os, sys
from pathlib import Path
from sync import LocalStore, StoreUnavailable
root = Path(sys.argv[1])
store = LocalStore(root)
store.put_bytes("stations/XX0001/status.json", b"{}", content_type="application/json")
try:
    store.put_bytes("stations/XX0001/status.json", b"x" * 400_000, content_type="application/json")
except StoreUnavailable as exc:
    print("unavailable:", exc)
left = [n for _, _, names in os.walk(root) for n in names if n.startswith(".tmp-")]
print("temporaries:", left)
print("kept:", store.get("stations/XX0001/status.json").data)
"""


def test_a_full_disk_is_unavailable_and_leaves_the_old_object_and_no_temporary(tmp_path: Path) -> None:
    """A 256 KiB tmpfs in a private mount namespace (``unshare -m``: the machine's mounts are untouched)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    script = f'mount -t tmpfs -o size=256k tmpfs "{mnt}" && exec "{sys.executable}" -c "$0" "{mnt}/store"'
    try:
        out = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, _FULL_DISK],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=60,
        )
    except FileNotFoundError:
        pytest.skip("unshare is not installed")
    if "Operation not permitted" in out.stderr or "permission denied" in out.stderr.lower():
        pytest.skip("no right to make a mount namespace here")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("unavailable:") and "No space left on device" in lines[0]
    assert lines[1:] == ["temporaries: []", "kept: b'{}'"]
