"""The event loop's lag, the process's signal that it is past its capacity: a loop held up shows, and is forgotten
once it keeps up again for a window."""

from __future__ import annotations

import time

import pytest

from realtime.loop_lag import LoopLag
from tests.support.writes import until

pytestmark = pytest.mark.asyncio


async def test_a_loop_held_up_shows_as_lag_and_is_forgotten_once_it_keeps_up() -> None:
    lag = LoopLag(interval=0.02, window=0.2)
    assert lag.recent == 0.0
    lag.start()
    try:
        await until(lambda: lag.measurements >= 3, "a few measurements")
        assert lag.recent < 0.1  # nothing holds the loop in this test
        time.sleep(0.3)  # noqa: ASYNC251 - what a long piece of synchronous work does to every other task
        await until(lambda: lag.recent >= 0.25, "the hold-up measured")
        await until(lambda: lag.recent < 0.1, "the window passed with the loop keeping up")
    finally:
        await lag.stop()
