"""A fake Channel: what a room sends is recorded, what a test 'types' is fed in. Optionally stalls its sends
like a tablet whose network froze."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

WAIT = 5.0


class FakeChannel:
    def __init__(self, stalled: bool = False) -> None:
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self.closed: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self.unstall = asyncio.Event()
        self.written_together: list[int] = []
        """How many frames each write of several together carried."""
        if not stalled:
            self.unstall.set()

    async def send(self, text: str) -> None:
        await self.unstall.wait()
        self.frames.put_nowait(json.loads(text))

    def send_now(self, text: str) -> bool:
        """As a socket whose buffer has room takes a frame at once; a stalled one takes nothing."""
        if not self.unstall.is_set():
            return False
        self.frames.put_nowait(json.loads(text))
        return True

    def send_now_together(self, texts: list[str]) -> bool:
        if not self.unstall.is_set():
            return False
        self.written_together.append(len(texts))
        return all([self.send_now(text) for text in texts])

    async def close(self, code: int, reason: str) -> None:
        if not self.closed.done():
            self.closed.set_result((code, reason))
        self.incoming.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[str]:
        while (text := await self.incoming.get()) is not None:
            yield text

    def type(self, frame: dict[str, Any]) -> None:
        self.incoming.put_nowait(json.dumps(frame))

    def hang_up(self) -> None:
        self.incoming.put_nowait(None)

    async def next(self, frame_type: str) -> dict[str, Any]:
        while True:
            frame = await asyncio.wait_for(self.frames.get(), WAIT)
            if frame["type"] == frame_type:
                return frame
