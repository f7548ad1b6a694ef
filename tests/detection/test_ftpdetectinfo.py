"""FTPdetectinfo: reading RMS's 9- and 12-column files, writing the 12-column one as RMS does, round trips."""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detection.formats.ftpdetectinfo import (
    FTPDetectInfo,
    FTPDetectInfoError,
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

UK0006 = "rms/UK0006_20220914/FTPdetectinfo_UK0006_20220914_185543_087124.txt"
UK005U = "rms/UK005U_20240809/FTPdetectinfo_UK005U_20240809_201258_058797.txt"
CORRELATOR = {  # file -> number of detections (its 'Meteor Count' line)
    "correlator/UK_20260712/UK008F/FTPdetectinfo_UK008F_20260712_211431_942892.txt": 30,
    "correlator/UK_20260712/UK009M/FTPdetectinfo_UK009M_20260712_205646_232499.txt": 11,
    "correlator/UK_20260712/UK00A4/FTPdetectinfo_UK00A4_20260712_205020_685451.txt": 25,
}
FF_NAME = "FF_XX0001_20260712_221720_202_0093696.fits"


def _detection(n: int = 3, **changes: Any) -> FTPDetection:
    points = tuple(
        FTPPoint(frame=10.0 + i, x_px=100.0 + 5 * i, y_px=50.0 + 3 * i, intensity=1000.0 + i)
        for i in range(n)
    )
    det = FTPDetection(ff_name=FF_NAME, camera="XX0001", meteor_no=1, fps=25.0, points=points)
    return replace(det, **changes)


# --- real files ------------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_reads_the_9_column_uk0006_night(shared_data: Path) -> None:
    info = read_ftpdetectinfo(shared_data / UK0006)
    assert len(info.detections) == 43  # its 'Meteor Count = 000043'
    assert info.n_columns == 9
    assert info.processed.startswith("Processed with RMS 1.0 20220903_124708 13bc4a4bc740")
    assert info.ff_folder == "/home/pi/RMS_data/CapturedFiles/UK0006_20220914_185543_087124"
    assert info.cal_folder == info.ff_folder

    first = info.detections[0]  # values as printed in the file
    assert first.ff_name == "FF_UK0006_20220914_194911_205_0079616.fits"
    assert first.calibration.startswith("Recalibrated with RMS on: 2022-09-15 05:13:17.399220")
    assert first.calibrated
    assert (first.camera, first.meteor_no, first.n_segments, first.fps) == ("UK0006", 1, 21, 25.0)
    assert (first.speed_px_frame, first.rho_px, first.phi_deg) == (15.7, 173.2, 174.5)
    assert (first.hnr, first.mle, first.binning) == (0.0, 0.0, 0.0)
    assert first.points[0].frame == 59.0579 and first.points[-1].frame == 79.5002
    assert first.points[0] == FTPPoint(
        frame=59.0579, x_px=499.18, y_px=41.66, intensity=1385.0, ra_deg=269.7553, dec_deg=30.5593,
        az_deg=222.0294, alt_deg=64.1737, mag=2.33,
    )  # fmt: skip
    assert (first.points[-1].x_px, first.points[-1].y_px, first.points[-1].mag) == (467.9, 360.13, 2.08)
    assert all(p.background is None and p.snr is None and p.saturated_px is None for p in first.points)

    second = info.detections[1]
    assert second.ff_name == "FF_UK0006_20220914_200017_020_0096000.fits"
    assert second.n_segments == 20
    assert (second.points[0].frame, second.points[0].x_px, second.points[0].y_px) == (75.7139, 673.46, 514.0)


@pytest.mark.realdata
def test_point_times_agree_with_the_manual_reduction_of_the_same_meteor(shared_data: Path) -> None:
    """Time of a point = FF start + frame / fps: checked against the SkyFit2 ECSV of the 19:49:11 meteor."""
    det = read_ftpdetectinfo(shared_data / UK0006).detections[0]
    assert det.start_utc == datetime(2022, 9, 14, 19, 49, 11, 205000, tzinfo=UTC)
    assert det.time_utc(59.0579) == datetime(2022, 9, 14, 19, 49, 13, 567316, tzinfo=UTC)
    ecsv = (shared_data / "rms/UK0006_20220914/2022-09-14T19_49_11_RMS_UK0006.ecsv").read_text()
    rows = [line.split(",") for line in ecsv.splitlines() if line and not line.startswith(("#", "datetime"))]
    assert len(rows) == 5
    for row in rows:
        t_ecsv = datetime.fromisoformat(row[0]).replace(tzinfo=UTC)
        y_px = float(row[6])
        # the frame at which the FTP track passes the ECSV point's row (linear between its two points)
        pairs = zip(det.points, det.points[1:], strict=False)
        a, b = next((p, q) for p, q in pairs if p.y_px <= y_px <= q.y_px)
        frame = a.frame + (y_px - a.y_px) / (b.y_px - a.y_px) * (b.frame - a.frame)
        # half a frame (20 ms at 25 fps): the two reductions place the same meteor at the same time
        assert abs((det.time_utc(frame) - t_ecsv).total_seconds()) < 0.02


@pytest.mark.realdata
def test_reads_the_uk005u_night(shared_data: Path) -> None:
    """The data README calls it 12-column, but its header and every point line have 9 columns."""
    info = read_ftpdetectinfo(shared_data / UK005U)
    assert len(info.detections) == 72
    assert info.n_columns == 9
    first = info.detections[0]
    assert first.ff_name == "FF_UK005U_20240809_205337_439_0060160.fits"
    assert (first.n_segments, first.speed_px_frame, first.rho_px, first.phi_deg) == (224, 1.3, 157.1, 272.2)
    assert first.points[1] == FTPPoint(
        frame=4.7128, x_px=681.95, y_px=513.25, intensity=1292.0, ra_deg=270.38, dec_deg=-5.4252,
        az_deg=181.5684, alt_deg=32.7688, mag=1.31,
    )  # fmt: skip
    assert sum(d.n_segments for d in info.detections) == 3046  # the file's point lines


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(CORRELATOR))
def test_reads_12_column_files_and_writes_them_back_byte_for_byte(shared_data: Path, name: str) -> None:
    """Our writer produces exactly what RMS 2026 wrote: header lines, rules, separators, widths, signs."""
    text = (shared_data / name).read_text()
    info = parse_ftpdetectinfo(text)
    assert len(info.detections) == CORRELATOR[name]
    assert info.n_columns == 12
    assert all(p.snr is not None for d in info.detections for p in d.points)
    assert format_ftpdetectinfo(info) == text
    assert parse_ftpdetectinfo(format_ftpdetectinfo(info)) == info


