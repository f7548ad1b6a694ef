"""Image and video science: decoding, scan-and-stack, FF blocks, per-frame values, values detection,
meteor verification (FF blocks and decoded frames), clips and track images, FTPdetectinfo, station masks,
synthetic sky video.

Pure: arrays, dataclasses, paths or file objects in, results out; no clock, network or configuration.
"""

from detection.candidates import Candidate, CandidateFinder, CandidateResult, CandidateSettings, TrackPoint
from detection.errors import DetectionError, FFFormatError, FTPDetectInfoError, MaskError, VideoError
from detection.formats.ff_file import FFFile, ff_filename, parse_ff_filename, read_ff, write_ff
from detection.formats.ftpdetectinfo import (
    FTPDetectInfo,
    FTPDetection,
    FTPPoint,
    format_ftpdetectinfo,
    ftpdetectinfo_filename,
    parse_ftpdetectinfo,
    point_time_utc,
    read_ftpdetectinfo,
    write_ftpdetectinfo,
)
from detection.formats.mask import load_mask, mask_from_image
from detection.meteors.checks import Check
from detection.meteors.detector import MeteorDetector
from detection.meteors.record import Detection, FramePoint, LineFit
from detection.meteors.settings import MeteorSettings
from detection.meteors.verify import (
    MinuteVerifier,
    Rejection,
    VerifiedMeteor,
    VerifyResult,
    VerifySettings,
    VerifyWindow,
    plan_windows,
)
from detection.meteors.video_detect import FileDetections, ProgressFn, detect_file
from detection.scan.ff import FFAccumulator, FFPlanes, compress_block, compress_block_np
from detection.scan.minute import ScanResult, ScanSettings, scan_video
from detection.scan.stack import MaxStack, preview_jpeg
from detection.scan.values import (
    MinuteValues,
    ValuesAccumulator,
    ValuesFormatError,
    ValuesSettings,
    load_values,
    save_values,
)
from detection.synth.sky import (
    Cloud,
    Flash,
    HotPixel,
    Meteor,
    Plane,
    Satellite,
    SkySettings,
    SkyVideo,
    default_camera,
    random_fireball,
    random_meteor,
    random_negatives,
)
from detection.video.clip import ClipResult, trim_clip
from detection.video.decode import Backend, VideoReader, open_video
from detection.video.window import Window, read_window

__all__ = [
    "Backend",
    "Candidate",
    "Check",
    "ClipResult",
    "Cloud",
    "CandidateResult",
    "CandidateSettings",
    "Detection",
    "DetectionError",
    "FFAccumulator",
    "FFFile",
    "FFFormatError",
    "FFPlanes",
    "FTPDetectInfo",
    "FTPDetectInfoError",
    "FTPDetection",
    "FTPPoint",
    "FileDetections",
    "Flash",
    "FramePoint",
    "HotPixel",
    "LineFit",
    "MaskError",
    "MaxStack",
    "Meteor",
    "MeteorDetector",
    "MeteorSettings",
    "MinuteValues",
    "MinuteVerifier",
    "Plane",
    "ProgressFn",
    "Rejection",
    "Satellite",
    "ScanResult",
    "ScanSettings",
    "SkySettings",
    "SkyVideo",
    "TrackPoint",
    "ValuesAccumulator",
    "CandidateFinder",
    "ValuesFormatError",
    "ValuesSettings",
    "VerifiedMeteor",
    "VerifyResult",
    "VerifySettings",
    "VerifyWindow",
    "VideoError",
    "VideoReader",
    "Window",
    "compress_block",
    "compress_block_np",
    "default_camera",
    "detect_file",
    "ff_filename",
    "format_ftpdetectinfo",
    "ftpdetectinfo_filename",
    "load_mask",
    "load_values",
    "mask_from_image",
    "open_video",
    "parse_ff_filename",
    "parse_ftpdetectinfo",
    "plan_windows",
    "point_time_utc",
    "preview_jpeg",
    "random_fireball",
    "random_meteor",
    "random_negatives",
    "read_ff",
    "read_ftpdetectinfo",
    "read_window",
    "save_values",
    "scan_video",
    "trim_clip",
    "write_ff",
    "write_ftpdetectinfo",
]
