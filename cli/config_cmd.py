"""``stationd config init|check|show``."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from cli.options import config_option, json_option, load, print_json, stderr
from stationd import (
    UsageError,
    atomic_write_text,
    check_config,
    example_config,
    parse_config,
    placeholder_problems,
    plural,
)


@click.group()
def config() -> None:
    """Write, check and show the station's configuration."""


@config.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The station's data directory; cameras write into DATA_DIR/incoming/<camera>/.",
)
@click.option("--station", "station_id", default="XX0001", show_default=True,
              help="Station id (the default is a placeholder that stationd run refuses).")  # fmt: skip
@click.option("--camera", "camera_id", default="cam1", show_default=True,
              help="Camera id (written in quotes: 010001 stays 010001).")  # fmt: skip
@click.option("--lat", type=float, default=0.0, show_default=True,
              help="Latitude, degrees north (0 with --lon 0 is a placeholder).")  # fmt: skip
@click.option("--lon", type=float, default=0.0, show_default=True, help="Longitude, degrees east.")
@click.option("--elevation", type=float, default=0.0, show_default=True, help="Elevation, metres.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of printing (refuses to overwrite).",
)
def init(data_dir: Path, station_id: str, camera_id: str, lat: float, lon: float, elevation: float,
         output: Path | None) -> None:  # fmt: skip
    """Print (or write with -o) a working, commented configuration.

    The station id and position must be set (here or in the file) before stationd run starts.
    """
    text = example_config(data_dir.resolve(), station_id, camera_id, lat, lon, elevation)
    generated = parse_config(yaml.safe_load(text), "the generated configuration")  # bad ids, coordinates
    for problem in placeholder_problems(generated):
        stderr.print(f"[yellow]warning[/]: {problem}: set it before stationd run", highlight=False)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists():
        raise UsageError(f"{output} exists; remove it or choose another path")
    atomic_write_text(output, text)
    stderr.print(f"wrote {output}")


@config.command()
@config_option
def check(config_path: Path | None) -> None:
    """Validate the configuration; exit 2 listing every problem.

    \b
    Also exits 2 when station.data_dir cannot be a directory (a file in its way, a read-only file
    system). Warns of old key names, of placeholder values (station.id XX0001, latitude and longitude
    0: stationd run refuses them), and of a data directory that does not exist yet or that this user
    cannot write.
    """
    cfg = load(config_path)
    for warning in check_config(cfg):
        stderr.print(f"[yellow]warning[/]: {warning}", highlight=False)
    stderr.print(
        f"[green]ok[/]: {cfg.source} (station {cfg.station.id}, {plural(len(cfg.cameras), 'camera')})"
    )


@config.command()
@config_option
@json_option
def show(config_path: Path | None, as_json: bool) -> None:
    """Show the configuration with every default filled in."""
    cfg = load(config_path)
    if as_json:
        print_json(cfg.to_dict())
    else:
        click.echo(yaml.safe_dump(cfg.to_dict(), sort_keys=False), nl=False)
