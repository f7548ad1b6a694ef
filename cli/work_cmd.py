"""``stationd scan FILE...`` (no station needed) and ``stationd reprocess DAY``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click
from rich.table import Table

from cli.options import config_option, json_option, load, print_json, progress_bar, stderr
from stationd import EXIT_FAILURE, STAGE_ORDER, Outcome, Station, parse_day, scan_file


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the products (values, FF files, stack, preview).",
)
@click.option("--station", "station_id", default="XX0001", show_default=True, help="Station id in FF names.")
@json_option
def scan(files: tuple[Path, ...], out_dir: Path, station_id: str, as_json: bool) -> None:
    """Scan video files into FF files, values, stack and preview, without a station.

    Exits 1 when any file cannot be read (each is named with the reason); the others are still scanned.
    """
    results = []
    with progress_bar() as progress:
        task = progress.add_task("scan", total=len(files))
        for path in files:
            result = scan_file(path, out_dir, station_id)
            results.append(result)
            if not result.ok:
                stderr.print(f"[red]cannot read[/] {path}: {result.reason}")
            progress.advance(task)
    if as_json:
        print_json([{**asdict(r), "path": str(r.path)} for r in results])
    else:
        table = Table("file", "frames", "size", "fps", "FF files", "seconds")
        for r in results:
            if r.ok:
                row = [str(r.n_frames), f"{r.width_px}x{r.height_px}", f"{r.fps:g}", str(len(r.ff_files))]
                table.add_row(r.path.name, *row, f"{r.seconds:.1f}")
            else:
                table.add_row(r.path.name, "[red]unreadable[/]", r.reason or "", "", "", "")
        stderr.print(table)
    if not all(r.ok for r in results):
        raise SystemExit(EXIT_FAILURE)


@click.command()
@click.argument("day")
@click.option(
    "--stage",
    "from_stage",
    type=click.Choice([*STAGE_ORDER, "detect"]),
    default=STAGE_ORDER[0],
    show_default=True,
    help="Rerun from this stage on (every later stage follows); 'detect': the old name of 'candidates'.",
)
@click.option(
    "--settle",
    "settle_s",
    type=float,
    default=10.0,
    show_default=True,
    help="Take files from incoming/ only when unchanged for this many seconds.",
)
@config_option
@json_option
def reprocess(day: str, from_stage: str, settle_s: float, config_path: Path | None, as_json: bool) -> None:
    """Process the minutes of DAY (YYYY-MM-DD or YYYY_MM_DD) again, from incoming/ and the day's folders.

    Reruns give the same results and never duplicate records. Safe beside a running daemon: a minute the
    daemon is working on is left to it. Exits 1 when any minute failed or was quarantined.
    """
    the_day = parse_day(day).isoformat()
    if from_stage == "detect":
        stderr.print("[yellow]--stage detect is now called --stage candidates[/] (the old name still works)")
        from_stage = "candidates"
    cfg = load(config_path)
    with Station(cfg) as station, progress_bar() as progress:
        task = progress.add_task(f"reprocess {the_day}", total=None)

        def advance(outcome: Outcome) -> None:
            progress.update(task, description=f"{outcome.stage} {outcome.minute.name}")
            progress.advance(task)
            if outcome.status in ("failed", "quarantined"):
                progress.console.print(f"[red]{outcome.status}[/] {outcome.stage} {outcome.minute.name}: "
                                       f"{outcome.error}")  # fmt: skip

        report = station.reprocess(the_day, from_stage, on_outcome=advance, settle_s=settle_s)
        progress.update(task, total=len(report.outcomes), description=f"reprocess {the_day}")
    outcomes = {s: report.count(s) for s in ("done", "failed", "quarantined", "skipped")}
    summary = {
        "day": the_day,
        "stages": list(report.stages),
        "registered": report.registered,
        "recovered_claims": report.recovered,
        "ignored": [str(p) for p in report.ignored],
        "unsettled": [str(p) for p in report.unsettled],
        "outcomes": outcomes,
    }
    if as_json:
        print_json(summary)
    else:
        for path in report.ignored:
            stderr.print(f"[yellow]ignored[/] {path}: name does not match the camera's pattern")
        stderr.print(f"{the_day}: " + ", ".join(f"{k} {v}" for k, v in outcomes.items()))
    if not report.ok:
        raise SystemExit(EXIT_FAILURE)
