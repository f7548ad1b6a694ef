"""Logging for operators: one line per event with time, level, camera, stage, file and duration.

Three renderings of the same records:

- on a terminal: rich colour (``RichHandler``);
- under journald (``$JOURNAL_STREAM`` names our stderr): plain lines without a timestamp (journald adds
  it), each prefixed ``<N>`` with its syslog priority so ``journalctl -p warning`` works;
- elsewhere: plain lines with an ISO UTC timestamp.

Every record also goes as one JSON object per line to ``logging.json_file`` (rotated by size; by default
``<data_dir>/logs/stationd.jsonl``, none with ``json_file: off``), which ``stationd logs [-f]`` reads back,
so logs work out of the box; under systemd the journal has the same records (``journalctl -u stationd``).
Fields of a record: ``t_utc``, ``level``, ``logger``, ``message`` and, when given, ``camera``, ``stage``,
``file``, ``duration_s`` and any others passed to :func:`log_event` (or as ``extra={...}`` with those
names).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.logging import RichHandler
from rich.text import Text

from detection.timing import iso_utc

if TYPE_CHECKING:
    from stationd.config import StationConfig

FIELDS = ("camera", "stage", "file", "duration_s")
"""Structured fields every renderer shows when a record carries them."""

_SYSLOG_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}
_LEVEL_STYLE = {
    "DEBUG": "dim",
    "INFO": "green",
    "WARNING": "yellow",
    "ERROR": "bold red",
    "CRITICAL": "bold red",
}


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of a record: the standard ones, then those given to :func:`log_event`."""
    out = {k: getattr(record, k) for k in FIELDS if getattr(record, k, None) is not None}
    out.update(getattr(record, "fields", None) or {})
    return out


