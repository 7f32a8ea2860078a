"""Retention: legal holds on a meeting, kept past the retention period until lifted."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["retention"])
