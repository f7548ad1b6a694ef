"""Meteors: ``stationd detect FILE...`` (no station), ``stationd meteors DAY`` and ``stationd export DAY``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import click
from rich.table import Table

from calibration import PointingConvention
from cli.options import config_option, json_option, load, make_table, print_json, progress_bar, stderr, stdout
from detection import (
    Backend,
    DetectionError,
    FileDetections,
    MeteorDetector,
    MeteorSettings,
    Projection,
    detect_file,
    iso_utc,
    load_mask,
)
from stationd import (
    EXIT_FAILURE,
    ProcessingSection,
    UsageError,
    existing_station,
    export_day,
    iter_records,
    meteor_settings,
    parse_day,
    plural,
    sky_columns,
)


@click.command()
@click.argument("day")
@click.option("--camera", default=None, help="Only this camera's meteors.")
@config_option
@json_option
def meteors(day: str, camera: str | None, config_path: Path | None, as_json: bool) -> None:
    """List the verified meteors of DAY (UTC, YYYY-MM-DD): with --json, their meteor.json records."""
    cfg = load(config_path)
    the_day = parse_day(day).isoformat()
    if camera is not None and camera not in (ids := [c.id for c in cfg.cameras]):
        raise UsageError(f"unknown camera {camera!r}: {cfg.source} configures {', '.join(ids)}")
    records = list(iter_records(existing_station(cfg), the_day, camera))
    if as_json:
        print_json(records)
        return
    render_meteors(records, title=f"meteors of {the_day}: {len(records)}")


def render_meteors(records: list[dict[str, Any]], title: str) -> None:
    """A table of meteor records (time, camera, frames, speed, length, fireball, clip)."""
    table = Table(title=title)
    for col in ("meteor", "start (UTC)", "s", "frames", "deg/s", "px", "fireball", "clip"):
        table.add_column(col)
    for r in records:
        line = r["line"]
        table.add_row(
            r["meteor_id"], r["start_utc"][11:23], f"{r['duration_s']:.2f}", str(len(r["frames"])),
            f"{line['speed_deg_s']:.1f}", f"{line['length_px']:.0f}", "yes" if r["fireball"] else "",
            r["products"].get("clip") or "-",
        )  # fmt: skip
    stdout.print(table)


@click.command("export")
@click.argument("day")
@config_option
@json_option
def export(day: str, config_path: Path | None, as_json: bool) -> None:
    """Write the FTPdetectinfo files of DAY's meteors (exports/DAY/<camera>/), as RMS tools read them."""
    cfg = load(config_path)
    existing_station(cfg, with_state=False)  # a mistyped data_dir: say so rather than create it
    the_day = parse_day(day).isoformat()
    paths = export_day(cfg, the_day)
    if as_json:
        print_json({"files": [str(p) for p in paths]})
        return
    for path in paths:
        stdout.print(f"wrote {path}")
    if not paths:
        stdout.print(f"no meteors on {the_day}: nothing exported")


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--fov", "fov_deg", type=float, default=90.0, show_default=True,
              help="Horizontal field of view (deg), for angular speeds.")  # fmt: skip
@click.option(
    "--scale", "scale_px_per_deg", type=float, default=None, help="Plate scale (px/deg); overrides --fov."
)
@click.option(
    "--projection",
    type=click.Choice(["equidistant", "rectilinear"]),
    default=None,
    help="The lens (with --fov across the image width): tracks are fitted as great circles on "
    "the sky, so a long meteor that a fish-eye lens curves is one detection. "
    "Default: straight lines on the image.",
)
@click.option("--centre", "centre", default=None, metavar="X,Y",
              help="Pixel of the optical axis, with --projection (default: the image centre).")  # fmt: skip
@click.option("--mask", "mask_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mask image of the camera's size; black is ignored (RMS mask.bmp works).")  # fmt: skip
@click.option("-k", "--threshold-k", "k_std", type=float, default=None,
              help="A pixel is lit when max - mean > k * std + j (default: the detector's).")  # fmt: skip
@click.option("-j", "--threshold-j", "j_dn", type=float, default=None, help="The j of the threshold, in DN.")
@click.option("--min-speed", "min_speed_deg_s", type=float, default=2.0, show_default=True, help="deg/s")
@click.option("--max-speed", "max_speed_deg_s", type=float, default=51.0, show_default=True, help="deg/s")
@click.option("--all", "show_rejected", is_flag=True, help="Also list detections that failed a check.")
@click.option("--decoder", type=click.Choice(["auto", "pyav", "opencv"]), default="auto", show_default=True)
@click.option("--platepar", "platepar", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An RMS plate (.cal): each point gains t_utc, ra_deg, dec_deg (J2000), az_deg, alt_deg "
              "and mag.")  # fmt: skip
