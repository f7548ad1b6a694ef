"""Each package declares its public face in a sorted ``__all__`` whose names all exist (STYLE 2)."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["stationd", "cli", "detection", "calibration", "sync", "trajectory"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_unique_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    public = module.__all__
    assert public == sorted(public), f"{name}.__all__ is not sorted"
    assert len(set(public)) == len(public), f"{name}.__all__ has duplicates"
    missing = [n for n in public if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_science_packages_do_not_import_the_station_layer() -> None:
    """DESIGN 1: detection, calibration, sync and trajectory never import stationd or cli."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for package in ("detection", "calibration", "sync", "trajectory"):
        for path in (root / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("stationd", "cli")]
    assert offenders == []
