"""``stationd sky``: the newest minute stack copied, and a night's max-pixel stack over minute stacks of two
UTC days with the night's meteors drawn in colour, read one stack at a time."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import cli
from stationd.config import StationConfig
from stationd.config_example import example_config
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore
from stationd.errors import UsageError
from stationd.ops.sky import write_sky
from tests.stationd.ops_helpers import NONE, add_minute, make_config

# Oxford, night of 12/13 July 2026: dark from about 21:05 to 03:25 UTC (see tests/stationd/test_night.py).
EVENING = datetime(2026, 7, 12, 23, 0, tzinfo=UTC)
NIGHT = "2026-07-12"
AFTER = datetime(2026, 7, 14, 12, 0, tzinfo=UTC)
W, H = 320, 180


@dataclass
class Sky:
    data_dir: Path
    config: StationConfig
    store: StateStore
    config_path: Path

    @property
    def layout(self) -> StationLayout:
        return StationLayout(self.data_dir)

    def minute_with_stack(self, t: datetime, image: np.ndarray | None) -> Path:
        """A scanned minute whose stack is ``image`` (None: the helper's few bytes, not a JPEG)."""
        m = add_minute(self.store, self.layout, t, NONE)
        path = self.layout.stack(m.day, m.camera, m.stem)
        if image is not None:
            assert cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 100])
        return path

    def record(
        self, start: datetime, begin: tuple[float, float], end: tuple[float, float], fireball: bool
    ) -> None:
        """A meteor record with the fields ``sky`` reads (frames, line, start_utc, fireball)."""
        day = start.strftime("%Y-%m-%d")
        meteor_id = f"XX0001_cam1_{start:%Y%m%d_%H%M%S}_000"
        folder = self.layout.meteor_dir(day, "cam1", meteor_id)
        folder.mkdir(parents=True)
        xs, ys = np.linspace(begin[0], end[0], 10), np.linspace(begin[1], end[1], 10)
        frames = [
            {"frame": i, "x_px": float(x), "y_px": float(y)}
            for i, (x, y) in enumerate(zip(xs, ys, strict=True))
        ]
        record = {
            "schema": "stationd.meteor/1", "meteor_id": meteor_id, "camera": "cam1",
            "start_utc": start.strftime("%Y-%m-%dT%H:%M:%S.000000Z"), "fireball": fireball,
            "frames": frames,
            "line": {"x_begin_px": begin[0], "y_begin_px": begin[1], "x_end_px": end[0], "y_end_px": end[1]},
        }  # fmt: skip
        (folder / "meteor.json").write_text(json.dumps(record))


@pytest.fixture
def sky(tmp_path: Path) -> Iterator[Sky]:
    data_dir = tmp_path / "data"
    config_path = tmp_path / "stationd.yaml"
    config_path.write_text(example_config(data_dir, "XX0001", "cam1", 51.8831, -1.30616, 80))
    store = StateStore(data_dir / "state.sqlite3")
    yield Sky(data_dir, make_config(data_dir), store, config_path)
    store.close()


def spot(x: int, y: int, value: int = 200, size: tuple[int, int] = (W, H)) -> np.ndarray:
    image = np.full((size[1], size[0]), 10, np.uint8)
    image[y - 3 : y + 4, x - 3 : x + 4] = value
    return image