def _fields_suffix(fields: Mapping[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in fields.items() if k != "duration_s"]
    if "duration_s" in fields:
        parts.append(f"{float(fields['duration_s']):.2f} s")
    return f" [{' '.join(parts)}]" if parts else ""


class PlainFormatter(logging.Formatter):
    """``[<prio>][time ]LEVEL logger: message [camera=.. stage=.. file=.. 1.23 s]``."""

    def __init__(self, timestamps: bool = True, syslog_prefix: bool = False) -> None:
        super().__init__()
        self.timestamps = timestamps
        self.syslog_prefix = syslog_prefix

    def format(self, record: logging.LogRecord) -> str:
        """A line for a terminal, or for journald with a ``<prio>`` prefix so the journal keeps the level."""
        text = (
            f"{record.levelname} {record.name}: {record.getMessage()}{_fields_suffix(record_fields(record))}"
        )
        if self.timestamps:
            t = datetime.fromtimestamp(record.created, UTC)
            text = iso_utc(t, digits=3) + " " + text
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if self.syslog_prefix:
            text = f"<{_SYSLOG_PRIORITY.get(record.levelno, 6)}>" + text.replace("\n", "\n  ")
        return text


class _MessageWithFields(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage() + _fields_suffix(record_fields(record))


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for the keys)."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line with the fields as keys, so ``stationd logs`` and jq can read records back."""
        t = datetime.fromtimestamp(record.created, UTC)
        obj: dict[str, Any] = {
            "t_utc": iso_utc(t),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        obj.update(record_fields(record))
        if record.exc_info:
            obj["exception"] = self.formatException(record.exc_info)
        return json.dumps(obj, default=str)


def under_journald(environ: Mapping[str, str] | None = None, stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (stderr) is connected to journald: ``$JOURNAL_STREAM`` is its ``device:inode``."""
    env = os.environ if environ is None else environ
    value = env.get("JOURNAL_STREAM", "")
    if not value:
        return False
    try:
        dev, ino = (int(x) for x in value.split(":"))
        st = os.fstat((stream or sys.stderr).fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


def configure_logging(
    level: str = "INFO",
    stream_is_terminal: bool | None = None,
    json_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    json_max_bytes: int = 10 * 1024 * 1024,
    json_backups: int = 5,
) -> None:
    """Send the station's log records to stderr (rendered for where it goes) and optionally a JSON file."""
    terminal = sys.stderr.isatty() if stream_is_terminal is None else stream_is_terminal
    handler: logging.Handler
    if terminal:
        handler = RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False)
        handler.setFormatter(_MessageWithFields())
    else:
        journald = under_journald(environ)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(PlainFormatter(timestamps=not journald, syslog_prefix=journald))
    handlers: list[logging.Handler] = [handler]
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            json_file, maxBytes=json_max_bytes, backupCount=json_backups, encoding="utf-8"
        )
        file_handler.setFormatter(JsonLinesFormatter())
        handlers.append(file_handler)
    root = logging.getLogger("stationd")
    for old in root.handlers:
        old.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    root.propagate = False


def configure_from_config(config: StationConfig, stream_is_terminal: bool | None = None) -> None:
    """:func:`configure_logging` with the configuration's ``logging`` section."""
    section = config.logging
    configure_logging(
        section.level,
        stream_is_terminal,
        json_file=section.json_file,
        json_max_bytes=int(section.json_max_mb * 1024 * 1024),
        json_backups=section.json_backups,
    )


def log_event(
    logger: logging.Logger,
    message: str,
    *,
    level: int = logging.INFO,
    camera: str | None = None,
    stage: str | None = None,
    file: str | None = None,
    duration_s: float | None = None,
    **fields: Any,
) -> None:
    """Log one operator event with its structured fields (None fields are left out)."""
    extra = {"camera": camera, "stage": stage, "file": file, "duration_s": duration_s, "fields": fields}
    logger.log(level, message, extra=extra, stacklevel=2)


# -- reading the JSON-lines file back (stationd logs) ------------------------------------------------


def _parse(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line:
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return {"level": "INFO", "message": line}
    return obj if isinstance(obj, dict) else None


def tail_records(path: Path, n: int = 50) -> list[dict[str, Any]]:
    """The last ``n`` records of the JSON-lines file (the rotated ``.1`` file too, when needed)."""
    last: deque[dict[str, Any]] = deque(maxlen=n)
    for candidate in (path.with_name(path.name + ".1"), path):
        if candidate.is_file():
            with candidate.open(encoding="utf-8", errors="replace") as f:
                for line in f:
                    rec = _parse(line)
                    if rec is not None:
                        last.append(rec)
    return list(last)


def follow_records(
    path: Path, stop: Callable[[], bool], poll_s: float = 0.5, sleep: Callable[[float], None] = time.sleep
) -> Iterator[dict[str, Any]]:
    """Records appended to ``path`` from now on, across rotations, until ``stop()`` says so."""
    f: IO[str] | None = None
    inode = None
    partial = ""  # a line still being written
    try:
        while not stop():
            if f is None and path.is_file():
                f = path.open(encoding="utf-8", errors="replace")
                if inode is None:
                    f.seek(0, os.SEEK_END)  # the first open starts at the end; after a rotation, at the start
                inode = os.fstat(f.fileno()).st_ino
            chunk = f.readline() if f is not None else ""
            if chunk:
                partial += chunk
                if partial.endswith("\n"):
                    rec, partial = _parse(partial), ""
                    if rec is not None:
                        yield rec
                continue
            if f is not None and _rotated(path, inode):
                f.close()
                f = None
                continue
            sleep(poll_s)
    finally:
        if f is not None:
            f.close()


def _rotated(path: Path, inode: int | None) -> bool:
    try:
        return path.stat().st_ino != inode
    except FileNotFoundError:
        return False


def render_record(rec: Mapping[str, Any]) -> Text:
    """One record as a coloured line: time, level, message and its fields."""
    level = str(rec.get("level", "INFO"))
    t = str(rec.get("t_utc", ""))[:19].replace("T", " ")
    text = Text()
    if t:
        text.append(t + " ", style="dim")
    text.append(f"{level:<7} ", style=_LEVEL_STYLE.get(level, ""))
    text.append(str(rec.get("message", "")))
    extra = {k: v for k, v in rec.items() if k not in ("t_utc", "level", "logger", "message", "exception")}
    if extra:
        text.append(_fields_suffix(extra), style="cyan")
    if rec.get("exception"):
        text.append("\n" + str(rec["exception"]), style="red")
    return text
