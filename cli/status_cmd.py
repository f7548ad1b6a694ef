"""``stationd status [DAY] [--json]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from cli.options import config_option, json_option, load, print_json, stdout
from stationd import Station, outbox_overview, parse_day

_STYLE = {"done": "green", "pending": "yellow", "running": "cyan", "failed": "red", "quarantined": "magenta"}


@click.command()
@click.argument("day", required=False)
@config_option
@json_option
def status(day: str | None, config_path: Path | None, as_json: bool) -> None:
    """Show the station's state: every day's counts, the outbox and whether the store answers, or every
    minute of DAY with its candidates."""
    cfg = load(config_path)
    the_day = parse_day(day).isoformat() if day else None
    with Station(cfg, read_only=True) as station:
        data = station.status(the_day)
    if the_day is None:
        data["outbox"] = outbox_overview(cfg)
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
            spans = ", ".join(
                f"{c['start_utc'][11:22]} ({c['frame_start']}-{c['frame_end']})" for c in result["candidates"]
            )
            text = f"{text}: {spans}"
        verified = (m["verify"] or {}).get("meteors", [])
        if verified:
            text = f"{text}; meteors: {', '.join(verified)}"
        error = next((s["error"] for s in m["stages"].values() if s["error"]), None)
        table.add_row(
            m["start_utc"][11:19],
            m["camera"],
            m["file"],
            _cell(m["stages"].get("scan")),
            _cell(m["stages"].get("candidates")),
            _cell(m["stages"].get("verify")),
            text or (error or ""),
        )
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
    console = stdout
    console.print(f"[bold]station {data['station']}[/] at {_time(data['checked_utc'])}", highlight=False)
    console.print(_daemon_line(data["daemon"]), highlight=False)
    cameras = Table(title="cameras")
    for col in ("camera", "last minute (UTC)", "ago"):
        cameras.add_column(col)
    for cam in data["cameras"]:
        cameras.add_row(cam["camera"], _time(cam["last_minute_utc"]), _ago(cam["last_minute_age_s"]))
    console.print(cameras)
    backlog = data["backlog"]
    by_stage = ", ".join(f"{stage} {n}" for stage, n in backlog["pending_by_stage"].items() if n)
    text = f"backlog: {_n(backlog['pending'], 'pending stage run')}" + (f" ({by_stage})" if by_stage else "")
    console.print(f"{text}, {backlog['running']} running", highlight=False)
    alerts = data.get("alerts", [])
    for alert in alerts:
        colour = "red" if alert.get("severity") == "error" else "yellow"
        console.print(f"[{colour}]{alert.get('severity', 'warning')}[/] {alert.get('message', alert)}")
    if not alerts:
        console.print("[green]no active alerts[/]")
    console.print(_disk_line(data["disk"]), highlight=False)
    console.print(_outbox_line(data["outbox"]), highlight=False)
    table = Table(title="days")
    for col in ("day", "scan", "candidates", "verify", "meteors"):
        table.add_column(col)
    for d in data["days"]:
        cells = [
            ", ".join(f"{k} {v}" for k, v in sorted(d["counts"].get(s, {}).items()))
            for s in ("scan", "candidates", "verify")
        ]
        meteors = str(d["meteors"]) + (f" ({_n(d['fireballs'], 'fireball')})" if d["fireballs"] else "")
        table.add_row(d["day"], *cells, meteors)
    console.print(table)


def _time(stamp: str | None) -> str:
    """``2026-08-12 22:03:05 UTC`` of an ISO time, or ``-``."""
    return f"{stamp[:10]} {stamp[11:19]} UTC" if stamp else "-"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _ago(age_s: float | None) -> str:
    if age_s is None:
        return "-"
    if age_s < 120:
        return f"{age_s:.0f} s ago"
    if age_s < 7200:
        return f"{age_s / 60:.0f} min ago"
    if age_s < 172800:
        return f"{age_s / 3600:.1f} h ago"
    return f"{age_s / 86400:.0f} days ago"


def _daemon_line(d: dict[str, Any]) -> str:
    beat = (
        "no heartbeat yet"
        if d["heartbeat_utc"] is None
        else (f"last heartbeat {_time(d['heartbeat_utc'])} ({_ago(d['heartbeat_age_s'])})")
    )
    if d["running"]:
        colour = "yellow" if d["heartbeat_stale"] else "green"
        return f"daemon: [{colour}]running[/], pid {d['pid']}, since {_time(d['since_utc'])}; {beat}"
    if d["lock_held"]:
        return f"daemon: [yellow]the lock is held, but its pid {d['pid']} is not a live process[/]; {beat}"
    return f"daemon: [red]not running[/]; {beat}"


def _outbox_line(o: dict[str, Any]) -> str:
    """``outbox: 12 pending (3.4 MB, oldest ...), 0 failed; store answers`` (and the last error)."""
    oldest = f", oldest {_time(o['oldest_pending_utc'])}" if o["oldest_pending_utc"] else ""
    text = f"outbox: {o['pending']} pending ({o['pending_bytes'] / 1e6:.1f} MB{oldest}), {o['failed']} failed"
    store = o.get("store")
    if store is not None:
        text += (
            "; store [green]answers[/]"
            if store["answers"]
            else f"; store [red]does not answer[/]: {store['error']}"
        )
    if o["failing_since_utc"]:
        text += f"; uploads failing since {_time(o['failing_since_utc'])}"
    if o["last_error"]:
        text += f"; last error: {o['last_error']}"
    return text


def _disk_line(d: dict[str, Any]) -> str:
    if d["disk_free_gb"] is None:
        return f"disk: {d['data_dir']} cannot be measured"
    return (
        f"disk: {d['disk_free_gb']:.1f} GB free of {d['disk_total_gb']:.1f} GB; "
        f"the data directory {d['data_dir']} holds {d['data_dir_gb']:.2f} GB"
    )
