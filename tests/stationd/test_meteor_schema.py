"""The meteor.json schema (DESIGN 4): valid itself, accepts real-shaped records, refuses broken ones."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from detection.meteors.checks import Check
from detection.meteors.record import Detection, FramePoint, LineFit
from stationd.schemas import METEOR_SCHEMA_ID, detection_schema, meteor_schema


def _record() -> dict[str, Any]:
    """A meteor record shaped like the first meteor of UK0006 2022-09-14 (values from its FTPdetectinfo)."""
    frames = [
        {
            "frame": 59,
            "t_utc": "2022-09-14T19:49:13.567316Z",
            "x_px": 499.18,
            "y_px": 41.66,
            "intensity": 1385.0,
        },
        {
            "frame": 60,
            "t_utc": "2022-09-14T19:49:13.608228Z",
            "x_px": 497.15,
            "y_px": 58.09,
            "intensity": 3140.0,
        },
        {
            "frame": 61,
            "t_utc": "2022-09-14T19:49:13.649192Z",
            "x_px": 494.9,
            "y_px": 75.43,
            "intensity": 5206.0,
        },
        {
            "frame": 62,
            "t_utc": "2022-09-14T19:49:13.690092Z",
            "x_px": 492.69,
            "y_px": 91.68,
            "intensity": 5756.0,
        },
    ]
    return {
        "schema": "stationd.meteor/1",
        "meteor_id": "UK0006_20220914_194913_567_c1",
        "station": "UK0006",
        "camera": "c1",
        "start_utc": "2022-09-14T19:49:13.567316Z",
        "end_utc": "2022-09-14T19:49:13.690092Z",
        "duration_s": 0.122776,
        "fps": 25.0,
        "source": {
            "video": "2022-09-14/c1/194900.mp4",
            "ff_files": ["FF_UK0006_20220914_194911_205_0079616.fits"],
            "hd_video": None,
        },
        "frames": frames,
        "line": {
            "x_begin_px": 499.18,
            "y_begin_px": 41.66,
            "x_end_px": 492.69,
            "y_end_px": 91.68,
            "frame_begin": 59,
            "frame_end": 62,
            "speed_px_frame": 16.82,
            "speed_deg_s": 26.85,
            "length_px": 50.44,
            "residual_px": 0.31,
        },
        "checks": {
            "frames": {"value": 4, "limit": ">= 4", "passed": True},
            "speed": {"value": 26.85, "limit": "2..51", "passed": True},
            "blinking": {"value": False, "limit": "no", "passed": True},
        },
        "fireball": False,
        "calibration": None,
        "products": {
            "clip": "2022-09-14/c1/meteors/m1.mp4",
            "stack": "2022-09-14/c1/meteors/m1.jpg",
            "clip_hd": None,
        },
    }


def _calibrated(record: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(record)
    out["frames"][0].update(ra_deg=269.7553, dec_deg=30.5593, az_deg=222.0294, alt_deg=64.1737, mag=2.33)
    out["calibration"] = {"solution_id": "UK0006_20220914_cal1", "residual_px": 0.16}
    return out


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(meteor_schema())


def test_schema_is_valid_draft_2020_12() -> None:
    schema = meteor_schema()
    Draft202012Validator.check_schema(schema)
    Draft202012Validator.check_schema(detection_schema())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"] == {"const": METEOR_SCHEMA_ID}
    assert {"frame", "line", "checks", "detection"} <= set(schema["$defs"])


def test_loader_gives_a_fresh_copy() -> None:
    schema = meteor_schema()
    schema["title"] = "changed"
    assert meteor_schema()["title"] == METEOR_SCHEMA_ID


@pytest.mark.parametrize(
    "make", [_record, lambda: _calibrated(_record())], ids=["uncalibrated", "calibrated"]
)
def test_examples_validate(validator: Draft202012Validator, make: Any) -> None:
    record = make()
    validator.validate(record)
    validator.validate(json.loads(json.dumps(record)))  # as written to and read from meteor.json


def _broken(change: Any) -> dict[str, Any]:
    record = _calibrated(_record())
    change(record)
    return record


BROKEN = {
    "missing meteor_id": lambda r: r.pop("meteor_id"),
    "missing frames": lambda r: r.pop("frames"),
    "missing products": lambda r: r.pop("products"),
    "missing line key": lambda r: r["line"].pop("residual_px"),
    "missing frame t_utc": lambda r: r["frames"][1].pop("t_utc"),
    "missing check limit": lambda r: r["checks"]["speed"].pop("limit"),
    "time without Z": lambda r: r.update(start_utc="2022-09-14T19:49:13.567316"),
    "time with offset": lambda r: r.update(start_utc="2022-09-14T19:49:13.567316+00:00"),
    "time in milliseconds": lambda r: r.update(end_utc="2022-09-14T19:49:13.690Z"),
    "time without seconds fraction": lambda r: r.update(end_utc="2022-09-14T19:49:13Z"),
    "time with a space": lambda r: r["frames"][0].update(t_utc="2022-09-14 19:49:13.567316Z"),
    "month 13": lambda r: r.update(start_utc="2022-13-14T19:49:13.567316Z"),
    "negative duration": lambda r: r.update(duration_s=-0.1),
    "zero fps": lambda r: r.update(fps=0),
    "wrong schema id": lambda r: r.update(schema="stationd.meteor/2"),
    "unknown field": lambda r: r.update(comment="hello"),
    "unknown frame field": lambda r: r["frames"][0].update(n_px=12),
    "fractional frame": lambda r: r["frames"][0].update(frame=59.06),
    "no frames": lambda r: r.update(frames=[]),
    "dec beyond the pole": lambda r: r["frames"][0].update(dec_deg=91.0),
    "fireball as string": lambda r: r.update(fireball="no"),
    "check value as string": lambda r: r["checks"]["speed"].update(value="fast"),
    "check name with a space": lambda r: r["checks"].update({"bad name": r["checks"]["speed"]}),
    "calibration without residual": lambda r: r["calibration"].pop("residual_px"),
    "source without hd_video": lambda r: r["source"].pop("hd_video"),
    "station with a slash": lambda r: r.update(station="UK/0006"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_records_fail(validator: Draft202012Validator, name: str) -> None:
    assert not validator.is_valid(_broken(BROKEN[name])), name


def _detection_json(record: dict[str, Any]) -> dict[str, Any]:
    frames = [{k: f[k] for k in ("frame", "x_px", "y_px", "intensity")} for f in record["frames"]]
    return {
        "frames": frames,
        "line": record["line"],
        "checks": record["checks"],
        "fireball": record["fireball"],
    }


def test_detection_definition_is_the_station_free_part_of_a_record() -> None:
    validator = Draft202012Validator(detection_schema())
    validator.validate(_detection_json(_record()))
    with_station = {**_detection_json(_record()), "station": "UK0006"}
    assert not validator.is_valid(with_station)
    with_time = _detection_json(_record())
    with_time["frames"][0]["t_utc"] = "2022-09-14T19:49:13.567316Z"  # what --platepar adds
    assert validator.is_valid(with_time)
    with_time["frames"][0]["t_utc"] = "19:49"
    assert not validator.is_valid(with_time)
    with_video = _detection_json(_record())
    with_video["frames"][0]["video"] = "x.mp4"
    assert not validator.is_valid(with_video)


def test_detector_json_output_validates() -> None:
    """``Detection.to_json`` (what ``stationd detect --json`` prints per detection) fits the schema."""
    points = tuple(
        FramePoint(
            frame=f, x_px=10.0 + 2.004 * f, y_px=20.0 + 3.0 * f, intensity=250.04, n_px=9, saturated_px=0
        )
        for f in range(8, 20)
    )
    line = LineFit(
        x_begin_px=26.03, y_begin_px=44.0, x_end_px=48.07, y_end_px=77.0, frame_begin=8, frame_end=19,
        speed_px_frame=3.606, speed_deg_s=18.03, length_px=39.67, residual_px=0.12,
    )  # fmt: skip
    checks = (
        Check(name="frames", value=12.0, limit=">= 4", passed=True),
        Check(name="speed", value=18.03, limit="2..51", passed=True),
        Check(name="blinking", value=False, limit="no", passed=True),
    )
    det = Detection(frames=points, line=line, checks=checks, fireball=False)
    printed = json.loads(json.dumps(det.to_json(), allow_nan=False))
    Draft202012Validator(detection_schema()).validate(printed)
    # the same fields plus the station's make a valid meteor record
    record = _record()
    record.update(printed)
    for frame in record["frames"]:
        frame["t_utc"] = "2022-09-14T19:49:13.567316Z"
    Draft202012Validator(meteor_schema()).validate(record)
