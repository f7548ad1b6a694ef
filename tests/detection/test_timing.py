"""The one clock of a video (frame <-> UTC) and the one ISO 8601 form of a UTC time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detection import VideoTime, iso_utc, parse_iso_utc

START = datetime(2022, 9, 14, 19, 49, 11, 205000, tzinfo=UTC)


def test_a_point_of_a_real_ftpdetectinfo_entry_is_ff_start_plus_frame_over_fps() -> None:
    # FTPdetectinfo_UK0006_20220914 (RMS): FF_UK0006_20220914_194911_205_0079616, frame 59.0579 at 25 fps
    assert VideoTime(START, 25.0).frame_utc(59.0579) == datetime(2022, 9, 14, 19, 49, 13, 567316, tzinfo=UTC)


def test_iso_form_and_its_reading() -> None:
    t = datetime(2026, 8, 12, 22, 15, 6, 120999, tzinfo=UTC)
    assert iso_utc(t) == "2026-08-12T22:15:06.120999Z"
    assert iso_utc(t, digits=3) == "2026-08-12T22:15:06.120Z"
    assert iso_utc(t.astimezone(timezone(timedelta(hours=2)))) == "2026-08-12T22:15:06.120999Z"
    assert parse_iso_utc("2026-08-12T22:15:06.120999Z") == t
    with pytest.raises(ValueError, match="naive"):
        iso_utc(datetime(2026, 8, 12))
    with pytest.raises(ValueError, match="UTC"):
        parse_iso_utc("2026-08-12T22:15:06")


def test_an_ff_block_clock_is_the_minutes_moved_to_its_first_frame() -> None:
    minute = VideoTime(START, 25.0, n_frames=1500)
    block = minute.at_frame(256)
    assert block.start_utc == minute.frame_utc(256) and block.n_frames == 1244
    assert block.frame_utc(10) == minute.frame_utc(266)
    assert minute.duration_s == 60.0


@pytest.mark.parametrize("fps", [0.0, -25.0, float("nan")])
def test_bad_rates_are_refused(fps: float) -> None:
    with pytest.raises(ValueError, match="fps"):
        VideoTime(START, fps)


@given(frame=st.floats(0, 10_000), fps=st.sampled_from([25.0, 29.97, 30.0, 12.5]))
def test_frame_to_utc_and_back_agree_to_a_microsecond(frame: float, fps: float) -> None:
    clock = VideoTime(START, fps)
    assert clock.frame_at(clock.frame_utc(frame)) == pytest.approx(frame, abs=1e-6 * fps)
