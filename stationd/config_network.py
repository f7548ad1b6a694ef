"""The ``network`` section of the configuration and the partners' own stores (DESIGN 6, issue 15).

::

    station:
      partners:
        - UK00A4                       # publishes to our store
        - id: UK008F                   # publishes elsewhere: its bucket/prefix, read-only credentials
          bucket: other-network
          prefix: gmn/
          endpoint_url: https://s3.example.org
          credentials_file: /etc/stationd/uk008f.credentials
    network:
      mode: solve                      # solve | inputs (publish each event's inputs, solve nothing) | off
      interval_min: 60                 # the cycle runs after the night's processing and this often
      time_tolerance_s: 2.0            # observations overlapping within this are candidates of one meteor
      lease_s: 600                     # a claim's lease; clocks may differ by up to lease_margin_s
      lease_margin_s: 120
      mc_runs: 0                       # Monte Carlo runs of each solution (0, or 2 and more)
      solve_all: false                 # also solve events this station did not see
      max_index_kib: 8192              # a partner's index larger than this is rejected

A partner without a store of its own is read from the station's store; a partner's store settings take
the station's ``storage`` section as their base (endpoint, region, addressing) and replace what it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stationd.config_reader import Reader, choice, flag, integer, number, path_value
from stationd.errors import ConfigProblem
from sync import StoreSettings

NETWORK_MODES = ("solve", "inputs", "off")
_PARTNER_STORE_KEYS = ("bucket", "prefix", "endpoint_url", "region", "credentials_file", "backend", "path")


@dataclass(frozen=True)
class PartnerStore:
    """Where one partner publishes, when not to the station's own store (None: that setting unchanged)."""

    id: str
    bucket: str | None = None
    prefix: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    credentials_file: Path | None = None
    backend: str | None = None
    path: Path | None = None

    def settings(self, base: StoreSettings) -> StoreSettings:
        """The partner's store settings: ``base`` (the station's) with what this entry names."""
        changes = {k: getattr(self, k) for k in _PARTNER_STORE_KEYS if getattr(self, k) is not None}
        return replace(base, **changes)


@dataclass(frozen=True)
class NetworkSection:
    """How the station takes part in the network (see the module docstring)."""

    mode: str = "solve"
    interval_min: float = 60.0
    time_tolerance_s: float = 2.0
    lease_s: float = 600.0
    lease_margin_s: float = 120.0
    mc_runs: int = 0
    solve_all: bool = False
    max_index_kib: int = 8192


def _partner_id(value: Any) -> str:
    if not isinstance(value, str):
        kind = "true/false" if isinstance(value, bool) else type(value).__name__
        raise TypeError(f'YAML read it as {kind}, not as text: put the id in quotes, e.g. "010001"')
    if not re.fullmatch(r"[A-Za-z0-9]{1,16}", value):
        raise ValueError("ASCII letters and digits, at most 16")
    return value


def read_partners(r: Reader, value: Any) -> tuple[tuple[str, ...], tuple[PartnerStore, ...]]:
    """``station.partners``: ids, or mappings with ``id`` and the partner's store settings."""
    if value is None:
        return (), ()
    if not isinstance(value, list):
        r.problems.append(ConfigProblem("station.partners", value, "a list of station ids or mappings"))
        return (), ()
    ids: list[str] = []
    stores: list[PartnerStore] = []
    for i, entry in enumerate(value):
        where = f"station.partners[{i}]"
        if isinstance(entry, Mapping):
            r.unknown(entry, {"id", *_PARTNER_STORE_KEYS}, where)
            pid = r.get(entry, "id", where, _partner_id, "a station id")
            fields = {
                k: r.get(entry, k, where, str, "text", None) for k in ("bucket", "prefix", "endpoint_url")
            }
            store = PartnerStore(
                id=pid,
                region=r.get(entry, "region", where, str, "a region name", None),
                credentials_file=r.get(entry, "credentials_file", where, path_value, "a file path", None),
                backend=r.get(entry, "backend", where, choice(("local", "s3")), "local or s3", None),
                path=r.get(entry, "path", where, path_value, "a directory path", None),
                **fields,
            )
            if pid is not None:
                ids.append(pid)
                stores.append(store)
            continue
        try:
            ids.append(_partner_id(entry))
        except (TypeError, ValueError) as exc:  # keyed on the list, as ids of the list form always were
            r.problems.append(ConfigProblem("station.partners", entry, f"a list of station ids ({exc})"))
    for dup in sorted({p for p in ids if ids.count(p) > 1}):
        r.problems.append(ConfigProblem("station.partners", dup, "each partner once"))
    return tuple(ids), tuple(stores)


def _mc_runs(value: Any) -> int:
    runs = integer(0)(value)
    if runs == 1:
        raise ValueError("Monte Carlo needs 2 runs or more")
    return runs


def read_network(r: Reader, raw: Mapping[str, Any]) -> NetworkSection:
    """The ``network`` section (every key optional)."""
    s = r.mapping(raw, "network", "")
    w = "network"
    known = {"mode", "interval_min", "time_tolerance_s", "lease_s", "lease_margin_s", "mc_runs", "solve_all",
             "max_index_kib"}  # fmt: skip
    r.unknown(s, known, w)
    section = NetworkSection(
        mode=r.get(s, "mode", w, choice(NETWORK_MODES), f"one of {NETWORK_MODES}", "solve"),
        interval_min=r.get(s, "interval_min", w, number(low=1), "minutes >= 1", 60.0),
        time_tolerance_s=r.get(s, "time_tolerance_s", w, number(low=0, high=60), "seconds, 0..60", 2.0),
        lease_s=r.get(s, "lease_s", w, number(low=10), "seconds >= 10", 600.0),
        lease_margin_s=r.get(s, "lease_margin_s", w, number(low=0), "seconds >= 0", 120.0),
        mc_runs=r.get(s, "mc_runs", w, _mc_runs, "0, or an integer >= 2", 0),
        solve_all=r.get(s, "solve_all", w, flag, "true or false", False),
        max_index_kib=r.get(s, "max_index_kib", w, integer(1), "KiB >= 1", 8192),
    )
    if section.lease_margin_s >= section.lease_s:
        r.problems.append(
            ConfigProblem("network.lease_margin_s", section.lease_margin_s, "less than lease_s")
        )
    return section
