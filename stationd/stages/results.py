"""What each stage hands the next: typed results, stored as JSON in the state store's ``stage_runs.result``.

Every stage returns one of these frozen dataclasses; the runner stores ``to_json()`` and later stages,
views and operations read it back only through ``from_json()`` (:func:`read_result`), never by string keys.
The JSON field names are those of ``stationd status --json`` (DESIGN 4: one name per field everywhere).

Each type has a ``VERSION`` written as ``"v"``; results stored before versions were written (no ``"v"``)
are version 1, which is what they are. A reader that meets a newer version than it knows raises
``ValueError`` rather than misreading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self, TypeVar

from detection.candidates import TrackPoint
from stationd.disk.state import StageRun


def _version(data: Mapping[str, Any], cls: type[Any]) -> None:
    v = int(data.get("v", 1))
    if v > cls.VERSION:
        raise ValueError(f"{cls.STAGE} result of version {v}: this stationd reads up to {cls.VERSION}")


@dataclass(frozen=True)
class ScanStageResult:
    """A scanned minute: its video's geometry and length, the FF files and values file written."""

    STAGE: ClassVar[str] = "scan"
    VERSION: ClassVar[int] = 1

    file: str
    width_px: int
    height_px: int
    fps: float
    n_frames: int
    ff_files: tuple[str, ...]
    values_file: str
    hd_file: str | None
    decode_s: float
    compute_s: float
    skipped: str | None = None  # "daytime": filed unscanned (processing.daytime = skip); nothing else holds

    @classmethod
    def skipped_daytime(cls, file: str) -> Self:
        """A minute filed into video/ unscanned because the sun was up (``processing.daytime: skip``)."""
        return cls(file, 0, 0, 0.0, 0, (), "", None, 0.0, 0.0, skipped="daytime")

    def to_json(self) -> dict[str, Any]:
        """The stored form (field names as in ``status --json``)."""
        if self.skipped is not None:
            return {"v": self.VERSION, "skipped": self.skipped, "file": self.file}
        return {
            "v": self.VERSION, "file": self.file, "width_px": self.width_px, "height_px": self.height_px,
            "fps": self.fps, "n_frames": self.n_frames, "ff_files": list(self.ff_files),
            "values_file": self.values_file, "hd_file": self.hd_file, "decode_s": self.decode_s,
            "compute_s": self.compute_s,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Read a stored result (ValueError when it is of a newer version)."""
        _version(data, cls)
        if data.get("skipped") is not None:
            return cls.skipped_daytime(str(data.get("file", "")))
        return cls(
            file=str(data["file"]), width_px=int(data["width_px"]), height_px=int(data["height_px"]),
            fps=float(data["fps"]), n_frames=int(data["n_frames"]), ff_files=tuple(data.get("ff_files", ())),
            values_file=str(data["values_file"]), hd_file=data.get("hd_file"),
            decode_s=float(data.get("decode_s", 0.0)), compute_s=float(data.get("compute_s", 0.0)),
        )  # fmt: skip

    def summary(self) -> str:
        """A few words for the stage's log line."""
        if self.skipped is not None:
            return f"not scanned: {self.skipped}"
        return f"scanned {self.n_frames} frames, {len(self.ff_files)} FF files"


@dataclass(frozen=True)
class CandidateEntry:
    """One candidate of values detection, with the UTC times of its padded frame range."""

    frame_start: int
    frame_end: int
    start_utc: str
    end_utc: str
    speed_px_frame: float
    points: tuple[TrackPoint, ...]

    @property
    def n_points(self) -> int:
        """Peaks on the candidate's track."""
        return len(self.points)

    def to_json(self) -> dict[str, Any]:
        """The stored form (points rounded to 0.01 px and 0.01 z)."""
        return {
            "frame_start": self.frame_start, "frame_end": self.frame_end, "start_utc": self.start_utc,
            "end_utc": self.end_utc, "n_points": self.n_points, "speed_px_frame": self.speed_px_frame,
            "points": [{"frame": p.frame, "x_px": round(p.x_px, 2), "y_px": round(p.y_px, 2),
                        "z": round(p.z, 2)} for p in self.points],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Read a stored candidate."""
        return cls(
            frame_start=int(data["frame_start"]), frame_end=int(data["frame_end"]),
            start_utc=str(data["start_utc"]), end_utc=str(data["end_utc"]),
            speed_px_frame=float(data["speed_px_frame"]),
            points=tuple(TrackPoint(int(p["frame"]), float(p["x_px"]), float(p["y_px"]), float(p["z"]))
                         for p in data.get("points", ())),
        )  # fmt: skip


@dataclass(frozen=True)
class CandidatesStageResult:
    """Values detection of a minute: ``none``, ``candidates`` or ``too-many``, and the runs of frames where
    the whole image changed (where verification also looks: a fireball lighting the sky hides there)."""

    STAGE: ClassVar[str] = "candidates"
    VERSION: ClassVar[int] = 1

    status: str
    reason: str
    candidates: tuple[CandidateEntry, ...]
    widespread_runs: tuple[tuple[int, int], ...]

    def to_json(self) -> dict[str, Any]:
        """The stored form (field names as in ``status --json``)."""
        return {
            "v": self.VERSION,
            "status": self.status,
            "reason": self.reason,
            "candidates": [c.to_json() for c in self.candidates],
            "widespread_runs": [list(r) for r in self.widespread_runs],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Read a stored result (ValueError when it is of a newer version)."""
        _version(data, cls)
        return cls(
            status=str(data["status"]),
            reason=str(data.get("reason", "")),
            candidates=tuple(CandidateEntry.from_json(c) for c in data.get("candidates", ())),
            widespread_runs=tuple((int(a), int(b)) for a, b in data.get("widespread_runs", ())),
        )

    def summary(self) -> str:
        """A few words for the stage's log line."""
        n = len(self.candidates)
        return f"candidates: {self.status}" + (f" ({n})" if n else "")


@dataclass(frozen=True)
class RejectedCandidate:
    """A window of frames that verification searched without finding a meteor, and why."""

    frame_start: int
    frame_end: int
    asked_by: tuple[str, ...]
    reasons: tuple[str, ...]
    detection: dict[str, Any] | None  # the nearest detection's JSON (detection.Detection.to_json), if any

    def to_json(self) -> dict[str, Any]:
        """The form of ``rejected/<stem>.json``."""
        return {
            "frame_start": self.frame_start, "frame_end": self.frame_end, "asked_by": list(self.asked_by),
            "reasons": list(self.reasons), "detection": self.detection,
        }  # fmt: skip


@dataclass(frozen=True)
class VerifyStageResult:
    """Verification of a minute: the meteor records written (ids), the fireballs among them, and counts."""

    STAGE: ClassVar[str] = "verify"
    VERSION: ClassVar[int] = 1

    meteors: tuple[str, ...]
    fireballs: tuple[str, ...] = ()
    rejected: int = 0
    windows: int = 0
    windows_skipped: int = 0
    frames_decoded: int = 0
    replaced: int = 0

    @property
    def status(self) -> str:
        """``meteors`` when the minute has a meteor record, else ``none``."""
        return "meteors" if self.meteors else "none"

    def to_json(self) -> dict[str, Any]:
        """The stored form (field names as in ``status --json``)."""
        return {
            "v": self.VERSION, "status": self.status, "meteors": list(self.meteors),
            "fireballs": list(self.fireballs), "rejected": self.rejected, "windows": self.windows,
            "windows_skipped": self.windows_skipped, "frames_decoded": self.frames_decoded,
            "replaced": self.replaced,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Read a stored result (ValueError when it is of a newer version)."""
        _version(data, cls)
        return cls(
            meteors=tuple(data.get("meteors", ())), fireballs=tuple(data.get("fireballs", ())),
            rejected=int(data.get("rejected", 0)), windows=int(data.get("windows", 0)),
            windows_skipped=int(data.get("windows_skipped", 0)),
            frames_decoded=int(data.get("frames_decoded", 0)), replaced=int(data.get("replaced", 0)),
        )  # fmt: skip

    def summary(self) -> str:
        """A few words for the stage's log line."""
        n, rejected = len(self.meteors), self.rejected
        return f"verify: {n} meteor{'s' if n != 1 else ''}" + (f", {rejected} rejected" if rejected else "")


@dataclass(frozen=True)
class CalibrateStageResult:
    """Calibration of a minute: whether its stars were fitted (``status``: ``not-due``, ``no-image``,
    ``cloudy``, ``failed``, ``accepted``, ``jump``, ``moved``), the solution written to the camera's history
    and the one that calibrated its meteors, with the fit's figures."""

    STAGE: ClassVar[str] = "calibrate"
    VERSION: ClassVar[int] = 1

    status: str
    reason: str = ""
    solution: str | None = None  # history file of this minute's fit (any verdict)
    meteors_solution: str | None = None  # the solution id that calibrated the minute's meteors
    meteors: tuple[str, ...] = ()
    n_stars: int = 0
    n_matched: int = 0
    residual_px: float | None = None
    mag_lev: float | None = None
    scatter_mag: float | None = None
    change_deg: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form (field names as in ``status --json``)."""
        return {
            "v": self.VERSION, "status": self.status, "reason": self.reason, "solution": self.solution,
            "meteors_solution": self.meteors_solution, "meteors": list(self.meteors), "n_stars": self.n_stars,
            "n_matched": self.n_matched, "residual_px": self.residual_px, "mag_lev": self.mag_lev,
            "scatter_mag": self.scatter_mag, "change_deg": self.change_deg,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Read a stored result (ValueError when it is of a newer version)."""
        _version(data, cls)
        return cls(
            status=str(data["status"]), reason=str(data.get("reason", "")), solution=data.get("solution"),
            meteors_solution=data.get("meteors_solution"), meteors=tuple(data.get("meteors", ())),
            n_stars=int(data.get("n_stars", 0)), n_matched=int(data.get("n_matched", 0)),
            residual_px=data.get("residual_px"), mag_lev=data.get("mag_lev"),
            scatter_mag=data.get("scatter_mag"), change_deg=data.get("change_deg"),
        )  # fmt: skip

    def summary(self) -> str:
        """A few words for the stage's log line."""
        text = f"calibrate: {self.status}"
        if self.n_matched:
            text += f", {self.n_matched} of {self.n_stars} stars matched at {self.residual_px} px"
        if self.meteors:
            text += f", {len(self.meteors)} meteor{'s' if len(self.meteors) != 1 else ''} calibrated"
        return text + (f" ({self.reason})" if self.reason and self.status not in ("accepted",) else "")


class StageResult(Protocol):
    """What every stage returns: stored as JSON, summarised in its log line."""

    STAGE: ClassVar[str]
    VERSION: ClassVar[int]

    def to_json(self) -> dict[str, Any]:
        """The stored form of the result."""
        ...

    def summary(self) -> str:
        """A few words for the stage's log line."""
        ...


R = TypeVar("R", ScanStageResult, CandidatesStageResult, VerifyStageResult, CalibrateStageResult)

RESULT_TYPES: dict[
    str, type[ScanStageResult | CandidatesStageResult | VerifyStageResult | CalibrateStageResult]
] = {t.STAGE: t for t in (ScanStageResult, CandidatesStageResult, VerifyStageResult, CalibrateStageResult)}
"""The result type of each stage, by stage name."""


def read_result(runs: Mapping[str, StageRun], kind: type[R]) -> R | None:
    """The typed result of ``kind``'s stage among a minute's runs, or None when it has none yet."""
    run = runs.get(kind.STAGE)
    if run is None or run.result is None:
        return None
    return kind.from_json(run.result)
