"""The station: configuration, on-disk layout, state store, stages, daemon and operations.

The only package that reads the clock, the configuration file or the environment.
"""

from stationd.config import StationConfig, load_config, parse_config, resolve_config_path
from stationd.disk.layout import StationLayout, parse_day
from stationd.disk.state import Minute, StageRun, StateStore, Status
from stationd.errors import ConfigError, ConfigProblem, LockHeldError, StationError, UsageError
from stationd.stages import STAGE_ORDER, Outcome, StageContext, StageRunner
from stationd.station import ReprocessReport, Station

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "LockHeldError",
    "Minute",
    "Outcome",
    "ReprocessReport",
    "STAGE_ORDER",
    "StageContext",
    "StageRun",
    "StageRunner",
    "StateStore",
    "Station",
    "StationConfig",
    "StationError",
    "StationLayout",
    "Status",
    "UsageError",
    "load_config",
    "parse_config",
    "parse_day",
    "resolve_config_path",
]
