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


def test_old_key_names_load_with_a_warning_that_names_the_new_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = _example(tmp_path)
    for new in ("k_std", "j_dn", "min_frames"):
        raw["processing"].pop(new, None)
    raw["processing"].update({"threshold_k": 2.5, "threshold_j_dn": 6, "min_points": 5})
    with caplog.at_level("WARNING", logger="stationd.config"):
        cfg = parse_config(raw, "old.yaml")
    assert (cfg.processing.k_std, cfg.processing.j_dn, cfg.processing.min_frames) == (2.5, 6, 5)
    assert len(cfg.warnings) == 3
    assert any("processing.threshold_k is now called processing.k_std" in w for w in cfg.warnings)
    assert "processing.min_points is now called processing.min_frames" in caplog.text
    assert "warnings" not in cfg.to_dict()


def test_an_old_and_a_new_name_of_one_setting_is_a_problem(tmp_path: Path) -> None:
    raw = _example(tmp_path)
    raw["processing"].update({"threshold_k": 2.5, "k_std": 3.0})
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert [p.key for p in info.value.problems] == ["processing.threshold_k"]


def test_the_plate_scale_is_the_camera_models_for_both_projections(tmp_path: Path) -> None:
    """One plate scale (issue 9): the configured camera's equals the camera model's, rectilinear too."""
    from calibration import CameraModel

    for projection, fov in (("equidistant", 88.0), ("rectilinear", 60.0)):
        raw = _example(tmp_path)
        raw["cameras"][0]["pointing"].update({"projection": projection, "fov_h_deg": fov})
        cam = parse_config(raw).camera("cam1")
        model = CameraModel(1280, 720, 0.0, 45.0, 0.0, fov, projection)  # type: ignore[arg-type]
        assert cam.scale_px_per_deg == pytest.approx(model.scale_px_per_deg, rel=1e-12)
    assert cam.scale_px_per_deg < 1280 / 60.0  # rectilinear: smaller at the centre than width / fov
