"""The science settings that a station's configuration means: written once, for stages and commands alike.

``processing`` keys carry the names of the settings they set (``k_std``, ``j_dn``, ``min_frames``); unset
thresholds keep the detector's defaults. ``stationd detect`` (no station) builds a ``ProcessingSection``
from its options and goes through the same functions as the verify stage.
"""

from __future__ import annotations

from dataclasses import replace

from calibration.camera import CameraModel
from detection.candidates import CandidateSettings
from detection.meteors.settings import MeteorSettings
from detection.meteors.sky_track import SkyProjection
from stationd.config import CameraSection, ProcessingSection


def meteor_settings(processing: ProcessingSection) -> MeteorSettings:
    """Meteor verification's settings (ValueError naming the setting when a value is out of range)."""
    settings = MeteorSettings(
        min_speed_deg_s=processing.min_speed_deg_s,
        max_speed_deg_s=processing.max_speed_deg_s,
        min_frames=processing.min_frames,
    )
    if processing.k_std is not None:
        settings = replace(settings, k_std=processing.k_std)
    if processing.j_dn is not None:
        settings = replace(settings, j_dn=processing.j_dn)
    return settings


def candidate_settings(processing: ProcessingSection, camera: CameraSection, fps: float) -> CandidateSettings:
    """Values detection's settings: the speed limits in px/frame from deg/s and the camera's plate scale."""
    px_per_frame = camera.scale_px_per_deg / fps
    return CandidateSettings(
        min_speed_px_frame=processing.min_speed_deg_s * px_per_frame,
        max_speed_px_frame=processing.max_speed_deg_s * px_per_frame,
        min_points=processing.min_frames,
    )


def sky_projection(camera: CameraSection) -> SkyProjection:
    """The camera's coarse pointing and lens as the detector's sky model (tracks fitted as great circles)."""
    p = camera.pointing
    model = CameraModel(
        camera.width_px, camera.height_px, p.az_deg, p.alt_deg, p.rotation_deg, p.fov_h_deg,
        p.projection,  # type: ignore[arg-type]
    )  # fmt: skip
    return SkyProjection(model)
