"""How far behind the event loop runs: the process's own signal that it is past its capacity.

The commit queue's bound catches a writer that cannot keep up, but a process can be overloaded with a short commit
queue too: fan-out to thousands of sockets, reads, handshakes all wait their turn on one event loop, and an edit
accepted then reaches the screens late however fast its commit was. A timer that should fire every
`interval` seconds measures how late it fires; the least lateness over the last `window` seconds is the lag that
the op log's admission (app/store/oplog.py) compares with its limits: the least, so that only a loop that stays
behind counts, never one long moment (a big export, a garbage collection) in an otherwise calm process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

INTERVAL_SECONDS = 0.05
WINDOW_SECONDS = 0.25


class LoopLag:
    def __init__(self, interval: float = INTERVAL_SECONDS, window: float = WINDOW_SECONDS) -> None:
        self.interval = interval
        self._late: deque[float] = deque(maxlen=max(1, round(window / interval)))
        self._task: asyncio.Task[None] | None = None

    @property
    def recent(self) -> float:
        """The least the loop was behind over the last window, in seconds (0 until a window is measured)."""
        if len(self._late) < (self._late.maxlen or 1):
            return 0.0
        return min(self._late)

    @property
    def latest(self) -> float:
        """The last measurement, in seconds."""
        return self._late[-1] if self._late else 0.0

    @property
    def measurements(self) -> int:
        """How many measurements the window holds (it fills in its first `window` seconds)."""
        return len(self._late)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._measure(), name="loop-lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _measure(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self._late.append(max(0.0, loop.time() - due))
