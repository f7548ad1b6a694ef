"""JSON schemas of the records stationd writes and prints (DESIGN 4), shipped as package data.

``meteor.schema.json`` (JSON Schema draft 2020-12) describes ``meteor.json`` (``"schema":
"stationd.meteor/1"``); its ``$defs/detection`` describes one detection of ``stationd detect --json``.
``night.schema.json`` describes a night's summary, ``nights/<night>.json`` (``"schema": "stationd.night/1"``).
Validation needs the ``jsonschema`` package, a test dependency only: the station writes records from typed
objects and the tests hold them against these schemas.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

METEOR_SCHEMA_ID = "stationd.meteor/1"

__all__ = ["METEOR_SCHEMA_ID", "detection_schema", "meteor_schema", "night_schema"]


def meteor_schema() -> dict[str, Any]:
    """The schema of ``meteor.json`` as a fresh dict (callers may change their copy)."""
    text = resources.files(__package__).joinpath("meteor.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise TypeError(f"meteor.schema.json holds a {type(schema).__name__}, expected a JSON object")
    return schema


def detection_schema() -> dict[str, Any]:
    """The schema of one detection printed by ``stationd detect --json`` (``$defs/detection``), standalone."""
    meteor = meteor_schema()
    return {
        "$schema": meteor["$schema"],
        "title": "stationd detect --json: one detection",
        "$defs": meteor["$defs"],
        "$ref": "#/$defs/detection",
    }


def night_schema() -> dict[str, Any]:
    """The schema of a night's summary (``nights/<night>.json``, ``stationd night --json``), a fresh dict."""
    schema = json.loads(
        resources.files(__package__).joinpath("night.schema.json").read_text(encoding="utf-8")
    )
    if not isinstance(schema, dict):
        raise TypeError(f"night.schema.json holds a {type(schema).__name__}, expected a JSON object")
    return schema
