"""Test helpers: luma frames written as video files of several containers and codecs (neutral chroma)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange

#: name -> (container format, codec, encoder options). Keyframes every 12 frames where the codec has GOPs;
#: the H.264 ones use B-frames (and an open GOP in the MP4) so that decode order differs from display order.
_GOP = "keyint=12:min-keyint=12:scenecut=0"
FORMATS: dict[str, tuple[str, str, dict[str, str]]] = {
    "mp4-h264": ("mp4", "libx264", {"x264-params": f"{_GOP}:bframes=2:b-adapt=0:open-gop=1"}),
    "mkv-h264": ("matroska", "libx264", {"x264-params": f"{_GOP}:bframes=2:b-adapt=0"}),
    "avi-h264": ("avi", "libx264", {"x264-params": f"{_GOP}:bframes=0"}),
    "avi-mpeg4": ("avi", "mpeg4", {"g": "12", "bf": "2"}),
    "avi-mjpeg": ("avi", "mjpeg", {}),
    "flv-flv1": ("flv", "flv", {"g": "12"}),
    "flv-h264": ("flv", "libx264", {"x264-params": f"{_GOP}:bframes=0"}),
}  # fmt: skip

#: Bit rate of the codecs without a constant-quality mode (MJPEG, MPEG-4 part 2, FLV1), in bits per pixel.
BITS_PER_PIXEL = 1.0

SUFFIX = {"mp4": ".mp4", "matroska": ".mkv", "avi": ".avi", "flv": ".flv"}


def write_clip(path: Path, frames: np.ndarray, name: str, fps: float = 25.0) -> Path:
    """Encode uint8 (n, H, W) luma frames in the format ``name`` of :data:`FORMATS`; returns the path."""
    fmt, codec, options = FORMATS[name]
    options = dict(options)
    _, h, w = frames.shape
    rate = Fraction(fps).limit_denominator(1001)
    yuv = np.full((h * 3 // 2, w), 128, np.uint8)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if codec == "libx264":
            options.update(crf="16", preset="ultrafast")
        else:  # the older codecs are rate-controlled: 1 bit per pixel keeps most of the sky noise
            stream.bit_rate = int(BITS_PER_PIXEL * w * h * fps)
        stream.options = dict(options)
        for f, frame in enumerate(frames):
            yuv[:h] = frame
            vf = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            vf.color_range = ColorRange.JPEG
            if stream.pix_fmt != "yuv420p":
                vf = vf.reformat(format=stream.pix_fmt, src_color_range=ColorRange.JPEG,
                                 dst_color_range=ColorRange.JPEG)  # fmt: skip
            vf.pts = f
            vf.time_base = 1 / rate
            container.mux(stream.encode(vf))
        container.mux(stream.encode(None))
    return path


def numbered_frames(n: int, h: int = 120, w: int = 160, seed: int = 0) -> np.ndarray:
    """Noisy sky frames (30 DN, 3 DN noise) with a bright 8x8 block whose place encodes the frame number."""
    rng = np.random.default_rng(seed)
    frames = np.clip(rng.normal(30.0, 3.0, (n, h, w)), 0, 255).astype(np.uint8)
    cols = w // 10
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = 4 + 10 * (r % ((h - 4) // 10)), 1 + 10 * c
        frames[i, y : y + 8, x : x + 8] = 200
    return frames


def decode_all(path: Path) -> np.ndarray:
    """Every frame's luma as the scan numbers them (detection.video.decode, PyAV)."""
    from detection.video.decode import open_video

    with open_video(path, "pyav") as video:
        return np.stack([f.copy() for f in video.frames()])


def best_match(frame: np.ndarray, source: np.ndarray) -> int:
    """Index of the source frame most like ``frame`` (mean absolute difference)."""
    diffs = np.abs(source.astype(np.int16) - frame.astype(np.int16)).mean(axis=(1, 2))
    return int(np.argmin(diffs))


def write_every_format(folder: Path, n_frames: int) -> dict[str, Path]:
    """The same numbered frames written once in each of :data:`FORMATS`, by format name."""
    frames = numbered_frames(n_frames)
    return {
        name: write_clip(folder / f"{name}{SUFFIX[fmt]}", frames, name)
        for name, (fmt, _, _) in FORMATS.items()
    }
