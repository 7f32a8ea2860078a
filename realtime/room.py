"""A meeting's room in one process: the peers connected here, the fan-out of events to them in seq order, and
presence. A room depends on a Channel per peer, the op log and the broker, nothing else.

Ordering: every event reaches a room either directly (committed by a peer here) or through the broker (committed
by another process). `_accept` lets through only the next seq; a jump means the broker dropped something, and the
gap is read from the op log first. So each peer receives every event exactly once, in order, whatever the broker
does.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from app.domain.errors import DomainError, StaleVersion
from app.domain.meeting import Participant
from app.domain.operations import Actor
from app.domain.roles import Role
from app.domain.state import MeetingState
from app.domain.visibility import Audience, Viewer, meeting_for, snapshot_audiences
from app.store.oplog import Busy, CommittedOp, OpLog
from app.store.tokens import new_id
from realtime.broker import RoomBroker, Subscription
from realtime.channel import Channel
from realtime.events import EventTexts, decode_committed, encode_committed, event_for
from realtime.protocol import (
    OP_ID_PATTERN,
    Ack,
    CloseCode,
    Editing,
    EditingTarget,
    ErrorCode,
    ErrorFrame,
    Hello,
    OpId,
    OpRequest,
    Person,
    Ping,
    Pong,
    PresenceFrame,
    PresentParticipant,
    client_frame_adapter,
)
from realtime.ratelimit import TokenBucket

log = logging.getLogger("sosboard.realtime")

PROCESS_ID = uuid.uuid4().hex
"""Marks broker messages from this process, whose effect a room here has already had."""

_op_id_adapter: TypeAdapter[str] = TypeAdapter(OpId)
_OP_ID = re.compile(OP_ID_PATTERN)

PRESENCE_RENEW_SECONDS = 20.0
CATCH_UP_INTERVAL_SECONDS = 2.0
MAX_CONSECUTIVE_BAD_FRAMES = 20
CLOSE_FLUSH_SECONDS = 5.0
ROOM_TASKS_STOP_SECONDS = 2.0
"""How long a closing room waits for its tasks to stop after cancelling them."""
CONTROL_FRAMES_PER_SECOND = 10.0
CONTROL_FRAMES_BURST = 30
"""The defaults of `Limits.control_frames_per_second` and `control_frames_burst` (as the settings'): pings and
`editing` frames one connection may send (a browser sends about one a second). They are not ops, but
each costs a catch-up or a presence write (to Redis, with several processes) and a presence frame to the room, so
a flood of them is refused with `rate_limited` as a flood of ops is."""
PENDING_OPS_PER_CONNECTION = 32
"""Ops one connection may have read and not yet answered. Its frames keep being read while its ops wait for their
commit, so its pings, and the transport's, are answered however long a commit takes; past this many (a burst, or
a client resending a long backlog) its frames are read again once those are answered."""
REFUSALS_KEPT = 1_000
"""A room's last final refusals, kept so that an op resent unchanged gets the same one (docs/protocol.md)."""
PRESENCE_COALESCE_SECONDS = 0.1
"""Arrivals and `editing` frames change presence; a burst of them (a room's screens reconnecting together after a
restart, someone clicking from card to card) sends one presence frame to the room, not one each: with n screens
arriving at once, n frames to n screens each was n squared frames of n entries."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_frame_bytes: int
    card_text_chars: int
    ops_per_second: float
    ops_burst: int
    send_queue_frames: int
    replay_limit: int
    watcher_grace_seconds: float = 1.5
    """After finalising, how long family and room screens stay before their connections are closed."""
    control_frames_per_second: float = CONTROL_FRAMES_PER_SECOND
    control_frames_burst: int = CONTROL_FRAMES_BURST

    def public(self) -> dict[str, int]:
        return {
            "max_frame_bytes": self.max_frame_bytes,
            "card_text_chars": self.card_text_chars,
            "ops_per_second": int(self.ops_per_second),
            "ops_burst": self.ops_burst,
        }


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


Directory = Callable[[str], Awaitable[list[Participant]]]
"""Everyone invited to a meeting (app.store.meetings.Meetings.people)."""
_Named = tuple[str, str, Role, str | None]
"""What a hello says of someone invited: participant id, name, role, agency."""


def _names(people: list[_Named], participant_id: str) -> bool:
    return any(person[0] == participant_id for person in people)


async def _nobody(_meeting_id: str) -> list[Participant]:
    return []


class Peer:
    """One connection. A frame goes straight to the socket when the socket takes it at once and nothing is queued
    before it (the usual case: no task switch per delivery); otherwise into a bounded backlog that a writer task,
    started for it, sends in order and then ends, so an idle connection has no writer. Events that arrive before
    the peer's hello is queued are held, then filtered against the hello's seq, so nothing is missed or doubled."""

    def __init__(self, channel: Channel, participant: Participant, session_key: str, limits: Limits) -> None:
        self.id = new_id()
        self.channel = channel
        self.participant = participant
        self.session_key = session_key
        self.actor = Actor(participant.id, participant.role, participant.display_name, participant.agency)
        self.viewer = Viewer(participant.id, participant.role)
        self.limits = limits
        self.bucket = TokenBucket(limits.ops_per_second, limits.ops_burst)
        self.control_bucket = TokenBucket(limits.control_frames_per_second, limits.control_frames_burst)
        self._backlog: deque[str | _Close] | None = None
        """Frames the socket could not take at once, in order; None while nothing waits."""
        self._after_seq: int | None = None
        self._held: list[tuple[int, str]] = []
        self.close_with: _Close | None = None
        self.close_sent = False
        self.writer: asyncio.Task[None] | None = None
        """Sends the backlog, or closes the channel; None while neither is needed."""
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        """Done when the server has closed the connection, or its socket failed."""
        self.editing: EditingTarget | None = None
        self.pending: deque[tuple[OpRequest, asyncio.Future[CommittedOp]]] | None = None
        """Ops read and not yet answered, in the order sent, each already queued in the op log (its future the
        commit's answer); `committer` answers them one after the other."""
        self.committer: asyncio.Task[None] | None = None
        self.answering = False
        """Whether `committer` is in the middle of answering an op (waiting to fan it out or to publish it)."""
        self._gathered: list[str] | None = None
        """Frames held by `gather` until `send_gathered`; None while none are."""

    @property
    def last_seq(self) -> int:
        return self._after_seq or 0

    def deliver_event(self, seq: int, text: str) -> None:
        if self._after_seq is None:
            self._held.append((seq, text))
            if len(self._held) > self.limits.send_queue_frames:
                self.close_soon(CloseCode.too_slow, "Too far behind; reconnect to resync.", flush=False)
            return
        if seq <= self._after_seq:
            return
        self._after_seq = seq
        self._enqueue(text)

    def start(self, hello: Hello) -> None:
        self._enqueue(hello.model_dump_json())
        self._after_seq = hello.seq
        held, self._held = self._held, []
        for seq, text in held:
            self.deliver_event(seq, text)

    @property
    def started(self) -> bool:
        """Whether its hello is queued: before that, the hello will bring everything this peer needs."""
        return self._after_seq is not None

    def send_frame(self, frame: Ack | ErrorFrame | Pong) -> None:
        self._enqueue(frame.model_dump_json(exclude_none=isinstance(frame, ErrorFrame)))

    def send_encoded(self, text: str) -> None:
        """A frame encoded once for many peers (presence)."""
        if self.started:
            self._enqueue(text)

    def gather(self) -> None:
        """Hold what is sent to this connection from now until `send_gathered`, to go in one write."""
        self._gathered = []

    def send_gathered(self) -> None:
        """Send what `gather` held: in one write if the socket takes it at once, else each as `_enqueue` would."""
        texts, self._gathered = self._gathered, None
        if not texts:
            return
        if len(texts) > 1 and self.close_with is None and self.writer is None:
            try:
                if self.channel.send_now_together(texts):
                    return
            except Exception:
                self.end()  # the socket went away under us (see `_enqueue`)
                return
        for text in texts:
            self._enqueue(text)

    def _enqueue(self, text: str) -> None:
        if self.close_with is not None:
            return
        if self._gathered is not None:
            self._gathered.append(text)
            return
        try:
            if self.writer is None and self.channel.send_now(text):
                return
        except Exception:
            # The socket went away under us. This runs inside whoever delivers (a room's fan-out, in another
            # connection's commit): a failed write must end this connection only, never that delivery.
            self.end()
            return
        if self._backlog is None:
            self._backlog = deque()
        if len(self._backlog) >= self.limits.send_queue_frames:
            # A slow tablet must never slow the room: drop it; it reconnects with `since` and resyncs.
            self.close_soon(CloseCode.too_slow, "Too slow to keep up; reconnect to resync.", flush=False)
            return
        self._backlog.append(text)
        if self.writer is None:
            self._start_writer(self._send_backlog())

    def close_soon(self, code: int, reason: str, flush: bool = True) -> None:
        """Close after the frames already queued (flush), or at once (a peer too slow to take them)."""
        if self.close_with is not None:
            return
        self.send_gathered()  # what was sent before the close goes before it
        self.close_with = close = _Close(code, reason)
        backlog = self._backlog
        if flush and self.writer is not None and backlog is not None and len(backlog) < self.limits.send_queue_frames:
            backlog.append(close)  # the writer closes once what is before it is sent
            return
        # Nothing queued, too much to flush, or no flush wanted: close now.
        self._backlog = None
        if self.writer is not None:
            self.writer.cancel()  # it may be stuck in a send to a frozen client
        self._start_writer(self._close(close))

    def _start_writer(self, work: Coroutine[Any, Any, None]) -> None:
        self.writer = writer = asyncio.create_task(work, name="peer-writer")
        writer.add_done_callback(self._writer_done)

    async def _send_backlog(self) -> None:
        backlog = self._backlog
        while backlog:
            item = backlog.popleft()
            if isinstance(item, _Close):
                await self._close(item)
                return
            await self.channel.send(item)
        # In the same step as the last pop: from here on a frame goes straight to the socket again.
        self.writer = None
        self._backlog = None

    async def _close(self, close: _Close) -> None:
        # A stalled client may never take the close frame either; the transport's ping timeout ends it.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_FLUSH_SECONDS):
                await self.channel.close(close.code, close.reason)
        self.close_sent = True
        self.end()

    def _writer_done(self, writer: asyncio.Task[None]) -> None:
        if not writer.cancelled() and writer.exception() is not None:
            self.end()  # a send failed: the socket is gone

    def end(self, _reader: object = None) -> None:
        """End the connection; also the reader task's done callback (a bound method: no closure per connection)."""
        if not self.ended.done():
            self.ended.set_result(None)


class Room:
    _subscription: Subscription
    """The room's own inbox at the broker, from `__aenter__` on."""

    def __init__(
        self, meeting_id: str, oplog: OpLog, broker: RoomBroker, limits: Limits, directory: Directory = _nobody
    ) -> None:
        self.meeting_id = meeting_id
        self.oplog = oplog
        self.broker = broker
        self.limits = limits
        self.directory = directory
        self.peers: dict[str, Peer] = {}
        self.last_seq = 0
        self.board: MeetingState | None = None
        """The whole meeting at `last_seq`, when the room has it (kept from the ops committed here): a hello needs
        no database read. None after an op that came from another process, until the next hello reads it."""
        self._snapshots: dict[Audience, MeetingState] = {}
        self._snapshot_audience: Callable[[Viewer], Audience] | None = None
        """Worked out from `board` by the first hello that needs it, not on every event."""
        self._accept_lock = asyncio.Lock()
        self._last_catch_up = 0.0
        self._stack = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self.finalised = False
        self._watchers_close: asyncio.TimerHandle | None = None
        self._presence_announce: asyncio.Task[None] | None = None
        self._people: list[_Named] | None = None
        """Everyone invited, for hellos: read once, not on every connect (a room's screens arriving together read
        it once each), and read again after `people_changed`."""
        self._people_version = 0
        self._people_reading: asyncio.Task[list[_Named]] | None = None
        """The read in flight, for the list as it now stands: hellos arriving meanwhile wait for it."""
        self._session_ends: dict[str, float] | None = None
        """When each session connected here ends (POSIX time), by session key: checked with presence's renewal."""
        self._refusals: dict[tuple[str, str], ErrorFrame] | None = None
        """The last REFUSALS_KEPT final refusals, by (participant, op id); None until the first."""

    async def __aenter__(self) -> Room:
        # Subscribe before reading the seq, so nothing committed in between is missed.
        self._subscription = await self._stack.enter_async_context(self.broker.subscribe(self.meeting_id))
        board = await self.oplog.board(self.meeting_id)
        self.last_seq, self.finalised = board.seq, board.read_only
        self._keep(board)
        self._tasks = [
            asyncio.create_task(self._listen(self._subscription), name=f"room-listen-{self.meeting_id}"),
            asyncio.create_task(self._renew_presence(), name=f"room-presence-{self.meeting_id}"),
        ]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._watchers_close is not None:
            self._watchers_close.cancel()
        if self._presence_announce is not None:
            self._tasks.append(self._presence_announce)
        for task in self._tasks:
            task.cancel()
        # Bounded: a task that swallowed its cancellation (a library catching CancelledError in a race) must not
        # keep the room, or the connection leaving it, waiting for ever.
        _, stuck = await asyncio.wait(self._tasks, timeout=ROOM_TASKS_STOP_SECONDS) if self._tasks else (set(), set())
        for task in stuck:
            log.warning("room task %s did not stop in meeting %s", task.get_name().split("-")[1], self.meeting_id)
        await self._stack.aclose()

    # ---- peers ---------------------------------------------------------------------------------------------

    async def serve(
        self,
        channel: Channel,
        participant: Participant,
        session_key: str,
        since: int | None,
        session_ends: datetime | None = None,
    ) -> None:
        """Run one peer until it leaves or is dropped (or its session runs out: `session_ends`)."""
        peer = Peer(channel, participant, session_key, self.limits)
        self.peers[peer.id] = peer
        if session_ends is not None:
            if self._session_ends is None:
                self._session_ends = {}
            self._session_ends[session_key] = session_ends.timestamp()
        reader: asyncio.Task[None] | None = None
        try:
            await self._best_effort(self.broker.presence_set(self.meeting_id, peer.id, _presence_entry(peer)))
            peer.start(await self._hello(peer, since))
            if self.finalised:
                self._close_watchers_soon()
            self._announce_presence_soon()
            reader = asyncio.create_task(self._read_loop(peer), name="peer-reader")
            reader.add_done_callback(peer.end)
            await peer.ended
            if reader.done() and peer.close_with is None and peer.committer is not None:
                # The device went away with edits read and not yet saved (a tab closed just after typing): save
                # them, as if it had waited for their acks; a resend on its next visit is a duplicate.
                await asyncio.wait({peer.committer}, timeout=CLOSE_FLUSH_SECONDS)
        finally:
            del self.peers[peer.id]
            for task in (reader, peer.committer):
                await _stopped(task)
            if peer.writer is not None and peer.close_with is not None:
                # A close decided by the reader (bad frames, too big): let the error frames before it go out.
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    async with asyncio.timeout(CLOSE_FLUSH_SECONDS):
                        await asyncio.shield(peer.writer)
            await _stopped(peer.writer)
            if peer.close_with is not None and not peer.close_sent:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(CLOSE_FLUSH_SECONDS):
                        await channel.close(peer.close_with.code, peer.close_with.reason)
            await self._best_effort(self.broker.presence_remove(self.meeting_id, peer.id))
            with contextlib.suppress(Exception):  # the room may be closing with its last peer
                await self._announce_presence()

    def end_sessions(self, participant_id: str | None, session_key: str | None, reason: str) -> None:
        """Close the connections of a participant (revoked) or of one session (left), with 4401."""
        for peer in list(self.peers.values()):
            if peer.participant.id == participant_id or peer.session_key == session_key:
                peer.close_soon(CloseCode.session_ended, reason)

    def close_all(self, code: int, reason: str) -> None:
        for peer in list(self.peers.values()):
            peer.close_soon(code, reason)

    def _close_watchers_soon(self) -> None:
        """A finalised meeting stays on the family's tablet and the wall only long enough to say goodbye: then
        their connections close (their sessions end in the same moment, in the store), so nothing stays there."""
        if self._watchers_close is None:
            self._watchers_close = asyncio.get_running_loop().call_later(
                self.limits.watcher_grace_seconds, self._close_watchers
            )

    def _close_watchers(self) -> None:
        self._watchers_close = None
        for peer in list(self.peers.values()):
            if not peer.viewer.sees_restricted:
                peer.close_soon(CloseCode.session_ended, "The meeting is finished; this screen has forgotten it.")

    async def _hello(self, peer: Peer, since: int | None) -> Hello:
        present = _present_for(await self._present(), peer.viewer.sees_restricted)
        you = next((p for p in present if p.participant_id == peer.participant.id), None)
        if you is None:  # the shared registry missed our entry: we are here all the same
            you = _present_participant(_presence_entry(peer), connections=1)
            present = [*present, you]
        # Held as tuples, a fraction of the memory of Person models; made into models here, from values the store
        # has already checked.
        people = [
            Person.model_construct(participant_id=pid, display_name=name, role=role, agency=agency)
            for pid, name, role, agency in await self._people_for(peer.participant.id)
        ]
        hello = Hello(
            seq=0,
            you=you,
            present=present,
            people=people,
            server_time=datetime.now(UTC),
            board=None,
            missed=None,
            limits=self.limits.public(),
        )
        if since is not None:
            replay = await self.oplog.since(self.meeting_id, since, self.limits.replay_limit)
            if replay is not None:
                ops, seq = replay
                missed = [event_for(committed, peer.viewer) for committed in ops]
                return hello.model_copy(update={"seq": seq, "missed": missed})
        if self.board is not None:
            return hello.model_copy(update={"seq": self.board.seq, "board": self._snapshot_for(peer.viewer)})
        board = await self.oplog.board(self.meeting_id)
        self._keep(board)
        return hello.model_copy(update={"seq": board.seq, "board": meeting_for(board, peer.viewer)})

    async def _people_for(self, participant_id: str) -> list[_Named]:
        """The people list of a hello, as the room holds it. Read when it was let go (hellos arriving together wait
        for one read), or again when it does not know the one connecting (invited on another process whose word
        has not come yet)."""
        if self._people is not None and _names(self._people, participant_id):
            return self._people
        reading = self._people_reading
        if reading is None or self._people is not None:
            reading = self._people_reading = asyncio.create_task(self._read_people(), name="room-people")
            reading.add_done_callback(lambda done: done.cancelled() or done.exception())  # retrieved, if nobody waits
        people = await asyncio.shield(reading)
        if _names(people, participant_id):
            return people
        return await self._read_people()  # a read that began before this newcomer was added

    async def _read_people(self) -> list[_Named]:
        version = self._people_version
        try:
            people = [(p.id, p.display_name, p.role, p.agency) for p in await self.directory(self.meeting_id)]
        finally:
            if self._people_reading is asyncio.current_task():
                self._people_reading = None
        if version == self._people_version:  # nobody was added while it was read
            self._people = people
        return people

    def people_changed(self) -> None:
        """Someone was added to the meeting: the next hello reads the list again."""
        self._people = None
        self._people_version += 1
        self._people_reading = None  # a read begun before may miss the newcomer: the next hello starts another

    def _keep(self, board: MeetingState | None) -> None:
        """Hold `board` for the next hellos if it is the meeting at the seq the room is at, else hold nothing."""
        if self._snapshots:
            self._snapshots = {}
        self._snapshot_audience = None
        self.board = board if board is not None and board.seq == self.last_seq else None

    def _snapshot_for(self, viewer: Viewer) -> MeetingState:
        """The held meeting as this viewer may see it, worked out once per audience."""
        assert self.board is not None
        if self._snapshot_audience is None:
            self._snapshot_audience = snapshot_audiences(self.board)
        audience = self._snapshot_audience(viewer)
        snapshot = self._snapshots.get(audience)
        if snapshot is None:
            snapshot = self._snapshots[audience] = meeting_for(self.board, viewer)
        return snapshot

    async def _read_loop(self, peer: Peer) -> None:
        bad_frames = 0
        async for text in peer.channel:
            # uvicorn already enforces the frame size; this guards other transports. A character is at most
            # four bytes, so only a long frame is worth encoding to measure.
            too_long = len(text) * 4 > self.limits.max_frame_bytes
            if too_long and len(text.encode()) > self.limits.max_frame_bytes:
                peer.close_soon(CloseCode.message_too_big, "Frame too big.")
                return
            if self.oplog.pressed and (op_id := _op_id_of(text)) is not None:
                # Past capacity, an op the op log would refuse is refused before any work is spent on it: under
                # sustained overload refusals and their resends were a large share of the server's work.
                refused = self.oplog.refusal(self.meeting_id, op_id)
                if refused is not None:
                    self._send_busy(peer, op_id, refused.retry_after)
                    continue
            try:
                # Strict: a number is a JSON number, as the published schema says (not "1", 1.0 or true).
                frame = client_frame_adapter.validate_json(text, strict=True)
            except ValidationError as error:
                bad_frames += 1
                peer.send_frame(_validation_error(error, text))
                if bad_frames >= MAX_CONSECUTIVE_BAD_FRAMES:
                    peer.close_soon(CloseCode.too_many_errors, "Too many bad frames.")
                    return
                continue
            bad_frames = 0
            if isinstance(frame, Ping | Editing) and (wait := peer.control_bucket.take()):
                peer.send_frame(
                    ErrorFrame(
                        code=ErrorCode.rate_limited,
                        message="Too many messages at once; this one was ignored.",
                        retry_after_ms=max(1, int(wait * 1000)),
                    )
                )
                continue
            if isinstance(frame, Ping):
                try:
                    await self.catch_up()
                except Exception as failure:
                    # The op log is unreachable (database down): the pong still tells the truth about what this
                    # peer has, and the connection stays, so the room goes on the moment the database is back.
                    log.warning("catch-up failed in meeting %s: %s", self.meeting_id, type(failure).__name__)
                peer.send_frame(Pong(seq=peer.last_seq))
            elif isinstance(frame, Editing):
                await self._set_editing(peer, frame.target)
            else:
                if peer.committer is not None and len(peer.pending or ()) >= PENDING_OPS_PER_CONNECTION:
                    await asyncio.wait({peer.committer})
                self._submit(peer, frame)

    def _submit(self, peer: Peer, request: OpRequest) -> None:
        """Queue the op in the op log at once, for this peer's committer to answer, or refuse it at once if it
        comes too fast or the op log is full. Queued as it is read, so that an op never waits unseen behind its
        own connection's earlier ones: the op log's bound and its `Busy` see every op waiting, and one
        connection's ops waiting together share a group. (Waiting for each commit before queueing the next, a
        writer past a process's capacity had 32 ops waiting outside the bound, 5 s behind, and 1,000 edits/s
        on two processes took seconds for every accepted edit.)"""
        if self._refusals is not None:
            refused = self._refusals.get((peer.actor.participant_id, request.op_id))
            if refused is not None:
                # Refusals are final for their op id: judged again, the op could pass now that the meeting has
                # changed (the card it edits added since), though its author was told it was not saved.
                peer.send_frame(refused)
                return
        wait = peer.bucket.take()
        if wait:
            peer.send_frame(
                ErrorFrame(
                    code=ErrorCode.rate_limited,
                    message="Too many changes at once. This one was not saved; it will be sent again.",
                    op_id=request.op_id,
                    retry_after_ms=max(1, int(wait * 1000)),
                )
            )
            return
        try:
            answer = self.oplog.submit(
                self.meeting_id, peer.actor, request.op_id, request.op, then=functools.partial(self._committed, peer)
            )
        except Busy as busy:
            self._send_busy(peer, request.op_id, busy.retry_after)
            return
        if peer.pending is None:
            peer.pending = deque()  # most connections (a wall, a tablet reading) never send an op
        peer.pending.append((request, answer))
        if peer.committer is None:
            peer.committer = asyncio.create_task(self._commit_pending(peer), name="peer-committer")

    async def _commit_pending(self, peer: Peer) -> None:
        """Answer the peer's ops one after the other, in the order sent, then end (an idle peer has no task): those
        the op log's call (`_committed`) did not answer at once. Stopped (the peer gone), the ops not taken into a
        group yet are not written."""
        try:
            while peer.pending:  # created by _submit before this task
                request, answer = peer.pending[0]
                if not answer.done():
                    await asyncio.wait({answer})
                    continue  # the op log's call may have answered it (and those after it) meanwhile
                peer.answering = True
                try:
                    await self._answer(peer, request, answer)
                finally:
                    peer.answering = False
                peer.pending.popleft()
        finally:
            peer.committer = None
            while peer.pending:
                _, answer = peer.pending.popleft()
                if not answer.cancel() and not answer.cancelled():
                    answer.exception()  # answered after all: nobody is left to tell, and nothing is lost

    def _committed(self, peer: Peer) -> None:
        """Called by the op log in the turn of the event loop it answers one of this peer's ops: the peer's ops
        answered so far are answered to it now, in order, where its committer would wake a turn later (past a
        process's capacity a turn takes 25-35 ms, bench.compare's C). Not while the committer is in the middle of an
        answer, nor past an op that must wait for something (an earlier op to read, other processes to tell): the
        committer goes on from there, in order."""
        if peer.answering:
            return
        pending = peer.pending
        try:
            while pending and pending[0][1].done() and self._answer_at_once(peer, *pending[0]):
                pending.popleft()
        except Exception as failure:  # the committer answers what is left; the traceback may hold the words
            log.error("answering at once failed in meeting %s: %s", self.meeting_id, type(failure).__name__)

    def _send_busy(self, peer: Peer, op_id: str, retry_after: float) -> None:
        peer.send_frame(
            ErrorFrame(
                code=ErrorCode.busy,
                message="The board is very busy. This change was not saved yet; it will be sent again.",
                op_id=op_id,
                retry_after_ms=max(1, int(retry_after * 1000)),
            )
        )

    def _answer_at_once(self, peer: Peer, request: OpRequest, answer: asyncio.Future[CommittedOp]) -> bool:
        """Answer the peer for an op whose commit is done (its refusal, or its ack and the event to everyone) if
        that needs no wait; False, having sent nothing, for an op whose event must wait for the ops before it to be
        read from the log, or be told to other processes."""
        if answer.cancelled():
            return True  # the op log stopped before its group (the server shutting down): nothing was saved
        failure = answer.exception()
        if failure is not None:
            self._refuse(peer, request, failure)
            return True
        committed = answer.result()
        if not committed.duplicate and (
            self._accept_lock.locked()
            or committed.seq > self.last_seq + 1
            or self.broker.reaches_other_rooms(self.meeting_id, self._subscription)
        ):
            return False
        # Durable before acknowledged: we only get here after the commit. The ack and the writer's own event go in
        # one write (a system call each, on the busiest thread: a thousand a second at bench.compare's A).
        peer.gather()
        try:
            peer.send_frame(_ack(request, committed))
            if not committed.duplicate and committed.seq > self.last_seq:
                self._fan_out(committed)
        finally:
            peer.send_gathered()
        return True

    async def _answer(self, peer: Peer, request: OpRequest, answer: asyncio.Future[CommittedOp]) -> None:
        """Answer the peer for an op whose commit is done, waiting for what `_answer_at_once` would not."""
        if self._answer_at_once(peer, request, answer):
            return
        committed = answer.result()
        peer.gather()
        try:
            peer.send_frame(_ack(request, committed))
            await self._accept(committed)
        finally:
            peer.send_gathered()
        if not self.broker.reaches_other_rooms(self.meeting_id, self._subscription):
            return
        try:
            await self.broker.publish(
                self.meeting_id,
                json.dumps({"kind": "event", "seq": committed.seq, "frame": encode_committed(committed)}),
            )
        except Exception as failure:  # other processes catch up from the op log on their next ping
            log.warning("publish failed in meeting %s: %s", self.meeting_id, type(failure).__name__)

    def _refuse(self, peer: Peer, request: OpRequest, failure: BaseException) -> None:
        """Tell the peer its op was not saved: the rules' refusal, or a failure of ours (to be sent again)."""
        if isinstance(failure, DomainError):
            refusal = ErrorFrame(
                code=failure.code,
                message=failure.message,
                op_id=request.op_id,
                current=failure.current if isinstance(failure, StaleVersion) else None,  # type: ignore[arg-type]
            )
            if self._refusals is None:
                self._refusals = {}
            elif len(self._refusals) >= REFUSALS_KEPT:
                del self._refusals[next(iter(self._refusals))]
            self._refusals[(peer.actor.participant_id, request.op_id)] = refusal
            peer.send_frame(refusal)
            return
        log.error("commit failed in meeting %s: %s", self.meeting_id, type(failure).__name__)
        peer.send_frame(
            ErrorFrame(
                code=ErrorCode.internal,
                message="This change could not be saved. Nothing was lost; it will be sent again.",
                op_id=request.op_id,
            )
        )

    # ---- events --------------------------------------------------------------------------------------------

    async def _accept(self, committed: CommittedOp) -> None:
        """Fan out the op with this seq, after any the room has not seen yet (read from the op log)."""
        async with self._accept_lock:
            if committed.seq <= self.last_seq:
                return
            if committed.seq > self.last_seq + 1:
                for missed in await self.oplog.between(self.meeting_id, self.last_seq, committed.seq - 1):
                    self._fan_out(missed)
            self._fan_out(committed)

    def _fan_out(self, committed: CommittedOp) -> None:
        self.last_seq = committed.seq
        self._keep(committed.state)
        if committed.op.type == "finalise":
            self.finalised = True
            self._close_watchers_soon()
        # Every peer gets the event (its seq at least), as its viewer may see it; encoded once per audience.
        texts = EventTexts(committed)
        for peer in list(self.peers.values()):
            peer.deliver_event(committed.seq, texts.for_viewer(peer.viewer))

    async def catch_up(self, now_whatever_the_interval: bool = False) -> None:
        """Pull from the op log whatever the broker failed to bring. Cheap, and at most every few seconds (or at
        once, when the broker says it lost messages). Not while the op log refuses new ops: a read then takes a
        pooled connection that commits are waiting for (two processes past their capacity, with listeners pinging
        for edits they missed, spent more connection time on these reads than on commits, and took no edit for
        seconds); the broker still brings events, and the next ping after the pressure catches up."""
        now = time.monotonic()
        if not now_whatever_the_interval and (
            now - self._last_catch_up < CATCH_UP_INTERVAL_SECONDS or self.oplog.pressed
        ):
            return
        self._last_catch_up = now
        replay = await self.oplog.since(self.meeting_id, self.last_seq, self.limits.replay_limit)
        if replay is None:
            # Far behind: peers resync by reconnecting.
            self.close_all(CloseCode.too_slow, "Too far behind; reconnect to resync.")
            return
        for committed in replay[0]:
            await self._accept(committed)

    async def _listen(self, subscription: Subscription) -> None:
        async for message in subscription:
            try:
                envelope = json.loads(message)
                kind = envelope["kind"]
                if kind == "event":
                    if int(envelope["seq"]) > self.last_seq:
                        await self._accept(decode_committed(str(envelope["frame"])))
                elif kind == "presence" and envelope.get("from") != PROCESS_ID:
                    await self._send_presence()
                elif kind == "people":
                    self.people_changed()
                elif kind == "resubscribed":  # the broker was away: whatever it dropped is in the op log
                    self.people_changed()  # and someone may have been added on another process meanwhile
                    await self.catch_up(now_whatever_the_interval=True)
                    # A restarted Redis has forgotten who is here: say so again now, not at the next renewal.
                    await self._register_presence()
                    await self._announce_presence()
                elif kind == "end":
                    self.end_sessions(envelope.get("participant_id"), envelope.get("session_key"), envelope["reason"])
            except Exception as failure:
                log.warning("bad broker message in meeting %s: %s", self.meeting_id, type(failure).__name__)

    # ---- presence ------------------------------------------------------------------------------------------

    async def _best_effort(self, call: Awaitable[object]) -> None:
        """Presence is a courtesy: when the shared registry (Redis) is down, the board must still work."""
        try:
            await call
        except Exception as failure:
            log.warning("presence unavailable in meeting %s: %s", self.meeting_id, type(failure).__name__)

    async def _present(self) -> list[PresentParticipant]:
        """Everyone connected, in any process, with what they have open for editing: the whole list, for
        connections that see everything; `_present_for` takes the editing out for the others."""
        try:
            entries = await self.broker.presence_list(self.meeting_id)
        except Exception as failure:
            log.warning("presence unavailable in meeting %s: %s", self.meeting_id, type(failure).__name__)
            entries = [_presence_entry(peer) for peer in self.peers.values()]  # who is here, at least
        by_participant: dict[str, PresentParticipant] = {}
        for entry in entries:
            known = by_participant.get(str(entry["participant_id"]))
            editing = list(known.editing) if known else []
            target = _editing_of(entry)
            if target is not None and target not in editing:
                editing.append(target)
            present = _present_participant(entry, connections=known.connections + 1 if known else 1, editing=editing)
            by_participant[present.participant_id] = present
        return sorted(by_participant.values(), key=lambda p: (p.role != Role.chair, p.display_name.lower()))

    async def _set_editing(self, peer: Peer, target: EditingTarget | None) -> None:
        if target == peer.editing:
            return
        peer.editing = target
        await self._best_effort(self.broker.presence_set(self.meeting_id, peer.id, _presence_entry(peer)))
        self._announce_presence_soon()

    def _announce_presence_soon(self) -> None:
        if self._presence_announce is None:
            self._presence_announce = asyncio.create_task(self._announce_coalesced(), name="room-presence-soon")

    async def _announce_coalesced(self) -> None:
        await asyncio.sleep(PRESENCE_COALESCE_SECONDS)
        self._presence_announce = None
        await self._announce_presence()

    async def _announce_presence(self) -> None:
        await self._send_presence()
        if self.broker.reaches_other_rooms(self.meeting_id, self._subscription):
            await self._best_effort(
                self.broker.publish(self.meeting_id, json.dumps({"kind": "presence", "from": PROCESS_ID}))
            )

    async def _send_presence(self) -> None:
        present = await self._present()
        texts = {sees: PresenceFrame(present=_present_for(present, sees)).model_dump_json() for sees in (True, False)}
        for peer in list(self.peers.values()):
            peer.send_encoded(texts[peer.viewer.sees_restricted])

    async def _renew_presence(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_RENEW_SECONDS)
            self._end_sessions_run_out()
            await self._register_presence()

    def _end_sessions_run_out(self) -> None:
        """A connection outlives no session: a wall left on overnight stops receiving, and writing, when its session
        runs out (SOSBOARD_SESSION_HOURS), as its next connect would be refused."""
        if not self._session_ends:
            return
        now = time.time()
        for session_key, ends in list(self._session_ends.items()):
            if ends <= now:
                del self._session_ends[session_key]
                self.end_sessions(None, session_key, "Your session has ended. Ask the chair for a new link.")

    async def _register_presence(self) -> None:
        for peer in list(self.peers.values()):
            await self._best_effort(self.broker.presence_set(self.meeting_id, peer.id, _presence_entry(peer)))


async def _stopped(task: asyncio.Task[None] | None) -> None:
    """`task` cancelled (if it still runs) and finished."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await task


def _present_participant(
    entry: dict[str, Any], connections: int, editing: list[EditingTarget] | None = None
) -> PresentParticipant:
    return PresentParticipant(
        participant_id=str(entry["participant_id"]),
        display_name=str(entry["display_name"]),
        role=Role(entry["role"]),
        agency=entry.get("agency"),
        connections=connections,
        editing=editing or [],
    )


def _present_for(present: list[PresentParticipant], sees_restricted: bool) -> list[PresentParticipant]:
    """Presence as a connection may have it. What someone has open names an item, and during a closed part that
    item may be one the family and the room screen must not learn exists: they get no editing at all."""
    if sees_restricted:
        return present
    return [p.model_copy(update={"editing": []}) if p.editing else p for p in present]


def _presence_entry(peer: Peer) -> dict[str, Any]:
    participant = peer.participant
    return {
        "participant_id": participant.id,
        "display_name": participant.display_name,
        "role": participant.role.value,
        "agency": participant.agency,
        "editing": peer.editing.model_dump() if peer.editing is not None else None,
    }


def _editing_of(entry: dict[str, Any]) -> EditingTarget | None:
    """The editing target in a presence entry, if any (entries written by an older process have none)."""
    editing = entry.get("editing")
    if not editing:
        return None
    with contextlib.suppress(ValidationError, TypeError):
        return EditingTarget.model_validate(editing)
    return None


def _ack(request: OpRequest, committed: CommittedOp) -> Ack:
    return Ack(op_id=request.op_id, seq=committed.seq, card_id=committed.card_id, duplicate=committed.duplicate)


def _op_id_of(text: str) -> str | None:
    """The op id of an op frame, read without validating the rest of it; None for any other frame."""
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    if not isinstance(frame, dict) or frame.get("type") != "op":
        return None
    op_id = frame.get("op_id")
    return op_id if isinstance(op_id, str) and _OP_ID.fullmatch(op_id) else None


def _validation_error(error: ValidationError, text: str) -> ErrorFrame:
    kinds = {detail["type"] for detail in error.errors()}
    op_id: str | None = None
    with contextlib.suppress(Exception):
        # Echo only an op id the protocol allows: anything else may hold what cannot be sent back (a lone surrogate
        # cannot be encoded, and the writer would die with the connection open and silent).
        op_id = _op_id_adapter.validate_python(json.loads(text)["op_id"])
    top_level = {detail["type"] for detail in error.errors() if not detail["loc"]}
    if "json_invalid" in kinds:
        return ErrorFrame(code=ErrorCode.malformed, message="That message was not valid JSON.", op_id=op_id)
    if top_level & {"model_type", "model_attributes_type", "dict_type"}:
        return ErrorFrame(code=ErrorCode.malformed, message="That message was not a JSON object.", op_id=op_id)
    if kinds & {"union_tag_invalid", "union_tag_not_found"}:
        return ErrorFrame(
            code=ErrorCode.unknown_type, message="That message or operation type is not known.", op_id=op_id
        )
    fields = ", ".join(sorted({".".join(str(part) for part in d["loc"]) for d in error.errors()}))
    return ErrorFrame(code=ErrorCode.invalid, message=f"Some fields are not valid: {fields}.", op_id=op_id)


class RoomRegistry:
    """The rooms open in this process, one per meeting with connected peers; a room closes with its last peer."""

    def __init__(self, oplog: OpLog, broker: RoomBroker, limits: Limits, directory: Directory = _nobody) -> None:
        self.oplog = oplog
        self.broker = broker
        self.limits = limits
        self.directory = directory
        self._rooms: dict[str, Room] = {}
        self._users: dict[str, int] = {}
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def room(self, meeting_id: str) -> AsyncIterator[Room]:
        async with self._lock:
            room = self._rooms.get(meeting_id)
            if room is None:
                room = await Room(meeting_id, self.oplog, self.broker, self.limits, self.directory).__aenter__()
                self._rooms[meeting_id] = room
            self._users[meeting_id] = self._users.get(meeting_id, 0) + 1
        try:
            yield room
        finally:
            async with self._lock:
                self._users[meeting_id] -= 1
                last = self._users[meeting_id] == 0
                if last:
                    del self._users[meeting_id]
                    del self._rooms[meeting_id]
            if last:
                # Outside the lock: closing one room must never hold up connections to every other meeting (a
                # new connection to this one opens a new room, which subscribes before it reads the log).
                await room.__aexit__(None, None, None)

    async def end_sessions(
        self, meeting_id: str, reason: str, *, participant_id: str | None = None, session_key: str | None = None
    ) -> None:
        """Close, in every process, the connections of a participant or of one session."""
        room = self._rooms.get(meeting_id)
        if room is not None:
            room.end_sessions(participant_id, session_key, reason)
        # If Redis cannot carry it: the session is already ended in the store, so no process lets it reconnect; a
        # connection it still has on another process lasts until Redis is back or that connection drops.
        envelope = {"kind": "end", "participant_id": participant_id, "session_key": session_key, "reason": reason}
        await self._tell_other_processes(meeting_id, envelope)

    async def people_changed(self, meeting_id: str) -> None:
        """Someone was added to the meeting: rooms in every process read the people list again for their next
        hello. If Redis cannot carry the word, another process's room reads it again once Redis is back (a
        resubscription), or when the newcomer connects there."""
        room = self._rooms.get(meeting_id)
        if room is not None:
            room.people_changed()
        await self._tell_other_processes(meeting_id, {"kind": "people"})

    async def _tell_other_processes(self, meeting_id: str, envelope: dict[str, Any]) -> None:
        """Best effort, and never a 500 for the request that caused it: the store already holds the change."""
        try:
            await self.broker.publish(meeting_id, json.dumps(envelope))
        except Exception as failure:
            log.warning("could not tell other processes in meeting %s: %s", meeting_id, type(failure).__name__)

    def close_all(self) -> None:
        for room in self._rooms.values():
            room.close_all(CloseCode.going_away, "The server is restarting; reconnect.")
