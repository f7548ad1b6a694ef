"""The station's on-disk layout (DESIGN 3) and the names of minute files.

Every path the station reads or writes is built here, so the layout is written down once::

    <data_dir>/incoming/<camera>/                 cameras write here
    <data_dir>/days/YYYY-MM-DD/<camera>/video/    processed originals (HD ones in video/hd/)
                                      values/     <stem>.values.npz, one per minute
                                      ff/         FF_*.fits blocks kept by policy
                                      stacks/     <stem>_stack.jpg, <stem>_preview.jpg
                                      meteors/<meteor_id>/  meteor.json, stack.jpg, clip.mp4, clip_hd.mp4
                                      rejected/   <stem>.json: the candidates that failed verification
    <data_dir>/exports/YYYY-MM-DD/                FTPdetectinfo_*.txt of the day's meteors
    <data_dir>/quarantine/                        unreadable inputs, each with <name>.reason
    <data_dir>/nights/YYYY-MM-DD.json             the summary of the night of that evening (UTC date)
    <data_dir>/sky/<camera>_latest.jpg            ``stationd sky``: the newest minute stack of a camera
    <data_dir>/sky/<camera>_YYYY-MM-DD_night.jpg  ``stationd sky``: a night's max-pixel stack, meteors marked
    <data_dir>/state.sqlite3                      the state store

Days are UTC dates of the minute's start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from stationd.errors import UsageError

DEFAULT_PATTERN = "{YYYY}_{MM}_{DD}_{hh}_{mm}_{ss}_{mmm}_{camera}.mp4"
"""The AllSkyCams minute-file name: ``2026_07_12_22_15_06_120_cam1.mp4`` (UTC)."""

_TOKENS = {
    "YYYY": r"(?P<YYYY>\d{4})",
    "MM": r"(?P<MM>\d{2})",
    "DD": r"(?P<DD>\d{2})",
    "hh": r"(?P<hh>\d{2})",
    "mm": r"(?P<mm>\d{2})",
    "ss": r"(?P<ss>\d{2})",
    "mmm": r"(?P<mmm>\d{3})",
    "camera": r"(?P<camera>[A-Za-z0-9-]+)",
}


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Turn a file-name template such as :data:`DEFAULT_PATTERN` into a regular expression.

    Raises ``ValueError`` naming the unknown token or a missing date/time token.
    """
    parts: list[str] = []
    pos = 0
    for match in re.finditer(r"\{(\w+)\}", pattern):
        token = match.group(1)
        if token not in _TOKENS:
            raise ValueError(f"unknown token {{{token}}}; known: {', '.join(_TOKENS)}")
        parts.append(re.escape(pattern[pos : match.start()]))
        parts.append(_TOKENS[token])
        pos = match.end()
    parts.append(re.escape(pattern[pos:]))
    missing = [t for t in ("YYYY", "MM", "DD", "hh", "mm", "ss") if "{" + t + "}" not in pattern]
    if missing:
        raise ValueError(f"missing tokens {missing}")
    return re.compile("^" + "".join(parts) + "$")


@dataclass(frozen=True)
class MinuteName:
    """What a minute file's name says: its camera and the UTC time of its first frame."""

    camera: str
    start_utc: datetime

    @property
    def day(self) -> str:
        """The UTC day the minute is filed under (``YYYY-MM-DD`` of its start)."""
        return self.start_utc.strftime("%Y-%m-%d")


