"""``stationd solve FILE... [--mc N] [--json]``: the trajectory of one meteor seen from several stations;
``stationd solve EVENT``: one network event through the checkout protocol."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import config_option, json_option, load, make_table, print_json, stdout
from stationd import UsageError, existing_station, is_event_id, solve_one
from trajectory import MonteCarloResult, Orbit, TrajectorySolution, read_tracks, solution_to_json, solve_event


@click.command("solve")
@click.argument("files", nargs=-1, required=True, metavar="EVENT|FILE...")
@click.option("--mc", "mc_runs", type=click.IntRange(min=0), default=0, show_default=True,
              help="Monte Carlo runs for the uncertainties (0: none; 2 or more).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Monte Carlo noise.")
@config_option
@json_option
def solve(files: tuple[str, ...], mc_runs: int, seed: int, config_path: Path | None, as_json: bool) -> None:
    """Solve the trajectory of one meteor from FILE... (no station needed), or the network event EVENT.

    FILE: calibrated meteor records (meteor.json with an observer block and sky columns), one per camera,
    or event files of other networks: a reference-solver trajectory or test-event JSON, Desert Fireball
    Network ECSV astrometry, Croatian Meteor Network M_*.txt (see trajectory/readers.py). With --json, the
    stationd.solution/1 document.

    \b
    EVENT: an event id of `stationd events DAY` (YYYYMMDD_HHMMSS_<6 hex>), solved by the configured
    station through the network's protocol: its solution copied when one is published, else claimed,
    solved with the network's settings (network.mc_runs) and published; --mc and --seed do not apply.
    """
    if len(files) == 1 and is_event_id(files[0]) and not Path(files[0]).exists():
        _solve_event(files[0], config_path, as_json)
        return
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)} (give meteor files, or one event id)")
    if mc_runs == 1:
        raise click.BadParameter("Monte Carlo needs 2 runs or more (or 0 for none)", param_hint="--mc")
    tracks = read_tracks([Path(f) for f in files])
    event = solve_event(tracks, mc_runs=mc_runs, seed=seed)
    if as_json:
        print_json(solution_to_json(event.solution, tracks, monte_carlo=event.monte_carlo))
        return
    render_solution(event.solution, event.monte_carlo)
    if event.orbit_problem:
        stdout.print(f"no heliocentric orbit: {event.orbit_problem}", highlight=False)


def _solve_event(event_id: str, config_path: Path | None, as_json: bool) -> None:
    cfg = load(config_path)
    existing_station(cfg, with_state=False)  # an imported RMS station has records but no state store yet
    run = solve_one(cfg, event_id)
    if as_json:
        print_json(
            [
                {
                    "event_id": o.event.event_id,
                    "revision": o.event.revision,
                    "state": o.state,
                    "owner": o.owner,
                    "detail": o.detail,
                    "solution": o.solution,
                }
                for o in run.report.outcomes
            ]
        )
        return  # fmt: skip
    if run.report.refusal:
        stdout.print(f"not claiming: {run.report.refusal}", highlight=False)
    for o in run.report.outcomes:
        who = f" by {o.owner}" if o.owner else ""
        stdout.print(f"{o.event.event_id} revision {o.event.revision} ({', '.join(o.event.stations)}): "
                     f"{o.state}{who}{': ' + o.detail if o.detail else ''}", highlight=False)  # fmt: skip


def _pm(mc: MonteCarloResult | None, name: str, fmt: str, scale: float = 1.0) -> str:
    if mc is None or name not in mc.sigmas:
        return ""
    return f" ± {mc.sigmas[name] * scale:{fmt}}"


def _deceleration(s: TrajectorySolution) -> str:
    d = s.deceleration
    return "-" if d is None else f"{d.deceleration_end_m_s2 / 1e3:.2f} (v_end {d.v_end_m_s / 1e3:.2f} km/s)"


def _orbit_rows(o: Orbit, mc: MonteCarloResult | None) -> list[tuple[str, str]]:
    a = f"{o.a_au:.3f}{_pm(mc, 'a_au', '.3f')}" if o.a_au > 0 else f"{o.a_au:.3f} (hyperbolic)"
    return [
        ("geocentric radiant, J2000 (deg)",
         f"RA {o.ra_geo_deg:.3f}{_pm(mc, 'ra_geo_deg', '.3f')}  Dec {o.dec_geo_deg:+.3f}"
         f"{_pm(mc, 'dec_geo_deg', '.3f')}"),
        ("v_geo (km/s)", f"{o.v_geo_m_s / 1e3:.3f}{_pm(mc, 'v_geo_m_s', '.3f', 1e-3)}"),
        ("orbit a (AU), e, i (deg)",
         f"{a}  {o.e:.4f}{_pm(mc, 'e', '.4f')}  {o.i_deg:.3f}{_pm(mc, 'i_deg', '.3f')}"),
        ("q (AU), node, arg. of perihelion (deg)",
         f"{o.q_au:.4f}  {o.node_deg:.3f}  {o.arg_perihelion_deg:.3f}"),
        ("Tisserand's parameter (Jupiter)", f"{o.tisserand_jupiter:.2f}"),
    ]  # fmt: skip


def render_solution(s: TrajectorySolution, mc: MonteCarloResult | None) -> None:
    """The solution as two tables: the trajectory, then each track's fit."""
    main = make_table("quantity", "value", title="trajectory")
    rows = [
        ("apparent radiant, of date (deg)",
         f"RA {s.radiant_ra_of_date_deg:.3f}{_pm(mc, 'radiant_ra_of_date_deg', '.3f')}  "
         f"Dec {s.radiant_dec_of_date_deg:+.3f}{_pm(mc, 'radiant_dec_of_date_deg', '.3f')}"),
        ("apparent radiant, J2000 (deg)",
         f"RA {s.radiant_ra_j2000_deg:.3f}  Dec {s.radiant_dec_j2000_deg:+.3f}"),
        ("radiant az / alt (deg)", f"{s.radiant_az_deg:.2f} / {s.radiant_alt_deg:.2f}"),
        ("v_init (km/s)",
         f"{s.v_init_m_s / 1e3:.3f}{_pm(mc, 'v_init_m_s', '.3f', 1e-3)}  ({s.v_init_n_points} points)"),
        ("v_avg (km/s)", f"{s.v_avg_m_s / 1e3:.3f}{_pm(mc, 'v_avg_m_s', '.3f', 1e-3)}"),
        ("deceleration at end (km/s²)", _deceleration(s)),
        ("begin (UTC, lat, lon, height km)",
         f"{str(s.begin.t_utc)[11:23]}  {s.begin.lat_deg:.4f} {s.begin.lon_deg:.4f}  "
         f"{s.begin.height_m / 1e3:.2f}{_pm(mc, 'begin_height_m', '.2f', 1e-3)}"),
        ("end (UTC, lat, lon, height km)",
         f"{str(s.end.t_utc)[11:23]}  {s.end.lat_deg:.4f} {s.end.lon_deg:.4f}  "
         f"{s.end.height_m / 1e3:.2f}{_pm(mc, 'end_height_m', '.2f', 1e-3)}"),
        ("max convergence (deg)", f"{s.max_convergence_deg:.1f} ({' / '.join(s.best_pair)})"),
    ]  # fmt: skip
    if isinstance(s.orbit, Orbit):
        rows.extend(_orbit_rows(s.orbit, mc))
    if mc is not None:
        rows.append(("Monte Carlo", f"{mc.n_runs} runs, seed {mc.seed}, {mc.n_failed} failed"))
    for row in rows:
        main.add_row(*row)
    stdout.print(main)
    headers = ("track", "points", "rejected", "offset s", "sigma ″", "rms ″", "rms m")
    tracks = make_table(*headers, title="tracks")
    for t in s.tracks:
        miss_m = t.residual_m if t.rejected else t.residual_m[t.used]
        rms_m = float((miss_m**2).mean() ** 0.5) if miss_m.size else float("nan")
        tracks.add_row(
            t.label, str(t.n_points), f"track: {t.reason}" if t.rejected else str(t.n_rejected_points),
            f"{t.time_offset_s:+.3f}", f"{t.sigma_arcsec:.1f}", f"{t.rms_arcsec:.1f}", f"{rms_m:.0f}",
        )  # fmt: skip
    stdout.print(tracks)
