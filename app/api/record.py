"""The record: finalising checks, verifying the hash chain, and the exports (PDF, JSON, Markdown)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["record"])
