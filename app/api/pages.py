"""The frontend's pages, and the API reference (/docs). Static assets are mounted at /static by app.main."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend"

router = APIRouter(include_in_schema=False)

# Pages hold nothing of a meeting (it comes over the socket), but a shared tablet should keep no copy anyway.
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/")
async def start_page() -> FileResponse:
    return FileResponse(FRONTEND_DIR / "index.html", headers=_NO_STORE)


@router.get("/join")
async def join_page() -> FileResponse:
    return FileResponse(FRONTEND_DIR / "join.html", headers=_NO_STORE)


@router.get("/meetings/{meeting_id}")
async def board_page(meeting_id: str) -> FileResponse:
    return FileResponse(FRONTEND_DIR / "board.html", headers=_NO_STORE)


@router.get("/room")
async def room_page() -> FileResponse:
    """Joining the room by code: the code rides in the fragment (`/room#ABCD-EFGH`), which no server sees."""
    return FileResponse(FRONTEND_DIR / "room.html", headers=_NO_STORE)


SWAGGER_UI = "/static/vendor/swagger-ui"
"""Swagger UI, vendored from npm's swagger-ui-dist (frontend/vendor/swagger-ui/README.md)."""

DOCS_PAGE = f"""<!doctype html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex, nofollow">
  <title>API reference · SoS Board</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
  <main id="swagger-ui"></main>
  <script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
  <script src="/static/js/docs-init.js"></script>
</body>
</html>
"""
"""FastAPI's own /docs loads Swagger UI from a CDN with an inline script, which the app's Content-Security-Policy
blocks (a blank page). This one loads it from this app, and starts it from a file: no inline script, no other
host. There is no /redoc: ReDoc injects inline styles, which the policy also blocks."""


@router.get("/docs")
async def api_reference() -> HTMLResponse:
    return HTMLResponse(DOCS_PAGE, headers=_NO_STORE)
