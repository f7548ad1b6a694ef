"""``stationd demo``: a synthetic night through the pipeline, with the truth beside the results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from cli.options import json_option, print_json, progress_bar, stdout
from stationd import EXIT_FAILURE, STAGE_ORDER, DemoReport, DemoSettings, Outcome, run_demo


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-station"),
    show_default=True,
    help="The demo station's directory (replaced if it holds an earlier demo).",
)
@click.option(
    "--minutes",
    type=int,
    default=4,
    show_default=True,
    help="Minutes of 720p video to synthesize (the station takes about 270 MB a minute).",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the synthetic night.")
@json_option
def demo(directory: Path, minutes: int, seed: int, as_json: bool) -> None:
    """Synthesize a night for one camera and run the whole pipeline on it, on embedded defaults."""
    settings = DemoSettings(directory=directory, minutes=minutes, seed=seed)
    with progress_bar() as progress:
        synth = progress.add_task("synthesize minutes", total=minutes)
        work = progress.add_task("process", total=minutes * len(STAGE_ORDER))

        def minute_done(name: str) -> None:
            progress.update(synth, advance=1, description=f"synthesized {name}")

        def outcome_done(outcome: Outcome) -> None:
            progress.update(work, advance=1, description=f"{outcome.stage} {outcome.minute.name}")

        report = run_demo(settings, minute_done, outcome_done)
    rows = report.meteor_rows()
    if as_json:
        print_json({"directory": str(report.directory), "meteors": rows, "minutes": report.negative_rows(),
                    "published": _published(report)})  # fmt: skip
    else:
        _render(report, rows)
    failed = [o for o in report.outcomes if o.status in ("failed", "quarantined")]
    if failed or (report.published is not None and not report.published.ok):
        raise SystemExit(EXIT_FAILURE)


def _clock(name: str) -> str:
    """``22:01:00`` from an AllSkyCams name ``2026_11_21_22_01_00_000_cam1.mp4``."""
    return name[11:19].replace("_", ":")


def _render(report: DemoReport, rows: list[dict[str, Any]]) -> None:
    console = stdout
    table = Table(title="meteors: truth, values detection and verification")
    for col in ("minute (UTC)", "true frames", "peak SNR", "candidate frames", "verified frames", "error px",
                "meteor"):  # fmt: skip
        table.add_column(col)
    for r in rows:
        c, m = r["found"], r["meteor"]
        cell = f"[green]{c['frame_start']}-{c['frame_end']}[/]" if c else "[red]missed[/]"
        verified = f"[green]{m['first_frame']}-{m['last_frame']}[/]" if m else "[red]not verified[/]"
        error = f"{m['median_error_px']:.2f}" if m and m["median_error_px"] is not None else ""
        ident = (m["meteor_id"] + (" (fireball)" if m["fireball"] else "")) if m else ""
        table.add_row(_clock(r["minute"]), f"{r['first_frame']}-{r['last_frame']}", f"{r['peak_snr']:.1f}",
                      cell, verified, error, ident)  # fmt: skip
    console.print(table)
    neg = Table(title="minutes: hard negatives, their candidates and meteors verified in error")
    for col in ("minute (UTC)", "negatives", "values detection", "candidates", "false meteors"):
        neg.add_column(col)
    for r in report.negative_rows():
        found = r["candidates"] or {}
        spans = ", ".join(f"{c['frame_start']}-{c['frame_end']}" for c in found.get("candidates", []))
        wrong = ", ".join(r["false_meteors"]) or "none"
        neg.add_row(_clock(r["minute"]), ", ".join(r["negatives"]), found.get("status", "-"), spans, wrong)
    console.print(neg)
    found = sum(1 for r in rows if r["found"])
    n_verified = sum(1 for r in rows if r["meteor"])
    config_file = report.directory / "stationd.yaml"
    console.print(f"{found} of {len(rows)} meteors inside a candidate, {n_verified} verified; "
                  f"station directory {report.directory}")  # fmt: skip
    published = _published(report)
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(published["kinds"].items()))
    console.print(f"published to the local object store {published['store']}: {len(published['objects'])} "
                  f"object(s), {published['bytes'] / 1e6:.1f} MB ({kinds or 'nothing'})")  # fmt: skip
    for row in published["objects"]:
        if row["kind"] in ("index", "live"):
            console.print(f"  {row['key']}", highlight=False)
    if published["error"]:
        console.print(f"[red]publishing failed:[/] {published['error']}", highlight=False)
    console.print(f"look closer: stationd meteors {report.day} --config {config_file}")


def _published(report: DemoReport) -> dict[str, Any]:
    """What the demo sent to its embedded object store: the objects, their kinds and bytes, any error."""
    kinds: dict[str, int] = {}
    for row in report.objects:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    sent = report.published
    storage = report.config.storage
    return {
        "store": str(storage.store_settings(report.config.station.data_dir).path),
        "objects": report.objects,
        "kinds": kinds,
        "bytes": sum(row["size_bytes"] or 0 for row in report.objects),
        "error": None
        if sent is None or sent.ok
        else (sent.store_error or "; ".join(sent.sent.errors if sent.sent else [])),
    }
