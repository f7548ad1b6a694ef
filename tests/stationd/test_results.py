"""Typed stage results: what one stage hands the next, through the state store's JSON."""

from __future__ import annotations

import pytest

from detection import TrackPoint
from stationd.disk.state import StageRun, Status
from stationd.stages.results import (
    CandidateEntry,
    CandidatesStageResult,
    ScanStageResult,
    VerifyStageResult,
    read_result,
)

SCAN = ScanStageResult("a.mp4", 1280, 720, 25.0, 1500, ("FF_1.fits",), "a.values.npz", None, 1.2, 3.4)
FOUND = CandidatesStageResult(
    status="candidates",
    reason="",
    candidates=(
        CandidateEntry(
            10,
            40,
            "2026-07-12T22:00:00.400000Z",
            "2026-07-12T22:00:01.600000Z",
            2.5,
            (TrackPoint(15, 10.123, 20.456, 7.891), TrackPoint(16, 12.5, 21.0, 6.0)),
        ),
    ),
    widespread_runs=((100, 120),),
)
VERIFIED = VerifyStageResult(
    meteors=("m1", "m2"), fireballs=("m2",), rejected=1, windows=3, frames_decoded=900
)


@pytest.mark.parametrize("result", [SCAN, VERIFIED])
def test_results_go_through_json_unchanged(result: ScanStageResult | VerifyStageResult) -> None:
    assert type(result).from_json(result.to_json()) == result


def test_candidates_keep_their_points_to_the_hundredth() -> None:
    back = CandidatesStageResult.from_json(FOUND.to_json())
    assert back.candidates[0].points[0] == TrackPoint(15, 10.12, 20.46, 7.89)
    assert back.to_json() == FOUND.to_json() and back.candidates[0].n_points == 2


def test_results_stored_before_versions_existed_are_version_1() -> None:
    """A detect result as the stage wrote it before typed results (no "v", n_points stored)."""
    old = {"status": "none", "reason": "", "candidates": [], "widespread_runs": [[3, 9]]}
    assert CandidatesStageResult.from_json(old).widespread_runs == ((3, 9),)
    old_verify = {"status": "none", "meteors": [], "fireballs": [], "rejected": 0, "windows": 1,
                  "windows_skipped": 0, "frames_decoded": 64, "replaced": 0}  # fmt: skip
    assert VerifyStageResult.from_json(old_verify).to_json() == {"v": 1, **old_verify}


def test_a_newer_version_is_refused_rather_than_misread() -> None:
    with pytest.raises(ValueError, match="version 2"):
        ScanStageResult.from_json({**SCAN.to_json(), "v": 2})


def test_read_result_finds_the_stage_by_its_type() -> None:
    run = StageRun(1, "scan", Status.DONE, "scan/1", None, 1, None, None, 1.0, None, SCAN.to_json())
    assert read_result({"scan": run}, ScanStageResult) == SCAN
    assert read_result({"scan": run}, CandidatesStageResult) is None
    assert SCAN.summary() == "scanned 1500 frames, 1 FF files"
    assert (
        FOUND.summary() == "candidates: candidates (1)"
        and VERIFIED.summary() == "verify: 2 meteors, 1 rejected"
    )


def test_a_scan_skipped_in_day_time_reads_back_and_lists_no_ff_files() -> None:
    """The daemon files day-time minutes unscanned under ``processing.daytime: skip``; retention, the
    candidates and verify stages read that result too (a KeyError there stopped retention for good)."""
    stored = {"skipped": "daytime", "file": "a.mp4"}  # as the daemon wrote it before typed results
    skipped = ScanStageResult.from_json(stored)
    assert skipped.skipped == "daytime" and skipped.ff_files == () and skipped.file == "a.mp4"
    assert ScanStageResult.from_json(skipped.to_json()) == skipped
    assert skipped.summary() == "not scanned: daytime"
