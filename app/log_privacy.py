"""What the server's log may hold, at every level: ids, counts, methods and paths, never a name, a word of a
meeting, a cookie, a token or a room code, and never a character that forges a line or drives a terminal.

uvicorn's own lines at info say which socket was refused (app.cli drops the lines for every socket opened and
closed); at debug and trace it hands its loggers to the websockets library, which writes every upgrade request's
headers (the session cookie among them) and the start and end of every frame (a card's words), and the ASGI message
log writes each request's query string (whatever a client put there). `PrivateLogLine` is installed on every
handler the server logs through (`logging_config`):

- drops the websockets library's own debug lines (headers and frames; its lines at info for the open and close of
  each connection are dropped by app.cli);
- leaves a query string out of what uvicorn writes (the app's own URLs carry no secret in one, but a client may);
- leaves the device's address out of uvicorn's lines (a refused socket's, an access line's, every line at trace):
  a family's home connection is theirs, and it tells an operator nothing the path and the status do not;
- writes every control character of a message (CR, LF, ESC...) as its escape (`\\r`, `\\x1b`), so text a client
  sent in a path, an op id or a header stays inside its one line and cannot clear or colour a terminal;
- writes a traceback on the line of its message, with each exception's type and where it was raised, and without
  the exceptions' own messages: a database error's message holds the statement's parameters (a meeting's title as
  typed, in the first such case found), a validation error's the value it refused.
"""

from __future__ import annotations

import copy
import logging
import re
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn.config

_WEBSOCKETS_LIBRARY = str(Path(uvicorn.config.__file__).parents[1] / "websockets") + "/"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x80-\x9f]")
_QUERY_IN_PATH = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
_QUERY_OMITTED = "<query omitted>"
_CLIENT_ADDRESS = re.compile(r"^[0-9A-Fa-f:.]+:\d+(?=$| - )")
"""uvicorn's `host:port` of the device, as it starts a line (`1.2.3.4:5 - "WebSocket /ws/..." 403`, `::1:5 - HTTP
connection made`, `1.2.3.4:5 - ASGI [3] ...`)."""
_ADDRESS_OMITTED = "<address omitted>"
TRACEBACK_LIBRARY_FRAMES = 3
"""The innermost frames of each exception in a traceback written besides the app's own: where a library raised it."""
_APP_ROOT = str(Path(__file__).resolve().parents[1]) + "/"


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def _safe_arg(arg: object, uvicorn_line: bool) -> object:
    """One argument of a log message, as it may be written: a path or an ASGI scope (uvicorn's trace log) without
    its query string, and uvicorn's lines without the device's address; text with its control characters escaped.
    Numbers and containers stay as they are (the access formatter needs its numbers; a container is written by
    repr, which escapes control characters)."""
    if uvicorn_line and isinstance(arg, dict) and "query_string" in arg:
        return {**arg, "query_string": _QUERY_OMITTED} | ({"client": _ADDRESS_OMITTED} if "client" in arg else {})
    if isinstance(arg, int | float | bytes | dict | list | tuple) or arg is None:
        return arg
    text = str(arg)
    if uvicorn_line:
        text = _CLIENT_ADDRESS.sub(_ADDRESS_OMITTED, _QUERY_IN_PATH.sub(rf"\1?{_QUERY_OMITTED}", text))
    return _escaped(text)


class PrivateLogLine(logging.Filter):
    """See the module: drops the websockets library's frame and header dumps, leaves query strings and the
    device's address out of uvicorn's lines, and escapes control characters in every message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and record.pathname.startswith(_WEBSOCKETS_LIBRARY):
            return False
        uvicorn_line = record.name.startswith("uvicorn")
        if isinstance(record.args, tuple):
            record.args = tuple(_safe_arg(arg, uvicorn_line) for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = _escaped(record.msg)
            if record.exc_info and record.exc_info[1] is not None:
                trace = _traceback_without_messages(record.exc_info[1])
                # On the message's line, formatted with it (so a `%` in a path is escaped while there are args).
                record.msg = f"{record.msg} | {trace.replace('%', '%%') if record.args else trace}"
                record.exc_info, record.exc_text = None, None
        return True


def _traceback_without_messages(failure: BaseException) -> str:
    """`failure` and the exceptions it was raised from or while handling, outermost first, each as its type and its
    innermost frames (file, line, function), on one line: never an exception's message."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = failure
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        parts.append(f"{kind.__module__}.{kind.__qualname__} at {_frames(current.__traceback__)}")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "Traceback, messages left out: " + _escaped(" <- from ".join(parts))


def _frames(trace: TracebackType | None) -> str:
    """The app's own frames and the innermost few, outermost first, each `file:line in function`."""
    frames = traceback.extract_tb(trace)
    innermost = len(frames) - TRACEBACK_LIBRARY_FRAMES
    kept = [
        f"{_short(frame.filename)}:{frame.lineno} in {frame.name}"
        for index, frame in enumerate(frames)
        if index >= innermost or _short(frame.filename) != frame.filename
    ]
    return " > ".join(kept) or "(no frames)"


def _short(filename: str) -> str:
    """The app's own files from the project's folder (`app/store/meetings.py`); anything else as it is."""
    if filename.startswith(_APP_ROOT) and "/site-packages/" not in filename:
        return filename.removeprefix(_APP_ROOT)
    return filename


def logging_config() -> dict[str, Any]:
    """uvicorn's logging configuration with `PrivateLogLine` on each of its handlers."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"private": {"()": PrivateLogLine}}
    for handler in config["handlers"].values():
        handler["filters"] = ["private"]
    return config
