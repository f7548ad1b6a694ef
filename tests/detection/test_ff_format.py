"""FF files: names, our FITS layout, and the real RMS files of ../shared/data."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from detection.errors import FFFormatError
from detection.formats.ff_file import FFFile, ff_filename, parse_ff_filename, read_ff, write_ff
from detection.scan.ff import compress_block

RMS_DIR = Path("rms/UK0006_20220914")
RMS_FILES = {
    # name -> (start UTC, FIRST header); facts read from the files
    "FF_UK0006_20220914_194911_205_0079616.fits": (datetime(2022, 9, 14, 19, 49, 11, 205000, UTC), 79872),
    "FF_UK0006_20220914_200017_020_0096000.fits": (datetime(2022, 9, 14, 20, 0, 17, 20000, UTC), 96256),
}
RMS_KEYS = ("NROWS", "NCOLS", "NBITS", "NFRAMES", "FIRST", "CAMNO", "FPS")


def _ff(nframes: int = 256, seed: int = 0) -> FFFile:
    frames = np.random.default_rng(seed).integers(0, 256, (nframes, 18, 32), dtype=np.uint8)
    start = datetime(2024, 8, 9, 21, 3, 4, 567891, UTC)
    return FFFile(compress_block(frames), "XX0001", start, 1500, 25.0, camno=3)


def test_filename_round_trip() -> None:
    start = datetime(2022, 9, 14, 19, 49, 11, 205999, UTC)
    name = ff_filename("UK0006", start, 79616)
    assert name == "FF_UK0006_20220914_194911_205_0079616.fits"  # milliseconds truncated
    assert parse_ff_filename("/some/dir/" + name) == ("UK0006", start.replace(microsecond=205000), 79616)


def test_filename_converts_to_utc() -> None:
    local = datetime(2022, 9, 14, 21, 49, 11, tzinfo=timezone(timedelta(hours=2)))
    assert ff_filename("UK0006", local, 0) == "FF_UK0006_20220914_194911_000_0000000.fits"


@pytest.mark.parametrize(
    "bad",
    [
        "FF_UK0006_20220914_194911_205.fits",
        "FR_UK0006_20220914_194911_205_0079616.fits",
        "FF_UK_0006_20220914_194911_205_0079616.fits",
        "FF_UK0006_20221314_194911_205_0079616.fits",
        "FF_UK0006_20220914_194911_205_0079616.bin",
    ],
)
def test_parse_refuses_other_names(bad: str) -> None:
    with pytest.raises(ValueError, match="not an FF file name"):
        parse_ff_filename(bad)


def test_fffile_validates_its_fields() -> None:
    planes = _ff().planes
    with pytest.raises(ValueError, match=r"FFFile\.start_utc"):
        FFFile(planes, "XX0001", datetime(2024, 1, 1), 0, 25.0)
    with pytest.raises(ValueError, match=r"FFFile\.station"):
        FFFile(planes, "XX_1", datetime(2024, 1, 1, tzinfo=UTC), 0, 25.0)
    with pytest.raises(ValueError, match=r"FFFile\.fps"):
        FFFile(planes, "XX0001", datetime(2024, 1, 1, tzinfo=UTC), 0, 0.0)


def test_our_file_opens_in_astropy_with_rms_keys_and_hdus(tmp_path: Path) -> None:
    ff = _ff(nframes=200)
    path = tmp_path / ff.filename
    write_ff(path, ff)
    with fits.open(path) as hdul:
        assert [h.name for h in hdul[1:]] == ["MAXPIXEL", "MAXFRAME", "AVEPIXEL", "STDPIXEL"]
        header = hdul[0].header
        assert {k: header[k] for k in RMS_KEYS} == {
            "NROWS": 18,
            "NCOLS": 32,
            "NBITS": 8,
            "NFRAMES": 200,
            "FIRST": 1500,
            "CAMNO": 3,
            "FPS": 25.0,
        }
        assert header["DATE-OBS"] == "2024-08-09T21:03:04.567891"
        for hdu in hdul[1:]:
            assert hdu.data.dtype == np.uint8
            assert hdu.data.shape == (18, 32)
        np.testing.assert_array_equal(hdul["MAXFRAME"].data, ff.planes.maxframe)


def test_write_read_round_trip_path_and_stream(tmp_path: Path) -> None:
    ff = _ff()
    path = tmp_path / ff.filename
    write_ff(path, ff)
    write_ff(path, ff)  # rewriting a block replaces the file
    assert read_ff(path) == ff  # microseconds of start_utc come back from DATE-OBS
    buf = io.BytesIO()
    write_ff(buf, ff)
    assert buf.getvalue() == path.read_bytes()
    buf.seek(0)
    streamed = read_ff(buf)  # no name: STATION, DATE-OBS and FIRST headers say which block
    assert not buf.closed
    assert (streamed.station, streamed.start_utc, streamed.first_frame) == ("XX0001", ff.start_utc, 1500)
    assert streamed.planes == ff.planes


def test_malformed_files_raise_ffformaterror(tmp_path: Path) -> None:
    junk = tmp_path / "FF_XX0001_20240809_210304_567_0001500.fits"
    junk.write_bytes(b"this is not FITS at all" * 200)
    with pytest.raises(FFFormatError, match="not a readable FITS file") as info:
        read_ff(junk)
    assert info.value.path == str(junk)

    ff = _ff()
    good = io.BytesIO()
    write_ff(good, ff)
    with fits.open(io.BytesIO(good.getvalue())) as hdul:
        missing = fits.HDUList([hdul[0].copy(), *[h.copy() for h in hdul[1:4]]])
        wrong_type = fits.HDUList([h.copy() for h in hdul])
    wrong_type["AVEPIXEL"].data = wrong_type["AVEPIXEL"].data.astype(np.int16)
    for hdul, message in [(missing, "no STDPIXEL image HDU"), (wrong_type, "AVEPIXEL is int16")]:
        buf = io.BytesIO()
        hdul.writeto(buf)
        buf.seek(0)
        with pytest.raises(FFFormatError, match=message) as info:
            read_ff(buf, name=ff.filename)
        assert info.value.path == ff.filename


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(RMS_FILES))
def test_real_rms_files_read_right(shared_data: Path, name: str) -> None:
    ff = read_ff(shared_data / RMS_DIR / name)
    start, first_header = RMS_FILES[name]
    assert (ff.station, ff.start_utc, ff.fps, ff.camno) == ("UK0006", start, 25.0, "UK0006")
    assert (ff.first_frame, ff.first_header) == (int(name[-12:-5]), first_header)
    assert (ff.planes.height, ff.planes.width, ff.planes.nframes) == (720, 1280, 256)
    assert ff.filename == name
    assert np.all(ff.planes.avepixel <= ff.planes.maxpixel)


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(RMS_FILES))
def test_real_rms_files_write_and_reread_identically(shared_data: Path, tmp_path: Path, name: str) -> None:
    original = shared_data / RMS_DIR / name
    ff = read_ff(original)
    copy = tmp_path / ff.filename
    write_ff(copy, ff)
    again = read_ff(copy)
    assert again == ff
    with fits.open(original) as a, fits.open(copy) as b:
        assert {k: a[0].header[k] for k in RMS_KEYS} == {k: b[0].header[k] for k in RMS_KEYS}
        for hdu in ("MAXPIXEL", "MAXFRAME", "AVEPIXEL", "STDPIXEL"):
            np.testing.assert_array_equal(a[hdu].data, b[hdu].data)


@pytest.mark.realdata
def test_rms_maxframe_matches_the_recorded_detection(shared_data: Path) -> None:
    """MAXFRAME at a meteor's brightest pixel equals the frame of its detection point.

    Truth: the 21 points of FF_UK0006_20220914_194911_205_0079616 in the station's FTPdetectinfo (RMS);
    the brightest pixel within 2 px of a point must have MAXFRAME = floor(frame) +- 1 (0-based in the block).
    """
    name = "FF_UK0006_20220914_194911_205_0079616.fits"
    ff = read_ff(shared_data / RMS_DIR / name)
    points = _ftpdetectinfo_points(next((shared_data / RMS_DIR).glob("FTPdetectinfo_*.txt")), name)
    assert len(points) == 21
    for frame, x_px, y_px in points:
        xi, yi = round(x_px), round(y_px)
        window = (slice(yi - 2, yi + 3), slice(xi - 2, xi + 3))
        brightest = np.unravel_index(np.argmax(ff.planes.maxpixel[window]), (5, 5))
        assert abs(int(ff.planes.maxframe[window][brightest]) - int(frame)) <= 1


def _ftpdetectinfo_points(path: Path, ff_name: str) -> list[tuple[float, float, float]]:
    """(frame, x_px, y_px) rows of the first detection of ``ff_name`` in a 9-column FTPdetectinfo."""
    lines = path.read_text().splitlines()
    at = lines.index(ff_name)
    n_points = int(lines[at + 2].split()[2])
    rows = [line.split() for line in lines[at + 3 : at + 3 + n_points]]
    return [(float(r[0]), float(r[1]), float(r[2])) for r in rows]


def _truncated_ff_message(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """read_ff's error on a cut-short file; astropy must neither warn (warnings are errors) nor print."""
    with pytest.raises(FFFormatError, match=r"cut short \(truncated\)") as info:
        read_ff(path)
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""
    return info.value.reason


def test_a_truncated_ff_file_gives_one_message_ours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.fits"
    write_ff(whole, _ff())
    data = whole.read_bytes()
    cut = tmp_path / _ff().filename
    for size in (len(data) - 2880 - 100, len(data) - 100):  # inside the last plane; in its padding
        cut.write_bytes(data[:size])
        reason = _truncated_ff_message(cut, capsys)
        assert f"{size} bytes" in reason


@pytest.mark.realdata
def test_a_truncated_rms_ff_file_gives_one_message_ours(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "FF_UK0006_20220914_194911_205_0079616.fits"
    data = (shared_data / RMS_DIR / name).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(data[: len(data) // 2])  # an FF file cut short, as a full disk or a killed copy leaves it
    assert f"{len(data) // 2} bytes" in _truncated_ff_message(cut, capsys)
