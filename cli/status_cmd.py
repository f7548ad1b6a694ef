"""``stationd status [DAY] [--json]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from cli.options import config_option, json_option, load, print_json, stdout
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
    with Station(cfg) as station:
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
    stdout.print(table)
    stdout.print(_day_summary(data), highlight=False)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _day_summary(data: dict[str, Any]) -> str:
    """``candidates: 3 minutes with candidates (5 events), 120 none, 1 too-many; verified meteors: 2``."""
    counts = data["candidate_counts"]
    parts = [
        f"{_plural(counts.get('candidates', 0), 'minute')} with candidates "
        f"({_plural(counts.get('candidate_events', 0), 'event')})",
        f"{counts.get('none', 0)} none",
        f"{counts.get('too-many', 0)} too-many",
    ]
    searched = sum(counts.get(k, 0) for k in ("candidates", "none", "too-many"))
    if len(data["minutes"]) > searched:
        parts.append(f"{len(data['minutes']) - searched} not searched")
    return f"candidates: {', '.join(parts)}; verified meteors: {data['meteors']}"


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
    stdout.print(table)
    alerts = data.get("alerts", [])
    for alert in alerts:
        colour = "red" if alert.get("severity") == "error" else "yellow"
        stdout.print(f"[{colour}]{alert.get('severity', 'warning')}[/] {alert.get('message', alert)}")
    if not alerts:
        stdout.print("[green]no active alerts[/]")
