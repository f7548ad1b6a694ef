"""The ``stationd`` command: parses arguments, calls the station library, renders with rich.

Exit codes (documented in ``stationd --help``): 0 ok, 1 the work failed, 2 usage or configuration error,
3 another instance holds the station.

An error that escapes a command is printed as one line on stderr and mapped to its exit code by
``_exit_code_of``:

- ``StationError`` and its subclasses carry their own ``exit_code`` (see :mod:`stationd.errors`);
- ``MaskError`` exits 2: a mask is always the operator's choice (``--mask`` or ``cameras[].mask``), so an
  unusable one is a usage or configuration error;
- every other ``DetectionError`` (an unreadable video, FF, FTPdetectinfo or values file) and every
  ``CalibrationError`` (an unreadable star catalogue) exits 1: the work failed on data, not on an argument;
- ``StoreAuthError`` and ``StoreConfigError`` exit 2 (the store's credentials or configuration must be
  fixed); every other ``SyncError`` (the store did not answer) exits 1;
- every ``TrajectoryError`` (an unreadable observation file, observations that give no trajectory) exits 1.

Anything else is a bug and keeps its traceback (Python exits 1).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from calibration import CalibrationError
from cli.calibrate_cmd import calibrate
from cli.config_cmd import config
from cli.demo_cmd import demo
from cli.events_cmd import events
from cli.import_cmd import import_cmd
from cli.install_cmd import install_service_cmd
from cli.logs_cmd import logs
from cli.meteors_cmd import detect, export, meteors
from cli.night_cmd import night
from cli.options import stderr
from cli.run_cmd import run
from cli.sky_cmd import sky
from cli.solve_cmd import solve
from cli.status_cmd import status
from cli.sync_cmd import index, sync
from cli.work_cmd import reprocess, retry, scan
from detection import DetectionError, MaskError
from stationd import EXIT_FAILURE, EXIT_USAGE, StationError
from sync import StoreAuthError, StoreConfigError, SyncError
from trajectory import TrajectoryError

_EPILOG = """\b
Exit codes:
  0  ok
  1  the work failed (a file could not be processed, a stage failed)
  2  usage or configuration error (a bad argument, an unusable mask, store credentials refused)
  3  another stationd instance holds the station's data directory
"""


def _exit_code_of(exc: StationError | DetectionError | CalibrationError | SyncError | TrajectoryError) -> int:
    """The documented exit code of an error that escaped a command (see the module docstring)."""
    if isinstance(exc, StationError):
        return exc.exit_code
    # The science and sync packages know nothing of the command line, so their errors carry no exit code.
    return EXIT_USAGE if isinstance(exc, MaskError | StoreAuthError | StoreConfigError) else EXIT_FAILURE


class _StationGroup(click.Group):
    """Maps the errors of every package to their exit codes with a one-line message on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (StationError, DetectionError, CalibrationError, SyncError, TrajectoryError) as exc:
            stderr.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(_exit_code_of(exc))


@click.group(cls=_StationGroup, epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stationd")
def cli() -> None:
    """stationd: the software of a meteor camera station."""


cli.add_command(calibrate)
cli.add_command(config)
cli.add_command(demo)
cli.add_command(detect)
cli.add_command(events)
cli.add_command(export)
cli.add_command(import_cmd)
cli.add_command(index)
cli.add_command(install_service_cmd)
cli.add_command(logs)
cli.add_command(meteors)
cli.add_command(night)
cli.add_command(reprocess)
cli.add_command(retry)
cli.add_command(run)
cli.add_command(scan)
cli.add_command(sky)
cli.add_command(solve)
cli.add_command(status)
cli.add_command(sync)


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="stationd", standalone_mode=True)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # pragma: no cover - click handles these in standalone mode
        exc.show()
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
