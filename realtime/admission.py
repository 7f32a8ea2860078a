"""How many websocket connections a participant and a meeting may hold open at once, in this process. Checked on
the upgrade, before it is accepted (HTTP 429 with a code, as every other refusal of the handshake), so that one
stolen or scripted session cannot open thousands of sockets, each with its own send queue, into a meeting.

- `connections_per_participant` (default 10): a chair with a few tabs, a laptop and a phone is well under it.
- `connections_per_meeting` (default 200): a conference has 5-30 people, a wall and a tablet or two.

Counted per process: with P processes behind a load balancer the caps are at most P times these.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    message: str


class ConnectionCaps:
    def __init__(self, per_participant: int, per_meeting: int) -> None:
        self.per_participant = per_participant
        self.per_meeting = per_meeting
        self._participants: Counter[tuple[str, str]] = Counter()
        self._meetings: Counter[str] = Counter()

    def reserve(self, meeting_id: str, participant_id: str) -> Refusal | None:
        """Take a place for one connection, or say why not. No await inside: two upgrades at once cannot both
        take the last place. Every place taken must be given back with `release`."""
        if self._participants[(meeting_id, participant_id)] >= self.per_participant:
            return Refusal(
                "too_many_connections",
                "This person already has too many screens open on this meeting. Close one and try again.",
            )
        if self._meetings[meeting_id] >= self.per_meeting:
            return Refusal("meeting_full", "This meeting has as many screens connected as it can take.")
        self._participants[(meeting_id, participant_id)] += 1
        self._meetings[meeting_id] += 1
        return None

    def release(self, meeting_id: str, participant_id: str) -> None:
        self._participants[(meeting_id, participant_id)] -= 1
        if self._participants[(meeting_id, participant_id)] <= 0:
            del self._participants[(meeting_id, participant_id)]
        self._meetings[meeting_id] -= 1
        if self._meetings[meeting_id] <= 0:
            del self._meetings[meeting_id]

    def open_in(self, meeting_id: str) -> int:
        return self._meetings[meeting_id]
