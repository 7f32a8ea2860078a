"""app/log_privacy.PrivateLogLine on single log records, through uvicorn's own formatters: what each kind of line
becomes. tests/security/test_logs.py proves the same on a real server's whole log."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn.config
from uvicorn.logging import AccessFormatter, DefaultFormatter

from app.log_privacy import PrivateLogLine, logging_config

WEBSOCKETS_FILE = str(Path(uvicorn.config.__file__).parents[1] / "websockets" / "protocol.py")


def record(
    name: str, level: int, msg: str, args: tuple[object, ...], pathname: str = "/srv/app.py"
) -> logging.LogRecord:
    return logging.LogRecord(name, level, pathname, 1, msg, args, None)


def passed(line: logging.LogRecord) -> bool:
    return PrivateLogLine().filter(line)


def test_the_websockets_librarys_header_and_frame_dumps_are_dropped() -> None:
    cookie = record("uvicorn.error", logging.DEBUG, "< %s: %s", ("cookie", "sos_m=secret"), WEBSOCKETS_FILE)
    frame = record("uvicorn.error", logging.DEBUG, "> TEXT %s [%d bytes]", ('\'{"text":"Mia...\'', 90), WEBSOCKETS_FILE)
    assert not passed(cookie)
    assert not passed(frame)
    # The same library's warnings and errors still reach the log: they say what went wrong, not what was sent.
    assert passed(record("uvicorn.error", logging.WARNING, "closing: %s", ("timeout",), WEBSOCKETS_FILE))


def test_a_websocket_path_loses_its_query_string() -> None:
    line = record("uvicorn.error", logging.INFO, '%s - "WebSocket %s" [accepted]', ("1.2.3.4:5", "/ws/m?token=s"))
    assert passed(line)
    assert DefaultFormatter("%(message)s").format(line) == (
        '<address omitted> - "WebSocket /ws/m?<query omitted>" [accepted]'
    )


def test_a_refused_socket_line_keeps_its_path_and_status_and_loses_the_devices_address() -> None:
    for address in ("81.2.69.142:50312", "2001:db8::7:50312", "::1:50312"):
        line = record("uvicorn.error", logging.INFO, '%s - "WebSocket %s" %d', (address, "/ws/meetings/m1", 403))
        assert passed(line)
        assert DefaultFormatter("%(message)s").format(line) == '<address omitted> - "WebSocket /ws/meetings/m1" 403'


def test_uvicorns_trace_lines_lose_the_devices_address() -> None:
    made = record("uvicorn.error", 5, "%sWebSocket connection made", ("81.2.69.142:50312 - ",))
    asgi = record("uvicorn.asgi", 5, "%s [%d] Completed", ("81.2.69.142:50312 - ASGI", 3))
    scope = {"type": "websocket", "path": "/ws/m", "query_string": b"", "client": ("81.2.69.142", 50312)}
    started = record("uvicorn.asgi", 5, "%s [%d] Started scope=%s", ("81.2.69.142:50312 - ASGI", 3, scope))
    for line in (made, asgi, started):
        assert passed(line)
        assert "81.2.69.142" not in line.getMessage()
    assert made.getMessage() == "<address omitted> - WebSocket connection made"
    assert asgi.getMessage() == "<address omitted> - ASGI [3] Completed"
    # The app's own lines name no address, and a number there (a count, a seq) is no address.
    mine = record("sosboard.realtime", logging.WARNING, "broker back; %d meetings subscribed again", (12,))
    assert passed(mine) and mine.getMessage() == "broker back; 12 meetings subscribed again"


def test_the_asgi_trace_of_a_request_loses_its_query_string() -> None:
    scope = {"type": "http", "path": "/api/x", "query_string": b"name=Mia", "headers": "<...>"}
    line = record("uvicorn.asgi", 5, "%s [%d] Started scope=%s", ("ASGI", 3, scope))
    assert passed(line)
    assert "Mia" not in line.getMessage()
    assert "'query_string': '<query omitted>'" in line.getMessage()


def test_control_characters_are_written_as_escapes_and_stay_on_one_line() -> None:
    line = record("sosboard.realtime", logging.WARNING, "bad %s", ("x\r\nERROR: forged\x1b[2J\x07",))
    assert passed(line)
    message = line.getMessage()
    assert message == "bad x\\r\\nERROR: forged\\x1b[2J\\x07"
    assert "\n" not in message and "\x1b" not in message


def test_an_access_line_still_formats_with_its_numbers() -> None:
    """uvicorn's access formatter reads its five arguments itself (the status code as a number)."""
    line = record("uvicorn.access", logging.INFO, '%s - "%s %s HTTP/%s" %d', ("1.2.3.4:5", "GET", "/a?b=c", "1.1", 200))
    assert passed(line)
    formatted = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(line)
    assert formatted == '<address omitted> - "GET /a?<query omitted> HTTP/1.1" 200 OK'


def test_every_handler_of_the_server_logs_through_the_filter() -> None:
    config = logging_config()
    assert config["handlers"] and all(handler["filters"] == ["private"] for handler in config["handlers"].values())
    assert config["filters"]["private"]["()"] is PrivateLogLine


def test_a_traceback_goes_on_its_lines_one_line_with_each_exceptions_type_and_frames_and_no_message() -> None:
    """An exception's message may hold what was sent (a validation error's refused value, a statement's
    parameters): the type and where it was raised are what mends it."""
    try:
        try:
            raise KeyError("Zebedee-Canary-Child")
        except KeyError as inner:
            raise ValueError("title 'Initial conference for Zebedee-Canary-Child'") from inner
    except ValueError as failure:
        line = logging.LogRecord("sosboard.http", logging.ERROR, "/srv/app.py", 1, "failed %s", ("POST /x",), None)
        line.exc_info = (type(failure), failure, failure.__traceback__)
    assert passed(line)
    formatted = DefaultFormatter("%(levelprefix)s %(message)s", use_colors=False).format(line)
    assert "\n" not in formatted and "Zebedee" not in formatted, formatted
    assert formatted.startswith("ERROR:") and "failed POST /x | Traceback, messages left out: " in formatted
    assert "builtins.ValueError at tests/security/test_log_privacy.py:" in formatted, formatted
    assert "<- from builtins.KeyError at tests/security/test_log_privacy.py:" in formatted, formatted
