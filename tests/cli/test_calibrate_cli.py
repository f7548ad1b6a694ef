"""``stationd calibrate FILE...``: a plate from a real FF file and a perturbed guess; exit codes.

Known answer (``../shared/data/README.md``, rms/UK0006_20220914): RMS's recalibrated plate of the 19:49:11 FF
file (legacy convention). The station's pointing (measured from that plate: az 238.95, alt 43.45 at the image
centre, 15.67 px/deg) perturbed by a few degrees (measured with az 242, alt 38, rotation 5, fov 80): solved
with 176 stars at 0.25 px median (0.97 arcmin), 5 s; the meteor of that file then 0.36 arcmin median (0.71 at
most) from the FTPdetectinfo. Asserted: image centre within 2 arcmin of RMS's plate.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from calibration import parse_platepar, parse_recalibrated_platepars
from cli.main import cli

_FF = "FF_UK0006_20220914_194911_205_0079616.fits"
_SITE = ["--lat", "51.8831", "--lon", "-1.30616", "--elevation", "80"]


def _sep_arcmin(a1, d1, a2, d2):
    a1, d1, a2, d2 = (np.radians(np.asarray(v, dtype=float)) for v in (a1, d1, a2, d2))
    c = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(a1 - a2)
    return float(np.degrees(np.arccos(np.clip(c, -1, 1))) * 60.0)


def _args(night: Path, az: float, alt: float, rot: float, fov: float) -> list[str]:
    guess = [
        "--guess-az",
        str(az),
        "--guess-alt",
        str(alt),
        "--guess-rotation",
        str(rot),
        "--guess-fov",
        str(fov),
    ]
    return ["calibrate", str(night / _FF), *_SITE, *guess, "--mask", str(night / "mask.bmp")]


@pytest.mark.realdata
def test_perturbed_guess_solves_and_writes_an_rms_plate(shared_data: Path, tmp_path: Path) -> None:
    night = shared_data / "rms" / "UK0006_20220914"
    out = tmp_path / "platepar_cmn2010.cal"
    result = CliRunner().invoke(cli, [*_args(night, 242.0, 40.0, 4.0, 78.0), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["solved"] and doc["n_matched"] >= 100
    assert doc["median_residual_px"] <= 0.3 and doc["median_residual_arcmin"] < 1.2
    assert min(doc["quadrant_counts"]) >= 10
    pp = parse_platepar(out.read_bytes())
    truth = parse_recalibrated_platepars(
        (night / "platepars_all_recalibrated.json").read_bytes(), convention="legacy"
    )[_FF]
    from datetime import UTC, datetime

    t = datetime(2022, 9, 14, 19, 49, 16, 325000, tzinfo=UTC)
    assert _sep_arcmin(*pp.pixel_to_sky(640.0, 360.0, t), *truth.pixel_to_sky(640.0, 360.0, t)) < 2.0


@pytest.mark.realdata
def test_bad_guess_exits_1_with_the_reason(shared_data: Path) -> None:
    night = shared_data / "rms" / "UK0006_20220914"
    result = CliRunner().invoke(cli, _args(night, 238.95 + 60.0, 43.45, 0.0, 80.0))
    assert result.exit_code == 1, result.output
    assert "no solution" in result.stderr


@pytest.mark.realdata
def test_no_guess_solves_blind(shared_data: Path, tmp_path: Path) -> None:
    night = shared_data / "rms" / "UK0006_20220914"
    out = tmp_path / "platepar_cmn2010.cal"
    args = [
        "calibrate",
        str(night / _FF),
        *_SITE,
        "--mask",
        str(night / "mask.bmp"),
        "--out",
        str(out),
        "--json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["solved"] and doc["blind"] and doc["blind_hypothesis"]
    assert doc["median_residual_px"] <= 0.3 and min(doc["quadrant_counts"]) >= 10
    truth = parse_recalibrated_platepars(
        (night / "platepars_all_recalibrated.json").read_bytes(), convention="legacy"
    )[_FF]
    from datetime import UTC, datetime

    t = datetime(2022, 9, 14, 19, 49, 16, 325000, tzinfo=UTC)
    pp = parse_platepar(out.read_bytes())
    assert _sep_arcmin(*pp.pixel_to_sky(640.0, 360.0, t), *truth.pixel_to_sky(640.0, 360.0, t)) < 2.0


@pytest.mark.parametrize(
    "extra",
    [
        ["--guess-az", "240"],  # an incomplete guess
        [
            "--guess-az",
            "240",
            "--guess-alt",
            "40",
            "--guess-rotation",
            "0",
            "--guess-fov",
            "80",
            "--platepar",
            "__PLATE__",
        ],  # both
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, extra: list[str]) -> None:
    ff = tmp_path / _FF
    ff.write_bytes(b"not read")
    plate = tmp_path / "p.cal"
    plate.write_text("{}")
    extra = [str(plate) if a == "__PLATE__" else a for a in extra]
    result = CliRunner().invoke(cli, ["calibrate", str(ff), *_SITE, *extra])
    assert result.exit_code == 2, result.output


def test_missing_site_exits_2(tmp_path: Path) -> None:
    ff = tmp_path / _FF
    ff.write_bytes(b"x")
    result = CliRunner().invoke(cli, ["calibrate", str(ff), "--guess-az", "1"])
    assert result.exit_code == 2
    assert "--lat" in result.stderr


def _synthetic_ff(folder: Path, settings, seed: int):
    """An FF file whose mean image is a synthetic sky (calibration.sky_image) of a known plate; the plate."""
    from datetime import UTC, datetime, timedelta

    from calibration import CameraModel, load_hipparcos, render_sky_image, synthetic_platepar
    from detection import FFFile, FFPlanes, write_ff

    start = datetime(2022, 9, 14, 22, 0, tzinfo=UTC)
    t_mid = start + timedelta(seconds=256 / 25 / 2)  # stars are dated at the middle of the block
    camera = CameraModel(640, 360, 300.0, 55.0, 8.0, 60.0)
    truth = synthetic_platepar(camera, t_mid, 51.8831, -1.30616, 80.0, k3=0.04)
    ave = render_sky_image(truth, t_mid, load_hipparcos(7.0), settings, seed=seed).image
    zeros = np.zeros_like(ave)
    ff = FFFile(FFPlanes(np.maximum(ave, 1), zeros, ave, zeros, 256), "XX0001", start, 0, 25.0)
    path = folder / ff.filename
    write_ff(path, ff)
    return path, truth, t_mid


def test_no_guess_solves_a_synthetic_ff_blind(tmp_path: Path) -> None:
    from calibration import SkyImageSettings

    path, truth, t = _synthetic_ff(tmp_path, SkyImageSettings(), seed=1)
    out = tmp_path / "plate.cal"
    result = CliRunner().invoke(cli, ["calibrate", str(path), *_SITE, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["solved"] and doc["blind"]
    pp = parse_platepar(out.read_bytes())
    assert _sep_arcmin(*pp.pixel_to_sky(320.0, 180.0, t), *truth.pixel_to_sky(320.0, 180.0, t)) < 1.0


def test_a_cloudy_ff_gives_no_blind_solution(tmp_path: Path) -> None:
    from calibration import SkyImageSettings

    path, _, _ = _synthetic_ff(tmp_path, SkyImageSettings(cloud_cover=0.97, n_false_stars=30), seed=2)
    result = CliRunner().invoke(cli, ["calibrate", str(path), *_SITE])
    assert result.exit_code == 1, result.output
    assert "no solution" in result.stderr


# --- minute videos and stack images -------------------------------------------------------------------

_START = "2026-09-14T22:00:05.120Z"
_VIDEO = "2026_09_14_22_00_05_120_cam1.mp4"  # the AllSkyCams name of a minute starting at _START


@pytest.fixture(scope="module")
def sky_video(tmp_path_factory: pytest.TempPathFactory):
    """A synthetic 640x360 video of 100 frames (4 s) through a known camera; its folder, camera and truth."""
    from datetime import UTC, datetime

    from calibration import CameraModel
    from detection.synth.sky import SkySettings, SkyVideo

    folder = tmp_path_factory.mktemp("video")
    camera = CameraModel(640, 360, 300.0, 55.0, 8.0, 60.0)
    start = datetime(2026, 9, 14, 22, 0, 5, 120000, tzinfo=UTC)
    settings = SkySettings(width_px=640, height_px=360, duration_s=4.0, camera=camera, star_limit_mag=6.5,
                           lat_deg=51.8831, lon_deg=-1.30616, start_utc=start, seed=4)  # fmt: skip
    video = SkyVideo(settings)
    video.write(folder / _VIDEO)
    return folder, camera, video


def _centre_off_deg(doc: dict, camera) -> float:
    """The fitted image centre's distance from the camera model's (az/alt, degrees)."""
    az1, alt1, az2, alt2 = np.radians([doc["az_deg"], doc["alt_deg"], camera.az_deg, camera.alt_deg])
    c = np.sin(alt1) * np.sin(alt2) + np.cos(alt1) * np.cos(alt2) * np.cos(az1 - az2)
    return float(np.degrees(np.arccos(min(c, 1.0))))


def test_a_minute_video_is_read_as_the_mean_of_64_frames_at_their_middle(sky_video) -> None:
    from datetime import UTC, datetime, timedelta

    from stationd.plate_files import read_star_image

    folder, _, video = sky_video
    star = read_star_image(folder / _VIDEO)
    # 100 frames: blocks of 32, the run is frames 32..95 (centred within 16 frames of frame 50), exposed
    # from 32/25 s to 96/25 s after the start: its middle is 2.56 s after 22:00:05.120.
    assert star.source == "mean of frames 32-95 of 100"
    assert star.t_utc == datetime(2026, 9, 14, 22, 0, 5, 120000, tzinfo=UTC) + timedelta(seconds=2.56)
    frames = video.render(32, 96).astype(np.float64)
    # the encoder (crf 18) keeps the levels to about 1.6 DN per frame: the mean to a small fraction of that
    assert np.abs(star.image - frames.mean(axis=0)).mean() < 0.5


@pytest.mark.parametrize("blind", [False, True])
def test_a_minute_video_is_calibrated_from_a_guess_and_blind(sky_video, blind: bool, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from calibration import load_hipparcos

    folder, camera, video = sky_video
    guess = (
        []
        if blind
        else ["--guess-az", "305", "--guess-alt", "50", "--guess-rotation", "3", "--guess-fov", "66"]
    )
    out = tmp_path / "plate.cal"
    result = CliRunner().invoke(
        cli, ["calibrate", str(folder / _VIDEO), *_SITE, *guess, "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    # measured: 177 of 309 stars matched at 0.16 px median, both ways; the plate puts the catalogue stars
    # 0.05 px (median) from where the renderer drew them at the run's middle
    assert doc["solved"] and doc["blind"] is blind and doc["n_matched"] >= 100
    assert doc["median_residual_px"] < 0.3
    assert _centre_off_deg(doc, camera) < 0.2  # 2 px at 10.7 px/deg
    truth = video.truth(stars=True)["stars"]  # drawn at the video's middle (2.0 s; the run's is 2.56 s)
    cat = load_hipparcos(7.0)
    k = np.searchsorted(cat.ids, truth["id"])
    t = datetime(2026, 9, 14, 22, 0, 7, 120000, tzinfo=UTC)
    x, y = parse_platepar(out.read_bytes()).sky_to_pixel(cat.ra_deg[k], cat.dec_deg[k], t)
    assert float(np.nanmedian(np.hypot(x - np.array(truth["x_px"]), y - np.array(truth["y_px"])))) < 0.2


def test_a_video_named_without_a_time_needs_time(sky_video, tmp_path: Path) -> None:
    folder, camera, _ = sky_video
    plain = tmp_path / "sky.mp4"
    plain.write_bytes((folder / _VIDEO).read_bytes())
    result = CliRunner().invoke(cli, ["calibrate", str(plain), *_SITE, "--json"])
    assert result.exit_code == 1 and "no time" in result.stderr and "--time" in result.stderr
    result = CliRunner().invoke(cli, ["calibrate", str(plain), *_SITE, "--time", _START, "--json"])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["solved"] and _centre_off_deg(doc, camera) < 0.2
    result = CliRunner().invoke(cli, ["calibrate", str(plain), *_SITE, "--time", "yesterday"])
    assert result.exit_code == 2 and "ISO 8601" in result.stderr


def _stack(folder: Path, video, name: str) -> Path:
    """The max-pixel stack of the video's frames as the scan stage makes it, written as ``name``."""
    import cv2

    from detection import MaxStack

    stack = MaxStack(360, 640)
    stack.add_frames(video.render())
    path = folder / name
    assert cv2.imwrite(str(path), stack.image)
    return path


