"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stationd import StationConfig, load_config, resolve_config_path

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Configuration file (default: $STATIOND_CONFIG, else /etc/stationd/stationd.yaml).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only.")

#: The width of output that is not a terminal: wider than any line we print, so nothing wraps or is cut.
PIPE_WIDTH = 100_000


class _Console(Console):
    """A rich Console that, writing to anything but a terminal (a pipe, a file, the journal, CliRunner), never
    wraps a line (``soft_wrap``) nor cuts a table cell (an unlimited width): a path or message that scripts
    and ``grep`` read stays on one line. On a terminal it is rich's own. Decided at each print, since the
    stream may change after the console is made (tests swap ``sys.stdout``).
    """

    @property
    def size(self) -> ConsoleDimensions:
        """The terminal's size; ``PIPE_WIDTH`` columns when not a terminal."""
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(PIPE_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Rich's print, with ``soft_wrap`` (no wrapping at all) when not a terminal."""
        if kwargs.get("soft_wrap") is None and not self.is_terminal:
            kwargs["soft_wrap"] = True
        super().print(*objects, **kwargs)


def console(*, stderr: bool = False, highlight: bool = True) -> Console:
    """The one way commands make a rich Console: a terminal's width on a terminal, never wrapped or cut in
    a pipe (``stationd export DAY | cat``)."""
    return _Console(stderr=stderr, highlight=highlight)


def make_table(*headers: str, title: str | None = None) -> Table:
    """A rich Table whose cells fold onto more lines on a narrow terminal rather than end in "...".

    In a pipe the console is unlimited (:func:`console`), so each row stays on one line, whole.
    """
    grid = Table(title=title)
    for header in headers:
        grid.add_column(header, overflow="fold")
    return grid


stdout = console()
stderr = console(stderr=True)


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
