"""Links that die without saying so, and a client that floods: a half-open TCP connection (a proxy the test
controls stops forwarding both ways and closes nothing, as a tablet that walked out of Wi-Fi range) is detected by
the server's pings and leaves everyone's presence, and while it hangs the others' edits go on; a client sending
1,000 ops a second is throttled with `rate_limited` and a bystander's edit still reaches the room.
(A client that answers no ping at all: tests/realtime/test_presence.py; one that stops reading: test_room.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, Connections, add_member, board_over_http, create_meeting

PING_SECONDS, PING_TIMEOUT_SECONDS = 1.5, 2.5
"""The defaults (app/config.py): a dead link is closed within their sum after its last answer."""
ADD = {"type": "add_card", "column": "worries", "kind": "harm", "text": "Said by a bystander"}


class FreezableProxy:
    """A TCP proxy on loopback whose links can be frozen: nothing more is forwarded either way, and nothing is
    closed, so each end sees a silent peer, as with packets dropped on the way."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> FreezableProxy:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def freeze(self) -> None:
        self.flowing.clear()

    async def _link(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [client_writer, server_writer]
        for reader, writer in ((client_reader, server_writer), (server_reader, client_writer)):
            pipe = asyncio.create_task(self._pipe(reader, writer))
            self._pipes.add(pipe)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                await self.flowing.wait()  # frozen: hold what came, read no more, close nothing
                writer.write(data)
                await writer.drain()

    async def close(self) -> None:
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        for writer in self._writers:
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database: Path = tmp_path_factory.mktemp("dead-links") / "board.db"
    process = ServerProcess(f"sqlite+aiosqlite:///{database}").start()  # default limits: 20 ops/s, burst 60
    try:
        yield process
    finally:
        process.stop()


def present_ids(frame: dict[str, object]) -> set[str]:
    return {str(p["participant_id"]) for p in frame["present"]}  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_a_half_open_link_is_dropped_from_presence_within_the_ping_timeout_and_the_room_goes_on(
    server: ServerProcess, connections: Connections
) -> None:
    chair = await create_meeting(server.url, chair="Ann Chair")
    worker = await add_member(server.url, chair, "professional", "Sam Worker")
    mum = await add_member(server.url, chair, "family", "Mum")
    c = await connections.connect(server.ws_url, chair)
    p = await connections.connect(server.ws_url, worker)
    proxy = await FreezableProxy(server.port).start()
    try:
        tablet = await BoardClient.connect(proxy.ws_url, mum)
        await c.receive_until(lambda f: f["type"] == "presence" and mum.participant_id in present_ids(f))

        proxy.freeze()
        froze = time.monotonic()
        # The others carry on while the server still thinks the tablet is there: edits acked, events delivered.
        for n in range(30):
            reply = await p.request({**ADD, "text": f"during the freeze {n}"})
            assert reply["type"] == "ack"
        await c.sync_to(reply["seq"])
        gone = await c.receive_until(lambda f: f["type"] == "presence" and mum.participant_id not in present_ids(f))
        # Pings every 1.5 s, 2.5 s to answer: dropped within 4 s of the freeze (generous margin for a busy CI).
        assert time.monotonic() - froze < PING_SECONDS + PING_TIMEOUT_SECONDS + 4
        assert present_ids(gone) == {chair.participant_id, worker.participant_id}
        tablet.socket.transport.abort()
    finally:
        await proxy.close()


@pytest.mark.asyncio
async def test_a_client_flooding_ops_is_throttled_and_a_bystanders_edit_still_arrives(
    server: ServerProcess, connections: Connections
) -> None:
    chair = await create_meeting(server.url)
    flooder_member = await add_member(server.url, chair, "professional", "Runaway script")
    bystander_member = await add_member(server.url, chair, "professional", "Teacher")
    flooder = await connections.connect(server.ws_url, flooder_member)
    bystander = await connections.connect(server.ws_url, bystander_member)
    watcher = await connections.connect(server.ws_url, chair)

    ids = [uuid.uuid4().hex for _ in range(1000)]
    frames = [json.dumps({"type": "op", "op_id": i, "op": {**ADD, "text": f"flood {n}"}}) for n, i in enumerate(ids)]

    async def flood() -> None:
        started = time.monotonic()
        for n, frame in enumerate(frames):
            await flooder.socket.send(frame)
            # 1,000 a second: a pace, not a wait for anything. (Faster than its own replies can be read, a
            # flooder is dropped as too slow, 4408: the send queue's bound, tests/realtime/test_room.py.)
            await asyncio.sleep(max(0.0, started + (n + 1) / 1000 - time.monotonic()))

    async def replies() -> dict[str, dict[str, object]]:
        answered: dict[str, dict[str, object]] = {}
        while len(answered) < len(ids):
            frame = await flooder.receive()
            if frame["type"] in ("ack", "error"):
                answered[str(frame["op_id"])] = frame
        return answered

    flooding = asyncio.create_task(flood())
    answers = asyncio.create_task(replies())
    mine = await bystander.request(ADD)
    assert mine["type"] == "ack"
    seen = await watcher.receive_until(lambda f: f["type"] == "event" and f["seq"] == mine["seq"])
    assert seen["card"]["text"] == ADD["text"]
    await flooding
    answered = await answers

    acked = [a for a in answered.values() if a["type"] == "ack"]
    limited = [a for a in answered.values() if a["type"] == "error"]
    assert all(a["code"] == "rate_limited" and int(a["retry_after_ms"]) > 0 for a in limited)  # type: ignore[call-overload]
    assert 60 <= len(acked) < 200, len(acked)  # the burst, and the steady rate for as long as the flood lasted
    board = await board_over_http(server.url, chair)
    texts = [c["text"] for c in board["columns"]["worries"]]
    assert texts.count(ADD["text"]) == 1 and len(texts) == len(acked) + 1  # nothing refused was saved


@pytest.mark.asyncio
async def test_a_flood_of_pings_and_editing_frames_is_refused_and_the_connection_and_room_go_on(
    server: ServerProcess, connections: Connections
) -> None:
    chair = await create_meeting(server.url)
    chatter_member = await add_member(server.url, chair, "professional", "Chatty script")
    chatter = await connections.connect(server.ws_url, chatter_member)
    watcher = await connections.connect(server.ws_url, chair)
    card = (await watcher.request(ADD))["card_id"]
    frames = ['{"type": "ping"}', json.dumps({"type": "editing", "entity": "card", "item_id": card})] * 100
    for frame in frames:
        await chatter.socket.send(frame)
    await chatter.socket.send(json.dumps({"type": "op", "op_id": "after-the-flood", "op": ADD}))
    ack = await chatter.receive_until(lambda f: f["type"] == "ack" and f["op_id"] == "after-the-flood")

    answers = [f for f in chatter.inbox if f["type"] in ("pong", "error")]
    refused = [f for f in answers if f["type"] == "error"]
    assert all(f["code"] == "rate_limited" and int(f["retry_after_ms"]) > 0 for f in refused)
    # A burst of 30 and 10 a second after it: the flood's 200 frames got at most a few dozen through.
    assert len(refused) >= 150 and len(answers) <= 200
    # Ops have a bucket of their own: the op after the flood was saved, and the room heard it.
    seen = await watcher.receive_until(lambda f: f["type"] == "event" and f["seq"] == ack["seq"])
    assert seen["card"]["text"] == ADD["text"]
