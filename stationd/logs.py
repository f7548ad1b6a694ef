"""Logging for operators: rich colour on a terminal, plain lines elsewhere (journald adds the time)."""

from __future__ import annotations

import logging
import sys

from rich.console import Console
from rich.logging import RichHandler

_FORMAT_PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO", stream_is_terminal: bool | None = None) -> None:
    """Send the station's log records to stderr, coloured when stderr is a terminal."""
    terminal = sys.stderr.isatty() if stream_is_terminal is None else stream_is_terminal
    handler: logging.Handler
    if terminal:
        handler = RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT_PLAIN))
    root = logging.getLogger("stationd")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
