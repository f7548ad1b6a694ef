"""Fake stages that daemon tests plug in through the ``stationd.stages`` entry-point group.

:func:`install_plugin` writes a ``*.dist-info`` folder declaring these functions as the ``scan`` and
``candidates`` stages; a daemon started with that folder on ``PYTHONPATH`` runs them in its workers. Their
behaviour comes from environment variables of the daemon process (test-side only)::

    STATIOND_FAKE_LOG      file receiving one line per event: "<event> <stage> <minute name> <pid>"
    STATIOND_FAKE_SCAN_S   seconds a scan takes (default 0.2)
    STATIOND_FAKE_HANG     a minute name whose scan never returns

The fake scan behaves like the real one where the daemon can tell: it writes its output through a
temporary file (so a killed worker leaves a ``.tmp-<pid>-`` file behind) and moves the original into video/.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from stationd.disk.atomic import atomic_move, temporary_path
from stationd.disk.state import Minute
from stationd.stages import StageContext
from stationd.stages.results import CandidatesStageResult, ScanStageResult

ENTRY_POINTS = {
    "scan": "tests.stationd.daemon_fakes:fake_scan",
    "candidates": "tests.stationd.daemon_fakes:fake_candidates",
}


def install_plugin(folder: Path, stages: dict[str, str] = ENTRY_POINTS) -> Path:
    """A distribution declaring ``stages`` as stationd stage plugins; put ``folder`` on PYTHONPATH."""
    dist = folder / "stationd_test_stages-0.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: stationd-test-stages\nVersion: 0.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in stages.items())
    (dist / "entry_points.txt").write_text("[stationd.stages]\n" + lines)
    return folder


def _event(event: str, stage: str, minute: Minute) -> None:
    path = os.environ.get("STATIOND_FAKE_LOG")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{event} {stage} {minute.name} {os.getpid()}\n".encode())
        finally:
            os.close(fd)


def fake_scan(ctx: StageContext, minute: Minute) -> ScanStageResult:
    _event("start", "scan", minute)
    out = ctx.layout.values(minute.day, minute.camera, minute.stem)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(out)
    tmp.write_bytes(b"half")
    if os.environ.get("STATIOND_FAKE_HANG") == minute.name:
        while True:
            time.sleep(1.0)
    time.sleep(float(os.environ.get("STATIOND_FAKE_SCAN_S", "0.2")))
    tmp.replace(out)
    target = ctx.layout.video(minute.day, minute.camera) / minute.name
    if minute.path != target:
        atomic_move(minute.path, target)
        ctx.store.set_paths(minute.id, target)
    _event("done", "scan", minute)
    return ScanStageResult(minute.name, 2, 2, 25.0, 0, (), out.name, None, 0.0, 0.0)


def fake_candidates(ctx: StageContext, minute: Minute) -> CandidatesStageResult:
    _event("done", "candidates", minute)
    return CandidatesStageResult(status="none", reason="", candidates=(), widespread_runs=())