def test_a_stack_image_is_calibrated_at_its_minutes_middle(sky_video, tmp_path: Path) -> None:
    _, camera, video = sky_video
    # A stack is dated at its minute's middle (start + 30 s): the video's frames are centred on 22:00:07.12,
    # so the minute this stack stands for starts 30 s before.
    path = _stack(tmp_path, video, "2026_09_14_21_59_37_120_cam1_stack.jpg")
    result = CliRunner().invoke(cli, ["calibrate", str(path), *_SITE, "--json"])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["solved"] and doc["blind"] and _centre_off_deg(doc, camera) < 0.2
    png = _stack(tmp_path, video, "stack.png")  # no time in the name: --time is the minute's start
    guess = ["--guess-az", "295", "--guess-alt", "58", "--guess-rotation", "10", "--guess-fov", "55"]
    args = ["calibrate", str(png), *_SITE, *guess, "--time", "2026-09-14T21:59:37.12", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["solved"] and not doc["blind"] and _centre_off_deg(doc, camera) < 0.2


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (_VIDEO, b"\x00" * 4000, "cannot read"),  # garbage under a minute's name
        ("2026_09_14_21_59_37_120_cam1_stack.jpg", b"not a jpeg", "not an image"),
        ("FF_XX0001_20260914_220005_120_0000000.fits", b"SIMPLE  = T", "cannot read"),
    ],
)
def test_a_bad_file_exits_1_with_its_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["calibrate", str(path), *_SITE])
    assert result.exit_code == 1, result.output
    assert "no solution" in result.stderr and name in result.stderr and reason in result.stderr
