"""Is a valid configuration fit to run here: placeholders of ``config init`` and the data directory.

``config check`` warns (:func:`check_config`); ``stationd run`` refuses (:func:`prepare_run`). Loading
(:mod:`stationd.config`) checks each value on its own; these checks look at the machine and at values
that are valid but cannot be meant.
"""

from __future__ import annotations

import os
from pathlib import Path

from stationd.config import StationConfig
from stationd.errors import ConfigError, ConfigProblem

PLACEHOLDER_STATION_ID = "XX0001"
"""The station id ``stationd config init`` writes unless told (as RMS's own example configuration)."""


def placeholder_problems(config: StationConfig) -> list[ConfigProblem]:
    """Values of ``stationd config init`` that no real station has: the placeholder station id, and
    latitude and longitude both 0 (the sea off West Africa). ``config check`` warns of each and
    ``stationd run`` refuses them: meteor records and FF names would carry them for good."""
    s = config.station
    problems = []
    if s.id.upper() == PLACEHOLDER_STATION_ID:
        problems.append(
            ConfigProblem("station.id", s.id, "your station's code, not config init's placeholder")
        )
    if s.latitude_deg == 0.0 and s.longitude_deg == 0.0:
        for key, what in (("latitude_deg", "latitude"), ("longitude_deg", "longitude")):
            expected = f"the station's {what}, not config init's placeholder 0"
            problems.append(ConfigProblem(f"station.{key}", 0.0, expected))
    return problems


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(path.anchor or ".")


def data_dir_problem(data_dir: Path, *, this_user: bool) -> ConfigProblem | None:
    """Why ``station.data_dir`` cannot hold a station, or None.

    A file where the directory (or one of its parents) should be, or a read-only file system, is always
    a problem. Permissions are judged for the user running this process only when ``this_user`` (the
    process is about to write there); otherwise only when no other user could do better: when this user
    is root or owns the folder in question (``config check`` run by an operator while the station runs as
    its own user must not refuse the station's directory).
    """
    key = "station.data_dir"
    here = _nearest_existing(data_dir)
    if not here.is_dir():
        what = (
            "it is not a directory" if here == data_dir else f"it cannot be made: {here} is not a directory"
        )
        return ConfigProblem(key, str(data_dir), f"a directory ({what})")
    if os.access(here, os.W_OK | os.X_OK):
        return None
    try:
        owner_can_fix = os.geteuid() in (0, here.stat().st_uid)
    except OSError:
        owner_can_fix = True
    if not this_user and not owner_can_fix:
        return None
    user = _user_name()
    what = "cannot write there" if here == data_dir else f"cannot create it in {here}"
    return ConfigProblem(key, str(data_dir), f"a directory the station can write to (user {user} {what})")


def _user_name() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return str(os.geteuid())


def check_config(config: StationConfig) -> list[str]:
    """What ``stationd config check`` says beyond loading: raises :class:`ConfigError` for a data
    directory no user could use; returns warnings (renamed keys, placeholders, a data directory that
    does not exist yet or that this user cannot write)."""
    data_dir = config.station.data_dir
    problem = data_dir_problem(data_dir, this_user=False)
    if problem is not None:
        raise ConfigError(config.source, [problem])
    warnings = list(config.warnings)
    warnings += [f"{p}: stationd run refuses it until it is set" for p in placeholder_problems(config)]
    mine = data_dir_problem(data_dir, this_user=True)
    if mine is not None:
        warnings.append(f"{mine}: fine only if the station runs as a user that can")
    elif not data_dir.exists():
        warnings.append(f"station.data_dir {data_dir} does not exist yet: stationd run creates it")
    return warnings


def prepare_run(config: StationConfig) -> None:
    """Before ``stationd run``: refuse (:class:`ConfigError`, exit 2) placeholder values and a data
    directory this process cannot write; make the data directory (a failure is a ConfigError too)."""
    problems = placeholder_problems(config)
    data_dir = config.station.data_dir
    problem = data_dir_problem(data_dir, this_user=True)
    if problem is None:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = ConfigProblem("station.data_dir", str(data_dir), f"a directory ({exc.strerror})")
    if problem is not None:
        problems.append(problem)
    if problems:
        raise ConfigError(config.source, problems)
