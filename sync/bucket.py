"""A token bucket over every transfer of the station: the cap ``storage.bandwidth_kib_s``.

The sender hands whole files to the store (its backends stream and resume them), so the bucket paces
transfers rather than bytes inside one: each finished transfer *spends* its size, the bucket may go into
debt, and the next transfer waits until the debt is paid back at the cap's rate. Over a run of transfers
the mean rate is the cap (within one bucket's burst); a single large clip still goes at line speed, then
the sender rests for as long as the cap says. This is the classic token bucket (Tanenbaum, *Computer
Networks*, 5th ed., 5.4.2) with a deficit allowed, as in Linux's ``tbf`` queueing discipline.
"""

from __future__ import annotations

from sync.clock import Clock


class TokenBucket:
    """Tokens are bytes; they accrue at ``rate_bytes_s`` up to ``burst_bytes`` (the bucket starts full)."""

    def __init__(self, rate_bytes_s: float, burst_bytes: float, clock: Clock) -> None:
        if rate_bytes_s <= 0 or burst_bytes < 0:
            raise ValueError(f"rate > 0 and burst >= 0 expected, got {rate_bytes_s}, {burst_bytes}")
        self.rate_bytes_s = rate_bytes_s
        self.burst_bytes = burst_bytes
        self._clock = clock
        self._tokens = burst_bytes
        self._at = clock.monotonic_s()

    def _refill(self) -> None:
        now = self._clock.monotonic_s()
        self._tokens = min(self.burst_bytes, self._tokens + (now - self._at) * self.rate_bytes_s)
        self._at = now

    def spend(self, n_bytes: int) -> None:
        """A transfer of ``n_bytes`` happened (the bucket may go into debt)."""
        self._refill()
        self._tokens -= n_bytes

    def wait_s(self) -> float:
        """Seconds until the debt is paid (0 when the next transfer may start)."""
        self._refill()
        # A debt under one byte is paid: rounding must not leave a sleep too short to move the clock.
        return 0.0 if self._tokens > -1.0 else -self._tokens / self.rate_bytes_s
