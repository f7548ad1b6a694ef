"""Who holds a claim: a token naming this host, process id and the process's start time.

The start time (clock ticks since boot, from ``/proc/<pid>/stat``) tells a live owner from a new process
that happens to reuse its pid, so a stale claim is recognised exactly after a crash or a ``kill -9``.
"""

from __future__ import annotations

import os
import socket


def _start_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # Field 22; the command name (field 2) may contain spaces, so count from the closing parenthesis.
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[19])


def current_owner() -> str:
    """The claim token of the calling process."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or 0}"


def owner_alive(token: str) -> bool:
    """Whether the process named by ``token`` still runs (owners on other hosts count as alive)."""
    try:
        host, pid_text, ticks_text = token.rsplit(":", 2)
        pid, ticks = int(pid_text), int(ticks_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    now_ticks = _start_ticks(pid)
    return now_ticks is not None and (ticks == 0 or now_ticks == ticks)