def test_night_stack_is_the_max_over_both_utc_days_with_meteors_marked(sky: Sky) -> None:
    sky.minute_with_stack(EVENING, spot(40, 40))
    sky.minute_with_stack(EVENING + timedelta(hours=2), spot(280, 140))  # 01:00 UTC, the next UTC day
    sky.minute_with_stack(EVENING + timedelta(minutes=1), None)  # an unreadable stack is skipped
    sky.minute_with_stack(EVENING + timedelta(minutes=2), spot(50, 50, size=(W * 2, H * 2)))  # another size
    newest = sky.minute_with_stack(datetime(2026, 7, 13, 12, 0, tzinfo=UTC), spot(160, 20))  # by day
    sky.record(EVENING + timedelta(minutes=5), (100, 90), (200, 90), fireball=False)
    sky.record(EVENING + timedelta(hours=3), (100, 150), (220, 150), fireball=True)  # 02:00 UTC
    sky.record(datetime(2026, 7, 13, 12, 0, 10, tzinfo=UTC), (10, 10), (60, 10), fireball=False)  # by day

    report = write_sky(sky.config, sky.store, night=NIGHT, now_utc=AFTER)

    latest, night = report.images
    assert latest.kind == "latest" and latest.path == sky.data_dir / "sky" / "cam1_latest.jpg"
    assert (
        latest.path.read_bytes() == newest.read_bytes() and latest.minute_utc == "2026-07-13T12:00:00.000000Z"
    )
    assert night.kind == "night" and night.path == sky.data_dir / "sky" / f"cam1_{NIGHT}_night.jpg"
    assert (night.stacks, night.skipped, night.meteors) == (2, 2, 2)
    image = cv2.imread(str(night.path), cv2.IMREAD_COLOR)
    assert image.shape == (H, W, 3)
    grey = image.astype(int).mean(axis=2)
    assert grey[40, 40] > 150 and grey[140, 280] > 150  # both minutes' spots: the maximum
    assert grey[20, 160] < 60  # the day-time minute is not part of the night
    colour = image.astype(int)
    blue, green, red = colour[..., 0], colour[..., 1], colour[..., 2]
    # yellow beside the meteor's track (y = 90, shifted across it), orange-red beside the fireball's (y = 150)
    # (JPEG halves the colour resolution: thin lines keep their hue, not their full saturation)
    yellow = (red - blue > 60) & (green - blue > 60) & (abs(red - green) < 50)
    orange = (red - green > 60) & (red - blue > 60)
    assert yellow[70:110, 110:190].sum() > 50 and yellow[130:170, 110:210].sum() < 10
    assert orange[130:170, 110:210].sum() > 50
    assert not (yellow | orange)[0:30, 0:80].any()  # the day-time record is not drawn
    assert report.to_dict()["finished"] is True and report.missing == []


def test_night_stacks_are_read_one_at_a_time(sky: Sky) -> None:
    # 40 stacks of 1280x720 are 37 MB together; read one at a time the peak stays near three images.
    rng = np.random.default_rng(1)
    for i in range(40):
        sky.minute_with_stack(EVENING + timedelta(minutes=i), rng.integers(0, 60, (720, 1280), np.uint8))
    tracemalloc.start()
    try:
        report = write_sky(sky.config, sky.store, night=NIGHT, now_utc=AFTER)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.images[1].stacks == 40
    assert peak < 12 * 1280 * 720, f"peak {peak / 1e6:.1f} MB"


def test_the_current_night_so_far_and_cameras_without_stacks(sky: Sky) -> None:
    sky.minute_with_stack(EVENING, spot(40, 40))
    report = write_sky(sky.config, sky.store, night=NIGHT, now_utc=EVENING + timedelta(minutes=30))
    assert not report.span.finished and [i.kind for i in report.images] == ["latest", "night"]

    empty = write_sky(sky.config, sky.store, night="2026-07-10", now_utc=AFTER)
    assert [i.kind for i in empty.images] == ["latest"]
    assert empty.missing == ["cam1: no minute stack in the night of 2026-07-10"]
    with pytest.raises(UsageError, match="unknown camera 'nosuch'"):
        write_sky(sky.config, sky.store, camera="nosuch", night=NIGHT, now_utc=AFTER)


def test_stationd_sky_prints_where_it_wrote(sky: Sky) -> None:
    sky.minute_with_stack(EVENING, spot(40, 40))
    sky.record(EVENING + timedelta(minutes=5), (100, 90), (200, 90), fireball=False)
    args = ["sky", "--night", NIGHT, "--camera", "cam1", "--config", str(sky.config_path)]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [Path(i["path"]).name for i in data["images"]] == ["cam1_latest.jpg", f"cam1_{NIGHT}_night.jpg"]
    assert data["images"][1]["meteors"] == 1

    text = CliRunner().invoke(cli, args, env={"COLUMNS": "300"})
    assert text.exit_code == 0, text.output
    assert (
        f"cam1 night {NIGHT}: 1 minute stacks, 1 meteor: {sky.data_dir}/sky/cam1_{NIGHT}_night.jpg"
        in text.output
    )

    unknown = CliRunner().invoke(cli, ["sky", "--camera", "nosuch", "--config", str(sky.config_path)])
    assert unknown.exit_code == 2 and "unknown camera" in unknown.output
