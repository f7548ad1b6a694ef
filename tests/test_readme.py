"""What the README tells a new operator holds: the configuration table lists every key the loader accepts,
section by section, and the install steps reload systemd before enabling the unit (issue 10, defect 14:
`processing.clip_margin_s` was missing from the table, `systemctl daemon-reload` from the steps).

The loader's own lists are the truth: an unknown key is refused with "one of the keys [...]"
(stationd/config_reader.py, ``Reader.unknown``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from stationd.config import parse_config
from stationd.config_example import example_config
from stationd.errors import ConfigError

README = Path(__file__).resolve().parents[1] / "README.md"

#: README row -> where the loader reads that section (the place an unknown key is put).
SECTIONS = {
    "station": ("station",),
    "cameras[]": ("cameras", 0),
    "pointing": ("cameras", 0, "pointing"),
    "processing": ("processing",),
    "storage": ("storage",),
    "retention": ("retention",),
    "logging": ("logging",),
    "alerts": ("alerts",),
    "health": ("health",),
    "daemon": ("daemon",),
}


def _readme_table() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration") : text.index("## Commands")]
    rows = re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, re.M)
    return dict(rows)


def _top_level_keys(cell: str) -> set[str]:
    """The backticked names of a cell, leaving out what parentheses say about them."""
    while re.search(r"\([^()]*\)", cell):
        cell = re.sub(r"\([^()]*\)", "", cell)
    return set(re.findall(r"`([^`]+)`", cell))


def _readme_keys() -> dict[str, set[str]]:
    table = _readme_table()
    keys = {name: _top_level_keys(cell) for name, cell in table.items()}
    pointing = re.search(r"`pointing` \(([^()]*)\)", table["cameras[]"])
    assert pointing, "the cameras row lists the pointing keys in parentheses after `pointing`"
    keys["pointing"] = set(re.findall(r"`([^`]+)`", pointing[1]))
    return keys


def _loader_keys(path: tuple[str | int, ...]) -> set[str]:
    raw: Any = yaml.safe_load(example_config(Path("/srv/station")))
    node = raw
    for step in path:
        if isinstance(step, str) and step not in node:
            node[step] = {}
        node = node[step]
    node["zz_not_a_key"] = 1
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    (problem,) = [p for p in info.value.problems if p.key.endswith("zz_not_a_key")]
    listed = re.fullmatch(r"one of the keys (\[.*\])", problem.expected)
    assert listed, problem.expected
    return set(ast.literal_eval(listed[1]))


@pytest.mark.parametrize("row", sorted(SECTIONS))
def test_the_configuration_table_lists_every_key_of_the_section(row: str) -> None:
    assert _readme_keys()[row] == _loader_keys(SECTIONS[row])


def test_the_configuration_table_has_a_row_for_every_section() -> None:
    rows = {name.removesuffix("[]") for name in _readme_table()}
    assert rows == _loader_keys(())


def test_the_install_steps_reload_systemd_before_enabling_the_unit() -> None:
    text = README.read_text(encoding="utf-8")
    steps = text[text.index("## Installing on a station") : text.index("## Configuration")]
    assert "systemctl daemon-reload" in steps
    assert steps.index("systemctl daemon-reload") < steps.index("systemctl enable --now stationd")
