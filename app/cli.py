"""`sosboard serve`: the app on the embedded default (SQLite file, in-process fan-out), no services needed."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from app.config import Settings
from app.main import create_app


class _SpuriousHandshakeError(logging.Filter):
    """uvicorn's websockets-sansio logs an error after a correct HTTP denial of a websocket upgrade (it does not
    count the denial as the end of the handshake). Refusing a socket without a session is routine, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing handshake" not in record.getMessage()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sosboard")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the board server")
    serve.add_argument("--host", help="default 127.0.0.1")
    serve.add_argument("--port", type=int, help="default 8000")
    serve.add_argument("--database-url", help="default: a SQLite file in ./data")
    serve.add_argument("--broker-url", help="memory:// (default) or redis://host:port")
    args = parser.parse_args(argv)

    overrides = {
        key: value
        for key, value in {
            "host": args.host,
            "port": args.port,
            "database_url": args.database_url,
            "broker_url": args.broker_url,
        }.items()
        if value is not None
    }
    settings = Settings(**overrides)
    logging.getLogger("uvicorn.error").addFilter(_SpuriousHandshakeError())
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",
        # Browsers always ask for per-message deflate; for small edits it costs +58% CPU and twice the memory.
        ws_per_message_deflate=False,
        ws_max_size=settings.max_frame_bytes,
        ws_ping_interval=settings.ws_ping_seconds,
        ws_ping_timeout=settings.ws_ping_seconds,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="info",
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
