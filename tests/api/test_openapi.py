"""/openapi.json documents every /api route: its response body and every error it can answer with."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio

ERROR_REF = "#/components/schemas/ErrorResponse"
EXPECTED = {
    ("post", "/api/meetings"),
    ("get", "/api/meeting-kinds"),
    ("get", "/api/meetings/{meeting_id}/me"),
    ("get", "/api/meetings/{meeting_id}/board"),
    ("get", "/api/meetings/{meeting_id}/participants"),
    ("post", "/api/meetings/{meeting_id}/participants"),
    ("post", "/api/meetings/{meeting_id}/participants/{participant_id}/invite"),
    ("delete", "/api/meetings/{meeting_id}/participants/{participant_id}/invite"),
    ("post", "/api/meetings/{meeting_id}/leave"),
    ("post", "/api/join"),
    ("get", "/api/health"),
    ("get", "/api/meetings/{meeting_id}/verify"),
    ("get", "/api/meetings/{meeting_id}/finalise-check"),
    ("get", "/api/meetings/{meeting_id}/audit"),
    ("get", "/api/meetings/{meeting_id}/audit.csv"),
    ("put", "/api/meetings/{meeting_id}/hold"),
    ("delete", "/api/meetings/{meeting_id}/hold"),
    ("get", "/api/meetings/{meeting_id}/retention"),
    ("get", "/api/glossary"),
    ("get", "/api/meetings/{meeting_id}/record.json"),
    ("get", "/api/meetings/{meeting_id}/record.md"),
    ("get", "/api/meetings/{meeting_id}/record.pdf"),
    ("post", "/api/meetings/{meeting_id}/room-code"),
    ("get", "/api/meetings/{meeting_id}/room-code"),
    ("delete", "/api/meetings/{meeting_id}/room-code"),
    ("get", "/api/meetings/{meeting_id}/room-code.svg"),
    ("post", "/api/lobby"),
    ("get", "/api/lobby"),
    ("delete", "/api/lobby"),
    ("get", "/api/meetings/{meeting_id}/lobby"),
    ("post", "/api/meetings/{meeting_id}/lobby/{entry_id}/admit"),
    ("delete", "/api/meetings/{meeting_id}/lobby/{entry_id}"),
}
DOWNLOADS = {"text/csv", "application/pdf", "text/markdown", "image/svg+xml"}
"""Media types of the record's downloads and the room code's QR code: documented as a file, not as a JSON model."""


@pytest_asyncio.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _schema_of(response: dict[str, Any]) -> dict[str, Any] | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return dict(schema) if schema else None


@pytest.mark.asyncio
async def test_lists_every_api_route_and_no_page(spec: dict[str, Any]) -> None:
    operations = _operations(spec)

    assert {key for key in operations if key[1].startswith("/api")} == EXPECTED
    assert all(path.startswith("/api/") for _method, path in operations)


@pytest.mark.asyncio
async def test_every_route_has_a_response_model(spec: dict[str, Any]) -> None:
    for key, operation in _operations(spec).items():
        success = {status: r for status, r in operation["responses"].items() if status.startswith("2")}
        # Beside its answer, a route that reads a thing which is usually not there yet (a room code, this device's
        # place in the lobby) may say so with a bodiless 204: an answer, not an error.
        if len(success) == 2 and "204" in success:
            assert _schema_of(success.pop("204")) is None, key
        assert len(success) == 1, key
        [(status, response)] = success.items()
        if status == "204":
            assert _schema_of(response) is None, key
        elif DOWNLOADS & set(response.get("content", {})):
            download = next(iter(DOWNLOADS & set(response["content"])))
            assert response["content"][download].get("schema", {}).get("type") == "string", (key, response)
        else:
            schema = _schema_of(response)
            assert schema and schema != {}, (key, response)
            is_array = schema.get("type") == "array"
            assert "$ref" in (schema["items"] if is_array else schema), (key, schema)


@pytest.mark.asyncio
async def test_every_error_response_is_an_error_response(spec: dict[str, Any]) -> None:
    wrong = {
        (method, path, status): _schema_of(response)
        for (method, path), operation in _operations(spec).items()
        for status, response in operation["responses"].items()
        if not status.startswith("2") and _schema_of(response) != {"$ref": ERROR_REF}
    }

    assert wrong == {}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/api/meetings", {"422"}),
        ("post", "/api/join", {"404", "422"}),
        ("get", "/api/meetings/{meeting_id}/me", {"401"}),
        ("get", "/api/meetings/{meeting_id}/board", {"401"}),
        ("get", "/api/meetings/{meeting_id}/participants", {"401", "403"}),
        ("post", "/api/meetings/{meeting_id}/participants", {"401", "403", "422"}),
        ("post", "/api/meetings/{meeting_id}/participants/{participant_id}/invite", {"401", "403", "404"}),
        ("delete", "/api/meetings/{meeting_id}/participants/{participant_id}/invite", {"401", "403", "404"}),
        ("post", "/api/meetings/{meeting_id}/room-code", {"401", "403", "409"}),
        ("get", "/api/meetings/{meeting_id}/room-code", {"204", "401", "403", "404"}),
        ("get", "/api/meetings/{meeting_id}/room-code.svg", {"401", "403", "404"}),
        ("delete", "/api/meetings/{meeting_id}/room-code", {"401", "403"}),
        ("post", "/api/lobby", {"404", "409", "422", "429"}),
        ("get", "/api/lobby", {"204"}),
        ("get", "/api/meetings/{meeting_id}/lobby", {"401", "403"}),
        ("post", "/api/meetings/{meeting_id}/lobby/{entry_id}/admit", {"401", "403", "404", "409", "422"}),
        ("delete", "/api/meetings/{meeting_id}/lobby/{entry_id}", {"401", "403", "404", "409"}),
    ],
)
async def test_documents_the_errors_each_route_answers_with(
    spec: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    documented = set(spec["paths"][path][method]["responses"])

    assert statuses <= documented, documented


@pytest.mark.asyncio
async def test_the_error_schema_is_code_and_message(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]

    assert schemas["ErrorResponse"]["required"] == ["error"]
    assert schemas["ErrorResponse"]["properties"]["error"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert set(schemas["ErrorBody"]["required"]) == {"code", "message"}
