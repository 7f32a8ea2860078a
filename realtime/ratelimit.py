"""A token bucket per connection: a burst for pasting a list of next steps, a steady rate after that."""

from __future__ import annotations

import time


class TokenBucket:
    __slots__ = ("capacity", "rate", "tokens", "updated")  # two per connection

    def __init__(self, rate_per_second: float, burst: int) -> None:
        self.rate = rate_per_second
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> float:
        """Take one token. Returns 0 when allowed, else the seconds until a token is free."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate
