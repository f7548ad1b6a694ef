"""Errors of every package that escape a command exit with their documented code and a one-line message.

The mapping is in ``cli/main.py``: a StationError carries its code; a MaskError is the operator's bad
choice (exit 2); any other DetectionError or CalibrationError means the work failed (exit 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from calibration import CatalogError
from cli.main import cli
from detection import DetectionError, FTPDetectInfoError, MaskError, VideoError
from stationd import LockHeldError, UsageError


def test_an_unreadable_mask_is_a_usage_error(tmp_path: Path) -> None:
    video = tmp_path / "minute.mp4"
    video.write_bytes(b"")
    mask = tmp_path / "mask.bmp"
    mask.write_bytes(b"not an image")
    result = CliRunner().invoke(cli, ["detect", str(video), "--mask", str(mask)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "error:" in result.output and "mask.bmp" in result.output and "not an image" in result.output


@pytest.mark.parametrize(
    ("error", "exit_code"),
    [
        (VideoError("cam1/minute.mp4", "truncated"), 1),
        (FTPDetectInfoError("FTPdetectinfo_XX0001.txt", 12, "not a number"), 1),
        (DetectionError("a detection error of no particular kind"), 1),
        (MaskError("mask.bmp", "the mask is 640x480 px, the camera 1280x720 px"), 2),
        (CatalogError("hip2.dat", "truncated at line 3"), 1),
        (UsageError("a bad argument"), 2),
        (LockHeldError("/var/lib/stationd/stationd.lock", 4242), 3),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_an_error_escaping_a_command_exits_with_its_code(
    error: Exception, exit_code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr("cli.demo_cmd.run_demo", fail)  # the library call of a real command
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo"), "--minutes", "1"])
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"error: {error}" in " ".join(result.output.split())  # rich wraps at the terminal width


def test_help_says_an_unusable_mask_and_refused_store_credentials_exit_2() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    text = " ".join(result.output.split())
    assert (
        "2 usage or configuration error (a bad argument, an unusable mask, store credentials refused)" in text
    )
