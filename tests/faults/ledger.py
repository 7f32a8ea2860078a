"""The Jepsen method for the board: writers record, on the client side, every op they send and every answer they
get; after the faults, the history is checked against what the server says it holds.

A writer adds cards and edits its own latest card, as a professional typing in a meeting does. An op whose answer
never came (the server died, the connection dropped) is indeterminate: it is resent with the same op id after the
reconnect, as the frontend does, so in the end every op sent has exactly one answer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed

from tests.support.clients import BoardClient, Member

SYNC_DEADLINE_SECONDS = 30.0


@dataclass
class Sent:
    op_id: str
    op: dict[str, Any]
    writer: int


@dataclass
class Ledger:
    """Every op sent and every ack received, client-side."""

    sent: dict[str, Sent] = field(default_factory=dict)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    refusals: dict[str, dict[str, Any]] = field(default_factory=dict)
    indeterminate: int = 0
    """Ops whose answer was lost to a fault and that were resent."""
    committed_before_fault: int = 0
    """Of those, the ones the server had committed before the fault (the resend was acked as a duplicate)."""

    waiting: list[tuple[int, asyncio.Event]] = field(default_factory=list)

    async def acks_reach(self, count: int, within: float = SYNC_DEADLINE_SECONDS) -> None:
        """Wait until this many ops have been acknowledged in all: a lost answer fails the test, never hangs it."""
        reached = asyncio.Event()
        self.waiting.append((count, reached))
        self._wake()
        try:
            await asyncio.wait_for(reached.wait(), within)
        except TimeoutError:
            raise AssertionError(f"only {len(self.acks)} of {count} ops acknowledged within {within:g} s") from None
        finally:
            self.waiting.remove((count, reached))

    def _wake(self) -> None:
        for count, reached in self.waiting:
            if len(self.acks) >= count:
                reached.set()

    def record_ack(self, op_id: str, ack: dict[str, Any]) -> None:
        earlier = self.acks.get(op_id)
        if ack.get("duplicate"):
            self.committed_before_fault += 1
        if earlier is not None:
            # A resend of an op that had been committed must get its first result back, not a new one.
            assert (ack["seq"], ack["card_id"]) == (earlier["seq"], earlier["card_id"]), (earlier, ack)
        self.acks[op_id] = ack
        self._wake()

    def check(self, board: dict[str, Any]) -> None:
        """0 acked edits lost, 0 duplicated: the board holds each acked op exactly once."""
        assert not self.refusals, f"ops refused: {list(self.refusals.values())[:3]}"
        assert set(self.acks) == set(self.sent), "an op sent was never answered"
        seqs = [ack["seq"] for ack in self.acks.values()]
        assert len(seqs) == len(set(seqs)), "two ops were acknowledged with one seq"
        # One seq per distinct op id, gap-free: nothing committed twice, nothing acknowledged and then lost.
        assert sorted(seqs) == list(range(1, board["seq"] + 1)), "seqs on the board differ from the acks"
        cards = {card["id"]: card for column in board["columns"].values() for card in column}
        ids = [card["id"] for column in board["columns"].values() for card in column]
        assert len(ids) == len(set(ids)), "a card appears twice"
        expected: dict[str, tuple[int, str]] = {}
        for op_id, ack in sorted(self.acks.items(), key=lambda item: item[1]["seq"]):
            op = self.sent[op_id].op
            if op["type"] == "add_card":
                expected[ack["card_id"]] = (1, op["text"])
            elif op["type"] == "edit_card":
                version, _ = expected[op["card_id"]]
                expected[op["card_id"]] = (version + 1, op["text"])
        for card_id, (version, text) in expected.items():
            assert card_id in cards, "an acknowledged card was lost"
            assert (cards[card_id]["version"], cards[card_id]["text"]) == (version, text), card_id
        assert len(cards) == len(expected)


@dataclass
class Writer:
    """One person typing: adds a card, edits it, adds the next. `pending` is the op whose answer is unknown."""

    index: int
    member: Member
    client: BoardClient
    ledger: Ledger
    pending: Sent | None = None
    card_id: str | None = None
    version: int = 0
    made: int = 0

    def next_op(self) -> Sent:
        self.made += 1
        text = f"w{self.index}-{self.made}"
        if self.card_id is None or self.made % 3 == 0:
            op: dict[str, Any] = {"type": "add_card", "column": "worries", "kind": "harm", "text": text}
        else:
            op = {"type": "edit_card", "card_id": self.card_id, "base_version": self.version, "text": text}
        sent = Sent(uuid.uuid4().hex, op, self.index)
        self.ledger.sent[sent.op_id] = sent
        return sent

    def took(self, sent: Sent, ack: dict[str, Any]) -> None:
        self.ledger.record_ack(sent.op_id, ack)
        if sent.op["type"] == "add_card":
            self.card_id, self.version = ack["card_id"], 1
        else:
            self.version += 1

    async def send(self, sent: Sent) -> None:
        """Send one op and wait for its answer. `pending` stays set while the answer is unknown or says to resend
        (not saved: `rate_limited`, `internal`, `busy`), so a dropped connection leaves it to be resent. After
        `busy` it waits the time the server asks, as the board page does (a loaded machine's slow commits under
        a fault are `busy`, not a lost edit)."""
        self.pending = sent
        reply = await self.client.request(sent.op, sent.op_id)
        if reply["type"] == "error" and reply["code"] in ("rate_limited", "internal", "busy"):
            if reply["code"] == "busy":
                await asyncio.sleep(int(reply["retry_after_ms"]) / 1000)  # the protocol's wait, as the server asks
            return
        self.pending = None
        if reply["type"] == "ack":
            self.took(sent, reply)
        else:
            self.ledger.refusals[sent.op_id] = reply

    async def run(
        self, reached: asyncio.Event, acks_wanted: int, stop: asyncio.Event | None = None, most: int = 100_000
    ) -> None:
        """Send ops one at a time until the connection drops, `stop` is set (or `most` were sent); set `reached`
        once the ledger holds `acks_wanted` acks, the moment a test may pull the plug with ops still in flight."""
        for _ in range(most):
            if stop is not None and stop.is_set():
                return
            try:
                await self.send(self.pending or self.next_op())
            except (ConnectionClosed, OSError):
                return
            if len(self.ledger.acks) >= acks_wanted:
                reached.set()

    async def reconnect(self, ws_url: str) -> None:
        before = self.client
        self.client = await BoardClient.connect(ws_url, self.member, since=before.seq)
        self.client.resume_from(before)
        drop(before)

    async def settle(self) -> None:
        """Resend what is still pending (answer unknown) until it is answered."""
        if self.pending is not None:
            self.ledger.indeterminate += 1
        while self.pending is not None:
            await self.send(self.pending)


async def keep_reading(client: BoardClient) -> None:
    """A screen that only watches (the wall, the family's tablet) reads everything, as a browser does; a reader
    that stopped would be dropped as too slow, which is a test of its own. Ends when the connection does; cancel
    it to take the client back."""
    while True:
        try:
            await client.receive()
        except TimeoutError:
            continue  # a quiet moment
        except (ConnectionClosed, OSError):
            return


def drop(client: BoardClient) -> None:
    """Let go of a connection whose server died: its transport may have stopped reading when its buffer filled,
    so it would never notice the end by itself (and a close handshake with nobody would wait out its timeout)."""
    client.socket.transport.abort()


async def converge(client: BoardClient, seq: int) -> None:
    """Ping until this client has every event up to `seq`: the ping's catch-up reads the op log, so a client is
    never left with a gap by a broker that dropped a message."""
    async with asyncio.timeout(SYNC_DEADLINE_SECONDS):
        while client.seq < seq:
            await client.socket.send('{"type": "ping"}')
            await client.receive_until(lambda f: f["type"] == "pong")


async def check_everyone_converges(clients: Sequence[BoardClient], board: dict[str, Any]) -> None:
    for client in clients:
        await converge(client, board["seq"])
        assert client.seq == board["seq"]
        assert client.columns == board["columns"], "a client's board differs from the server's"
