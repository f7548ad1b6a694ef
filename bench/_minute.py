"""The benchmark minute: a 60 s 1280x720 25 fps H.264 sky video from :mod:`detection.synth.sky` (fixed seed).

Shared by ``bench/decode.py`` and ``bench/scan.py``. Rendering and encoding take a few minutes, so
``--video PATH`` reuses a file when it exists (and writes it there when it does not).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detection.synth.sky import SkySettings, SkyVideo, random_meteor, random_negatives


def synth_minute(path: Path, *, seconds: float = 60.0, seed: int = 7, bit_rate: int | None = None) -> None:
    """Write the benchmark minute: stars, noise, five meteors, a plane, a satellite and a hot pixel."""
    settings = SkySettings(width_px=1280, height_px=720, fps=25.0, duration_s=seconds, seed=seed)
    rng = np.random.default_rng(seed)
    objects = [random_meteor(rng, settings) for _ in range(5)] + random_negatives(rng, settings)
    SkyVideo(settings, objects).write(path, bit_rate=bit_rate)


def minute_path(video: str | None, workdir: str, bit_rate: int | None = None) -> Path:
    """The given video (written first when missing) or a fresh minute in the folder ``workdir``.

    ``bit_rate`` (bit/s): encode at a camera-like average bit rate instead of the generator's crf 18
    (about 16 Mbit/s, which keeps every DN of noise and decodes slowly).
    """
    path = Path(video) if video else Path(workdir) / "minute.mp4"
    if not path.exists():
        print(f"rendering the benchmark minute into {path} (a few minutes) ...", flush=True)
        synth_minute(path, bit_rate=bit_rate)
    return path
