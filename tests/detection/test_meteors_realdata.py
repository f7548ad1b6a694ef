"""Known answers: the two RMS FF files of UK0006 on 2022-09-14 and that night's FTPdetectinfo.

Truth: ``../shared/data/rms/UK0006_20220914`` (see its README): the FTPdetectinfo entries of the two FF
files (21 and 20 points) were produced by RMS on the station; their frame numbers are fractional (timing
corrected), so a point matches a centroid of the same frame +-1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detection.formats.ff_file import read_ff
from detection.meteors.detector import MeteorDetector

FF_NAMES = ("FF_UK0006_20220914_194911_205_0079616.fits", "FF_UK0006_20220914_200017_020_0096000.fits")
SCALE_PX_PER_DEG = 15.66  # platepar_cmn2010.cal of the station (README)


def _reference(folder: Path) -> dict[str, list[tuple[float, float, float]]]:
    """Frame, x, y of the points of each FF in the 9-column FTPdetectinfo (only what this test needs)."""
    ref: dict[str, list[tuple[float, float, float]]] = {}
    current = None
    text = (folder / "FTPdetectinfo_UK0006_20220914_185543_087124.txt").read_text()
    for line in text.splitlines():
        cols = line.split()
        if line.startswith("FF_"):
            current = line.strip()
            ref[current] = []
        elif current is not None and len(cols) == 9 and "." in cols[0]:
            ref[current].append((float(cols[0]), float(cols[1]), float(cols[2])))
    return ref


def _mask(folder: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(folder / "mask.bmp"), cv2.IMREAD_GRAYSCALE)
    return np.asarray(image == 0)  # RMS masks: black pixels are masked


@pytest.mark.realdata
@pytest.mark.parametrize("use_mask", [False, True], ids=["no-mask", "station-mask"])
def test_both_meteors_found_nothing_else_centroids_match_rms(shared_data: Path, use_mask: bool) -> None:
    folder = shared_data / "rms" / "UK0006_20220914"
    ref = _reference(folder)
    mask = _mask(folder) if use_mask else None
    detector = MeteorDetector()
    for name in FF_NAMES:
        ff = read_ff(folder / name)
        found = detector.detect_planes(ff.planes, fps=ff.fps, scale_px_per_deg=SCALE_PX_PER_DEG, mask=mask)
        passed = [d for d in found if d.passed]
        assert len(passed) == 1, f"{name}: {[d.to_json()['line'] for d in passed]}"
        meteor = passed[0]
        points = ref[name]
        assert len(points) >= 20
        hits = 0
        for frame, x, y in points:
            near = [np.hypot(p.x_px - x, p.y_px - y) for p in meteor.frames if abs(p.frame - frame) <= 1.0]
            hits += bool(near) and min(near) <= 1.5  # px, the tolerance
        print(f"{name}: {hits}/{len(points)} reference points within 1.5 px")  # the figure, with -s
        assert hits >= 0.8 * len(points), f"{name}: {hits}/{len(points)} reference points matched"
        assert 2.0 <= meteor.line.speed_deg_s <= 51.0
        assert not meteor.fireball  # mag 0.1 and 0.3 at their peaks (FTPdetectinfo): bright, not fireballs
