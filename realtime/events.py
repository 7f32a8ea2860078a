"""From a committed op to the `event` frame each connection receives, and the form rooms pass to each other.

visibility.py decides what a viewer may receive; this module turns that into frames, encoding each event once
per audience (connections that receive the same bytes), never once per socket.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app.domain.board import CardChange
from app.domain.operations import Actor
from app.domain.roles import Role
from app.domain.visibility import Audience, Viewer, audiences, changes_for
from app.store.oplog import CommittedOp, committed_from_log, log_payload
from realtime.protocol import ActorInfo, Event


def event_for(committed: CommittedOp, viewer: Viewer) -> Event:
    changes, whole = changes_for(committed.changes, viewer)
    card_change = next((c for c in changes if isinstance(c, CardChange)), None)
    op = committed.op if whole else None
    if op is not None and card_change is not None and getattr(op, "position", None) is not None:
        # Where the card lands among the cards this viewer has, as in the change.
        op = op.model_copy(update={"position": card_change.position})
    return Event(
        seq=committed.seq,
        op_id=committed.op_id,
        actor=ActorInfo(participant_id=committed.actor.participant_id, role=committed.actor.role),
        op=op,
        card=card_change.value if whole and card_change is not None else None,
        changes=list(changes),
        at=committed.at,
    )


class EventTexts:
    """One committed op, encoded lazily per audience."""

    def __init__(self, committed: CommittedOp) -> None:
        self.committed = committed
        self._texts: dict[Audience, str] = {}
        self._audience = audiences(committed.changes)

    def for_viewer(self, viewer: Viewer) -> str:
        audience = self._audience(viewer)
        text = self._texts.get(audience)
        if text is None:
            text = self._texts[audience] = event_for(self.committed, viewer).model_dump_json()
        return text


def encode_committed(committed: CommittedOp) -> str:
    """The whole op, withholding nothing, for other processes' rooms (which filter it for their own peers)."""
    return json.dumps(
        {
            "meeting_id": committed.meeting_id,
            "seq": committed.seq,
            "op_id": committed.op_id,
            "actor_id": committed.actor.participant_id,
            "role": committed.actor.role.value,
            "target_id": committed.target_id,
            "at": committed.at.isoformat(),
            "payload": log_payload(committed.op, committed.changes),
        },
        separators=(",", ":"),
    )


def decode_committed(text: str) -> CommittedOp:
    data: dict[str, Any] = json.loads(text)
    return committed_from_log(
        meeting_id=data["meeting_id"],
        seq=int(data["seq"]),
        op_id=data["op_id"],
        actor=Actor(data["actor_id"], Role(data["role"])),
        target_id=data["target_id"],
        at=datetime.fromisoformat(data["at"]),
        payload=data["payload"],
    )
