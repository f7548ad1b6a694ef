"""What every stage needs: the configuration, the layout, the state store and who is working."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from stationd.config import CameraSection, StationConfig
from stationd.daemon.owner import current_owner
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore

STAGE_ORDER = ("scan", "candidates", "verify", "calibrate")
"""Stages in pipeline order; a stage's completion makes the next one pending."""

STAGE_VERSIONS = {
    "scan": "scan/1",
    "candidates": "candidates/3",
    "verify": "verify/3",
    "calibrate": "calibrate/1",
}
"""Code version of each stage, recorded with its result; bump it when outputs change. (The candidates
stage was called ``detect`` up to its version 3: the state store's version 3 renamed its rows. verify/3:
records name their video's start, ``source.video_start_utc``, and carry sky columns when calibrated.
calibrate/1: recalibration from the minute's stars, the camera's solution history, meteors' sky columns.)"""


@dataclass
class StageContext:
    config: StationConfig
    store: StateStore
    owner: str = field(default_factory=current_owner)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("stationd.stages"))

    @property
    def layout(self) -> StationLayout:
        """The station's on-disk layout."""
        return StationLayout(self.config.station.data_dir)

    def camera(self, camera_id: str) -> CameraSection:
        """The configuration of camera ``camera_id``."""
        return self.config.camera(camera_id)

    def camera_number(self, camera_id: str) -> int:
        """1-based position of the camera in the configuration (the FF header's CAMNO)."""
        return [c.id for c in self.config.cameras].index(camera_id) + 1
