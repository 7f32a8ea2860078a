"""A test's view of the product: an HTTP client for the API and a websocket client that speaks the protocol."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

RECEIVE_TIMEOUT = 10.0


@dataclass
class Member:
    """Someone in a meeting: their session cookie and who they are."""

    meeting_id: str
    participant_id: str
    role: str
    cookie: str


async def create_meeting(base_url: str, title: str = "Initial conference", chair: str = "Chair") -> Member:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/meetings", json={"title": title, "chair_name": chair})
        assert response.status_code == 201, response.text
        body = response.json()
        meeting_id = body["meeting"]["id"]
        cookie = f"sos_{meeting_id}={response.cookies[f'sos_{meeting_id}']}"
        return Member(meeting_id, body["participant"]["id"], "chair", cookie)


async def invite(base_url: str, chair: Member, role: str, name: str = "Someone") -> str:
    async with httpx.AsyncClient(base_url=base_url, headers={"Cookie": chair.cookie}) as http:
        response = await http.post(
            f"/api/meetings/{chair.meeting_id}/participants", json={"display_name": name, "role": role}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["invite_url"]).split("#", 1)[1]


async def join(base_url: str, token: str) -> Member:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/join", json={"token": token})
        assert response.status_code == 200, response.text
        body = response.json()
        meeting_id = body["meeting"]["id"]
        cookie = f"sos_{meeting_id}={response.cookies[f'sos_{meeting_id}']}"
        return Member(meeting_id, body["participant"]["id"], body["participant"]["role"], cookie)


async def add_member(base_url: str, chair: Member, role: str, name: str = "Someone") -> Member:
    return await join(base_url, await invite(base_url, chair, role, name))


@dataclass
class BoardClient:
    """A websocket client that keeps its own copy of the board by applying events, as the frontend does."""

    socket: ClientConnection
    hello: dict[str, Any]
    seq: int = 0
    columns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    inbox: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    async def connect(
        cls, ws_url: str, member: Member, since: int | None = None, origin: str | None = None
    ) -> BoardClient:
        query = f"?since={since}" if since is not None else ""
        socket = await websockets.connect(
            f"{ws_url}/ws/meetings/{member.meeting_id}{query}",
            additional_headers={"Cookie": member.cookie, "Origin": origin or ws_url.replace("ws://", "http://")},
            max_size=2**22,
        )
        hello = json.loads(await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT))
        assert hello["type"] == "hello", hello
        client = cls(socket=socket, hello=hello, seq=hello["seq"])
        if hello["board"] is not None:
            client.columns = {column: list(cards) for column, cards in hello["board"]["columns"].items()}
        return client

    def resume_from(self, other: BoardClient) -> None:
        """Carry the board of an earlier connection and apply this hello's missed events on top."""
        if self.hello["board"] is None:
            self.columns = {column: [dict(card) for card in cards] for column, cards in other.columns.items()}
            self.seq = other.seq
            for event in self.hello["missed"]:
                self.apply(event)

    def apply(self, event: dict[str, Any]) -> None:
        assert event["seq"] == self.seq + 1, f"gap or repeat: had {self.seq}, got {event['seq']}"
        self.seq = event["seq"]
        op, card = event["op"], event["card"]
        if op["type"] == "edit_card":
            for cards in self.columns.values():
                cards[:] = [card if c["id"] == card["id"] else c for c in cards]
            return
        for cards in self.columns.values():
            cards[:] = [c for c in cards if c["id"] != op["card_id"]]
        if op["type"] in ("add_card", "move_card"):
            self.columns[op["column"]].insert(op["position"], card)

    async def receive(self) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), RECEIVE_TIMEOUT))
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

    async def close(self) -> None:
        await self.socket.close()


async def board_over_http(base_url: str, member: Member) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, headers={"Cookie": member.cookie}) as http:
        response = await http.get(f"/api/meetings/{member.meeting_id}/board")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
