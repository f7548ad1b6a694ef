"""``stationd sky [--camera ID] [--night DAY] [--json]``: the latest and the night's stacks as JPEG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import config_option, json_option, load, print_json, stdout
from stationd import EXIT_FAILURE, Station, write_sky


@click.command()
@click.option("--camera", "camera", default=None, help="Only this camera (default: every camera).")
@click.option(
    "--night", "night", default=None, metavar="DAY",
    help="The night of DAY: the UTC date of its evening (default: the last finished one).",
)  # fmt: skip
@config_option
@json_option
def sky(camera: str | None, night: str | None, config_path: Path | None, as_json: bool) -> None:
    """Write what the cameras see as JPEG files under <data_dir>/sky/ and print where.

    \b
    <camera>_latest.jpg             the camera's newest minute stack
    <camera>_<DAY>_night.jpg        the night's max-pixel stack with its meteors marked
                                    (yellow; fireballs orange-red; labelled with their UTC start)
    Exit 1 when no image could be written.
    """
    cfg = load(config_path)
    with Station(cfg, read_only=True) as station:
        data = write_sky(station.config, station.store, camera, night).to_dict()
    if as_json:
        print_json(data)
    else:
        _render(data)
    if not data["images"]:
        raise SystemExit(EXIT_FAILURE)


def _render(data: dict[str, Any]) -> None:
    console = stdout
    state = "" if data["finished"] else " (not finished)"
    for image in data["images"]:
        if image["kind"] == "latest":
            minute = image["minute_utc"]
            what = f"latest minute {minute[:10]} {minute[11:19]} UTC"
        else:
            n = image["meteors"]
            what = f"night {data['night']}{state}: {image['stacks']} minute stacks, {n} meteor"
            what += "" if n == 1 else "s"
            if image["skipped"]:
                what += f", {image['skipped']} unreadable stacks skipped"
        console.print(f"{image['camera']} {what}: {image['path']}", highlight=False, soft_wrap=True)
    for text in data["missing"]:
        console.print(f"[yellow]{text}[/]", highlight=False)
