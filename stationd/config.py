"""The station's configuration: one YAML file, validated when it is loaded (DESIGN 8).

Every problem is reported at once, each naming the key, the bad value and what was expected::

    invalid configuration /etc/stationd/stationd.yaml:
      - cameras[0].fps: got -25, expected a number > 0

Each section becomes a small frozen dataclass; components receive only their own section.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from calibration.camera import plate_scale_px_per_deg
from stationd.disk.layout import DEFAULT_PATTERN, compile_pattern
from stationd.errors import ConfigError, ConfigProblem

log = logging.getLogger("stationd.config")

DEFAULT_CONFIG_PATH = Path("/etc/stationd/stationd.yaml")
FF_POLICIES = ("all", "candidates", "none")
DECODERS = ("auto", "pyav", "opencv")
DAYTIME_POLICIES = ("skip", "low-priority", "process")
PROJECTIONS = ("equidistant", "rectilinear")
STORAGE_BACKENDS = ("local", "s3")


@dataclass(frozen=True)
class StationSection:
    id: str
    latitude_deg: float
    longitude_deg: float
    elevation_m: float
    data_dir: Path
    partners: tuple[str, ...] = ()


@dataclass(frozen=True)
class PointingSection:
    """Coarse pointing of a camera, the starting guess of calibration and the scale of speed limits."""

    az_deg: float = 0.0
    alt_deg: float = 90.0
    rotation_deg: float = 0.0
    fov_h_deg: float = 90.0
    projection: str = "equidistant"


@dataclass(frozen=True)
class CameraSection:
    id: str
    incoming_sd: Path
    incoming_hd: Path | None
    filename_pattern: str
    fps: float
    width_px: int
    height_px: int
    mask: Path | None
    pointing: PointingSection

    @property
    def scale_px_per_deg(self) -> float:
        """Plate scale at the centre, from the field of view and the projection of the coarse pointing."""
        return plate_scale_px_per_deg(self.width_px, self.pointing.fov_h_deg, self.pointing.projection)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ProcessingSection:
    workers: int
    ff_policy: str = "candidates"
    decoder: str = "auto"
    daytime: str = "process"
    min_speed_deg_s: float = 2.0
    max_speed_deg_s: float = 51.0
    min_frames: int = 4  # frames a candidate and a verified meteor must be seen in
    daytime_sun_alt_deg: float = -6.0  # the sun above this altitude means day (-6: civil twilight)
    k_std: float | None = None  # verification: lit when max - mean > k_std * std + j_dn (None: detector's)
    j_dn: float | None = None
    clip_margin_s: float = 1.0  # video kept before and after a meteor in its clip


@dataclass(frozen=True)
class StorageSection:
    backend: str = "local"
    path: Path | None = None
    endpoint_url: str | None = None
    bucket: str | None = None
    prefix: str = ""
    bandwidth_kib_s: float | None = None


@dataclass(frozen=True)
class RetentionSection:
    max_disk_gb: float | None = None
    min_free_gb: float = 2.0


@dataclass(frozen=True)
class LoggingSection:
    """Log level and the JSON-lines log that ``stationd logs`` reads.

    ``json_file``: the file, rotated at ``json_max_mb`` with ``json_backups`` old ones kept. Left out of the
    configuration it is ``<data_dir>/logs/stationd.jsonl`` (logs work out of the box); ``json_file: off``
    (or ``null``, ``false``) turns it off: None here.
    """

    level: str = "INFO"
    json_file: Path | None = None
    json_max_mb: float = 10.0
    json_backups: int = 5


@dataclass(frozen=True)
class AlertsSection:
    """Where alerts go besides the log and status.json (SMTP password: $STATIOND_SMTP_PASSWORD)."""

    email_to: tuple[str, ...] = ()
    email_from: str = "stationd@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    webhook_url: str | None = None
    min_interval_s: float = 3600.0  # one notification per alert and this interval at most
    max_per_hour: int = 12  # and at most this many notifications per hour in all


@dataclass(frozen=True)
class HealthSection:
    no_video_min: float = 10.0  # no new minute file from a camera for this long at night
    max_candidates_per_hour: int = 60
    max_failures_per_hour: int = 5
    backlog_min: int = 30  # pending stage runs before a growing backlog is reported
    backlog_window_min: float = 30.0  # ... growing over this window
    check_clock: bool = True


@dataclass(frozen=True)
class DaemonSection:
    """How ``stationd run`` schedules and stops (DESIGN 5)."""

    shutdown_timeout_s: float = 30.0  # SIGTERM: running stages get this long to finish, then are stopped
    sweep_interval_s: float = 180.0  # look through incoming/ this often (events can be missed)
    settle_s: float = 10.0  # a sweep takes a file unchanged for this long
    event_settle_s: float = 1.0  # a closed file is taken when unchanged for this long after the event
    queue_size: int = 64  # work items held in memory; the rest waits in the state store
    stage_hang_s: float = 600.0  # a stage running longer stops the systemd watchdog pings


@dataclass(frozen=True)
class StationConfig:
    station: StationSection
    cameras: tuple[CameraSection, ...]
    processing: ProcessingSection
    storage: StorageSection = field(default_factory=StorageSection)
    retention: RetentionSection = field(default_factory=RetentionSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    alerts: AlertsSection = field(default_factory=AlertsSection)
    health: HealthSection = field(default_factory=HealthSection)
    daemon: DaemonSection = field(default_factory=DaemonSection)
    source: str = "<memory>"
    warnings: tuple[str, ...] = ()  # deprecated keys that still loaded

    def camera(self, camera_id: str) -> CameraSection:
        """The section of camera ``camera_id`` (KeyError for an id the configuration does not list)."""
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise KeyError(camera_id)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain data (paths as strings), for ``config show``."""
        raw = asdict(self)
        raw.pop("source")
        raw.pop("warnings")
        return _plain(raw)  # type: ignore[no-any-return]


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