@pytest.mark.realdata
def test_12_column_values(shared_data: Path) -> None:
    with (shared_data / "correlator/UK_20260712/UK008F/FTPdetectinfo_UK008F_20260712_211431_942892.txt").open(
        encoding="utf-8"
    ) as f:
        info = parse_ftpdetectinfo(f)
    det = info.detections[0]
    assert info.processed.endswith("on 2026-07-13 03:04:04.295641 UTC")
    assert (det.ff_name, det.camera, det.meteor_no, det.n_segments) == (
        "FF_UK008F_20260712_221720_202_0093696.fits", "UK008F", 1, 4,
    )  # fmt: skip
    assert (det.speed_px_frame, det.rho_px, det.phi_deg) == (4.7, 464.0, -42.0)
    assert det.points[3] == FTPPoint(
        frame=228.9552, x_px=969.44, y_px=687.75, intensity=98.0, ra_deg=278.999579, dec_deg=-15.040805,
        az_deg=164.985786, alt_deg=20.313265, mag=4.17, background=61.0, snr=5.1, saturated_px=0,
    )  # fmt: skip
    assert [p.frame for p in det.points] == [224.9745, 225.9687, 226.9650, 228.9552]  # frame 227 missing
    assert info.detections[1].meteor_no == 2


@pytest.mark.realdata
def test_9_column_file_written_as_12_columns_keeps_its_values(shared_data: Path) -> None:
    info = read_ftpdetectinfo(shared_data / UK0006)
    text = format_ftpdetectinfo(info)
    back = parse_ftpdetectinfo(text)
    assert back.n_columns == 12
    assert len(back.detections) == 43
    for old, new in zip(info.detections, back.detections, strict=True):
        assert new.points == tuple(replace(p, background=0.0, snr=0.0, saturated_px=0) for p in old.points)
        assert (new.ff_name, new.calibration, new.rho_px, new.phi_deg) == (
            old.ff_name, old.calibration, old.rho_px, old.phi_deg,
        )  # fmt: skip
    # the detection header's only change is the format of Pix/fm (RMS went from 015.7 to ' 15.7')
    assert "\nUK0006 0001 0021 0025.00 000.0 000.0  00.0  15.7 0173.2 0174.5\n" in text


