"""``stationd sync [--day DAY] [--dry-run] [--json]`` and ``stationd index DAY [--json]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cli.options import config_option, json_option, load, make_table, print_json, stdout
from stationd import EXIT_FAILURE, existing_station, parse_day, rebuild_index, sync_now


@click.command()
@click.option("--day", default=None, help="Only this day's uploads (and those of no day), its index rebuilt.")
@click.option("--dry-run", is_flag=True, help="List what would be sent; contact no store, change nothing.")
@config_option
@json_option
def sync(day: str | None, dry_run: bool, config_path: Path | None, as_json: bool) -> None:
    """Send the outbox to the object store now (the daemon does it continuously).

    Exits 1 when the store failed (what is left stays queued), 2 when it cannot be opened as configured
    (a missing bucket, credentials refused).
    """
    cfg = load(config_path)
    existing_station(cfg)
    the_day = parse_day(day).isoformat() if day else None
    report = sync_now(cfg, the_day, dry_run)
    if as_json:
        print_json(report.to_json())
    elif dry_run:
        _render_waiting(report.to_json())
    else:
        _render_sent(report.to_json())
    if not report.ok:
        sys.exit(EXIT_FAILURE)


def _render_waiting(data: dict[str, Any]) -> None:
    table = make_table("state", "kind", "key", "bytes", "attempts", "last error", title="would be sent")
    for row in data["waiting"]:
        table.add_row(
            row["state"],
            row["kind"],
            row["key"],
            str(row["size_bytes"] or ""),
            str(row["attempts"]),
            row["last_error"] or "",
        )
    stdout.print(table)
    if data["indexes"]:
        stdout.print(f"indexes to rebuild first: {', '.join(data['indexes'])}", highlight=False)


def _render_sent(data: dict[str, Any]) -> None:
    sent = data["sent"] or {}
    stdout.print(
        f"sent {sent.get('sent', 0)} object(s), {sent.get('bytes_sent', 0)} bytes; deleted "
        f"{sent.get('deleted', 0)}; already there {sent.get('present', 0)}; failed {sent.get('failed', 0)}",
        highlight=False,
    )
    if data["indexes"]:
        stdout.print(f"indexes rebuilt: {', '.join(data['indexes'])}", highlight=False)
    box = data["outbox"]
    stdout.print(
        f"outbox: {box.get('pending', 0)} pending ({box.get('pending_bytes', 0)} bytes), "
        f"{box.get('failed', 0)} failed",
        highlight=False,
    )
    if data["store_error"]:
        stdout.print(f"[red]the store failed:[/] {data['store_error']}", highlight=False)


@click.command()
@click.argument("day")
@config_option
@json_option
def index(day: str, config_path: Path | None, as_json: bool) -> None:
    """Rebuild DAY's meteor index (stationd.index/1) and queue it for publishing."""
    cfg = load(config_path)
    existing_station(cfg)
    report = rebuild_index(cfg, parse_day(day).isoformat())
    if as_json:
        print_json(report.doc)
        return
    table = make_table(
        "start (UTC)", "meteor", "camera", "peak mag", "fireball", "begin az/alt", title=report.key
    )
    for m in report.doc["meteors"]:
        begin = m["begin"]
        where = f"{begin['az_deg']:.1f} / {begin['alt_deg']:.1f}" if begin else "-"
        mag = f"{m['peak_mag']:.1f}" if m["peak_mag"] is not None else "-"
        table.add_row(
            m["start_utc"][11:22], m["meteor_id"], m["camera"], mag, "yes" if m["fireball"] else "", where
        )
    stdout.print(table)
    stdout.print(
        f"{report.doc['n_meteors']} meteor(s) in {report.path}; queued: {len(report.queued)}", highlight=False
    )
