"""Operator logs: the renderings, the JSON-lines file with rotation, and `stationd logs`."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli.logs_cmd import logs
from cli.main import cli
from stationd.config import load_config
from stationd.config_example import example_config
from stationd.ops.logs import (
    JsonLinesFormatter,
    PlainFormatter,
    configure_from_config,
    configure_logging,
    follow_records,
    log_event,
    render_record,
    tail_records,
    under_journald,
)


@pytest.fixture(autouse=True)
def _restore_stationd_logger() -> Iterator[None]:
    root = logging.getLogger("stationd")
    saved = (root.handlers[:], root.level, root.propagate)
    yield
    for h in root.handlers:
        if h not in saved[0]:
            h.close()
    root.handlers[:], root.level, root.propagate = saved


def _record(msg: str = "scan done", level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("stationd.stages", level, __file__, 1, msg, (), None)
    for k, v in extra.items():
        setattr(rec, k, v)
    rec.created = 1783897200.25  # 2026-07-12T23:00:00.250Z
    return rec


def test_plain_lines_carry_time_level_camera_stage_file_and_duration() -> None:
    rec = _record(camera="cam1", stage="scan", file="a.mp4", duration_s=1.234)
    line = PlainFormatter().format(rec)
    assert (
        line == "2026-07-12T23:00:00.250Z INFO stationd.stages: scan done"
        " [camera=cam1 stage=scan file=a.mp4 1.23 s]"
    )


def test_journald_lines_have_a_priority_prefix_and_no_time(tmp_path: Path) -> None:
    rec = _record("disk full", logging.ERROR, stage="retention")
    assert PlainFormatter(timestamps=False, syslog_prefix=True).format(rec) == (
        "<3>ERROR stationd.stages: disk full [stage=retention]"
    )
    with (tmp_path / "stream").open("w") as stream:
        st = os.fstat(stream.fileno())
        assert under_journald({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}, stream)
        assert not under_journald({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"}, stream)
        assert not under_journald({}, stream)


def test_json_lines_file_with_fields_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "stationd.jsonl"
    configure_logging(
        "INFO", stream_is_terminal=False, json_file=path, environ={}, json_max_bytes=2000, json_backups=2
    )
    log = logging.getLogger("stationd.test")
    for i in range(40):
        log_event(log, f"scan {i} done", camera="cam1", stage="scan", file=f"{i}.mp4", duration_s=0.5, n=i)
    assert path.with_name("stationd.jsonl.1").is_file()  # rotated
    last = tail_records(path, 3)
    assert [r["message"] for r in last] == ["scan 37 done", "scan 38 done", "scan 39 done"]
    assert last[-1]["camera"] == "cam1" and last[-1]["stage"] == "scan" and last[-1]["n"] == 39
    assert last[-1]["duration_s"] == 0.5 and last[-1]["t_utc"].endswith("Z") and last[-1]["level"] == "INFO"


def test_json_formatter_keeps_exceptions() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        rec = logging.LogRecord("stationd", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    obj = json.loads(JsonLinesFormatter().format(rec))
    assert "ValueError: bad" in obj["exception"]


def test_follow_reads_appended_records_across_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"message": "old"}) + "\n")
    script = [
        lambda: _append(path, {"message": "one"}),
        lambda: _append(path, {"message": "tw", "partial": True}, partial=True),
        lambda: (path.rename(tmp_path / "s.jsonl.1"), _append(path, {"message": "three"})),
    ]
    seen: list[str] = []

    def sleep(_s: float) -> None:
        assert script, f"follow_records waits for more input after {seen}"
        script.pop(0)()

    for rec in follow_records(path, stop=lambda: len(seen) >= 3, sleep=sleep):
        seen.append(rec["message"])
        if len(seen) == 3:
            break
    assert seen == ["one", "tw", "three"]


def _append(path: Path, obj: dict[str, object], partial: bool = False) -> None:
    text = json.dumps(obj) + "\n"
    with path.open("a") as f:
        if partial:
            f.write(text[:5])
            f.flush()
            f.write(text[5:])
        else:
            f.write(text)


def test_render_record_shows_message_and_fields() -> None:
    text = render_record(
        {
            "t_utc": "2026-07-12T23:00:00.250000Z",
            "level": "WARNING",
            "message": "late",
            "camera": "cam1",
            "duration_s": 2.0,
        }
    ).plain
    assert text == "2026-07-12 23:00:00 WARNING late [camera=cam1 2.00 s]"


def _config_file(tmp_path: Path, json_file: Path | None) -> Path:
    raw = yaml.safe_load(example_config(tmp_path / "data"))
    if json_file is not None:
        raw["logging"]["json_file"] = str(json_file)
    path = tmp_path / "stationd.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_logs_command_prints_the_last_records(tmp_path: Path) -> None:
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text(
        "".join(json.dumps({"level": "INFO", "message": f"m{i}", "camera": "cam1"}) + "\n" for i in range(5))
    )
    cfg = _config_file(tmp_path, jsonl)
    result = CliRunner().invoke(logs, ["--config", str(cfg), "-n", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["INFO    m3 [camera=cam1]", "INFO    m4 [camera=cam1]"]
    result = CliRunner().invoke(logs, ["--config", str(cfg), "-n", "1", "--json"])
    assert json.loads(result.output) == {"level": "INFO", "message": "m4", "camera": "cam1"}


def test_logs_work_out_of_the_box_with_the_generated_config(tmp_path: Path) -> None:
    """`config init`'s file leaves logging.json_file out: the daemon still logs to data_dir/logs/ and
    `stationd logs` reads it (it exited 2 with every generated configuration: issue 10, defect 8)."""
    config_path = _config_file(tmp_path, None)
    assert "\n  json_file:" not in config_path.read_text()  # commented out, as config init writes it
    cfg = load_config(config_path)
    assert cfg.logging.json_file == tmp_path / "data" / "logs" / "stationd.jsonl"
    runner = CliRunner()
    before = runner.invoke(cli, ["logs", "--config", str(config_path)])
    assert before.exit_code == 1
    assert "no log yet" in before.stderr and "journalctl -u stationd" in before.stderr
    configure_from_config(cfg, stream_is_terminal=False)  # what `stationd run` does
    log_event(logging.getLogger("stationd.test"), "scan done", camera="cam1", stage="scan")
    result = runner.invoke(cli, ["logs", "--config", str(config_path), "-n", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith("INFO    scan done [camera=cam1 stage=scan]")


@pytest.mark.parametrize("value", ["off", "OFF", None, False])
def test_logs_command_with_the_json_file_off_says_where_logs_are(tmp_path: Path, value: object) -> None:
    raw = yaml.safe_load(example_config(tmp_path / "data"))
    raw["logging"]["json_file"] = value
    config_path = tmp_path / "stationd.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    assert load_config(config_path).logging.json_file is None
    result = CliRunner().invoke(cli, ["logs", "--config", str(config_path)])
    assert result.exit_code == 2
    assert "logging.json_file is off" in result.stderr and "journalctl -u stationd" in result.stderr
    shown = tmp_path / "shown.yaml"
    shown.write_text(CliRunner().invoke(cli, ["config", "show", "--config", str(config_path)]).stdout)
    assert load_config(shown).logging.json_file is None


def test_an_explicit_json_file_is_kept_and_config_show_round_trips(tmp_path: Path) -> None:
    config_path = _config_file(tmp_path, tmp_path / "elsewhere.jsonl")
    cfg = load_config(config_path)
    assert cfg.logging.json_file == tmp_path / "elsewhere.jsonl"
    shown = CliRunner().invoke(cli, ["config", "show", "--config", str(config_path)])
    assert shown.exit_code == 0, shown.output
    again = tmp_path / "shown.yaml"
    again.write_text(shown.stdout)
    assert load_config(again).logging == cfg.logging