@pytest.mark.realdata
def test_header_geometry_helpers_match_rms_values(shared_data: Path) -> None:
    """Pix/fm, Rho, Phi from the first and last point vs what RMS wrote (RMS fits the line to all pixels)."""
    rho_err_px, phi_err_deg = [], []
    for name in [UK0006, UK005U, *CORRELATOR]:
        for det in read_ftpdetectinfo(shared_data / name).detections:
            a, b = det.points[0], det.points[-1]
            # Pix/fm is written with one decimal: 0.05 rounding plus the 0.005 px rounding of Col/Row
            assert track_speed_px_frame(det.points) == pytest.approx(det.speed_px_frame, abs=0.06)
            rho, phi = hough_rho_phi(a.x_px, a.y_px, b.x_px, b.y_px, width_px=1280, height_px=720)
            rho_err_px.append(abs(rho - det.rho_px))
            phi_err_deg.append(abs((phi - det.phi_deg + 180.0) % 360.0 - 180.0))
    assert len(rho_err_px) == 43 + 72 + 66
    # measured on these 181 tracks: median 1.7 px and 0.43 deg
    assert statistics.median(rho_err_px) < 3.0
    assert statistics.median(phi_err_deg) < 1.0


@pytest.mark.realdata
def test_filename_of_the_real_night(shared_data: Path) -> None:
    start = datetime(2022, 9, 14, 18, 55, 43, 87124, tzinfo=UTC)
    assert (shared_data / UK0006).name == ftpdetectinfo_filename("UK0006", start)


# --- synthetic -------------------------------------------------------------------------------------------


def test_uncalibrated_points_are_written_with_zero_sky_columns() -> None:
    info = FTPDetectInfo(detections=(_detection(),), ff_folder="/data/XX0001", cal_folder="/data/XX0001")
    text = format_ftpdetectinfo(info)
    lines = text.splitlines()
    assert lines[0] == "Meteor Count = 000001"
    assert lines[1] == lines[3] == lines[6] == "-" * 53  # RMS readers skip exactly these 11 lines
    assert lines[4] == "FF  folder = /data/XX0001"
    assert lines[10] == "Per segment:  Frame# Col Row RA Dec Azim Elev Inten Mag Bcknd SNR NSatPx"
    assert lines[11] == "-" * 55
    assert lines[12:14] == [FF_NAME, "Uncalibrated"]
    assert lines[14] == "XX0001 0001 0003 0025.00 000.0 000.0  00.0   0.0 0000.0 0000.0"
    assert lines[15] == (
        "0010.0000 0100.00 0050.00 000.000000 +00.000000 000.000000 +00.000000 "
        "000001000 +00.00 000000 00.00 000000"
    )
    assert len(lines) == 18
    back = parse_ftpdetectinfo(text).detections[0]
    assert not back.calibrated
    assert back.points[0] == FTPPoint(
        frame=10.0, x_px=100.0, y_px=50.0, intensity=1000.0, ra_deg=0.0, dec_deg=0.0, az_deg=0.0,
        alt_deg=0.0, mag=0.0, background=0.0, snr=0.0, saturated_px=0,
    )  # fmt: skip


