"""Image and video science: decoding, scan-and-stack, FF blocks, per-frame values, values detection,
synthetic sky video.

Pure: arrays, dataclasses, paths or file objects in, results out; no clock, network or configuration.
"""

from detection.candidates import Candidate, DetectResult, DetectSettings, TrackPoint, ValuesDetector
from detection.decode import Backend, VideoReader, open_video
from detection.errors import DetectionError, FFFormatError, VideoError
from detection.ff import FFAccumulator, FFPlanes, compress_block, compress_block_np
from detection.ff_format import FFFile, ff_filename, parse_ff_filename, read_ff, write_ff
from detection.scan import ScanResult, ScanSettings, scan_video
from detection.stack import MaxStack, preview_jpeg
from detection.synth import (
    Cloud,
    Flash,
    HotPixel,
    Meteor,
    Plane,
    Satellite,
    SkySettings,
    SkyVideo,
    default_camera,
    random_meteor,
    random_negatives,
)
from detection.values import (
    MinuteValues,
    ValuesAccumulator,
    ValuesFormatError,
    ValuesSettings,
    load_values,
    save_values,
)

__all__ = [
    "Backend",
    "Candidate",
    "Cloud",
    "DetectResult",
    "DetectSettings",
    "DetectionError",
    "FFAccumulator",
    "FFFile",
    "FFFormatError",
    "FFPlanes",
    "Flash",
    "HotPixel",
    "MaxStack",
    "Meteor",
    "MinuteValues",
    "Plane",
    "Satellite",
    "ScanResult",
    "ScanSettings",
    "SkySettings",
    "SkyVideo",
    "TrackPoint",
    "ValuesAccumulator",
    "ValuesDetector",
    "ValuesFormatError",
    "ValuesSettings",
    "VideoError",
    "VideoReader",
    "compress_block",
    "compress_block_np",
    "default_camera",
    "ff_filename",
    "load_values",
    "open_video",
    "parse_ff_filename",
    "preview_jpeg",
    "random_meteor",
    "random_negatives",
    "read_ff",
    "save_values",
    "scan_video",
    "write_ff",
]
