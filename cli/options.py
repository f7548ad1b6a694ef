"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stationd import StationConfig, load_config, resolve_config_path

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Configuration file (default: $STATIOND_CONFIG, else /etc/stationd/stationd.yaml).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only.")

stderr = Console(stderr=True)


def progress_bar() -> Progress:
    """The progress display of long commands, on stderr (stdout stays clean for ``--json``)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=stderr)


def load(config_path: Path | None) -> StationConfig:
    """The validated configuration named on the command line (or by default)."""
    return load_config(resolve_config_path(config_path))


def print_json(data: Any) -> None:
    """JSON on stdout and nothing else (``--json``)."""
    import json

    click.echo(json.dumps(data, indent=2))
