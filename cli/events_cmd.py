"""``stationd events DAY [--json]``: the network's events of a day and their state."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import config_option, json_option, load, make_table, print_json, stdout
from stationd import RevisionRow, event_rows, existing_station, parse_day


@click.command()
@click.argument("day")
@click.option("--all-revisions", is_flag=True, help="Also list revisions that a later one replaced.")
@config_option
@json_option
def events(day: str, all_revisions: bool, config_path: Path | None, as_json: bool) -> None:
    """List the network's events of DAY (UTC, YYYY-MM-DD) that this station grouped, with their state.

    \b
    States: grouped (not taken), claimed (by OWNER, claim generation N), solved (by this station),
    copied (solved by another station), failed (a failure record: why), refused (this station may not
    claim: its store failed the create-if-absent probe or its clock is not synchronised), inputs (its
    inputs are published for an external engine), lost (another station's solution came first), error.
    The states are those of the last network cycle (the daemon runs it; stationd solve EVENT runs one).
    """
    cfg = load(config_path)
    existing_station(cfg)
    rows = [r for r in event_rows(cfg, parse_day(day).isoformat()) if all_revisions or r.current]
    if as_json:
        print_json([r.to_json() for r in rows])
        return
    render_events(rows, f"events of {parse_day(day).isoformat()}: {len(rows)}")


def _state(r: RevisionRow) -> str:
    if r.state == "solved":
        return "solved (here)"
    if r.owner and r.state in ("claimed", "copied", "lost"):
        return f"{r.state} ({r.owner}, claim {r.generation})"
    return r.state


def render_events(rows: list[RevisionRow], title: str) -> None:
    """A table of event revisions: id, revision, stations, state, detail."""
    table = make_table("event", "revision", "stations", "state", "detail", title=title)
    for r in rows:
        detail = (r.detail or "")[:80]
        table.add_row(
            r.event_id, r.revision + ("" if r.current else " (old)"), ",".join(r.stations), _state(r), detail
        )
    stdout.print(table)
