"""One place that maps domain errors to HTTP responses: `{"error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.schemas import ErrorResponse
from app.domain.errors import (
    DomainError,
    InviteNotFound,
    MeetingNotFound,
    NotSignedIn,
    ParticipantNotFound,
    PermissionDenied,
)

STATUS_OF: dict[type[DomainError], int] = {
    NotSignedIn: 401,
    PermissionDenied: 403,
    MeetingNotFound: 404,
    ParticipantNotFound: 404,
    InviteNotFound: 404,
}


class TooManyRequests(Exception):
    """A cap on how often something may be done was reached: HTTP 429 with the code and a Retry-After."""

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route documents in OpenAPI."""
    return {status: {"model": ErrorResponse} for status in statuses}


def add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        status = next((s for kind, s in STATUS_OF.items() if isinstance(error, kind)), 409)
        return error_response(status, error.code, error.message)

    @app.exception_handler(TooManyRequests)
    async def _too_many(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, TooManyRequests)
        response = error_response(429, error.code, error.message)
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 400 and error.detail == "There was an error parsing the body":
            # FastAPI's answer to a JSON body that is not UTF-8: a validation error like any other bad body (422,
            # documented on every route that takes one), not a 400 no route documents.
            return error_response(422, "invalid", "Some fields are not valid: body (not UTF-8 JSON).")
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        fields = ", ".join(sorted({".".join(str(p) for p in e["loc"][1:]) or "body" for e in error.errors()}))
        return error_response(422, "invalid", f"Some fields are not valid: {fields}.")
