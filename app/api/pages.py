"""The frontend's pages. Static assets are mounted at /static by app.main."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

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