def parse_minute_name(name: str, pattern: re.Pattern[str], camera: str) -> MinuteName | None:
    """The minute a file name stands for, or None when the name does not match the pattern.

    ``camera`` is used when the pattern has no ``{camera}`` token; a name whose camera token names
    another camera does not match.
    """
    match = pattern.match(name)
    if match is None:
        return None
    groups = match.groupdict()
    if groups.get("camera") not in (None, camera):
        return None
    try:
        start = datetime(
            int(groups["YYYY"]), int(groups["MM"]), int(groups["DD"]),
            int(groups["hh"]), int(groups["mm"]), int(groups["ss"]),
            int(groups.get("mmm") or 0) * 1000, tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return None
    return MinuteName(camera=camera, start_utc=start)


def parse_day(text: str) -> date:
    """A day given on the command line as ``YYYY-MM-DD`` or ``YYYY_MM_DD``."""
    try:
        return datetime.strptime(text.replace("_", "-"), "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(f"{text!r} is not a day: expected YYYY-MM-DD or YYYY_MM_DD") from None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start of ``day`` and of the next day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class StationLayout:
    """Paths of one station's data directory."""

    data_dir: Path

    @property
    def state_db(self) -> Path:
        """The state store's SQLite file."""
        return self.data_dir / "state.sqlite3"

    @property
    def lock_file(self) -> Path:
        """The file whose flock makes one daemon per data directory."""
        return self.data_dir / "stationd.lock"

    @property
    def quarantine(self) -> Path:
        """Where unreadable inputs go, each beside a ``.reason`` file."""
        return self.data_dir / "quarantine"

    def incoming(self, camera: str) -> Path:
        """The default folder a camera writes its minute files into."""
        return self.data_dir / "incoming" / camera

    def day_camera(self, day: str, camera: str) -> Path:
        """Everything of one camera and UTC day."""
        return self.data_dir / "days" / day / camera

    def video(self, day: str, camera: str) -> Path:
        """Processed originals of a camera-day."""
        return self.day_camera(day, camera) / "video"

    def video_hd(self, day: str, camera: str) -> Path:
        """Processed HD twins of a camera-day."""
        return self.video(day, camera) / "hd"

    def values(self, day: str, camera: str, stem: str) -> Path:
        """A minute's per-frame values file."""
        return self.day_camera(day, camera) / "values" / f"{stem}.values.npz"

    def ff_dir(self, day: str, camera: str) -> Path:
        """FF files of a camera-day."""
        return self.day_camera(day, camera) / "ff"

    def stack(self, day: str, camera: str, stem: str) -> Path:
        """A minute's max-pixel stack (JPEG)."""
        return self.day_camera(day, camera) / "stacks" / f"{stem}_stack.jpg"

    def preview(self, day: str, camera: str, stem: str) -> Path:
        """A minute's small preview (JPEG)."""
        return self.day_camera(day, camera) / "stacks" / f"{stem}_preview.jpg"

    def meteors_dir(self, day: str, camera: str) -> Path:
        """The meteor record folders of a camera-day."""
        return self.day_camera(day, camera) / "meteors"

    def meteor_dir(self, day: str, camera: str, meteor_id: str) -> Path:
        """One meteor record's folder."""
        return self.meteors_dir(day, camera) / meteor_id

    def rejected(self, day: str, camera: str, stem: str) -> Path:
        """A minute's rejected candidates (JSON)."""
        return self.day_camera(day, camera) / "rejected" / f"{stem}.json"

    def exports(self, day: str) -> Path:
        """The day's exports for other networks (FTPdetectinfo)."""
        return self.data_dir / "exports" / day

    def calibration_dir(self, camera: str) -> Path:
        """The camera's plate solutions (DESIGN 3)."""
        return self.data_dir / "calibration" / camera

    def platepar(self, camera: str) -> Path:
        """The camera's current plate solution, RMS format: what calibrates its meteors when present."""
        return self.calibration_dir(camera) / "platepar_cmn2010.cal"

    def night_summary(self, night: str) -> Path:
        """The summary of a night, named by the UTC date of its evening (``stationd night``)."""
        return self.data_dir / "nights" / f"{night}.json"

    def sky_latest(self, camera: str) -> Path:
        """A copy of the camera's newest minute stack (``stationd sky``)."""
        return self.data_dir / "sky" / f"{camera}_latest.jpg"

    def sky_night(self, camera: str, night: str) -> Path:
        """The camera's max-pixel stack of a night with its meteors marked (``stationd sky``)."""
        return self.data_dir / "sky" / f"{camera}_{night}_night.jpg"

    def days_root(self) -> Path:
        """The folder of every day's products."""
        return self.data_dir / "days"
