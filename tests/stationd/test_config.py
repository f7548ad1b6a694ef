"""Configuration: the example loads, every bad value is named with what was expected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from stationd.config import load_config, parse_config, resolve_config_path
from stationd.config_checks import check_config, data_dir_problem, placeholder_problems, prepare_run
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


# -- issue 10: ids as written, placeholders, the data directory ---------------------------------------


def test_ids_yaml_did_not_read_as_text_are_refused_with_the_advice_to_quote_them(tmp_path: Path) -> None:
    """Issue 10 (1): ``id: 010001`` is the octal number 4097 to YAML; it used to load as camera '4097'."""
    text = example_config(tmp_path, "UK0006", "cam1", 51.8831, -1.30616, 80)
    raw = yaml.safe_load(
        text.replace('id: "UK0006"', "id: 123456").replace('id: "cam1"', "id: 010001")
        .replace("partners: []", "partners: [UK0007, 1.5]")
    )  # fmt: skip
    raw["cameras"].append({**raw["cameras"][0], "id": True})  # ``id: yes`` unquoted
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "test.yaml")
    problems = {p.key: p for p in info.value.problems}
    assert set(problems) == {"station.id", "station.partners", "cameras[0].id", "cameras[1].id"}
    assert problems["cameras[0].id"].value == 4097  # what YAML made of it: refused, not converted
    assert "YAML read it as int" in problems["cameras[0].id"].expected
    assert "YAML read it as true/false" in problems["cameras[1].id"].expected
    assert all("put the id in quotes" in p.expected for p in problems.values())
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("station", "camera"),
    [("000123", "010001"), ("1E3", "2024-01-01"), ("no", "yes"), ("0x1F", "0o17"), ("007", "1-2")],
)
def test_the_generated_configuration_keeps_every_id_as_written(
    tmp_path: Path, station: str, camera: str
) -> None:
    """Issue 10 (1): what ``config init`` writes reads back as the same strings (ids and paths)."""
    data_dir = tmp_path / "a: b #c"
    cfg = parse_config(yaml.safe_load(example_config(data_dir, station, camera, 51.0, -1.0, 80)))
    assert (cfg.station.id, cfg.cameras[0].id) == (station, camera)
    assert cfg.station.data_dir == data_dir
    assert cfg.cameras[0].incoming_sd == data_dir / "incoming" / camera


def test_placeholders_of_config_init_are_named(tmp_path: Path) -> None:
    """Issue 10 (13): station id XX0001 and latitude/longitude 0 are what config init writes unless told."""
    defaults = parse_config(yaml.safe_load(example_config(tmp_path)))
    assert [p.key for p in placeholder_problems(defaults)] == [
        "station.id", "station.latitude_deg", "station.longitude_deg"
    ]  # fmt: skip
    assert placeholder_problems(parse_config(_example(tmp_path))) == []
    equator = parse_config(yaml.safe_load(example_config(tmp_path, "KE0001", "cam1", 0.0, 37.0)))
    assert placeholder_problems(equator) == []  # a latitude of 0 alone is a place
    with pytest.raises(ConfigError) as info:
        prepare_run(defaults)
    assert [p.key for p in info.value.problems] == [
        "station.id", "station.latitude_deg", "station.longitude_deg"
    ]  # fmt: skip
    prepare_run(parse_config(_example(tmp_path / "new")))  # real values: runs, and makes the directory
    assert (tmp_path / "new").is_dir()


def test_a_data_dir_that_cannot_be_a_directory_is_a_problem(tmp_path: Path) -> None:
    """Issue 10 (5): a file where the data directory (or a folder above it) should be."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    for data_dir in (a_file, a_file / "data"):
        for this_user in (False, True):
            problem = data_dir_problem(data_dir, this_user=this_user)
            assert problem is not None and problem.key == "station.data_dir"
            assert problem.value == str(data_dir) and "not a directory" in problem.expected
        with pytest.raises(ConfigError, match=r"station\.data_dir"):
            check_config(parse_config(_example(data_dir)))
    assert data_dir_problem(tmp_path, this_user=True) is None
    assert data_dir_problem(tmp_path / "to" / "be" / "made", this_user=True) is None
    warnings = check_config(parse_config(_example(tmp_path / "to" / "be" / "made")))
    assert warnings == [f"station.data_dir {tmp_path / 'to' / 'be' / 'made'} does not exist yet: "
                        "stationd run creates it"]  # fmt: skip
    assert not (tmp_path / "to").exists()  # checking creates nothing


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write everywhere")
def test_a_data_dir_this_user_cannot_write(tmp_path: Path) -> None:
    """Refused for ``run`` (this user writes there); for ``config check`` only when this user owns it."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        for data_dir in (locked, locked / "data"):
            problem = data_dir_problem(data_dir, this_user=True)
            assert problem is not None and "write" in problem.expected
            assert data_dir_problem(data_dir, this_user=False) is not None  # this user owns it
    finally:
        locked.chmod(0o755)


def test_a_secret_under_an_unknown_key_of_any_section_is_never_echoed() -> None:
    """A partner entry or the network section is where an operator may paste a key: reported, hidden."""
    raw = {
        "station": {"id": "GB0001", "latitude_deg": 51.0, "longitude_deg": -1.0, "data_dir": "/tmp/x",
                    "partners": [{"id": "GB0002", "secret_access_key": "SUPERSECRET123"}]},
        "network": {"aws_secret_access_key": "SUPERSECRET123"},
    }  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    text = str(caught.value)
    assert "station.partners[0].secret_access_key: got '<hidden>'" in text
    assert "network.aws_secret_access_key: got '<hidden>'" in text
    assert "SUPERSECRET" not in text
