"""Ids and tokens (app/store/tokens.py) are drawn from the system's randomness many bytes at once: each byte is
given out once, in this process and in no other."""

from __future__ import annotations

import os
import uuid

from app.store.tokens import new_id, new_token


def test_a_forked_process_never_makes_the_tokens_its_parent_makes() -> None:
    new_token()  # the parent now holds random bytes it has not given out yet
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(write, new_token().encode())
        os._exit(0)
    os.close(write)
    try:
        childs = os.read(read, 100).decode()
    finally:
        os.close(read)
        os.waitpid(child, 0)
    assert len(childs) == 43
    assert childs != new_token()


def test_ids_are_random_uuids_never_repeated() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(made) == 32 and uuid.UUID(made).version == 4 for made in ids)
