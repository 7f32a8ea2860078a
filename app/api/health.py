from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from app.api.errors import responses
from app.api.schemas import Health
from app.api.sessions import ServicesDep

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", responses=responses(503))
async def health(services: ServicesDep) -> Health:
    """Ready when the database answers."""
    async with services.db.read() as session:
        await session.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")
