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
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from calibration.camera import plate_scale_px_per_deg
from stationd.config_network import NetworkSection, PartnerStore, read_network, read_partners
from stationd.config_reader import (
    CREDENTIAL_WORDS,
    Reader,
    choice,
    emails,
    flag,
    integer,
    number,
    path_value,
    url,
)
from stationd.disk.layout import DEFAULT_PATTERN, compile_pattern
from stationd.errors import ConfigError, ConfigProblem
from sync import StoreConfigError, StoreSettings
from sync.settings import ADDRESSING_STYLES, BACKENDS

log = logging.getLogger("stationd.config")

DEFAULT_CONFIG_PATH = Path("/etc/stationd/stationd.yaml")
FF_POLICIES = ("all", "candidates", "none")
DECODERS = ("auto", "pyav", "opencv")
DAYTIME_POLICIES = ("skip", "low-priority", "process")
PROJECTIONS = ("equidistant", "rectilinear")
STORAGE_BACKENDS = BACKENDS
#: Keys that look like credentials: refused with their value hidden (a secret must not be echoed back).


@dataclass(frozen=True)
class StationSection:
    id: str
    latitude_deg: float
    longitude_deg: float
    elevation_m: float
    data_dir: Path
    partners: tuple[str, ...] = ()
    partner_stores: tuple[PartnerStore, ...] = ()  # partners that publish to a store of their own


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
    # Tracks through the camera's coarse model: a track is a great circle where that fits clearly better
    # than its image fit (long meteors on all-sky lenses are one detection), and speeds are angles through
    # the model either way; `bench/detection.py` measured the same ordinary-meteor recall with and without
    # it (95.5 %), and the long curved meteors found 23/24 and 24/24 with it against 22/24 and 23/24.
    sky_tracks: bool = True


@dataclass(frozen=True)
class StorageSection:
    """Where results are published (DESIGN 6). Credentials are never here: they come from the environment,
    the AWS shared files or the file ``credentials_file`` names."""

    backend: str = "local"
    path: Path | None = None
    endpoint_url: str | None = None
    bucket: str | None = None
    prefix: str = ""
    region: str = "us-east-1"
    addressing: str = "path"
    credentials_file: Path | None = None
    bandwidth_kib_s: float | None = None  # cap on all uploads (None: none)
    live_max_mag: float = -4.0  # calibrated meteors this bright go live too (fireballs always do)
    heartbeat_s: float = 300.0  # status.json is published this often

    def store_settings(self, data_dir: Path) -> StoreSettings:
        """The settings ``sync.open_store`` takes (the local store defaults to ``<data_dir>/store``)."""
        return StoreSettings(
            backend=self.backend,
            path=self.path or data_dir / "store",
            endpoint_url=self.endpoint_url,
            bucket=self.bucket,
            prefix=self.prefix,
            region=self.region,
            addressing=self.addressing,
            credentials_file=self.credentials_file,
        )


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
    upload_failing_min: float = 60.0  # uploads failing for this long raise the ``upload`` alert


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
    network: NetworkSection = field(default_factory=NetworkSection)
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
        # A partner with a store of its own is written back as the mapping it was read from.
        stores = {
            p["id"]: {k: v for k, v in p.items() if v is not None}
            for p in raw["station"].pop("partner_stores")
        }
        raw["station"]["partners"] = [stores.get(pid, pid) for pid in raw["station"]["partners"]]
        return _plain(raw)  # type: ignore[no-any-return]


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


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


def _pattern(value: Any) -> str:
    compile_pattern(str(value))
    return str(value)


