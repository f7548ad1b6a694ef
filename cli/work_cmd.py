"""``stationd scan FILE...`` (no station needed), ``stationd reprocess DAY``, ``stationd retry FILE|DAY``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from cli.options import config_option, json_option, load, print_json, progress_bar, stderr
from stationd import EXIT_FAILURE, STAGE_ORDER, Outcome, Station, parse_day, plural, scan_file


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


def _say(text: str, console: Console = stderr) -> None:
    """A message on stderr (or ``console``), never wrapped or truncated (a path stays one piece)."""
    console.print(text, highlight=False, soft_wrap=True)


class _ConsoleLog(logging.Handler):
    """The station's warnings on the command's console, except the per-minute outcomes (a record with a
    stage and a file): the command prints those itself, once, with the file's name."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "stage", None) and getattr(record, "file", None):
            return
        _say(f"[yellow]{record.levelname.lower()}[/]: {record.getMessage()}", self.console)


@contextlib.contextmanager
def _station_log(console: Console) -> Iterator[None]:
    logger = logging.getLogger("stationd")
    handler = _ConsoleLog(console)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _progress_of(progress: Progress, task: TaskID) -> Callable[[Outcome], None]:
    """Advances the display per stage run and prints each failure or quarantine once, with its reason."""

    def advance(outcome: Outcome) -> None:
        progress.update(task, description=f"{outcome.stage} {outcome.minute.name}")
        progress.advance(task)
        if outcome.status in ("failed", "quarantined"):
            text = f"[red]{outcome.status}[/] {outcome.stage} {outcome.minute.name}: {outcome.error}"
            _say(text, progress.console)

    return advance


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
    help="Take files from incoming/ only when unchanged for this many seconds (younger ones are waited for).",
)
@click.option(
    "--wait",
    "wait_s",
    type=float,
    default=120.0,
    show_default=True,
    help="Wait at most this long for young files to settle; files still changing then are skipped (exit 1).",
)
@config_option
@json_option
def reprocess(
    day: str, from_stage: str, settle_s: float, wait_s: float, config_path: Path | None, as_json: bool
) -> None:
    """Process the minutes of DAY (YYYY-MM-DD or YYYY_MM_DD) again, from incoming/ and the day's folders.

    Files just copied into incoming/ are waited for until unchanged for --settle seconds. Reruns give the
    same results and never duplicate records. Safe beside a running daemon: a minute the daemon is working
    on is left to it. A quarantined minute whose file is back in incoming/ is processed as new (see also
    `stationd retry`). Exits 1 when any minute failed or was quarantined, or a file was still being
    written after --wait seconds.
    """
    the_day = parse_day(day).isoformat()
    if from_stage == "detect":
        _say("[yellow]--stage detect is now called --stage candidates[/] (the old name still works)")
        from_stage = "candidates"
    cfg = load(config_path)
    with _station_log(stderr), Station(cfg) as station, progress_bar() as progress:
        task = progress.add_task(f"reprocess {the_day}", total=None)

        def waiting(files: list[Path], settles_in_s: float, left_s: float) -> None:
            text = f"waiting for {plural(len(files), 'file')} to settle (about {settles_in_s:.0f} s, "
            progress.update(task, description=text + f"at most {left_s:.0f} s)")

        report = station.reprocess(the_day, from_stage, on_outcome=_progress_of(progress, task),
                                   settle_s=settle_s, wait_s=wait_s, on_wait=waiting)  # fmt: skip
        progress.update(task, total=len(report.outcomes), description=f"reprocess {the_day}")
    outcomes = {s: report.count(s) for s in ("done", "failed", "quarantined", "skipped")}
    summary = {
        "day": the_day,
        "stages": list(report.stages),
        "minutes": report.minutes,
        "registered": report.registered,
        "requeued": report.requeued,
        "recovered_claims": report.recovered,
        "ignored": [str(p) for p in report.ignored],
        "unsettled": [str(p) for p in report.unsettled],
        "recording": [str(p) for p in report.recording],
        "looked_in": [str(p) for p in report.looked_in],
        "outcomes": outcomes,
    }
    if as_json:
        print_json(summary)
    else:
        for path in report.ignored:
            _say(f"[yellow]ignored[/] {path}: name does not match the camera's pattern")
        if report.requeued:
            _say(f"{plural(report.requeued, 'quarantined minute')} back in incoming/: processed as new")
        if report.unsettled:
            skipped = plural(len(report.unsettled), "file")
            waited = f"{report.waited_s:.0f} s (--wait)"
            _say(f"[red]skipped {skipped}[/] still being written after {waited}; reprocess again later:")
            for path in report.unsettled:
                _say(f"  {path}")
        if report.recording:
            files = plural(len(report.recording), "file")
            _say(f"{files} appeared while waiting (a camera recording now): left to the daemon")
        if report.minutes == 0 and not report.unsettled:
            folders = ", ".join(str(p) for p in report.looked_in)
            _say(f"[yellow]no minute of {the_day}[/]: none in incoming/ nor in the day's folders (looked in "
                 f"{folders}); is the day right (UTC days), and the cameras' incoming folders?")  # fmt: skip
        _say(f"{the_day}: " + ", ".join(f"{k} {v}" for k, v in outcomes.items()))
    if not report.ok:
        raise SystemExit(EXIT_FAILURE)


@click.command()
@click.argument("target", metavar="FILE|DAY")
@config_option
@json_option
def retry(target: str, config_path: Path | None, as_json: bool) -> None:
    """Process quarantined minutes again, after fixing the cause (a camera's resolution in the config, say).

    FILE is a quarantined file's name or path; DAY (YYYY-MM-DD) takes every quarantined minute of that
    day. Each file moves from quarantine/ back into its camera's incoming folder, its .reason file goes,
    and it is processed from scan. Exits 1 when a minute fails (or is quarantined) again, 2 when FILE is
    not a quarantined minute.
    """
    cfg = load(config_path)
    with _station_log(stderr), Station(cfg) as station, progress_bar() as progress:
        task = progress.add_task(f"retry {target}", total=None)
        report = station.retry(target, on_outcome=_progress_of(progress, task))
        progress.update(task, total=len(report.outcomes), description=f"retry {target}")
    outcomes = {s: report.count(s) for s in ("done", "failed", "quarantined", "skipped")}
    if as_json:
        print_json({
            "target": target,
            "minutes": [m.name for m in report.minutes],
            "moved": [{"from": str(a), "to": str(b)} for a, b in report.moved],
            "notes": report.notes,
            "problems": report.problems,
            "outcomes": outcomes,
        })  # fmt: skip
    else:
        for source, target_path in report.moved:
            _say(f"moved {source} back to {target_path}")
        for note in report.notes:
            _say(f"[yellow]note[/]: {note}")
        for problem in report.problems:
            _say(f"[red]not retried[/] {problem}")
        if not report.minutes:
            _say(f"no quarantined minute of {target}: nothing to retry")
        else:
            _say(f"retried {plural(len(report.minutes), 'minute')}: "
                         + ", ".join(f"{k} {v}" for k, v in outcomes.items()))  # fmt: skip
        if outcomes["skipped"]:
            _say("skipped: the daemon took them (see `stationd status`)")
    if not report.ok:
        raise SystemExit(EXIT_FAILURE)
