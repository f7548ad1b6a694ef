"""Configuration: the example loads, every bad value is named with what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stationd.config import load_config, parse_config, resolve_config_path
from stationd.config_example import example_config
from stationd.errors import ConfigError


def _example(tmp_path: Path) -> dict:
    return yaml.safe_load(example_config(tmp_path, "UK0006", "cam1", 51.8831, -1.30616, 80))


def test_example_config_is_valid_and_complete(tmp_path: Path) -> None:
    cfg = parse_config(_example(tmp_path))
    assert cfg.station.id == "UK0006"
    assert cfg.station.latitude_deg == pytest.approx(51.8831)
    cam = cfg.camera("cam1")
    assert cam.incoming_sd == tmp_path / "incoming" / "cam1"
    assert (cam.width_px, cam.height_px, cam.fps) == (1280, 720, 25.0)
    assert cfg.processing.workers >= 1
    assert cfg.processing.ff_policy == "candidates"


def test_every_problem_is_reported_with_key_value_and_expectation(tmp_path: Path) -> None:
    raw = _example(tmp_path)
    raw["station"]["latitude_deg"] = 123
    raw["cameras"][0]["fps"] = -25
    raw["cameras"][0]["pointing"]["projection"] = "fisheye-ish"
    raw["processing"]["ff_policy"] = "some"
    raw["surprise"] = True
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "test.yaml")
    problems = {p.key: p for p in info.value.problems}
    assert set(problems) == {
        "station.latitude_deg",
        "cameras[0].fps",
        "cameras[0].pointing.projection",
        "processing.ff_policy",
        "surprise",
    }
    assert problems["cameras[0].fps"].value == -25
    assert "> 0" in problems["cameras[0].fps"].expected
    assert "cameras[0].fps: got -25" in str(info.value)
    assert info.value.exit_code == 2


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"station": {"id": "X1"}, "cameras": []})
    keys = {p.key for p in info.value.problems}
    assert {"station.latitude_deg", "station.longitude_deg", "station.data_dir", "cameras"} <= keys


def test_duplicate_camera_ids_and_bad_pattern(tmp_path: Path) -> None:
    raw = _example(tmp_path)
    raw["cameras"].append(dict(raw["cameras"][0]))
    raw["cameras"][0]["filename_pattern"] = "{YYYY}{nonsense}.mp4"
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    keys = {p.key for p in info.value.problems}
    assert "cameras" in keys
    assert "cameras[0].filename_pattern" in keys


def test_unreadable_and_unparseable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="readable file"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("station: [unclosed\n")
    with pytest.raises(ConfigError, match="valid YAML"):
        load_config(bad)


def test_config_path_resolution() -> None:
    assert resolve_config_path(Path("/a.yaml"), {"STATIOND_CONFIG": "/b.yaml"}) == Path("/a.yaml")
    assert resolve_config_path(None, {"STATIOND_CONFIG": "/b.yaml"}) == Path("/b.yaml")
    assert resolve_config_path(None, {}) == Path("/etc/stationd/stationd.yaml")
