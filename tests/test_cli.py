"""What `sosboard serve` writes to its log."""

from __future__ import annotations

import logging

from app.cli import ACCEPTED_SOCKET_LINE, _LineForEverySocket


def _line(level: int, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", level, "websockets/server.py", 1, message, args, None)


def test_a_socket_opening_or_closing_writes_no_line_and_trouble_still_does() -> None:
    # 4,000 screens reconnecting after a restart would otherwise write 8,000 lines while the storm waits on them.
    keep = _LineForEverySocket().filter
    assert not keep(_line(logging.INFO, "connection open"))
    assert not keep(_line(logging.INFO, "connection closed"))
    assert not keep(_line(logging.INFO, ACCEPTED_SOCKET_LINE, "127.0.0.1:50000", "/ws/meetings/m1"))
    assert keep(_line(logging.INFO, '%s - "WebSocket %s" %d', "127.0.0.1:50000", "/ws/meetings/m1", 401))
    assert keep(_line(logging.WARNING, "closing: %s"))
    assert keep(_line(logging.ERROR, "opening handshake failed"))
    assert keep(_line(logging.INFO, "Uvicorn running on http://127.0.0.1:8000"))
