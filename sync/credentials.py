"""S3 credentials read from a file the configuration names (``storage.credentials_file``).

Credentials never live in the configuration itself: they come from the environment or the AWS shared files
(boto3's own chain, without its network look-ups) or from this file, which may be

- INI, as the AWS shared credentials file: a ``[default]`` section (or the first section) with
  ``aws_access_key_id``, ``aws_secret_access_key`` and optionally ``aws_session_token``;
- YAML: a mapping with ``access_key_id`` and ``secret_access_key`` (the ``aws_`` forms are accepted too).

:class:`Credentials` never shows its values: ``repr`` and ``str`` give a placeholder, and every error of this
module names the file and the missing field, never a value.
"""

from __future__ import annotations

import configparser
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sync.errors import StoreConfigError

__all__ = ["Credentials", "read_credentials_file"]

log = logging.getLogger("sync.credentials")


@dataclass(frozen=True)
class Credentials:
    """An access key pair (and session token); its text form hides all three."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return "Credentials(<hidden>)"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in a text (for scrubbing messages)."""
        return tuple(v for v in (self.access_key_id, self.secret_access_key, self.session_token) if v)


def read_credentials_file(path: Path) -> Credentials:
    """The credentials in ``path`` (INI or YAML, see the module docstring).

    Raises
    ------
    StoreConfigError
        The file cannot be read or lacks a field (the message names the file and the field only).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
        mode = os.stat(path).st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise StoreConfigError(f"cannot read the credentials file {path}: {reason}") from None
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        log.warning("the credentials file %s can be read by any user: chmod 600 it", path)
    fields = _ini_fields(text, path) if _looks_like_ini(text) else _yaml_fields(text, path)
    access = _field(fields, "access_key_id", path)
    secret = _field(fields, "secret_access_key", path)
    token = fields.get("session_token") or fields.get("aws_session_token")
    return Credentials(access, secret, str(token) if token else None)


def _looks_like_ini(text: str) -> bool:
    return any(line.strip().startswith("[") for line in text.splitlines())


def _ini_fields(text: str, path: Path) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error:
        raise StoreConfigError(f"the credentials file {path} is not valid INI") from None
    sections = parser.sections()
    if not sections:
        raise StoreConfigError(f"the credentials file {path} has no [section]")
    name = "default" if "default" in sections else sections[0]
    return dict(parser[name])


def _yaml_fields(text: str, path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise StoreConfigError(f"the credentials file {path} is neither INI nor valid YAML") from None
    if not isinstance(data, dict):
        raise StoreConfigError(f"the credentials file {path} must hold a mapping of fields")
    return {str(k): v for k, v in data.items()}


def _field(fields: dict[str, Any], name: str, path: Path) -> str:
    value = fields.get(name) or fields.get(f"aws_{name}")
    if not isinstance(value, str) or not value.strip():
        raise StoreConfigError(f"the credentials file {path} lacks {name} (or aws_{name})")
    return value.strip()
