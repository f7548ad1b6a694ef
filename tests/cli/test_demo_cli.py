"""``stationd demo``: the README's first command, on one synthetic 720p minute."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli


@pytest.mark.slow
def test_demo_finds_the_injected_meteors_and_refuses_a_foreign_folder(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(directory), "--minutes", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["meteors"]) == 2  # two injected per minute, peak SNR 6..30
    assert all(row["found"] is not None for row in report["meteors"]), report["meteors"]
    assert all(row["meteor"] is not None for row in report["meteors"]), report["meteors"]
    assert all(row["meteor"]["median_error_px"] < 1.0 for row in report["meteors"]), report["meteors"]
    assert [row["false_meteors"] for row in report["minutes"]] == [[]]
    assert (directory / "stationd.yaml").is_file()
    size_mb = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6
    assert 260 < size_mb < 400, size_mb  # the README says: about 330 MB per synthetic minute
    published = report["published"]  # the night in the embedded local object store, every product once
    assert published["error"] is None
    # exports: the night's FTPdetectinfo and platepar (the calibrate stage solved the demo camera)
    assert published["kinds"] == {"meteor": 2, "stack": 2, "clip": 2, "index": 2, "export": 2}
    store = Path(published["store"])
    for row in published["objects"]:
        assert (store / row["key"]).stat().st_size == row["size_bytes"], row
    status = CliRunner().invoke(
        cli, ["status", "2026-11-21", "--json", "--config", str(directory / "stationd.yaml")]
    )
    assert status.exit_code == 0 and len(json.loads(status.stdout)["minutes"]) == 1

    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    refused = CliRunner().invoke(cli, ["demo", "--dir", str(foreign), "--minutes", "1"])
    assert refused.exit_code == 2 and "not empty" in refused.output
    assert (foreign / "keep.txt").read_text() == "mine"
