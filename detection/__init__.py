"""Image and video science: decoding, scan-and-stack, FF blocks, per-frame values, values detection,
meteor verification (FF blocks and decoded frames), clips and track images, FTPdetectinfo, station masks,
synthetic sky video.

Pure: arrays, dataclasses, paths or file objects in, results out; no clock, network or configuration.
"""

from detection.candidates import (
    Candidate,
    CandidateFinder,
    CandidateResult,
    CandidateSettings,
    TrackPoint,
    block_thresholds,
    widespread_frames,
)
from detection.errors import DetectionError, FFFormatError, FTPDetectInfoError, MaskError, VideoError
from detection.formats.ff_file import FFFile, ff_filename, parse_ff_filename, read_ff, write_ff
from detection.formats.ftpdetectinfo import (
    FTPDetectInfo,
    FTPDetection,
    FTPPoint,
    format_ftpdetectinfo,
    ftpdetectinfo_filename,
    hough_rho_phi,
    parse_ftpdetectinfo,
    point_time_utc,
    read_ftpdetectinfo,
    track_speed_px_frame,
    write_ftpdetectinfo,
)
from detection.formats.mask import load_mask, mask_from_image
from detection.meteors.centroids import Corridor, centroids_frames, centroids_planes
from detection.meteors.checks import Check
from detection.meteors.detector import MeteorDetector
from detection.meteors.lines import LineSearch, LitPoints, Track, find_tracks, lit_field
from detection.meteors.record import Detection, FramePoint, LineFit
from detection.meteors.settings import MeteorSettings
from detection.meteors.sky_track import SkyProjection
from detection.meteors.track_image import track_image
from detection.meteors.verify import (
    MinuteVerifier,
    Rejection,
    VerifiedMeteor,
    VerifyResult,
    VerifySettings,
    VerifyWindow,
    frame_runs,
    plan_windows,
)
from detection.meteors.video_detect import FileDetections, ProgressFn, Projection, detect_file
from detection.scan.ff import MAX_FRAMES, FFAccumulator, FFPlanes, compress_block, compress_block_np
from detection.scan.minute import ScanResult, ScanSettings, scan_video
from detection.scan.stack import MaxStack, preview_jpeg
from detection.scan.values import (
    VALUES_FORMAT,
    MinuteValues,
    ValuesAccumulator,
    ValuesFormatError,
    ValuesSettings,
    initial_background,
    load_values,
    save_values,
    update_weights,
)
from detection.synth.sky import (
    Cloud,
    Flash,
    HotPixel,
    Meteor,
    Plane,
    Satellite,
    SkyObject,
    SkySettings,
    SkyVideo,
    default_camera,
    random_fireball,
    random_meteor,
    random_negatives,
)
from detection.timing import VideoTime, iso_utc, parse_iso_utc
from detection.video.clip import ClipResult, trim_clip
from detection.video.decode import Backend, VideoReader, open_video
from detection.video.window import SeekFailed, VideoSource, Window, read_window

__all__ = [
    "Backend",
    "Candidate",
    "CandidateFinder",
    "CandidateResult",
    "CandidateSettings",
    "Check",
    "ClipResult",
    "Cloud",
    "Corridor",
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
    "LineSearch",
    "LitPoints",
    "MAX_FRAMES",
    "MaskError",
    "MaxStack",
    "Meteor",
    "MeteorDetector",
    "MeteorSettings",
    "MinuteValues",
    "MinuteVerifier",
    "Plane",
    "ProgressFn",
    "Projection",
    "Rejection",
    "Satellite",
    "ScanResult",
    "ScanSettings",
    "SeekFailed",
    "SkyObject",
    "SkyProjection",
    "SkySettings",
    "SkyVideo",
    "Track",
    "TrackPoint",
    "VALUES_FORMAT",
    "ValuesAccumulator",
    "ValuesFormatError",
    "ValuesSettings",
    "VerifiedMeteor",
    "VerifyResult",
    "VerifySettings",
    "VerifyWindow",
    "VideoError",
    "VideoReader",
    "VideoSource",
    "VideoTime",
    "Window",
    "block_thresholds",
    "centroids_frames",
    "centroids_planes",
    "compress_block",
    "compress_block_np",
    "default_camera",
    "detect_file",
    "ff_filename",
    "find_tracks",
    "format_ftpdetectinfo",
    "frame_runs",
    "ftpdetectinfo_filename",
    "hough_rho_phi",
    "initial_background",
    "iso_utc",
    "lit_field",
    "load_mask",
    "load_values",
    "mask_from_image",
    "open_video",
    "parse_ff_filename",
    "parse_ftpdetectinfo",
    "parse_iso_utc",
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
    "track_image",
    "track_speed_px_frame",
    "trim_clip",
    "update_weights",
    "widespread_frames",
    "write_ff",
    "write_ftpdetectinfo",
]
