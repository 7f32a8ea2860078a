"""One place that maps domain errors to HTTP responses: `{"error": {"code", "message"}}`."""

from __future__ import annotations

from collections.abc import Sequence
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


PLAIN_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not take that kind of request."),
    413: ("too_large", "This request is larger than the board takes."),
    500: ("internal", "Something went wrong on the server. Please try again in a moment."),
}
"""The refusals of the HTTP layer itself, before any route, and its answer to an unexpected failure: their codes
and plain words."""


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
            return error_response(422, "invalid", "The body could not be read as UTF-8 JSON.")
        plain = PLAIN_HTTP_ERRORS.get(error.status_code)
        if plain is None:
            return await http_exception_handler(request, error)
        # Every refusal in the one documented shape, also those of the routing (no such address, no such method).
        response = error_response(error.status_code, *plain)
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = error.errors()
        if any(e["type"] == "json_invalid" for e in errors):
            return error_response(422, "invalid", "The body is not valid JSON.")
        fields = ", ".join(sorted({_field_name(e["loc"]) for e in errors}))
        return error_response(422, "invalid", f"Some fields are not valid: {fields}.")


def _field_name(location: Sequence[int | str]) -> str:
    """`title`, `body` for the body as a whole: the location without its `body` root and list indexes."""
    return ".".join(str(part) for part in location[1:] if isinstance(part, str)) or "body"
