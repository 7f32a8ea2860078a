"""A test's view of the product: an HTTP client for the API and a websocket client that speaks the protocol."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import ssl
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

RECEIVE_TIMEOUT = 10.0
TLS = ssl.create_default_context()
"""Built once: httpx loads the CA bundle for every client it makes without one (about 20 ms each)."""

COLLECTION_OF_ENTITY = {
    "child": "children",
    "attendee": "attendees",
    "statement": "statements",
    "round": "rounds",
    "answer": "answers",
    "network_member": "network",
    "step": "steps",
    "decision": "decisions",
    "decision_note": "decision_notes",
    "voice": "voices",
    "addendum": "addenda",
}
"""Entities kept in a list of items with ids: a change replaces the item with its id (or adds it at the end), or
removes it when its value is null."""

FIELD_OF_SINGLE_ENTITY = {
    "phase": "phase",
    "plan_dates": "plan_dates",
    "closed_part": "closed_part",
    "focus": "focus",
    "finalised": "finalised",
}
"""Entities the meeting holds one of: a change replaces it (focus may be null). Once `finalised` has a value, the
meeting is read-only."""


@dataclass
class Member:
    """Someone in a meeting: their session cookie and who they are."""

    meeting_id: str
    participant_id: str
    role: str
    cookie: str


async def create_meeting(
    base_url: str, title: str = "Initial conference", chair: str = "Chair", kind: str | None = None
) -> Member:
    body_out: dict[str, str] = {"title": title, "chair_name": chair}
    if kind is not None:
        body_out["kind"] = kind
    async with httpx.AsyncClient(base_url=base_url, verify=TLS) as http:
        response = await http.post("/api/meetings", json=body_out)
        assert response.status_code == 201, response.text
        body = response.json()
        meeting_id = body["meeting"]["id"]
        cookie = f"sos_{meeting_id}={response.cookies[f'sos_{meeting_id}']}"
        return Member(meeting_id, body["participant"]["id"], "chair", cookie)


async def invite(base_url: str, chair: Member, role: str, name: str = "Someone") -> str:
    async with httpx.AsyncClient(base_url=base_url, headers={"Cookie": chair.cookie}, verify=TLS) as http:
        response = await http.post(
            f"/api/meetings/{chair.meeting_id}/participants", json={"display_name": name, "role": role}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["invite_url"]).split("#", 1)[1]


async def join(base_url: str, token: str) -> Member:
    async with httpx.AsyncClient(base_url=base_url, verify=TLS) as http:
        response = await http.post("/api/join", json={"token": token})
        assert response.status_code == 200, response.text
        body = response.json()
        meeting_id = body["meeting"]["id"]
        cookie = f"sos_{meeting_id}={response.cookies[f'sos_{meeting_id}']}"
        return Member(meeting_id, body["participant"]["id"], body["participant"]["role"], cookie)


async def add_member(base_url: str, chair: Member, role: str, name: str = "Someone") -> Member:
    return await join(base_url, await invite(base_url, chair, role, name))


def apply_change(board: dict[str, Any], change: dict[str, Any]) -> None:
    """Apply one item of an event's `changes` to a copy of the meeting, knowing nothing of the rules (as the
    frontend must): replace or remove by entity and id; an item goes to `position` in its list (a card: in its
    column), or stays where it is when `position` is null."""
    entity, item_id, value = change["entity"], change["id"], change["value"]
    if entity in FIELD_OF_SINGLE_ENTITY:
        board[FIELD_OF_SINGLE_ENTITY[entity]] = value
        if entity == "finalised":
            board["read_only"] = value is not None
        return
    if entity == "card":
        lists: list[list[dict[str, Any]]] = list(board["columns"].values())
        target = None if value is None else board["columns"].setdefault(value["column"], [])
    else:
        collection = COLLECTION_OF_ENTITY[entity]  # an entity this client does not know is a test failure
        target = board.setdefault(collection, [])
        lists = [target]
    position = change.get("position")
    for items in lists:
        for index, item in enumerate(items):
            if item["id"] == item_id:
                if value is not None and position is None and items is target:
                    items[index] = value
                    return
                del items[index]
                break
    if target is not None and value is not None:
        target.insert(len(target) if position is None else position, value)


@dataclass
class BoardClient:
    """A websocket client that keeps its own copy of the whole meeting by applying each event's `changes`, as the
    frontend does, and the raw text of every frame it received (`raw_frames`, the hello first)."""

    socket: ClientConnection
    hello: dict[str, Any]
    seq: int = 0
    board: dict[str, Any] = field(default_factory=dict)
    inbox: list[dict[str, Any]] = field(default_factory=list)
    raw_frames: list[str] = field(default_factory=list)

    @classmethod
    async def connect(
        cls, ws_url: str, member: Member, since: int | None = None, origin: str | None = None
    ) -> BoardClient:
        query = f"?since={since}" if since is not None else ""
        socket = await websockets.connect(
            f"{ws_url}/ws/meetings/{member.meeting_id}{query}",
            additional_headers={"Cookie": member.cookie, "Origin": origin or ws_url.replace("ws://", "http://")},
            max_size=2**22,
            # The server's keepalive is what is under test; this client's own (websockets' default, 20 s) closed
            # connections that a module's tests share while they sat unserviced between tests on a loaded machine.
            ping_interval=None,
        )
        async with asyncio.timeout(RECEIVE_TIMEOUT):
            raw = await socket.recv()
        text = raw if isinstance(raw, str) else raw.decode()
        hello = json.loads(text)
        assert hello["type"] == "hello", hello
        client = cls(socket=socket, hello=hello, seq=hello["seq"], raw_frames=[text])
        if hello["board"] is not None:
            client.board = copy.deepcopy(hello["board"])
        return client

    @property
    def columns(self) -> dict[str, list[dict[str, Any]]]:
        """The map's three columns, in this client's copy."""
        columns: dict[str, list[dict[str, Any]]] = self.board.setdefault("columns", {})
        return columns

    def resume_from(self, other: BoardClient) -> None:
        """Carry the meeting of an earlier connection and apply this hello's missed events on top."""
        if self.hello["board"] is None:
            self.board = copy.deepcopy(other.board)
            self.seq = other.seq
            for event in self.hello["missed"]:
                self.apply(event)

    def apply(self, event: dict[str, Any]) -> None:
        assert event["seq"] == self.seq + 1, f"gap or repeat: had {self.seq}, got {event['seq']}"
        self.seq = event["seq"]
        for change in event["changes"]:
            apply_change(self.board, change)
        self.board["seq"] = event["seq"]

    async def receive(self) -> dict[str, Any]:
        # Not asyncio.wait_for: on Python 3.11 it swallows a cancel that lands as the frame arrives, and a reader
        # looping on receive (`keep_reading`) then never ends. The timeout context lets the cancel through.
        async with asyncio.timeout(RECEIVE_TIMEOUT):
            raw = await self.socket.recv()
        text = raw if isinstance(raw, str) else raw.decode()
        self.raw_frames.append(text)
        frame: dict[str, Any] = json.loads(text)
        if frame["type"] == "event":
            self.apply(frame)
        return frame

    async def receive_until(self, predicate: Any) -> dict[str, Any]:
        """Receive (applying events) until a frame matches; earlier frames are kept in `inbox`."""
        while True:
            frame = await self.receive()
            if predicate(frame):
                return frame
            self.inbox.append(frame)

    async def send_op(self, op: dict[str, Any], op_id: str | None = None) -> str:
        op_id = op_id or uuid.uuid4().hex
        await self.socket.send(json.dumps({"type": "op", "op_id": op_id, "op": op}))
        return op_id

    async def request(self, op: dict[str, Any], op_id: str | None = None) -> dict[str, Any]:
        """Send an op and return its ack or error."""
        op_id = await self.send_op(op, op_id)
        return await self.receive_until(lambda f: f["type"] in ("ack", "error") and f.get("op_id") == op_id)

    async def sync_to(self, seq: int) -> None:
        while self.seq < seq:
            await self.receive()

    def card(self, card_id: str) -> dict[str, Any] | None:
        return next((c for cards in self.columns.values() for c in cards if c["id"] == card_id), None)

    def item(self, collection: str, item_id: str) -> dict[str, Any] | None:
        """An item of one of the meeting's collections (statements, rounds, answers...) in this client's copy."""
        items: list[dict[str, Any]] = self.board.get(collection, [])
        return next((item for item in items if item["id"] == item_id), None)

    def received_text(self) -> str:
        """Everything this connection received, as raw text, to search for what must never reach it."""
        return "\n".join(self.raw_frames)

    async def close(self) -> None:
        """Close, reading what the server still sends meanwhile (kept in `raw_frames`, not applied). A client that
        stopped reading has a full receive queue, and would wait out the close timeout for the server's reply."""
        closing = asyncio.create_task(self.socket.close())
        try:
            with contextlib.suppress(ConnectionClosed):
                async for message in self.socket:
                    self.raw_frames.append(message if isinstance(message, str) else message.decode())
        finally:
            await closing


class Connections:
    """Every connection a test opens, all closed when it ends, passed or failed (use as a fixture)."""

    def __init__(self) -> None:
        self.clients: list[BoardClient] = []

    async def connect(self, ws_url: str, member: Member, since: int | None = None) -> BoardClient:
        client = await BoardClient.connect(ws_url, member, since)
        self.clients.append(client)
        return client

    async def close_all(self) -> None:
        clients, self.clients = self.clients, []
        for client in clients:
            await client.close()


async def board_text_over_http(base_url: str, member: Member) -> str:
    """GET /board as the raw response text (to search for what must never reach this member)."""
    async with httpx.AsyncClient(base_url=base_url, headers={"Cookie": member.cookie}, verify=TLS) as http:
        response = await http.get(f"/api/meetings/{member.meeting_id}/board")
        assert response.status_code == 200, response.text
        return response.text


async def board_over_http(base_url: str, member: Member) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(await board_text_over_http(base_url, member))
    return body
