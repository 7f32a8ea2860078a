"""The small transport interface a room depends on, so rooms are tested with fakes and served by any socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol


class ChannelClosed(Exception):
    """The other side went away."""


class Channel(Protocol):
    async def send(self, text: str) -> None: ...

    def send_now(self, text: str) -> bool:
        """Send `text` now, without waiting, if the socket takes it at once; False (nothing sent) otherwise, and
        the caller sends it with `send`."""
        ...

    def send_now_together(self, texts: list[str]) -> bool:
        """`send_now` for several texts, in one write to the socket (one system call where there would be one a
        text); False (nothing sent) if the socket does not take them all at once."""
        ...

    async def close(self, code: int, reason: str) -> None: ...

    def __aiter__(self) -> AsyncIterator[str]:
        """Incoming text frames until the other side closes."""
        ...
