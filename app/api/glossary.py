"""Plain words: the glossary of jargon and its plain alternatives, for the screens that flag it while people write."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["glossary"])
