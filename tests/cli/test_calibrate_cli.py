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
