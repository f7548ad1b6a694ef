"""``stationd night [DAY] [--json]``: the summary of a night."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import config_option, json_option, load, make_table, print_json, stdout
from stationd import Station, night_report

_COLUMNS = (
    ("too-many", "too_many"), ("meteors", "meteors"), ("fireballs", "fireballs"), ("failed", "failed"),
    ("quarantined", "quarantined"), ("pending", "pending"),
)  # fmt: skip


@click.command()
@click.argument("day", required=False)
@config_option
@json_option
def night(day: str | None, config_path: Path | None, as_json: bool) -> None:
    """Show the summary of the night of DAY (the UTC date of its evening; default: the last finished
    night): minutes, candidates, meteors, fireballs, failures, quarantined minutes, processing time.

    \b
    The daemon writes each night's summary at dawn to <data_dir>/nights/DAY.json; a night without one
    (the current night, or one the daemon did not see end) is counted from the state store now.
    """
    cfg = load(config_path)
    with Station(cfg, read_only=True) as station:
        data = night_report(station.config, station.store, day).view()
    if as_json:
        print_json(data)
    else:
        _render(data)


def _render(data: dict[str, Any]) -> None:
    console = stdout
    start, end = data["start_utc"], data["end_utc"]
    head = f"[bold]night {data['night']}[/]: {start[:10]} {start[11:16]} - {end[:10]} {end[11:16]} UTC"
    if not data["finished"]:
        until = data["until_utc"]
        head += f", [yellow]not finished[/]: counted until {until[11:16]} UTC from the state store"
    elif data["summary_file"]:
        head += f", summary written by the daemon at dawn ({data['summary_file']})"
    else:
        head += ", counted from the state store now (the daemon wrote no summary of it)"
    console.print(head, highlight=False)
    table = make_table()
    table.add_column("camera")
    table.add_column("minutes", justify="right")
    table.add_column("with candidates", justify="right")
    for title, _ in _COLUMNS:
        table.add_column(title, justify="right")
    table.add_column("processing", justify="right")
    rows = (
        [*data["cameras"].items(), ("all", data["totals"])]
        if len(data["cameras"]) > 1
        else data["cameras"].items()
    )
    for camera, c in rows:
        minutes, found = f"{c['minutes']}/{c['expected']}", f"{c['with_candidates']} ({c['candidates']})"
        table.add_row(camera, minutes, found, *(str(c[k]) for _, k in _COLUMNS), _duration(c["processing_s"]))
    console.print(table)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
