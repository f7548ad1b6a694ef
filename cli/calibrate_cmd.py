"""``stationd calibrate``: a plate solution from FF files, minute videos or stack images and a guess (or
blind); a station day's meteors calibrated."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from calibration import CameraModel, Platepar, PlateparError, parse_platepar
from cli.options import config_option, json_option, load, make_table, print_json, stderr, stdout
from detection import load_mask
from stationd import (
    EXIT_FAILURE,
    FilePlate,
    UsageError,
    atomic_write_text,
    calibrate_day,
    calibrate_files,
    existing_station,
    parse_day,
)

_GUESS = ("guess_az", "guess_alt", "guess_rotation", "guess_fov")


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lat", "lat_deg", type=float, help="Station latitude (deg, north positive).")
@click.option("--lon", "lon_deg", type=float, help="Station longitude (deg, east positive).")
@click.option("--elevation", "elevation_m", type=float, help="Station elevation above mean sea level (m).")
@click.option("--guess-az", "guess_az", type=float,
              help="Azimuth of the image centre (deg, east of north). Without any guess: blind.")  # fmt: skip
@click.option("--guess-alt", "guess_alt", type=float, help="Altitude of the image centre (deg).")
@click.option("--guess-rotation", "guess_rotation", type=float, help="As the config's pointing.rotation_deg.")
@click.option("--guess-fov", "guess_fov", type=float, help="Horizontal field of view (deg).")
@click.option("--projection", type=click.Choice(["equidistant", "rectilinear"]), default="equidistant",
              show_default=True, help="Projection of the guess.")  # fmt: skip
@click.option("--platepar", "start_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Start from this RMS plate (instead of a guess).")  # fmt: skip
@click.option("--convention", type=click.Choice(["legacy", "precessed", "precessed+nutation"]),
              default="precessed+nutation", show_default=True,
              help="Pointing convention of --platepar (legacy: RMS before 2023-12-11).")  # fmt: skip
@click.option("--mask", "mask_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mask image of the camera's size; black is ignored (RMS mask.bmp works).")  # fmt: skip
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the best solution here (RMS platepar_cmn2010.cal format).")  # fmt: skip
@click.option("--time", "time_text", default=None,
              help="UTC start of the recording (ISO 8601) for files whose names carry no time "
                   "(names like 2026_07_12_22_15_06_120_cam1.mp4 do).")  # fmt: skip
@click.option("--night", "night", default=None,
              help="Instead of FILEs: calibrate the station's meteors of this UTC day with each camera's "
                   "plate (calibration/<camera>/platepar_cmn2010.cal).")  # fmt: skip
@click.option("--camera", default=None, help="With --night: only this camera.")
@config_option
@json_option
def calibrate(files: tuple[Path, ...], lat_deg: float | None, lon_deg: float | None,
              elevation_m: float | None, projection: str, start_path: Path | None, convention: str,
              mask_path: Path | None, out_path: Path | None, time_text: str | None, night: str | None,
              camera: str | None, config_path: Path | None, as_json: bool,
              **guess: float | None) -> None:  # fmt: skip
    """Fit a plate solution to the stars of FILEs from a coarse guess, a starting plate, or blind.

    FILEs are FF files (their average image), minute videos (the mean of 64 frames about the middle) or
    stack images (PNG/JPEG, a minute's stack dated at its middle) of one camera; a video or stack is dated
    by its AllSkyCams name (YYYY_MM_DD_HH_MM_SS_mmm_<camera>.mp4, <stem>_stack.jpg) or by --time.

    With no --guess-* and no --platepar the plate is found blind (star patterns against the catalogue; only
    the station's --lat/--lon/--elevation and the file's time are known). Prints per file the verdict:
    matched stars, median and 90th-percentile residuals (px, arcmin), the matches per image quadrant, the
    pointing, scale and distortion. Exits 1 when no file gives a solution (with the reason), 2 for bad
    arguments. With --night DAY instead of files: the
    station's meteors of DAY get sky columns from their camera's plate, and the day's FTPdetectinfo is
    remade.
    """
    if night is not None:
        if files:
            raise UsageError("give FILEs or --night DAY, not both")
        _calibrate_night(config_path, night, camera, as_json)
        return
    if not files:
        raise UsageError("give files to calibrate (or --night DAY for a station's meteors)")
    site = _site(lat_deg, lon_deg, elevation_m)
    start = _start(guess, projection, start_path, convention)
    mask = load_mask(mask_path) if mask_path is not None else None
    time_utc = _time(time_text) if time_text is not None else None
    results = calibrate_files(list(files), start, mask=mask, time_utc=time_utc, **site)
    if as_json:
        print_json([_file_json(r) for r in results])
    else:
        _render(results)
    best = max((r for r in results if r.solved), key=lambda r: r.fit.n_matched if r.fit else 0, default=None)
    if best is None or best.fit is None or best.fit.platepar is None:
        reasons = "; ".join(f"{r.path.name}: {r.reason}" for r in results)
        raise _fail(reasons)
    if out_path is not None:
        atomic_write_text(out_path, best.fit.platepar.to_json() + "\n")
        if not as_json:
            stdout.print(f"wrote {out_path} (from {best.path.name})")


def _fail(reasons: str) -> SystemExit:
    """Exit 1 with the reason of each file on stderr."""
    stderr.print(f"[bold red]no solution:[/] {reasons}", highlight=False)
    return SystemExit(EXIT_FAILURE)


def _site(lat: float | None, lon: float | None, elevation: float | None) -> dict[str, float]:
    missing = [n for n, v in (("--lat", lat), ("--lon", lon), ("--elevation", elevation)) if v is None]
    if missing:
        raise UsageError(f"missing {', '.join(missing)}: the station's location is needed to calibrate files")
    assert lat is not None and lon is not None and elevation is not None
    if not -90.0 <= lat <= 90.0 or not -180.0 <= lon <= 360.0 or not math.isfinite(elevation):
        raise UsageError(f"--lat {lat} --lon {lon} --elevation {elevation}: expected lat in [-90, 90], "
                         "lon in [-180, 360] and a finite elevation")  # fmt: skip
    return {"lat_deg": lat, "lon_deg": lon, "elevation_m": elevation}


def _time(text: str) -> datetime:
    """``--time``: an ISO 8601 UTC time (a naive one is taken as UTC)."""
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--time {text!r}: expected an ISO 8601 time such as 2026-07-12T22:15:06Z") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _start(guess: dict[str, float | None], projection: str, start_path: Path | None,
           convention: str) -> CameraModel | Platepar | None:  # fmt: skip
    given = [k for k in _GUESS if guess.get(k) is not None]
    if start_path is not None:
        if given:
            raise UsageError("give either --guess-* or --platepar, not both")
        try:
            return parse_platepar(start_path.read_bytes(), convention=convention, source=str(start_path))  # type: ignore[arg-type]
        except PlateparError as exc:
            raise UsageError(str(exc)) from None
    if not given:
        return None  # blind: star patterns against the catalogue
    if len(given) < len(_GUESS):
        missing = ", ".join("--" + k.replace("_", "-") for k in _GUESS if k not in given)
        raise UsageError(f"an incomplete guess: missing {missing}")
    try:  # the size is each file's own (calibrate_files takes the model at the image's size)
        return CameraModel(1280, 720, guess["guess_az"], guess["guess_alt"], guess["guess_rotation"],  # type: ignore[arg-type]
                           guess["guess_fov"], projection)  # type: ignore[arg-type]  # fmt: skip
    except ValueError as exc:
        raise UsageError(f"a bad guess: {exc}") from None


def _file_json(r: FilePlate) -> dict[str, Any]:
    fit = r.fit
    data: dict[str, Any] = {"path": str(r.path), "solved": r.solved, "reason": r.reason, "n_stars": r.n_stars,
                            "blind": r.blind is not None}  # fmt: skip
    if r.blind:
        data["blind_hypothesis"] = r.blind
    if fit is None:
        return data
    data.update(
        n_matched=fit.n_matched, match_fraction=round(fit.match_fraction, 3),
        quadrant_counts=list(fit.quadrant_counts),
        median_residual_px=_num(fit.median_residual_px), p90_residual_px=_num(fit.p90_residual_px),
        median_residual_arcmin=_num(fit.median_residual_arcmin),
    )  # fmt: skip
    if fit.platepar is not None:
        pp = fit.platepar
        data.update(
            p90_residual_arcmin=_num(fit.p90_residual_px / pp.f_scale_px_per_deg * 60.0),
            az_deg=r.az_deg, alt_deg=r.alt_deg, ra_deg=pp.ra_ref_deg, dec_deg=pp.dec_ref_deg,
            pos_angle_deg=pp.pos_angle_ref_deg, scale_px_per_deg=pp.f_scale_px_per_deg,
            distortion=pp.distortion_type,
        )  # fmt: skip
    if r.mag_lev is not None:
        data.update(mag_lev=_num(r.mag_lev), mag_scatter=_num(r.mag_scatter or math.nan),
                    n_photometric=r.n_photometric)  # fmt: skip
    return data


def _num(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def _render(results: list[FilePlate]) -> None:
    headers = ("file", "stars", "matched", "median px", "p90 px", "median '", "quadrants", "pointing",
               "scale px/deg", "distortion", "zero point", "verdict")  # fmt: skip
    table = make_table(*headers, title="plate solutions")
    for r in results:
        d = _file_json(r)
        if r.fit is None:
            table.add_row(r.path.name, "", "", "", "", "", "", "", "", "", "", f"[red]{r.reason}[/]")
            continue

        def f(key: str, fmt: str = ".2f", d: dict[str, Any] = d) -> str:
            v = d.get(key)
            return "" if v is None else format(v, fmt)

        pointing = f"az {d['az_deg']:.2f} alt {d['alt_deg']:.2f}" if d.get("az_deg") is not None else ""
        verdict = "[green]solved[/]" if r.solved else f"[red]{r.reason}[/]"
        zero = f"{d['mag_lev']:.2f} ± {d['mag_scatter']:.2f}" if d.get("mag_lev") is not None else ""
        table.add_row(r.path.name, str(r.n_stars), str(d["n_matched"]), f("median_residual_px"),
                      f("p90_residual_px"), f("median_residual_arcmin"), str(tuple(d["quadrant_counts"])),
                      pointing, f("scale_px_per_deg", ".3f"), d.get("distortion", ""), zero,
                      verdict)  # fmt: skip
    stdout.print(table)


def _calibrate_night(config_path: Path | None, night: str, camera: str | None, as_json: bool) -> None:
    cfg = load(config_path)
    existing_station(cfg, with_state=False)
    day = parse_day(night).isoformat()
    if camera is not None and camera not in (ids := [c.id for c in cfg.cameras]):
        raise UsageError(f"unknown camera {camera!r}: {cfg.source} configures {', '.join(ids)}")
    report = calibrate_day(cfg, day, camera)
    if as_json:
        print_json({"day": day, "calibrated": report.calibrated,
                    "without_plate": list(report.without_plate), "failed": list(report.failed),
                    "exported": [str(p) for p in report.exported], "lenses": report.lenses})  # fmt: skip
    else:
        for cam, name in report.lenses.items():
            stdout.print(f"{cam}: the lens refitted on the day's stars: calibration/{cam}/nights/{name}")
        for cam, n in report.calibrated.items():
            stdout.print(f"{cam}: {n} meteor(s) of {day} calibrated")
        for cam in report.without_plate:
            stdout.print(f"{cam}: no plate solution (calibration/{cam}/platepar_cmn2010.cal)")
    if report.failed:
        raise SystemExit(EXIT_FAILURE)