T = TypeVar("T")


class _Reader:
    """Reads typed values out of nested mappings and collects every problem instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []
        self.warnings: list[str] = []

    def renamed(
        self, section: Mapping[str, Any], where: str, renames: Mapping[str, str]
    ) -> Mapping[str, Any]:
        """The section with keys of earlier versions under their new names, each with a warning."""
        out = dict(section)
        for old, new in renames.items():
            if old not in out:
                continue
            if new in out:
                self.problems.append(
                    ConfigProblem(f"{where}.{old}", out.pop(old), f"only {where}.{new} (the same setting)")
                )
                continue
            self.warnings.append(
                f"{where}.{old} is now called {where}.{new}: rename it (the old name still works)"
            )
            out[new] = out.pop(old)
        return out

    def get(
        self,
        section: Mapping[str, Any],
        key: str,
        where: str,
        convert: Callable[[Any], T],
        expected: str,
        default: Any = ...,
    ) -> T:
        full = f"{where}.{key}" if where else key
        if key not in section or section[key] is None:
            if default is ...:
                self.problems.append(ConfigProblem(full, None, f"{expected} (the key is required)"))
                return None  # type: ignore[return-value]
            return default  # type: ignore[no-any-return]
        value = section[key]
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            detail = f" ({exc})" if str(exc) else ""
            self.problems.append(ConfigProblem(full, value, expected + detail))
            fallback: T = None if default is ... else default  # type: ignore[assignment]
            return fallback

    def mapping(self, section: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = section.get(key) or {}
        if not isinstance(value, Mapping):
            self.problems.append(ConfigProblem(f"{where}.{key}".strip("."), value, "a mapping"))
            return {}
        return value

    def unknown(self, section: Mapping[str, Any], known: set[str], where: str) -> None:
        for key in section:
            if key not in known:
                full = f"{where}.{key}" if where else str(key)
                self.problems.append(ConfigProblem(full, section[key], f"one of the keys {sorted(known)}"))


def _number(
    low: float | None = None, high: float | None = None, above: float | None = None
) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError
        v = float(value)
        if (
            (low is not None and v < low)
            or (high is not None and v > high)
            or (above is not None and v <= above)
        ):
            raise ValueError
        return v

    return convert


def _integer(low: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError
        return value

    return convert


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError
        return str(value)

    return convert


def _text_id(value: Any) -> str:
    """An id exactly as written: YAML reads ``010001`` as the octal number 4097 and ``1e3`` as 1000.0, so
    an id that did not load as a string is refused (with the advice to quote it), never converted."""
    if not isinstance(value, str):
        kind = "true/false" if isinstance(value, bool) else type(value).__name__
        raise TypeError(f'YAML read it as {kind}, not as text: put the id in quotes, e.g. id: "010001"')
    return value


def _station_id(value: Any) -> str:
    """A station id as RMS writes it into FF and FTPdetectinfo names: ASCII letters and digits."""
    text = _text_id(value)
    if not re.fullmatch(r"[A-Za-z0-9]{1,16}", text):
        raise ValueError
    return text


def _camera_id(value: Any) -> str:
    text = _text_id(value)
    if not re.fullmatch(r"[A-Za-z0-9-]{1,16}", text):
        raise ValueError
    return text


def _path(value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise TypeError
    return Path(value).expanduser()


def _pattern(value: Any) -> str:
    compile_pattern(str(value))
    return str(value)


def default_workers() -> int:
    """Cores minus one (one core stays free for the cameras' own recording), at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


def _read_station(r: _Reader, raw: Mapping[str, Any]) -> StationSection:
    s = r.mapping(raw, "station", "")
    r.unknown(s, {"id", "latitude_deg", "longitude_deg", "elevation_m", "data_dir", "partners"}, "station")
    partners = r.get(
        s, "partners", "station", lambda v: tuple(_station_id(p) for p in v), "a list of station ids", ()
    )
    return StationSection(
        id=r.get(s, "id", "station", _station_id, "a station id of ASCII letters and digits (at most 16)"),
        latitude_deg=r.get(s, "latitude_deg", "station", _number(-90, 90), "degrees in [-90, 90]"),
        longitude_deg=r.get(s, "longitude_deg", "station", _number(-180, 180), "degrees in [-180, 180]"),
        elevation_m=r.get(s, "elevation_m", "station", _number(-500, 9000), "metres in [-500, 9000]", 0.0),
        data_dir=r.get(s, "data_dir", "station", _path, "a directory path"),
        partners=partners,
    )


def _read_pointing(r: _Reader, c: Mapping[str, Any], where: str) -> PointingSection:
    p = r.mapping(c, "pointing", where)
    w = where + ".pointing"
    r.unknown(p, {"az_deg", "alt_deg", "rotation_deg", "fov_h_deg", "projection"}, w)
    return PointingSection(
        az_deg=r.get(p, "az_deg", w, _number(0, 360), "degrees in [0, 360]", 0.0),
        alt_deg=r.get(p, "alt_deg", w, _number(-10, 90), "degrees in [-10, 90]", 90.0),
        rotation_deg=r.get(p, "rotation_deg", w, _number(-360, 360), "degrees in [-360, 360]", 0.0),
        fov_h_deg=r.get(p, "fov_h_deg", w, _number(above=0, high=200), "degrees in (0, 200]", 90.0),
        projection=r.get(p, "projection", w, _choice(PROJECTIONS), f"one of {PROJECTIONS}", "equidistant"),
    )


def _read_camera(r: _Reader, c: Any, i: int, data_dir: Path | None) -> CameraSection | None:
    where = f"cameras[{i}]"
    if not isinstance(c, Mapping):
        r.problems.append(ConfigProblem(where, c, "a mapping with at least an id"))
        return None
    known = {"id", "incoming_sd", "incoming_hd", "filename_pattern", "fps", "width_px", "height_px", "mask",
             "pointing"}  # fmt: skip
    r.unknown(c, known, where)
    cam_id = r.get(c, "id", where, _camera_id, "a camera id of ASCII letters, digits and '-' (at most 16)")
    default_in = data_dir / "incoming" / cam_id if data_dir is not None and cam_id else None
    return CameraSection(
        id=cam_id,
        incoming_sd=r.get(c, "incoming_sd", where, _path, "a directory path", default_in),
        incoming_hd=r.get(c, "incoming_hd", where, _path, "a directory path", None),
        filename_pattern=r.get(
            c, "filename_pattern", where, _pattern, "a file-name template", DEFAULT_PATTERN
        ),
        fps=r.get(c, "fps", where, _number(above=0, high=1000), "frames per second > 0", 25.0),
        width_px=r.get(c, "width_px", where, _integer(16), "an integer >= 16", 1280),
        height_px=r.get(c, "height_px", where, _integer(16), "an integer >= 16", 720),
        mask=r.get(c, "mask", where, _path, "an image path", None),
        pointing=_read_pointing(r, c, where),
    )


_RENAMED_PROCESSING = {"threshold_k": "k_std", "threshold_j_dn": "j_dn", "min_points": "min_frames"}
"""Keys of earlier versions (old: new): they still load, with a warning naming the new key."""


def _read_processing(r: _Reader, raw: Mapping[str, Any]) -> ProcessingSection:
    p = r.mapping(raw, "processing", "")
    w = "processing"
    p = r.renamed(p, w, _RENAMED_PROCESSING)
    known = {"workers", "ff_policy", "decoder", "daytime", "min_speed_deg_s", "max_speed_deg_s", "min_frames",
             "daytime_sun_alt_deg", "k_std", "j_dn", "clip_margin_s"}  # fmt: skip
    r.unknown(p, known, w)
    workers = p.get("workers", "auto")
    section = ProcessingSection(
        workers=default_workers()
        if workers == "auto"
        else r.get(p, "workers", w, _integer(1), "'auto' or >= 1"),
        ff_policy=r.get(p, "ff_policy", w, _choice(FF_POLICIES), f"one of {FF_POLICIES}", "candidates"),
        decoder=r.get(p, "decoder", w, _choice(DECODERS), f"one of {DECODERS}", "auto"),
        daytime=r.get(p, "daytime", w, _choice(DAYTIME_POLICIES), f"one of {DAYTIME_POLICIES}", "process"),
        min_speed_deg_s=r.get(p, "min_speed_deg_s", w, _number(above=0), "deg/s > 0", 2.0),
        max_speed_deg_s=r.get(p, "max_speed_deg_s", w, _number(above=0), "deg/s > 0", 51.0),
        min_frames=r.get(p, "min_frames", w, _integer(3), "an integer >= 3", 4),
        daytime_sun_alt_deg=r.get(p, "daytime_sun_alt_deg", w, _number(-18, 10), "degrees, -18..10", -6.0),
        k_std=r.get(p, "k_std", w, _number(above=0, high=50), "a number in (0, 50]", None),
        j_dn=r.get(p, "j_dn", w, _number(0, 255), "DN in [0, 255]", None),
        clip_margin_s=r.get(p, "clip_margin_s", w, _number(0, 30), "seconds in [0, 30]", 1.0),
    )
    if (
        section.min_speed_deg_s
        and section.max_speed_deg_s
        and section.min_speed_deg_s >= section.max_speed_deg_s
    ):
        r.problems.append(ConfigProblem("processing.max_speed_deg_s", section.max_speed_deg_s,
                                        "greater than processing.min_speed_deg_s"))  # fmt: skip
    return section


def _read_storage(r: _Reader, raw: Mapping[str, Any]) -> StorageSection:
    s = r.mapping(raw, "storage", "")
    w = "storage"
    r.unknown(s, {"backend", "path", "endpoint_url", "bucket", "prefix", "bandwidth_kib_s"}, w)
    section = StorageSection(
        backend=r.get(s, "backend", w, _choice(STORAGE_BACKENDS), f"one of {STORAGE_BACKENDS}", "local"),
        path=r.get(s, "path", w, _path, "a directory path", None),
        endpoint_url=r.get(s, "endpoint_url", w, str, "a URL", None),
        bucket=r.get(s, "bucket", w, str, "a bucket name", None),
        prefix=r.get(s, "prefix", w, str, "a key prefix", ""),
        bandwidth_kib_s=r.get(s, "bandwidth_kib_s", w, _number(above=0), "KiB/s > 0", None),
    )
    if section.backend == "s3" and not section.bucket:
        r.problems.append(ConfigProblem("storage.bucket", None, "a bucket name when backend is s3"))
    return section


def _read_retention(r: _Reader, raw: Mapping[str, Any]) -> RetentionSection:
    s = r.mapping(raw, "retention", "")
    r.unknown(s, {"max_disk_gb", "min_free_gb"}, "retention")
    return RetentionSection(
        max_disk_gb=r.get(s, "max_disk_gb", "retention", _number(above=0), "GB > 0", None),
        min_free_gb=r.get(s, "min_free_gb", "retention", _number(low=0), "GB >= 0", 2.0),
    )


def _read_logging(r: _Reader, raw: Mapping[str, Any]) -> LoggingSection:
    s = r.mapping(raw, "logging", "")
    r.unknown(s, {"level", "json_file", "json_max_mb", "json_backups"}, "logging")
    levels = ("DEBUG", "INFO", "WARNING", "ERROR")
    # Absent: the default file under data_dir (a bad data_dir is reported by the station section).
    station = raw.get("station")
    data_dir = station.get("data_dir") if isinstance(station, Mapping) else None
    default_json = (
        Path(data_dir).expanduser() / "logs" / "stationd.jsonl" if isinstance(data_dir, str) else None
    )
    value = s.get("json_file", "")
    off = value is None or value is False or str(value).lower() == "off"
    return LoggingSection(
        level=r.get(
            s, "level", "logging", lambda v: _choice(levels)(str(v).upper()), f"one of {levels}", "INFO"
        ),
        json_file=None
        if off
        else r.get(s, "json_file", "logging", _path, "a file path, or off", default_json),
        json_max_mb=r.get(s, "json_max_mb", "logging", _number(above=0), "MB > 0", 10.0),
        json_backups=r.get(s, "json_backups", "logging", _integer(0), "an integer >= 0", 5),
    )


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _emails(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(a, str) and "@" in a for a in items):
        raise ValueError
    return tuple(items)


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError
    return value


def _read_alerts(r: _Reader, raw: Mapping[str, Any]) -> AlertsSection:
    s = r.mapping(raw, "alerts", "")
    w = "alerts"
    known = {"email_to", "email_from", "smtp_host", "smtp_port", "smtp_starttls", "smtp_user", "webhook_url",
             "min_interval_s", "max_per_hour"}  # fmt: skip
    r.unknown(s, known, w)
    return AlertsSection(
        email_to=r.get(s, "email_to", w, _emails, "an e-mail address or a list of them", ()),
        email_from=r.get(s, "email_from", w, str, "an e-mail address", "stationd@localhost"),
        smtp_host=r.get(s, "smtp_host", w, str, "a host name", "localhost"),
        smtp_port=r.get(s, "smtp_port", w, _integer(1), "a TCP port", 25),
        smtp_starttls=r.get(s, "smtp_starttls", w, _flag, "true or false", False),
        smtp_user=r.get(s, "smtp_user", w, str, "a user name", None),
        webhook_url=r.get(s, "webhook_url", w, _url, "an http:// or https:// URL", None),
        min_interval_s=r.get(s, "min_interval_s", w, _number(low=0), "seconds >= 0", 3600.0),
        max_per_hour=r.get(s, "max_per_hour", w, _integer(1), "an integer >= 1", 12),
    )


def _read_health(r: _Reader, raw: Mapping[str, Any]) -> HealthSection:
    s = r.mapping(raw, "health", "")
    w = "health"
    known = {"no_video_min", "max_candidates_per_hour", "max_failures_per_hour", "backlog_min",
             "backlog_window_min", "check_clock"}  # fmt: skip
    r.unknown(s, known, w)
    return HealthSection(
        no_video_min=r.get(s, "no_video_min", w, _number(above=0), "minutes > 0", 10.0),
        max_candidates_per_hour=r.get(s, "max_candidates_per_hour", w, _integer(1), "an integer >= 1", 60),
        max_failures_per_hour=r.get(s, "max_failures_per_hour", w, _integer(1), "an integer >= 1", 5),
        backlog_min=r.get(s, "backlog_min", w, _integer(1), "an integer >= 1", 30),
        backlog_window_min=r.get(s, "backlog_window_min", w, _number(above=0), "minutes > 0", 30.0),
        check_clock=r.get(s, "check_clock", w, _flag, "true or false", True),
    )


def _read_daemon(r: _Reader, raw: Mapping[str, Any]) -> DaemonSection:
    s = r.mapping(raw, "daemon", "")
    w = "daemon"
    known = {"shutdown_timeout_s", "sweep_interval_s", "settle_s", "event_settle_s", "queue_size",
             "stage_hang_s"}  # fmt: skip
    r.unknown(s, known, w)
    return DaemonSection(
        shutdown_timeout_s=r.get(
            s, "shutdown_timeout_s", w, _number(above=0, high=3600), "seconds, 0..3600", 30.0
        ),
        sweep_interval_s=r.get(s, "sweep_interval_s", w, _number(low=1), "seconds >= 1", 180.0),
        settle_s=r.get(s, "settle_s", w, _number(low=0), "seconds >= 0", 10.0),
        event_settle_s=r.get(s, "event_settle_s", w, _number(low=0), "seconds >= 0", 1.0),
        queue_size=r.get(s, "queue_size", w, _integer(1), "an integer >= 1", 64),
        stage_hang_s=r.get(s, "stage_hang_s", w, _number(above=0), "seconds > 0", 600.0),
    )


def parse_config(raw: Any, source: str = "<memory>") -> StationConfig:
    """Validate a parsed YAML document; raise :class:`ConfigError` listing every problem."""
    if not isinstance(raw, Mapping):
        raise ConfigError(source, [ConfigProblem("<document>", raw, "a YAML mapping with a station section")])
    r = _Reader()
    known = {"station", "cameras", "processing", "calibration", "storage", "retention", "alerts", "logging",
             "health", "daemon"}  # fmt: skip
    r.unknown(raw, known, "")
    station = _read_station(r, raw)
    cams_raw = raw.get("cameras")
    cameras: list[CameraSection] = []
    if not isinstance(cams_raw, list) or not cams_raw:
        r.problems.append(ConfigProblem("cameras", cams_raw, "a list of at least one camera"))
    else:
        for i, c in enumerate(cams_raw):
            cam = _read_camera(r, c, i, station.data_dir)
            if cam is not None:
                cameras.append(cam)
        ids = [c.id for c in cameras if c.id is not None]  # a bad id is a problem of its own
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            r.problems.append(ConfigProblem("cameras", dup, "unique camera ids"))
    config = StationConfig(
        station=station,
        cameras=tuple(cameras),
        processing=_read_processing(r, raw),
        storage=_read_storage(r, raw),
        retention=_read_retention(r, raw),
        logging=_read_logging(r, raw),
        alerts=_read_alerts(r, raw),
        health=_read_health(r, raw),
        daemon=_read_daemon(r, raw),
        source=source,
        warnings=tuple(r.warnings),
    )
    if r.problems:
        raise ConfigError(source, r.problems)
    for text in config.warnings:
        log.warning("%s: %s", source, text)
    return config


PLACEHOLDER_STATION_ID = "XX0001"
"""The station id ``stationd config init`` writes unless told (as RMS's own example configuration)."""


def placeholder_problems(config: StationConfig) -> list[ConfigProblem]:
    """Values of ``stationd config init`` that no real station has: the placeholder station id, and
    latitude and longitude both 0 (the sea off West Africa). ``config check`` warns of each and
    ``stationd run`` refuses them: meteor records and FF names would carry them for good."""
    s = config.station
    problems = []
    if s.id.upper() == PLACEHOLDER_STATION_ID:
        problems.append(
            ConfigProblem("station.id", s.id, "your station's code, not config init's placeholder")
        )
    if s.latitude_deg == 0.0 and s.longitude_deg == 0.0:
        for key, what in (("latitude_deg", "latitude"), ("longitude_deg", "longitude")):
            expected = f"the station's {what}, not config init's placeholder 0"
            problems.append(ConfigProblem(f"station.{key}", 0.0, expected))
    return problems


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(path.anchor or ".")


def data_dir_problem(data_dir: Path, *, this_user: bool) -> ConfigProblem | None:
    """Why ``station.data_dir`` cannot hold a station, or None.

    A file where the directory (or one of its parents) should be, or a read-only file system, is always
    a problem. Permissions are judged for the user running this process only when ``this_user`` (the
    process is about to write there); otherwise only when no other user could do better: when this user
    is root or owns the folder in question (``config check`` run by an operator while the station runs as
    its own user must not refuse the station's directory).
    """
    key = "station.data_dir"
    here = _nearest_existing(data_dir)
    if not here.is_dir():
        what = (
            "it is not a directory" if here == data_dir else f"it cannot be made: {here} is not a directory"
        )
        return ConfigProblem(key, str(data_dir), f"a directory ({what})")
    if os.access(here, os.W_OK | os.X_OK):
        return None
    try:
        owner_can_fix = os.geteuid() in (0, here.stat().st_uid)
    except OSError:
        owner_can_fix = True
    if not this_user and not owner_can_fix:
        return None
    user = _user_name()
    what = "cannot write there" if here == data_dir else f"cannot create it in {here}"
    return ConfigProblem(key, str(data_dir), f"a directory the station can write to (user {user} {what})")


def _user_name() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return str(os.geteuid())


def check_config(config: StationConfig) -> list[str]:
    """What ``stationd config check`` says beyond loading: raises :class:`ConfigError` for a data
    directory no user could use; returns warnings (renamed keys, placeholders, a data directory that
    does not exist yet or that this user cannot write)."""
    data_dir = config.station.data_dir
    problem = data_dir_problem(data_dir, this_user=False)
    if problem is not None:
        raise ConfigError(config.source, [problem])
    warnings = list(config.warnings)
    warnings += [f"{p}: stationd run refuses it until it is set" for p in placeholder_problems(config)]
    mine = data_dir_problem(data_dir, this_user=True)
    if mine is not None:
        warnings.append(f"{mine}: fine only if the station runs as a user that can")
    elif not data_dir.exists():
        warnings.append(f"station.data_dir {data_dir} does not exist yet: stationd run creates it")
    return warnings


def prepare_run(config: StationConfig) -> None:
    """Before ``stationd run``: refuse (:class:`ConfigError`, exit 2) placeholder values and a data
    directory this process cannot write; make the data directory (a failure is a ConfigError too)."""
    problems = placeholder_problems(config)
    data_dir = config.station.data_dir
    problem = data_dir_problem(data_dir, this_user=True)
    if problem is None:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = ConfigProblem("station.data_dir", str(data_dir), f"a directory ({exc.strerror})")
    if problem is not None:
        problems.append(problem)
    if problems:
        raise ConfigError(config.source, problems)


def load_config(path: Path) -> StationConfig:
    """Read and validate the YAML file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            str(path), [ConfigProblem("<file>", str(path), f"a readable file ({exc.strerror})")]
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            str(path), [ConfigProblem("<document>", "unparseable", f"valid YAML ({exc})")]
        ) from None
    return parse_config(raw, str(path))


def resolve_config_path(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The configuration file to use: ``--config``, else ``$STATIOND_CONFIG``, else the default path."""
    if explicit is not None:
        return explicit
    env = os.environ if environ is None else environ
    return Path(env["STATIOND_CONFIG"]) if env.get("STATIOND_CONFIG") else DEFAULT_CONFIG_PATH
