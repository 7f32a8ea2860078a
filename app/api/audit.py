"""The audit trail: everything that happened in a meeting, ops and other actions, for the chair (and as CSV)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["audit"])
