"""``stationd import FTPdetectinfo_*.txt``: an RMS station's detections as meteor records."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import config_option, json_option, load, print_json, stdout
from stationd import RmsStation, StationLayout, UsageError, import_ftpdetectinfo, read_rms_config


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--station-config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The RMS station's .config: station id and site.",
)
@click.option("--station", "station_id", help="Station id (instead of --station-config).")
@click.option("--lat", type=float, help="Latitude, deg north (with --station).")
@click.option("--lon", type=float, help="Longitude, deg east (with --station).")
@click.option("--elevation", type=float, help="Elevation above mean sea level, m (with --station).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the records (default: the configured station's data directory).",
)
@config_option
@json_option
def import_cmd(
    files: tuple[Path, ...], station_config: Path | None, station_id: str | None, lat: float | None,
    lon: float | None, elevation: float | None, data_dir: Path | None, config_path: Path | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Import RMS FTPdetectinfo FILES (9- or 12-column, calibrated by RMS) as meteor records.

    \b
    Each detection becomes days/<day>/<camera>/meteors/<meteor_id>/meteor.json with RMS's RA/Dec, az/alt
    and magnitudes and the station's site as its observer block; importing again replaces the records.
    The station comes from its RMS .config (--station-config) or from --station, --lat, --lon, --elevation.
    """
    if station_config is not None:
        station = read_rms_config(station_config)
    elif station_id and None not in (lat, lon, elevation):
        station = RmsStation.at(station_id, lat, lon, elevation)  # type: ignore[arg-type]
    else:
        raise UsageError("give --station-config, or --station with --lat, --lon and --elevation")
    root = data_dir if data_dir is not None else load(config_path).station.data_dir
    report = import_ftpdetectinfo(files, station, StationLayout(root))
    if as_json:
        print_json(report.to_json())
        return
    stdout.print(
        f"{len(report.meteor_ids)} meteor records of {station.station_id} from {len(report.files)} file(s) "
        f"into {root} (days {', '.join(report.days) or '-'})",
        highlight=False,
    )
