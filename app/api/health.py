from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.errors import error_response, responses
from app.api.schemas import Health
from app.api.sessions import ServicesDep

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=Health, responses=responses(503))
async def health(services: ServicesDep) -> Health | Response:
    """Ready when the database answers; 503 (what a load balancer expects) when it does not."""
    try:
        async with services.db.read() as session:
            await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return error_response(503, "database_unavailable", "The database is not answering.")
    return Health(status="ok", database="ok")
