"""What `sosboard serve` writes to its log."""

from __future__ import annotations

import logging

from app.cli import _LineForEverySocket


def _line(level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", level, "websockets/server.py", 1, message, (), None)


def test_a_socket_opening_or_closing_writes_no_line_and_trouble_still_does() -> None:
    # 4,000 screens reconnecting after a restart would otherwise write 8,000 lines while the storm waits on them.
    keep = _LineForEverySocket().filter
    assert not keep(_line(logging.INFO, "connection open"))
    assert not keep(_line(logging.INFO, "connection closed"))
    assert keep(_line(logging.WARNING, "closing: %s"))
    assert keep(_line(logging.ERROR, "opening handshake failed"))
    assert keep(_line(logging.INFO, "Uvicorn running on http://127.0.0.1:8000"))
