"""bench/detection.py's scenes and scoring of the issue-11 groups: curved tracks matched along their path,
a meteor split into pieces counted as such, false positives binned by track length; the old groups' clips
unchanged."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import detection.synth.sky  # noqa: F401 - the package first: the bench folder holds a detection.py

sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))

from _detection_report import _frames, evaluate
from _detection_scenes import ClipResult, build_clips, damaged_frames


def _det(points: list[tuple[int, float, float]]) -> dict[str, Any]:
    frames = [{"frame": f, "x_px": x, "y_px": y} for f, x, y in points]
    line = {"frame_begin": points[0][0], "frame_end": points[-1][0]}
    return {"frames": frames, "line": line, "passed": True, "fireball": False}


def _curved_meteor() -> dict[str, Any]:
    # a quarter circle of radius 100 px around (200, 200), one point per frame
    import math

    path = [
        [200 + 100 * math.cos(math.radians(a)), 200 - 100 * math.sin(math.radians(a))]
        for a in range(0, 91, 3)
    ]
    return {"index": 0, "first": 10, "last": 39, "snr": 20.0, "path": path,
            "track": (*path[0], *path[-1]), "centroids": {}, "fireball": False}  # fmt: skip


def _result(detections: list[dict[str, Any]], meteors: list[dict[str, Any]]) -> ClipResult:
    return ClipResult("curved-00", "curved", 100, 4.0, meteors, "candidates", [], [(0, 99)], detections, [])


def test_a_curved_meteor_is_matched_along_its_path_and_a_split_is_counted() -> None:
    m = _curved_meteor()
    path = m["path"]
    first = _det([(10 + i, *path[i]) for i in range(0, 12)])
    second = _det([(10 + i, *path[i]) for i in range(15, 30)])  # the far end of the arc: off the chord
    outcomes, false = evaluate(_result([first, second], [m]))
    assert outcomes[0].found and outcomes[0].pieces == 2 and outcomes[0].group == "curved"
    assert not false
    one, _ = evaluate(_result([first], [m]))
    assert one[0].pieces == 1


def test_false_positive_length_is_its_frame_span() -> None:
    assert _frames(_det([(5, 0.0, 0.0), (6, 1.0, 1.0), (8, 3.0, 3.0)])) == 4


@pytest.fixture(scope="module")
def clips() -> list[Any]:
    return build_clips(1, quick=True)


def test_the_old_groups_keep_their_clips(clips: list[Any]) -> None:
    """The quick set's clips as drawn by the code before issue 11 (recorded with /work/main at 3a0a28f)."""
    old = [c for c in clips if c.group in ("meteor", "fireball", "flash")]
    assert [c.name for c in old][:3] == ["meteor-00", "meteor-01", "meteor-02"]
    assert [c.settings.seed for c in old] == [10000, 10001, 10002, 10003, 10004, 10005, 11000, 12400]
    m = old[0].objects[0]
    assert (m.t_start_s, m.x0_px) == pytest.approx((1.5535644153737738, 82.9334555656428), rel=1e-12)
    f = old[6].objects[1]
    assert (f.t_start_s, f.peak_snr, f.sky_glow) == pytest.approx(
        (6.8189190677491025, 121.53982173076861, 0.08882300849975708), rel=1e-12
    )
    assert f.halo == 0.0 and f.fragments == 0 and f.light_curve == "flare"


def test_the_new_groups_are_there(clips: list[Any]) -> None:
    groups = {c.group for c in clips}
    assert {"saturated", "fragmenting", "curved", "event", "damage", "gain"} <= groups
    for c in clips:
        if c.group == "event":
            assert 2.0 <= c.settings.duration_s <= 12.0
        if c.group == "damage":
            assert damaged_frames(c)
        if c.group == "curved":
            assert c.settings.cam.projection == "equidistant" and c.settings.cam.fov_h_deg == 200.0