def default_workers() -> int:
    """Cores minus one (one core stays free for the cameras' own recording), at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


def _read_station(r: Reader, raw: Mapping[str, Any]) -> StationSection:
    s = r.mapping(raw, "station", "")
    r.unknown(s, {"id", "latitude_deg", "longitude_deg", "elevation_m", "data_dir", "partners"}, "station")
    partners, partner_stores = read_partners(r, s.get("partners"))
    return StationSection(
        id=r.get(s, "id", "station", _station_id, "a station id of ASCII letters and digits (at most 16)"),
        latitude_deg=r.get(s, "latitude_deg", "station", number(-90, 90), "degrees in [-90, 90]"),
        longitude_deg=r.get(s, "longitude_deg", "station", number(-180, 180), "degrees in [-180, 180]"),
        elevation_m=r.get(s, "elevation_m", "station", number(-500, 9000), "metres in [-500, 9000]", 0.0),
        data_dir=r.get(s, "data_dir", "station", path_value, "a directory path"),
        partners=partners,
        partner_stores=partner_stores,
    )


def _read_pointing(r: Reader, c: Mapping[str, Any], where: str) -> PointingSection:
    p = r.mapping(c, "pointing", where)
    w = where + ".pointing"
    r.unknown(p, {"az_deg", "alt_deg", "rotation_deg", "fov_h_deg", "projection"}, w)
    return PointingSection(
        az_deg=r.get(p, "az_deg", w, number(0, 360), "degrees in [0, 360]", 0.0),
        alt_deg=r.get(p, "alt_deg", w, number(-10, 90), "degrees in [-10, 90]", 90.0),
        rotation_deg=r.get(p, "rotation_deg", w, number(-360, 360), "degrees in [-360, 360]", 0.0),
        fov_h_deg=r.get(p, "fov_h_deg", w, number(above=0, high=200), "degrees in (0, 200]", 90.0),
        projection=r.get(p, "projection", w, choice(PROJECTIONS), f"one of {PROJECTIONS}", "equidistant"),
    )


def _read_camera(r: Reader, c: Any, i: int, data_dir: Path | None) -> CameraSection | None:
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
        incoming_sd=r.get(c, "incoming_sd", where, path_value, "a directory path", default_in),
        incoming_hd=r.get(c, "incoming_hd", where, path_value, "a directory path", None),
        filename_pattern=r.get(
            c, "filename_pattern", where, _pattern, "a file-name template", DEFAULT_PATTERN
        ),
        fps=r.get(c, "fps", where, number(above=0, high=1000), "frames per second > 0", 25.0),
        width_px=r.get(c, "width_px", where, integer(16), "an integer >= 16", 1280),
        height_px=r.get(c, "height_px", where, integer(16), "an integer >= 16", 720),
        mask=r.get(c, "mask", where, path_value, "an image path", None),
        pointing=_read_pointing(r, c, where),
    )


_RENAMED_PROCESSING = {"threshold_k": "k_std", "threshold_j_dn": "j_dn", "min_points": "min_frames"}
"""Keys of earlier versions (old: new): they still load, with a warning naming the new key."""


def _read_processing(r: Reader, raw: Mapping[str, Any]) -> ProcessingSection:
    p = r.mapping(raw, "processing", "")
    w = "processing"
    p = r.renamed(p, w, _RENAMED_PROCESSING)
    known = {"workers", "ff_policy", "decoder", "daytime", "min_speed_deg_s", "max_speed_deg_s", "min_frames",
             "daytime_sun_alt_deg", "k_std", "j_dn", "clip_margin_s", "sky_tracks"}  # fmt: skip
    r.unknown(p, known, w)
    workers = p.get("workers", "auto")
    section = ProcessingSection(
        workers=default_workers()
        if workers == "auto"
        else r.get(p, "workers", w, integer(1), "'auto' or >= 1"),
        ff_policy=r.get(p, "ff_policy", w, choice(FF_POLICIES), f"one of {FF_POLICIES}", "candidates"),
        decoder=r.get(p, "decoder", w, choice(DECODERS), f"one of {DECODERS}", "auto"),
        daytime=r.get(p, "daytime", w, choice(DAYTIME_POLICIES), f"one of {DAYTIME_POLICIES}", "process"),
        min_speed_deg_s=r.get(p, "min_speed_deg_s", w, number(above=0), "deg/s > 0", 2.0),
        max_speed_deg_s=r.get(p, "max_speed_deg_s", w, number(above=0), "deg/s > 0", 51.0),
        min_frames=r.get(p, "min_frames", w, integer(3), "an integer >= 3", 4),
        daytime_sun_alt_deg=r.get(p, "daytime_sun_alt_deg", w, number(-18, 10), "degrees, -18..10", -6.0),
        k_std=r.get(p, "k_std", w, number(above=0, high=50), "a number in (0, 50]", None),
        j_dn=r.get(p, "j_dn", w, number(0, 255), "DN in [0, 255]", None),
        clip_margin_s=r.get(p, "clip_margin_s", w, number(0, 30), "seconds in [0, 30]", 1.0),
        sky_tracks=r.get(p, "sky_tracks", w, flag, "true or false", True),
    )
    if (
        section.min_speed_deg_s
        and section.max_speed_deg_s
        and section.min_speed_deg_s >= section.max_speed_deg_s
    ):
        r.problems.append(ConfigProblem("processing.max_speed_deg_s", section.max_speed_deg_s,
                                        "greater than processing.min_speed_deg_s"))  # fmt: skip
    return section


def _read_storage(r: Reader, raw: Mapping[str, Any]) -> StorageSection:
    s = dict(r.mapping(raw, "storage", ""))
    w = "storage"
    for key in [k for k in s if any(word in str(k).lower() for word in CREDENTIAL_WORDS)]:
        if key != "credentials_file":
            s.pop(key)
            r.problems.append(
                ConfigProblem(
                    f"{w}.{key}",
                    "<hidden>",
                    "no credentials in this file: set them in the environment, the AWS shared files "
                    "or the file storage.credentials_file names",
                )
            )
    known = {
        "backend",
        "path",
        "endpoint_url",
        "bucket",
        "prefix",
        "region",
        "addressing",
        "credentials_file",
    }
    r.unknown(s, known | {"bandwidth_kib_s", "live_max_mag", "heartbeat_s"}, w)
    section = StorageSection(
        backend=r.get(s, "backend", w, choice(STORAGE_BACKENDS), f"one of {STORAGE_BACKENDS}", "local"),
        path=r.get(s, "path", w, path_value, "a directory path", None),
        endpoint_url=r.get(s, "endpoint_url", w, str, "a URL", None),
        bucket=r.get(s, "bucket", w, str, "a bucket name", None),
        prefix=r.get(s, "prefix", w, str, "a key prefix", ""),
        region=r.get(s, "region", w, str, "a region name", "us-east-1"),
        addressing=r.get(
            s, "addressing", w, choice(ADDRESSING_STYLES), f"one of {ADDRESSING_STYLES}", "path"
        ),
        credentials_file=r.get(s, "credentials_file", w, path_value, "a file path", None),
        bandwidth_kib_s=r.get(s, "bandwidth_kib_s", w, number(above=0), "KiB/s > 0", None),
        live_max_mag=r.get(s, "live_max_mag", w, number(-30, 10), "a magnitude in [-30, 10]", -4.0),
        heartbeat_s=r.get(s, "heartbeat_s", w, number(low=30), "seconds >= 30", 300.0),
    )
    if section.backend == "s3" and not section.bucket:
        r.problems.append(ConfigProblem("storage.bucket", None, "a bucket name when backend is s3"))
    elif not any(p.key.startswith("storage.") for p in r.problems):
        try:  # what sync itself refuses (a prefix with '..', an endpoint that is not a URL)
            section.store_settings(Path("/"))
        except StoreConfigError as exc:
            r.problems.append(ConfigProblem("storage", None, str(exc)))
    return section


def _read_retention(r: Reader, raw: Mapping[str, Any]) -> RetentionSection:
    s = r.mapping(raw, "retention", "")
    r.unknown(s, {"max_disk_gb", "min_free_gb"}, "retention")
    return RetentionSection(
        max_disk_gb=r.get(s, "max_disk_gb", "retention", number(above=0), "GB > 0", None),
        min_free_gb=r.get(s, "min_free_gb", "retention", number(low=0), "GB >= 0", 2.0),
    )


def _read_logging(r: Reader, raw: Mapping[str, Any]) -> LoggingSection:
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
            s, "level", "logging", lambda v: choice(levels)(str(v).upper()), f"one of {levels}", "INFO"
        ),
        json_file=None
        if off
        else r.get(s, "json_file", "logging", path_value, "a file path, or off", default_json),
        json_max_mb=r.get(s, "json_max_mb", "logging", number(above=0), "MB > 0", 10.0),
        json_backups=r.get(s, "json_backups", "logging", integer(0), "an integer >= 0", 5),
    )


def _read_alerts(r: Reader, raw: Mapping[str, Any]) -> AlertsSection:
    s = r.mapping(raw, "alerts", "")
    w = "alerts"
    known = {"email_to", "email_from", "smtp_host", "smtp_port", "smtp_starttls", "smtp_user", "webhook_url",
             "min_interval_s", "max_per_hour"}  # fmt: skip
    r.unknown(s, known, w)
    return AlertsSection(
        email_to=r.get(s, "email_to", w, emails, "an e-mail address or a list of them", ()),
        email_from=r.get(s, "email_from", w, str, "an e-mail address", "stationd@localhost"),
        smtp_host=r.get(s, "smtp_host", w, str, "a host name", "localhost"),
        smtp_port=r.get(s, "smtp_port", w, integer(1), "a TCP port", 25),
        smtp_starttls=r.get(s, "smtp_starttls", w, flag, "true or false", False),
        smtp_user=r.get(s, "smtp_user", w, str, "a user name", None),
        webhook_url=r.get(s, "webhook_url", w, url, "an http:// or https:// URL", None),
        min_interval_s=r.get(s, "min_interval_s", w, number(low=0), "seconds >= 0", 3600.0),
        max_per_hour=r.get(s, "max_per_hour", w, integer(1), "an integer >= 1", 12),
    )


def _read_health(r: Reader, raw: Mapping[str, Any]) -> HealthSection:
    s = r.mapping(raw, "health", "")
    w = "health"
    known = {"no_video_min", "max_candidates_per_hour", "max_failures_per_hour", "backlog_min",
             "backlog_window_min", "check_clock", "upload_failing_min"}  # fmt: skip
    r.unknown(s, known, w)
    return HealthSection(
        no_video_min=r.get(s, "no_video_min", w, number(above=0), "minutes > 0", 10.0),
        max_candidates_per_hour=r.get(s, "max_candidates_per_hour", w, integer(1), "an integer >= 1", 60),
        max_failures_per_hour=r.get(s, "max_failures_per_hour", w, integer(1), "an integer >= 1", 5),
        backlog_min=r.get(s, "backlog_min", w, integer(1), "an integer >= 1", 30),
        backlog_window_min=r.get(s, "backlog_window_min", w, number(above=0), "minutes > 0", 30.0),
        check_clock=r.get(s, "check_clock", w, flag, "true or false", True),
        upload_failing_min=r.get(s, "upload_failing_min", w, number(above=0), "minutes > 0", 60.0),
    )


def _read_daemon(r: Reader, raw: Mapping[str, Any]) -> DaemonSection:
    s = r.mapping(raw, "daemon", "")
    w = "daemon"
    known = {"shutdown_timeout_s", "sweep_interval_s", "settle_s", "event_settle_s", "queue_size",
             "stage_hang_s"}  # fmt: skip
    r.unknown(s, known, w)
    return DaemonSection(
        shutdown_timeout_s=r.get(
            s, "shutdown_timeout_s", w, number(above=0, high=3600), "seconds, 0..3600", 30.0
        ),
        sweep_interval_s=r.get(s, "sweep_interval_s", w, number(low=1), "seconds >= 1", 180.0),
        settle_s=r.get(s, "settle_s", w, number(low=0), "seconds >= 0", 10.0),
        event_settle_s=r.get(s, "event_settle_s", w, number(low=0), "seconds >= 0", 1.0),
        queue_size=r.get(s, "queue_size", w, integer(1), "an integer >= 1", 64),
        stage_hang_s=r.get(s, "stage_hang_s", w, number(above=0), "seconds > 0", 600.0),
    )


def parse_config(raw: Any, source: str = "<memory>") -> StationConfig:
    """Validate a parsed YAML document; raise :class:`ConfigError` listing every problem."""
    if not isinstance(raw, Mapping):
        raise ConfigError(source, [ConfigProblem("<document>", raw, "a YAML mapping with a station section")])
    r = Reader()
    known = {"station", "cameras", "processing", "calibration", "storage", "retention", "alerts", "logging",
             "health", "daemon", "network"}  # fmt: skip
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
        network=read_network(r, raw),
        source=source,
        warnings=tuple(r.warnings),
    )
    if r.problems:
        raise ConfigError(source, r.problems)
    for text in config.warnings:
        log.warning("%s: %s", source, text)
    return config


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
