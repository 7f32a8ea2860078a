"""Invite and session tokens: 256 random bits, kept in the database only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import uuid


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex
