"""The station: configuration, on-disk layout, state store, stages, daemon and operations.

The only package that reads the clock, the configuration file or the environment. The names below are
its public face: ``cli`` imports from here only (a test in ``tests/test_public_api.py`` checks it).
"""

from stationd.config import ProcessingSection, StationConfig, load_config, parse_config, resolve_config_path
from stationd.config_checks import check_config, placeholder_problems, prepare_run
from stationd.config_example import example_config
from stationd.daemon.loop import Daemon
from stationd.demo import DemoReport, DemoSettings, run_demo
from stationd.disk.atomic import atomic_write_text
from stationd.disk.exports import export_day
from stationd.disk.layout import StationLayout, parse_day
from stationd.disk.network_state import RevisionRow
from stationd.disk.records import iter_records
from stationd.disk.state import Minute, StageRun, StateStore, Status
from stationd.errors import (
    EXIT_FAILURE,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    ConfigProblem,
    LockHeldError,
    StationError,
    UsageError,
)
from stationd.imports import ImportReport, RmsStation, import_ftpdetectinfo, read_rms_config
from stationd.network import NetworkRun, event_rows, is_event_id, run_network, solve_one
from stationd.ops.install import CONFIG_PATH, DEFAULT_DATA_DIR, install_service
from stationd.ops.logs import configure_from_config, follow_records, render_record, tail_records
from stationd.ops.night import night_report
from stationd.ops.sky import write_sky
from stationd.plate_files import FilePlate, calibrate_files
from stationd.publish.index import IndexReport, rebuild_index
from stationd.publish.outbox import outbox_overview
from stationd.publish.send import SyncReport, sync_now
from stationd.stages import STAGE_ORDER, Outcome, StageContext, StageRunner
from stationd.stages.calibrate import CalibrateDayReport, calibrate_day
from stationd.stages.results import (
    CandidatesStageResult,
    ScanStageResult,
    VerifyStageResult,
)
from stationd.stages.settings import candidate_settings, meteor_settings
from stationd.standalone import scan_file, sky_columns
from stationd.station import ReprocessReport, RetryReport, Station, existing_station
from stationd.text import plural

__all__ = [
    "CONFIG_PATH",
    "CalibrateDayReport",
    "CandidatesStageResult",
    "ConfigError",
    "ConfigProblem",
    "DEFAULT_DATA_DIR",
    "Daemon",
    "DemoReport",
    "DemoSettings",
    "EXIT_FAILURE",
    "EXIT_LOCKED",
    "EXIT_OK",
    "EXIT_USAGE",
    "FilePlate",
    "ImportReport",
    "IndexReport",
    "LockHeldError",
    "Minute",
    "NetworkRun",
    "Outcome",
    "ProcessingSection",
    "ReprocessReport",
    "RetryReport",
    "RevisionRow",
    "RmsStation",
    "STAGE_ORDER",
    "ScanStageResult",
    "StageContext",
    "StageRun",
    "StageRunner",
    "StateStore",
    "Station",
    "StationConfig",
    "StationError",
    "StationLayout",
    "Status",
    "SyncReport",
    "UsageError",
    "VerifyStageResult",
    "atomic_write_text",
    "calibrate_day",
    "calibrate_files",
    "candidate_settings",
    "check_config",
    "configure_from_config",
    "event_rows",
    "example_config",
    "existing_station",
    "export_day",
    "follow_records",
    "import_ftpdetectinfo",
    "install_service",
    "is_event_id",
    "iter_records",
    "load_config",
    "meteor_settings",
    "night_report",
    "outbox_overview",
    "parse_config",
    "parse_day",
    "placeholder_problems",
    "plural",
    "prepare_run",
    "read_rms_config",
    "rebuild_index",
    "render_record",
    "resolve_config_path",
    "run_demo",
    "run_network",
    "scan_file",
    "sky_columns",
    "solve_one",
    "sync_now",
    "tail_records",
    "write_sky",
]
