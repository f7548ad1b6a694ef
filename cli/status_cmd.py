"""``stationd status [DAY] [--json]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from cli.options import config_option, json_option, load, print_json
from stationd import Station, parse_day

_STYLE = {"done": "green", "pending": "yellow", "running": "cyan", "failed": "red", "quarantined": "magenta"}


@click.command()
@click.argument("day", required=False)
@config_option
@json_option
def status(day: str | None, config_path: Path | None, as_json: bool) -> None:
    """Show the station's state: every day's counts, or every minute of DAY with its candidates."""
    cfg = load(config_path)
    the_day = parse_day(day).isoformat() if day else None
    with Station(cfg, read_only=True) as station:
        data = station.status(the_day)
    if as_json:
        print_json(data)
    elif the_day is None:
        _render_station(data)
    else:
        _render_day(data)


def _cell(stage: dict[str, Any] | None) -> str:
    if stage is None:
        return "-"
    return f"[{_STYLE.get(stage['status'], 'white')}]{stage['status']}[/]"


def _render_day(data: dict[str, Any]) -> None:
    table = Table(title=f"{data['station']} {data['day']}")
    for col in ("start (UTC)", "camera", "file", "scan", "candidates", "verify", "result"):
        table.add_column(col)
    for m in data["minutes"]:
        result = m["candidates"] or {}
        text = result.get("status", "")
        if result.get("candidates"):
            spans = ", ".join(f"{c['start_utc'][11:22]} ({c['frame_start']}-{c['frame_end']})"
                              for c in result["candidates"])  # fmt: skip
            text = f"{text}: {spans}"
        verified = (m["verify"] or {}).get("meteors", [])
        if verified:
            text = f"{text}; meteors: {', '.join(verified)}"
        error = next((s["error"] for s in m["stages"].values() if s["error"]), None)
        table.add_row(m["start_utc"][11:19], m["camera"], m["file"], _cell(m["stages"].get("scan")),
                      _cell(m["stages"].get("candidates")), _cell(m["stages"].get("verify")),
                      text or (error or ""))  # fmt: skip
    Console().print(table)
    Console().print(f"candidates: {data['candidate_counts']}; verified meteors: {data['meteors']}")


def _render_station(data: dict[str, Any]) -> None:
    table = Table(title=f"station {data['station']}")
    table.add_column("day")
    table.add_column("scan")
    table.add_column("candidates")
    table.add_column("verify")
    for d in data["days"]:
        cells = [
            ", ".join(f"{k} {v}" for k, v in sorted(d["counts"].get(s, {}).items()))
            for s in ("scan", "candidates", "verify")
        ]
        table.add_row(d["day"], *cells)
    Console().print(table)
    alerts = data.get("alerts", [])
    for alert in alerts:
        colour = "red" if alert.get("severity") == "error" else "yellow"
        Console().print(f"[{colour}]{alert.get('severity', 'warning')}[/] {alert.get('message', alert)}")
    if not alerts:
        Console().print("[green]no active alerts[/]")
