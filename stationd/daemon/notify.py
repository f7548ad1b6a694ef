"""systemd's notify protocol with the standard library: datagrams of ``KEY=value`` lines to $NOTIFY_SOCKET.

See sd_notify(3): the socket is a path, or an abstract name written with a leading ``@``; ``WATCHDOG_USEC``
(and ``WATCHDOG_PID``, when set, must be our pid) asks for ``WATCHDOG=1`` pings; we ping at half that
interval, as the manual recommends. Without $NOTIFY_SOCKET (not under systemd) every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger("stationd.daemon.notify")


def _address(name: str) -> str | bytes:
    return b"\0" + name[1:].encode() if name.startswith("@") else name


class Notifier:
    """Sends state changes to systemd; failures are logged once and never stop the daemon."""

    def __init__(self, socket_name: str | None, watchdog_usec: int | None = None) -> None:
        self.socket_name = socket_name or None
        self.watchdog_interval_s = watchdog_usec / 2e6 if watchdog_usec else None
        self._sock: socket.socket | None = None
        self._warned = False
        if self.socket_name is not None:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.setblocking(False)  # a reader that does not keep up must never stall the daemon

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd asked for through the environment (nothing when it did not)."""
        env = os.environ if environ is None else environ
        usec_text = env.get("WATCHDOG_USEC", "")
        pid_text = env.get("WATCHDOG_PID", "")
        usec = int(usec_text) if usec_text.isdigit() and int(usec_text) > 0 else None
        if pid_text and pid_text != str(os.getpid()):
            usec = None  # the watchdog is meant for another process of the service
        return cls(env.get("NOTIFY_SOCKET"), usec)

    @property
    def enabled(self) -> bool:
        """Whether systemd listens (a socket was named); when False every send is a no-op."""
        return self._sock is not None

    def send(self, **fields: str | int) -> bool:
        """Send one datagram of ``KEY=value`` lines; False when it could not be sent."""
        if self._sock is None or self.socket_name is None:
            return False
        payload = "\n".join(f"{key}={value}" for key, value in fields.items()).encode("utf-8", "replace")
        try:
            self._sock.sendto(payload, _address(self.socket_name))
        except OSError as exc:  # BlockingIOError included: the message is dropped
            if not self._warned:
                log.warning("cannot notify systemd at %s: %s", self.socket_name, exc)
                self._warned = True
            return False
        return True

    def ready(self, status: str) -> bool:
        """Tell systemd that start-up is over, so ``Type=notify`` units count as started only now."""
        return self.send(READY=1, STATUS=status, MAINPID=os.getpid())

    def status(self, text: str) -> bool:
        """Set the one-line status that ``systemctl status`` shows."""
        return self.send(STATUS=text)

    def stopping(self, status: str) -> bool:
        """Tell systemd the shutdown has begun, so a slow drain is not mistaken for a hang."""
        return self.send(STOPPING=1, STATUS=status)

    def watchdog(self) -> bool:
        """Ping the watchdog; sent only while the pipeline progresses, so systemd restarts a hung daemon."""
        return self.send(WATCHDOG=1)

    def close(self) -> None:
        """Close the socket; later sends do nothing (safe to call twice)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
