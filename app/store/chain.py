"""The hash chain over a meeting's op log, so that any later change to the record can be detected.

Each op row carries `hash = SHA-256(previous hash + "\\n" + canonical(row))`, computed in the transaction that
commits the op; the first op's "previous hash" is the hash of the meeting's genesis (its id, title, kind, agenda
and creation time). `canonical` is JSON with sorted keys, no spaces, UTF-8, over the row exactly as stored:

    {"actor_id", "created_at", "meeting_id", "op_id", "payload", "role", "seq", "target_id", "type"}

where `payload` is the stored text itself (so any change to it, even of spacing, breaks the chain) and
`created_at` is ISO 8601 in UTC with microseconds (`2026-11-28T10:15:00.123456+00:00`). docs/record.md documents
the same for anyone who wants to check a record without this code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_FIELDS = ("id", "title", "kind", "agenda", "created_at")
"""The meetings row's columns the chain starts from, in this order."""


def _instant(value: Any) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"not a time: {value!r}")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def genesis_hash(meeting: Mapping[str, Any]) -> str:
    """The chain's start: `meeting` holds the GENESIS_FIELDS of the meetings row."""
    fields = {name: meeting[name] for name in GENESIS_FIELDS}
    fields["created_at"] = _instant(fields["created_at"])
    return hashlib.sha256(canonical(fields)).hexdigest()


def chain_hash(previous: str, row: Mapping[str, Any]) -> str:
    """The hash of one op row after `previous`. `row` holds the ops columns (`card_id` is the target's id)."""
    fields = {
        "meeting_id": row["meeting_id"],
        "seq": int(row["seq"]),
        "op_id": row["op_id"],
        "actor_id": row["actor_id"],
        "role": row["role"],
        "type": row["type"],
        "target_id": row["card_id"],
        "payload": row["payload"],
        "created_at": _instant(row["created_at"]),
    }
    return hashlib.sha256(previous.encode() + b"\n" + canonical(fields)).hexdigest()


@dataclass(frozen=True, slots=True)
class Verification:
    holds: bool
    ops: int
    last_hash: str | None
    """The hash the record names: its last op's."""
    first_broken_seq: int | None
    problem: str | None
    """In plain words, when the chain does not hold."""


def verify_chain(meeting: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> Verification:
    """Recompute the chain over a meeting's op rows, in seq order, from its genesis; say whether every stored
    hash is the one recomputed, and if not the first seq where it breaks (a changed, missing or added op)."""
    previous = genesis_hash(meeting)
    count = 0
    for expected_seq, row in enumerate(rows, start=1):
        count += 1
        seq = int(row["seq"])
        if seq != expected_seq:
            return Verification(False, count, None, expected_seq, f"Op {expected_seq} is missing from the log.")
        link = chain_hash(previous, row)
        if row["hash"] != link:
            problem = f"Op {seq} is not what was recorded: it, or something before it, was changed."
            return Verification(False, count, None, seq, problem)
        previous = link
    return Verification(True, count, previous if count else None, None, None)