def test_write_to_a_file_object_and_read_with_crlf_line_ends() -> None:
    info = FTPDetectInfo(detections=(_detection(), _detection(meteor_no=2, calibration="Calibrated with X")))
    buf = io.StringIO()
    write_ftpdetectinfo(buf, info)
    assert buf.getvalue() == format_ftpdetectinfo(info)
    crlf = io.StringIO(buf.getvalue().replace("\n", "\r\n"), newline="")
    back = parse_ftpdetectinfo(crlf)
    assert [d.meteor_no for d in back.detections] == [1, 2]
    assert back.detections[1].calibrated


def test_empty_night() -> None:
    text = format_ftpdetectinfo(FTPDetectInfo(detections=()))
    assert text.splitlines()[0] == "Meteor Count = 000000"
    assert len(text.splitlines()) == 11
    assert parse_ftpdetectinfo(text).detections == ()


def test_values_beyond_the_column_width_are_written_at_its_limit() -> None:
    point = FTPPoint(frame=1.0, x_px=1.0, y_px=2.0, intensity=5.0, snr=250.0, saturated_px=2_000_000)
    det = FTPDetection(ff_name=FF_NAME, camera="XX0001", meteor_no=1, fps=25.0, points=(point,))
    line = format_ftpdetectinfo(FTPDetectInfo(detections=(det,))).splitlines()[-1]
    assert line.endswith(" 99.99 999999")


def test_negative_values_keep_their_sign() -> None:
    point = FTPPoint(frame=0.5, x_px=3.0, y_px=4.0, intensity=7.4, ra_deg=5.5, dec_deg=-45.25, az_deg=90.0,
                     alt_deg=-1.5, mag=-3.25, background=12.6)  # fmt: skip
    det = FTPDetection(ff_name=FF_NAME, camera="XX1", meteor_no=1, fps=30.0, points=(point,), phi_deg=-42.0)
    lines = format_ftpdetectinfo(FTPDetectInfo(detections=(det,))).splitlines()
    assert lines[-2].endswith("0000.0 -042.0")
    assert lines[-1] == (
        "0000.5000 0003.00 0004.00 005.500000 -45.250000 090.000000 -01.500000 "
        "000000007 -03.25 000013 00.00 000000"
    )
    assert lines[-2].startswith(" XX1 0001 0001 0030.00")  # RMS right-aligns the camera code in 4 columns


@st.composite  # values on the written grid read back exactly
def _points(draw: st.DrawFn) -> FTPPoint:
    return FTPPoint(
        frame=draw(st.integers(0, 99_999_999)) / 10_000,
        x_px=draw(st.integers(0, 999_999)) / 100,
        y_px=draw(st.integers(0, 999_999)) / 100,
        intensity=float(draw(st.integers(0, 999_999_999))),
        ra_deg=draw(st.integers(0, 359_999_999)) / 1e6,
        dec_deg=draw(st.integers(-90_000_000, 90_000_000)) / 1e6,
        az_deg=draw(st.integers(0, 359_999_999)) / 1e6,
        alt_deg=draw(st.integers(-90_000_000, 90_000_000)) / 1e6,
        mag=draw(st.integers(-9_999, 9_999)) / 100,
        background=float(draw(st.integers(0, 999_999))),
        snr=draw(st.integers(0, 9_999)) / 100,
        saturated_px=draw(st.integers(0, 999_999)),
    )


@settings(max_examples=50, deadline=None)
@given(
    points=st.lists(_points(), min_size=1, max_size=5),
    rho=st.integers(0, 99_999),
    phi=st.integers(-1_800, 3_599),
)
def test_round_trip_of_values_on_the_written_grid(points: list[FTPPoint], rho: int, phi: int) -> None:
    det = FTPDetection(
        ff_name=FF_NAME, camera="XX0001", meteor_no=7, fps=25.0, points=tuple(points),
        calibration="Recalibrated with stationd", speed_px_frame=12.5, rho_px=rho / 10, phi_deg=phi / 10,
    )  # fmt: skip
    info = FTPDetectInfo(detections=(det,), processed="Processed with stationd 0.1 test")
    assert parse_ftpdetectinfo(format_ftpdetectinfo(info)) == info


