"""Astrometry: star catalogue, sky coordinates, camera models, star extraction, plate fitting,
meteor astrometry and photometry.

Pure science: arrays, dataclasses, paths or file objects in, results out; no clock, network or config.
"""

from calibration.astrometry import MeteorSky, SolutionSummary, meteor_sky, solution_summary, star_residuals_px
from calibration.blind import BlindFit, BlindSettings, BlindSolver
from calibration.camera import CameraModel, camera_of_platepar, plate_scale_px_per_deg
from calibration.catalog import StarCatalog, hp_to_v, julian_epoch, load_hipparcos, parse_hip2, read_bsc5
from calibration.errors import CalibrationError, CatalogError, PlateparError
from calibration.fit import FitSettings, PlateFit, PlateFitter, platepar_from_camera
from calibration.photometry import PhotometrySettings, ZeroPoint, fit_zero_point, zero_point_of_fit
from calibration.platepar import (
    Platepar,
    PointingConvention,
    parse_platepar,
    parse_recalibrated_platepars,
    recalibrated_platepars_to_json,
)
from calibration.recalibrate import (
    PointingChange,
    Recalibration,
    RecalibrationSettings,
    Recalibrator,
    fit_pointing,
    judge_pointing,
    pointing_change,
    refit_distortion,
)
from calibration.sky import altaz_to_radec, gmst_deg, julian_date, precession_matrix, radec_to_altaz
from calibration.sky_image import SkyImage, SkyImageSettings, render_sky_image, synthetic_platepar
from calibration.stars import StarFinder, StarFinderSettings, StarList

__all__ = [
    "BlindFit",
    "BlindSettings",
    "BlindSolver",
    "CalibrationError",
    "CameraModel",
    "CatalogError",
    "FitSettings",
    "MeteorSky",
    "PhotometrySettings",
    "PlateFit",
    "PlateFitter",
    "Platepar",
    "PlateparError",
    "PointingChange",
    "PointingConvention",
    "Recalibration",
    "RecalibrationSettings",
    "Recalibrator",
    "SkyImage",
    "SkyImageSettings",
    "SolutionSummary",
    "StarCatalog",
    "StarFinder",
    "StarFinderSettings",
    "StarList",
    "ZeroPoint",
    "altaz_to_radec",
    "camera_of_platepar",
    "fit_pointing",
    "fit_zero_point",
    "gmst_deg",
    "hp_to_v",
    "judge_pointing",
    "julian_date",
    "julian_epoch",
    "load_hipparcos",
    "meteor_sky",
    "parse_hip2",
    "parse_platepar",
    "parse_recalibrated_platepars",
    "plate_scale_px_per_deg",
    "platepar_from_camera",
    "pointing_change",
    "precession_matrix",
    "radec_to_altaz",
    "read_bsc5",
    "recalibrated_platepars_to_json",
    "refit_distortion",
    "render_sky_image",
    "solution_summary",
    "star_residuals_px",
    "synthetic_platepar",
    "zero_point_of_fit",
]
