"""A full local disk under the station's local object store: the sender pauses with a clear error,
nothing is lost and no temporary is left; once there is room, everything arrives exactly once.

The disk is a 256 KiB tmpfs in a private mount namespace (``unshare -m``: the machine's mounts are
untouched); the test is skipped where making one is not permitted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_a_full_disk_under_the_local_store(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    mnt.mkdir()
    script = (
        f'mount -t tmpfs -o size=256k tmpfs "{mnt}" && '
        f'exec "{sys.executable}" -m tests.sync._station_full_disk "{tmp_path}" "{mnt}"'
    )
    try:
        out = subprocess.run(
            ["unshare", "-m", "sh", "-c", script],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=120,
        )
    except FileNotFoundError:
        pytest.skip("unshare is not installed")
    if "Operation not permitted" in out.stderr or "permission denied" in out.stderr.lower():
        pytest.skip("no right to make a mount namespace here")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.splitlines()[-1])
    full = got["full"]
    assert not full["ok"] and "No space left on device" in full["store_error"]
    assert got["waiting_after_full"] > 0 and got["temporaries_after_full"] == []
    assert got["fixed"]["ok"], got["fixed"]
    assert got["states"] == ["done"]
    assert got["stored"] == got["done"] and got["wrong_bytes"] == [] and got["temporaries"] == []
    assert len(got["done"]) == 3 * 3 + 2  # 3 meteors x (record, stack, clip), the index and its roll-up
