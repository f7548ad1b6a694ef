"""detect_file: FF files and videos streamed in overlapping blocks; an object cut by block edges is one.

The block logic is tested with :class:`FakeDetector` (a bright blob per frame is the object), so the tests
say what detect_file does with whatever the detector finds; tests/detection/test_formats.py runs the real
detector on synthetic meteors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from detection.errors import FFFormatError, VideoError
from detection.formats.ff_file import FFFile, write_ff
from detection.meteors.checks import Check
from detection.meteors.record import Detection, FramePoint, LineFit
from detection.meteors.settings import MeteorSettings
from detection.meteors.sky_track import SkyProjection
from detection.meteors.video_detect import detect_file
from detection.scan.ff import compress_block
from tests.detection._videos import write_clip

H, W = 96, 128


class FakeDetector:
    """Finds pixels above 150 DN; each run of consecutive frames holding some is one detection.

    Records the calls (first frame and frame count) so tests can see the blocks.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.planes_calls: list[dict[str, object]] = []
        self.event_clips: list[bool] = []  # per call: was it detected as an event clip?
        self.settings = MeteorSettings()

    def detect_frames(
        self,
        frames: np.ndarray,
        *,
        fps: float,
        scale_px_per_deg: float,
        mask: np.ndarray | None = None,
        first_frame: int = 0,
        sky: SkyProjection | None = None,
        event_clip: bool = False,
    ) -> list[Detection]:
        self.calls.append((first_frame, frames.shape[0]))
        self.event_clips.append(event_clip)
        runs: list[list[FramePoint]] = []
        previous = False
        for i, frame in enumerate(frames):
            ys, xs = np.nonzero(frame > 150)
            if xs.size:
                point = FramePoint(
                    first_frame + i, float(xs.mean()), float(ys.mean()), 1000.0, int(xs.size), 0
                )
                if not previous:
                    runs.append([])
                runs[-1].append(point)
            previous = bool(xs.size)
        return [_detection(run, fps, scale_px_per_deg) for run in runs]

    def detect_planes(self, planes: object, **kwargs: object) -> list[Detection]:
        self.planes_calls.append(kwargs)
        return []


def _detection(points: list[FramePoint], fps: float, scale: float) -> Detection:
    a, b = points[0], points[-1]
    n = len(points)
    speed = float(np.hypot(b.x_px - a.x_px, b.y_px - a.y_px)) / max(1, n - 1)
    line = LineFit(
        a.x_px, a.y_px, b.x_px, b.y_px, a.frame, b.frame, speed, speed * fps / scale, speed * n, 0.1
    )
    return Detection(tuple(points), line, (Check("frames", float(n), ">= 4", n >= 4),), False)


def moving_dot(n_frames: int, begin: int, end: int, seed: int = 0) -> np.ndarray:
    """Noise frames with a 3x3 dot at 200 DN moving 0.5 px per frame during frames begin..end."""
    rng = np.random.default_rng(seed)
    frames = np.clip(rng.normal(30.0, 3.0, (n_frames, H, W)), 0, 255).astype(np.uint8)
    for f in range(begin, end + 1):
        x, y = 10 + (f - begin) // 2, 20 + (f - begin) // 4
        frames[f, y - 1 : y + 2, x - 1 : x + 2] = 200
    return frames


def write_mjpeg(tmp_path: Path, frames: np.ndarray) -> Path:
    return write_clip(tmp_path / "clip.avi", frames, "avi-mjpeg")


# Blocks of 64 frames overlapping by 24: frames 0-63, 40-103, 80-143, 120-159.
@pytest.mark.parametrize(
    "begin, end, reread",
    [
        (10, 30, None),  # inside the first block only
        (50, 70, None),  # across the first block's end, whole in the second block
        (40, 100, (33, 75)),  # cut by an edge in every block that sees it: frames 33..107 read again
        (125, 159, None),  # up to the video's end (not a block edge)
    ],
)
def test_an_object_is_reported_once_with_all_its_frames(
    tmp_path: Path, begin: int, end: int, reread: tuple[int, int] | None
) -> None:
    path = write_mjpeg(tmp_path, moving_dot(160, begin, end))
    detector = FakeDetector()
    result = detect_file(path, detector, block_frames=64, overlap_frames=24)  # type: ignore[arg-type]
    blocks = [(0, 64), (40, 64), (80, 64), (120, 40)]
    assert detector.calls == blocks + ([reread] if reread else [])
    assert [(d.line.frame_begin, d.line.frame_end) for d in result.detections] == [(begin, end)]
    assert [d.frame for d in result.detections[0].frames] == list(range(begin, end + 1))
    assert (result.kind, result.width_px, result.height_px, result.n_frames) == ("video", W, H, 160)
    assert result.fps == pytest.approx(25.0)
    assert result.start_utc is None
    assert result.meteors == result.detections


def test_blocks_overlap_and_cover_the_video(tmp_path: Path) -> None:
    path = write_mjpeg(tmp_path, moving_dot(150, 10, 20))
    detector = FakeDetector()
    progress: list[tuple[int, int | None]] = []
    detect_file(path, detector, block_frames=64, overlap_frames=16, on_progress=lambda *a: progress.append(a))  # type: ignore[arg-type]
    # step 48: blocks 0..63, 48..111, 96..149 (the last one shorter)
    assert detector.calls == [(0, 64), (48, 64), (96, 54)]
    assert progress == [(64, 150), (112, 150), (150, 150)]
    assert detector.event_clips == [False, False, False]  # longer than a block: not an event clip


