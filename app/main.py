"""The ASGI app: HTTP API, websocket, frontend."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from app.api import audit, glossary, health, join, lobby, meetings, pages, record, retention
from app.api.errors import PLAIN_HTTP_ERRORS, add_exception_handlers, error_response
from app.config import Settings
from app.services import Services
from realtime import endpoint
from realtime.wire import wire_of

# Everything the frontend loads comes from this app; the policy makes a stray third-party request fail loudly.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Behind HTTPS (secure cookies on), a browser that has seen the site once never tries plain HTTP for a year, so a
# network attacker cannot strip TLS from the next visit. Never sent without HTTPS: it would lock out a plain-HTTP
# deployment (a single machine on a team's own network) for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
log = logging.getLogger("sosboard.http")
STATIC_PREFIX = "/static/"
"""The frontend's own files: code and styles, no case data, so browsers may keep them."""


class BoardApp(FastAPI):
    """The app, with the board's websocket path answered ahead of its middleware stack (see realtime/endpoint.py:
    an open connection would otherwise hold a frame of every layer for hours)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and (path := endpoint.BOARD_SOCKET_PATH.fullmatch(scope["path"])):
            websocket = WebSocket(scope, receive, send)
            await endpoint.board_socket(websocket, self.state.services, path["meeting_id"], wire_of(send))
            return
        await super().__call__(scope, receive, send)


class HttpLayer:
    """A plain ASGI middleware over HTTP requests (`handle`); websockets and the lifespan pass through untouched.
    Plain, because FastAPI's `@app.middleware("http")` runs each request through a task group and memory streams,
    which cost more than the sign-in they wrap in a connect storm."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class SecurityHeaders(HttpLayer):
    """The headers every HTTP response carries, unless its route set them."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        super().__init__(app)
        self.secure = secure

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        case_data = not scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                # Case data must not stay in a shared tablet's cache or a proxy's: no-store unless a route says
                # otherwise (the glossary, which holds no case data, is public). Errors too: a refused edit carries
                # the current card.
                if case_data:
                    headers.setdefault("Cache-Control", "no-store")
                if self.secure:
                    headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_REQUEST_BODY_BYTES = 64 * 1024
"""The largest HTTP request body taken, as large as a websocket frame may be: the largest any route needs is under
2 KiB (a title, names, a token)."""


class RequestBodyLimit(HttpLayer):
    """Refuses a request body past MAX_REQUEST_BODY_BYTES with 413, from its Content-Length before it is read, or
    as it arrives when it is sent in chunks: FastAPI reads and parses a body whole before it validates it, and
    150 MB sent to `POST /api/meetings`, which needs no sign-in, took 470 MB of the server's memory."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_REQUEST_BODY_BYTES):
            await error_response(413, *PLAIN_HTTP_ERRORS[413])(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_REQUEST_BODY_BYTES:
                raise StarletteHTTPException(413)  # answered by app.api.errors, in the documented shape
            return message

        await self.app(scope, receive_within_limit, send)


class UnexpectedFailures(HttpLayer):
    """An HTTP request that fails unexpectedly gets the documented error shape (500 `internal`) inside the other
    layers, so it carries `no-store` and the security headers too; and its log line is the app's own, one line,
    through `PrivateLogLine` (app/log_privacy.py), which writes the traceback without the exceptions' messages.
    Without it, Starlette's outermost layer answered a bare 500 and uvicorn logged the whole traceback, a database
    error's message among it with the statement's parameters: a meeting's title as the chair typed it."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception:
            log.error("unexpected failure answering %s %s", scope["method"], scope["path"], exc_info=True)
            if not started:  # else the client sees its response cut short, as it would have
                await error_response(500, *PLAIN_HTTP_ERRORS[500])(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    services = Services.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = BoardApp(
        title="SoS Board",
        summary="A live, shared Signs of Safety map for Child Protection conferences.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by app.api.pages from vendored Swagger UI, under the CSP below
        redoc_url=None,
    )
    app.state.services = services
    add_exception_handlers(app)
    routers = (
        meetings.router,
        meetings.kinds_router,
        join.router,
        lobby.router,
        record.router,
        audit.router,
        glossary.router,
        retention.router,
        health.router,
        pages.router,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.FRONTEND_DIR), name="static")

    app.add_middleware(RequestBodyLimit)
    app.add_middleware(UnexpectedFailures)
    app.add_middleware(SecurityHeaders, secure=settings.secure_cookies)
    return app
