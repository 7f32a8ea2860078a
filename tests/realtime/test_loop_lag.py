"""The event loop's lag, the process's signal that it is past its capacity: a loop held up shows, and is forgotten
once it keeps up again for a window."""

from __future__ import annotations

import asyncio
import time

import pytest

from realtime.loop_lag import LoopLag
from tests.support.writes import until

pytestmark = pytest.mark.asyncio


async def test_a_loop_that_stays_behind_shows_as_lag_and_one_long_moment_does_not() -> None:
    lag = LoopLag(interval=0.02, window=0.1)
    assert lag.recent == 0.0
    lag.start()
    try:
        await until(lambda: lag.measurements == 5, "a window measured")
        assert lag.recent < 0.05  # nothing holds the loop in this test
        time.sleep(0.3)  # noqa: ASYNC251 - one long piece of synchronous work, then calm again
        await until(lambda: lag.latest >= 0.25, "the moment measured")
        assert lag.recent < 0.05
        # A loop kept busy, every turn: once the window holds only such turns, the lag is what each of them saw.
        for _ in range(50):
            time.sleep(0.06)  # noqa: ASYNC251 - a turn of an overloaded loop
            await asyncio.sleep(0)
            if lag.recent >= 0.03:
                break
        assert lag.recent >= 0.03
    finally:
        await lag.stop()