@click.option("--convention", type=click.Choice(["legacy", "precessed", "precessed+nutation"]), default=None,
              help="The plate's pointing convention (legacy: RMS plates fitted before 2023-12).")  # fmt: skip
@json_option
def detect(
    files: tuple[Path, ...], fov_deg: float, scale_px_per_deg: float | None, projection: str | None,
    centre: str | None, mask_path: Path | None,
    k_std: float | None, j_dn: float | None, min_speed_deg_s: float, max_speed_deg_s: float,
    show_rejected: bool, decoder: str, platepar: Path | None, convention: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Detect meteors in FF files (RMS or ours) or videos (any common container and size), without a station.

    Each detection lists its frames (frame, x_px, y_px, intensity), its line, the checks it passed and
    whether it is a fireball: the fields of meteor.json that apply without a station. Exits 1 when a file
    cannot be read (each is named with the reason); the others are still searched.
    """
    detector = MeteorDetector(_settings(k_std, j_dn, min_speed_deg_s, max_speed_deg_s))
    centre_px = _centre(centre, projection)
    mask = load_mask(mask_path) if mask_path is not None else None
    results: list[dict[str, Any]] = []
    with progress_bar() as progress:
        for path in files:
            task = progress.add_task(path.name, total=None)

            def advance(done: int, total: int | None, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            try:
                found = detect_file(
                    path,
                    detector,
                    scale_px_per_deg=scale_px_per_deg,
                    fov_deg=fov_deg,
                    mask=mask,
                    backend=cast(Backend, decoder),
                    on_progress=advance,
                    projection=cast(Projection | None, projection),
                    centre_px=centre_px,
                )
            except (DetectionError, ValueError) as exc:
                stderr.print(f"[red]cannot search[/] {path}: {getattr(exc, 'reason', exc)}")
                results.append({"path": str(path), "ok": False, "reason": str(getattr(exc, "reason", exc))})
                continue
            finally:
                progress.update(task, visible=False)
            data = _file_json(found, show_rejected)
            if platepar is not None:
                data = sky_columns(data, platepar, cast(PointingConvention | None, convention))
            results.append(data)
    if as_json:
        print_json(results)
    else:
        _render_files(results)
    if not all(r["ok"] for r in results):
        raise SystemExit(EXIT_FAILURE)


def _centre(text: str | None, projection: str | None) -> tuple[float, float] | None:
    """``--centre X,Y`` as pixels (a usage error names the value when it is not two numbers)."""
    if text is None:
        return None
    if projection is None:
        raise UsageError(f"--centre {text}: a centre needs --projection (the lens it centres)")
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--centre {text!r}: expected two numbers X,Y in pixels, e.g. 160,118") from None
    return x, y


def _settings(k_std: float | None, j_dn: float | None, lo: float, hi: float) -> MeteorSettings:
    """The options as a station's ``processing`` section, mapped as the verify stage maps it."""
    processing = ProcessingSection(workers=1, min_speed_deg_s=lo, max_speed_deg_s=hi, k_std=k_std, j_dn=j_dn)
    try:
        return meteor_settings(processing)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _file_json(found: FileDetections, show_rejected: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": found.path, "ok": True, "kind": found.kind, "width_px": found.width_px,
        "height_px": found.height_px, "fps": found.fps, "n_frames": found.n_frames,
        "start_utc": iso_utc(found.start_utc) if found.start_utc else None,
        "detections": [d.to_json() for d in found.detections if d.passed],
    }  # fmt: skip
    if show_rejected:
        data["rejected"] = [{**d.to_json(), "reasons": d.reasons} for d in found.detections if not d.passed]
    return data


def _render_files(results: list[dict[str, Any]]) -> None:
    table = make_table(
        "file", "frames", "points", "deg/s", "px", "residual px", "fireball", "result", title="meteors found"
    )
    for r in results:
        name = Path(r["path"]).name
        if not r["ok"]:
            table.add_row(name, "", "", "", "", "", "", f"[red]unreadable: {r['reason']}[/]")
            continue
        rows = [(d, "[green]meteor[/]") for d in r["detections"]]
        rows += [(d, "[yellow]" + "; ".join(d["reasons"]) + "[/]") for d in r.get("rejected", [])]
        if not rows:
            table.add_row(name, "", "", "", "", "", "", f"no meteor in {plural(r['n_frames'], 'frame')}")
        for d, verdict in rows:
            line = d["line"]
            table.add_row(
                name, f"{line['frame_begin']}-{line['frame_end']}", str(len(d["frames"])),
                f"{line['speed_deg_s']:.1f}", f"{line['length_px']:.0f}", f"{line['residual_px']:.2f}",
                "yes" if d["fireball"] else "", verdict,
            )  # fmt: skip
    stdout.print(table)