# --- errors and helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "line_no", "match"),
    [
        (lambda lines: ["Hello", *lines[1:]], 1, "not an FTPdetectinfo file"),
        (lambda lines: [*lines[:14], "XX0001 0001 0003 0025.00", *lines[15:]], 15, "expected 10"),
        (lambda lines: [*lines[:15], "0010.0000 0100.00 0050.00", *lines[16:]], 16, "9 or 12"),
        (lambda lines: [*lines[:16], lines[16].replace("0105.00", "01x5.00"), *lines[17:]], 17, "bad point"),
        (lambda lines: [*lines[:10], "Per segment:  Frame# Col Row", *lines[11:]], 11, "point columns"),
        (lambda lines: lines[:13], 13, "entry too short"),
    ],
)
def test_malformed_text_raises_naming_the_line(
    mutate: Callable[[list[str]], list[str]], line_no: int, match: str
) -> None:
    lines = format_ftpdetectinfo(FTPDetectInfo(detections=(_detection(),))).splitlines()
    with pytest.raises(FTPDetectInfoError, match=match) as info:
        parse_ftpdetectinfo("\n".join(mutate(lines)), source="night.txt")
    assert info.value.line_no == line_no
    assert info.value.source == "night.txt"
    assert str(info.value).startswith(f"night.txt:{line_no}: ")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"camera": "XX 01"}, "camera"),
        ({"ff_name": ""}, "ff_name"),
        ({"calibration": "two\nlines"}, "calibration"),
        ({"fps": 0.0}, "fps"),
        ({"meteor_no": -1}, "meteor_no"),
    ],
)
def test_detection_validates_its_fields(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _detection(**kwargs)


def test_point_validates_its_fields() -> None:
    with pytest.raises(ValueError, match=r"FTPPoint\.x_px"):
        FTPPoint(frame=1.0, x_px=float("nan"), y_px=1.0, intensity=1.0)
    with pytest.raises(ValueError, match="n_columns"):
        FTPDetectInfo(detections=(), n_columns=10)


def test_point_time_and_start_from_the_ff_name() -> None:
    det = _detection()
    assert det.start_utc == datetime(2026, 7, 12, 22, 17, 20, 202000, tzinfo=UTC)
    assert det.time_utc(12.5) == datetime(2026, 7, 12, 22, 17, 20, 702000, tzinfo=UTC)
    assert point_time_utc(det.start_utc, -2.5, 25.0) == datetime(2026, 7, 12, 22, 17, 20, 102000, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        point_time_utc(datetime(2026, 1, 1), 1.0, 25.0)
    name = ftpdetectinfo_filename("XX0001", datetime(2026, 7, 12, 21, 0, 0, 1, tzinfo=UTC))
    assert re.fullmatch(r"FTPdetectinfo_XX0001_20260712_210000_000001\.txt", name)


def test_hough_rho_phi_of_simple_lines() -> None:
    # a vertical line 100 px right of the centre of a 200 x 100 image: normal along +x
    assert hough_rho_phi(200.0, 0.0, 200.0, 100.0, 200, 100) == pytest.approx((100.0, 0.0))
    # a horizontal line 20 px above the centre (y up): normal along +y
    assert hough_rho_phi(0.0, 30.0, 150.0, 30.0, 200, 100) == pytest.approx((20.0, 90.0))
    # the direction of travel does not change the line
    assert hough_rho_phi(150.0, 30.0, 0.0, 30.0, 200, 100) == pytest.approx((20.0, 90.0))
    with pytest.raises(ValueError, match="coincide"):
        hough_rho_phi(1.0, 1.0, 1.0, 1.0, 10, 10)
    assert track_speed_px_frame([]) == 0.0
    assert track_speed_px_frame(_detection(n=3).points) == pytest.approx((25 + 9) ** 0.5)
