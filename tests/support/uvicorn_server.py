"""A real uvicorn server in the test's own event loop, for tests of what the app relies on in uvicorn's protocol."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from realtime.uvicorn_protocol import BoardWebSocketProtocol
from tests.support.writes import until


@contextlib.asynccontextmanager
async def serving(app: Any, ping_seconds: float = 20.0, ping_timeout_seconds: float = 20.0) -> AsyncIterator[str]:
    """`app` served on a free port with the websocket protocol `sosboard serve` runs; yields its ws:// address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app,
        port=port,
        ws=BoardWebSocketProtocol,
        ws_ping_interval=ping_seconds,
        ws_ping_timeout=ping_timeout_seconds,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started, "uvicorn listening")
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task