def test_a_video_within_one_block_is_an_event_clip(tmp_path: Path) -> None:
    path = write_mjpeg(tmp_path, moving_dot(40, 5, 30))
    detector = FakeDetector()
    detect_file(path, detector)  # type: ignore[arg-type]
    assert detector.calls == [(0, 40)] and detector.event_clips == [True]


def test_a_video_ending_on_a_block_edge(tmp_path: Path) -> None:
    path = write_mjpeg(tmp_path, moving_dot(112, 100, 111))
    detector = FakeDetector()
    result = detect_file(path, detector, block_frames=64, overlap_frames=16)  # type: ignore[arg-type]
    assert detector.calls == [(0, 64), (48, 64)]
    assert [(d.line.frame_begin, d.line.frame_end) for d in result.detections] == [(100, 111)]


def test_scale_defaults_to_width_over_field_of_view(tmp_path: Path) -> None:
    path = write_mjpeg(tmp_path, moving_dot(40, 5, 30))
    result = detect_file(path, FakeDetector(), fov_deg=64.0)  # type: ignore[arg-type]
    d = result.detections[0]
    assert d.line.speed_deg_s == pytest.approx(d.line.speed_px_frame * 25.0 / (W / 64.0))
    result = detect_file(path, FakeDetector(), scale_px_per_deg=4.0)  # type: ignore[arg-type]
    d = result.detections[0]
    assert d.line.speed_deg_s == pytest.approx(d.line.speed_px_frame * 25.0 / 4.0)


def test_ff_files_go_to_detect_planes(tmp_path: Path) -> None:
    frames = moving_dot(256, 10, 40)
    start = datetime(2022, 9, 14, 19, 49, 11, 205000, tzinfo=UTC)
    ff = FFFile(compress_block(frames), "XX0001", start, 512, 25.0)
    path = tmp_path / ff.filename
    write_ff(path, ff)
    detector = FakeDetector()
    mask = np.zeros((H, W), bool)
    progress: list[tuple[int, int | None]] = []
    result = detect_file(path, detector, mask=mask, on_progress=lambda *a: progress.append(a))  # type: ignore[arg-type]
    assert (result.kind, result.n_frames, result.fps, result.start_utc) == ("ff", 256, 25.0, start)
    assert detector.planes_calls == [
        {"fps": 25.0, "scale_px_per_deg": W / 90.0, "mask": mask, "first_frame": 0, "sky": None}
    ]
    assert progress == [(256, 256)]


def test_bad_inputs(tmp_path: Path) -> None:
    path = write_mjpeg(tmp_path, moving_dot(20, 5, 10))
    with pytest.raises(ValueError, match="mask"):
        detect_file(path, FakeDetector(), mask=np.zeros((H, W + 1), bool))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="overlap_frames"):
        detect_file(path, FakeDetector(), block_frames=64, overlap_frames=40)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fov_deg"):
        detect_file(path, FakeDetector(), fov_deg=0.0)  # type: ignore[arg-type]
    with pytest.raises(VideoError, match="no such file"):
        detect_file(tmp_path / "nothing.mp4", FakeDetector())  # type: ignore[arg-type]
    bad_ff = tmp_path / "FF_XX0001_20220914_194911_205_0000512.fits"
    bad_ff.write_bytes(b"SIMPLE = junk" * 300)
    with pytest.raises(FFFormatError):
        detect_file(bad_ff, FakeDetector())  # type: ignore[arg-type]


@pytest.mark.realdata
def test_rms_ff_files_give_their_meteor(shared_data: Path) -> None:
    """The two RMS FF files of UK0006 each hold one meteor (their FTPdetectinfo lists one per file)."""
    from detection.meteors.detector import MeteorDetector

    folder = shared_data / "rms" / "UK0006_20220914"
    for path in sorted(folder.glob("FF_*.fits")):
        result = detect_file(path, MeteorDetector())
        assert (result.kind, result.width_px, result.height_px, result.n_frames) == ("ff", 1280, 720, 256)
        assert result.start_utc is not None and result.start_utc.strftime("%Y%m%d_%H%M%S") in path.name
        assert len(result.meteors) == 1, path.name


@pytest.mark.parametrize("backend", ["pyav", "opencv"])
def test_a_still_image_is_not_a_video(tmp_path: Path, backend: str) -> None:
    """A PNG decodes as one frame: an error that says so, not "no meteor in 1 frames"."""
    import cv2

    still = tmp_path / "sky.png"
    assert cv2.imwrite(str(still), moving_dot(1, 0, 0)[0])
    with pytest.raises(VideoError, match=r"not a video: 1 frame \(") as info:
        detect_file(still, FakeDetector(), backend=backend)  # type: ignore[arg-type]
    assert info.value.path == str(still)


def test_a_video_of_three_frames_is_too_short(tmp_path: Path) -> None:
    path = write_mjpeg(tmp_path, moving_dot(3, 0, 2))
    with pytest.raises(VideoError, match="not a video: 3 frames"):
        detect_file(path, FakeDetector())  # type: ignore[arg-type]
