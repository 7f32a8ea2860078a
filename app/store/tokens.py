"""Invite and session tokens: 256 random bits, kept in the database only as a SHA-256 hash. Ids: random UUIDs."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import uuid

RANDOM_BYTES_A_DRAW = 4096
"""Bytes drawn from the system's randomness at once, for 256 ids or 128 tokens."""


def new_token() -> str:
    """32 random bytes in URL-safe base64, as `secrets.token_urlsafe(32)`."""
    return base64.urlsafe_b64encode(_RANDOM.take(32)).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class _RandomBytes(threading.local):
    """Random bytes drawn from the system (`os.urandom`, as `secrets` does) many at once, per thread, each byte given
    out once. `os.urandom` gives up the interpreter lock around its system call, and SQLite's writer thread, which
    makes an id for each op of a group (and a token for each sign-in), then waited to get it back behind the busy
    event loop: once an op, as a statement of its own would. One process on SQLite at 1,000 edits/s spent about a
    millisecond of its writer's time an op, and refused 11,000-15,000 edits `busy` (468 with this)."""

    def __init__(self) -> None:
        self.pool = b""
        self.used = 0

    def take(self, count: int) -> bytes:
        if self.used + count > len(self.pool):
            self.pool, self.used = os.urandom(max(count, RANDOM_BYTES_A_DRAW)), 0
        self.used += count
        return self.pool[self.used - count : self.used]


_RANDOM = _RandomBytes()


def _draw_afresh() -> None:
    # A forked child would otherwise give out the very bytes its parent gives out: the same tokens in both.
    _RANDOM.pool, _RANDOM.used = b"", 0


os.register_at_fork(after_in_child=_draw_afresh)


def new_id() -> str:
    """A random (version 4) UUID's 32 hex digits, as `uuid.uuid4().hex`."""
    return uuid.UUID(bytes=_RANDOM.take(16), version=4).hex
