"""Safety scaling over real websockets: until the chair reveals a round, an answer's value and reason reach no
connection but that of whoever gave it (not other professionals, not the chair, not the projector), in live
events, hello snapshots, resumes with `since` and HTTP reads alike; after the reveal every screen shows the same
answers. Each reason is a canary: a unique word searched for in the raw text of everything each person received.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.support.clients import (
    BoardClient,
    Connections,
    Member,
    add_member,
    board_over_http,
    board_text_over_http,
    create_meeting,
)

ANSWER_OPS = {"answer_round", "answer_for"}


@dataclass
class Seat:
    """One person with a device, and every way their screens hear about the meeting."""

    name: str
    member: Member
    live: BoardClient
    away: BoardClient
    """Connected before the round opened, then dropped: it comes back with `since` as `back`."""
    back: BoardClient | None = None
    late: BoardClient | None = None
    """A new connection made while the round is open (a hello snapshot)."""
    http: list[str] = field(default_factory=list)
    """The raw text of each GET /board."""

    @property
    def pid(self) -> str:
        return self.member.participant_id

    def clients(self) -> list[BoardClient]:
        """Every connection this person had, the dropped one included."""
        return [c for c in (self.live, self.away, self.back, self.late) if c is not None]

    def open_clients(self) -> list[BoardClient]:
        return [c for c in (self.live, self.back, self.late) if c is not None]

    def received_text(self) -> str:
        return "\n".join([*(c.received_text() for c in self.clients()), *self.http])


def objects_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside a frame, however deep."""
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from objects_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from objects_in(inner)


def assert_no_one_elses_answer(text: str, me: str) -> None:
    """In one raw frame (or HTTP body): every answer someone else's device sent and not yet revealed shows only
    that the person has answered, and no answer operation of someone else's is shown."""
    frame = json.loads(text)
    for obj in objects_in(frame):
        if "submitted_by" in obj and "round_id" in obj and obj["submitted_by"] != me and not obj["revealed"]:
            assert obj["value"] is None and obj["reason"] is None, f"{me} received someone else's answer: {obj}"
        if obj.get("type") == "event" and obj.get("op") is not None and obj["op"]["type"] in ANSWER_OPS:
            assert obj["actor"]["participant_id"] == me, f"{me} received someone else's answer: {obj}"


def answers_of(board: dict[str, Any], round_id: str) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in board["answers"] if a["round_id"] == round_id}


async def sync_all(seats: list[Seat], seq: int) -> None:
    await asyncio.gather(*(client.sync_to(seq) for seat in seats for client in seat.open_clients()))


@pytest.mark.asyncio
async def test_no_screen_but_the_authors_sees_an_answer_before_the_reveal_and_all_see_the_same_after(
    server: ServerProcess, connections: Connections
) -> None:
    chair = await create_meeting(server.url, chair="Ann Chair")
    people = {
        "chair": chair,
        "health": await add_member(server.url, chair, "professional", "Health visitor"),
        "school": await add_member(server.url, chair, "professional", "School"),
        "mum": await add_member(server.url, chair, "family", "Mum"),
        "screen": await add_member(server.url, chair, "projector", "Room screen"),
    }
    seats: list[Seat] = []
    for name, member in people.items():
        live = await connections.connect(server.ws_url, member)
        away = await connections.connect(server.ws_url, member)
        seats.append(Seat(name, member, live, away))
    by_name = {seat.name: seat for seat in seats}
    chair_seat = by_name["chair"]
    gran = await chair_seat.live.request({"type": "add_attendee", "name": "Gran", "group": "family"})
    assert gran["type"] == "ack"
    await sync_all(seats, gran["seq"])
    for seat in seats:
        await seat.away.close()  # the wifi drops just before the round opens

    opened = await chair_seat.live.request({"type": "open_round", "label": "start"})
    assert opened["type"] == "ack"
    round_id = opened["card_id"]

    # Each person with a device answers on their own; the chair enters Gran's answer for her.
    reasons = {name: f"CANARY{name.upper()}REASON" for name in ("chair", "health", "school", "mum")}
    values = {"chair": 2, "health": 4, "school": 6, "mum": 8}
    for name in ("health", "chair", "school", "mum"):
        reply = await by_name[name].live.request(
            {"type": "answer_round", "round_id": round_id, "value": values[name], "reason": reasons[name]}
        )
        assert reply["type"] == "ack", reply
    gran_reason = "CANARYGRANREASON"
    reply = await chair_seat.live.request(
        {"type": "answer_for", "round_id": round_id, "attendee_id": gran["card_id"], "value": 3, "reason": gran_reason}
    )
    assert reply["type"] == "ack", reply
    # The health visitor thinks again: a second answer replaces the first, just as secretly.
    first_health_reason = reasons["health"]
    reasons["health"], values["health"] = "CANARYHEALTHSECONDTHOUGHTS", 5
    last = await by_name["health"].live.request(
        {"type": "answer_round", "round_id": round_id, "value": 5, "reason": reasons["health"]}
    )
    assert last["type"] == "ack"

    # Mid-round: every live screen has caught up, new screens open, dropped screens come back, HTTP reads.
    await sync_all(seats, last["seq"])
    for seat in seats:
        seat.late = await connections.connect(server.ws_url, seat.member)
        seat.back = await connections.connect(server.ws_url, seat.member, since=seat.away.seq)
        assert seat.back.hello["board"] is None and seat.back.hello["missed"], "a resume, not a snapshot"
        seat.back.resume_from(seat.away)
        seat.http.append(await board_text_over_http(server.url, seat.member))
    refused = await by_name["school"].live.request({"type": "answer_round", "round_id": "nosuchround", "value": 5})
    assert refused["type"] == "error" and refused["code"] == "round_not_open"

    answer_id = {name: f"{round_id}--{people[name].participant_id}" for name in reasons}
    gran_answer_id = f"{round_id}--{gran['card_id']}"
    everyone_answered = {*answer_id.values(), gran_answer_id}
    for seat in seats:
        text = seat.received_text()
        mine = {name for name in reasons if name == seat.name} | ({"gran"} if seat.name == "chair" else set())
        for name, reason in [*reasons.items(), ("gran", gran_reason), ("health", first_health_reason)]:
            if name in mine and reason != first_health_reason:
                assert reason in text, f"{seat.name} cannot see their own answer"
            elif name not in mine:
                assert reason not in text, f"{seat.name} received {name}'s reason before the reveal"
        for raw in [*(f for c in seat.clients() for f in c.raw_frames), *seat.http]:
            assert_no_one_elses_answer(raw, seat.pid)
        for board in [*(c.board for c in seat.open_clients()), json.loads(seat.http[-1])]:
            answers = answers_of(board, round_id)
            assert set(answers) == everyone_answered, "every screen sees who has answered"
            for name, aid in answer_id.items():
                shown = (answers[aid]["value"], answers[aid]["reason"])
                assert shown == ((values[name], reasons[name]) if name == seat.name else (None, None))
            gran_shown = (answers[gran_answer_id]["value"], answers[gran_answer_id]["reason"])
            assert gran_shown == ((3, gran_reason) if seat.name == "chair" else (None, None))

    revealed = await chair_seat.live.request({"type": "reveal_round", "round_id": round_id})
    assert revealed["type"] == "ack"
    await sync_all(seats, revealed["seq"])
    expected = {aid: (values[name], reasons[name]) for name, aid in answer_id.items()} | {
        gran_answer_id: (3, gran_reason)
    }
    chair_view = await board_over_http(server.url, chair)
    assert {a["id"]: (a["value"], a["reason"]) for a in chair_view["answers"]} == expected
    for seat in seats:
        fresh = await connections.connect(server.ws_url, seat.member)
        http = await board_over_http(server.url, seat.member)
        for board in [*(c.board for c in seat.open_clients()), fresh.board, http]:
            assert board["answers"] == chair_view["answers"], f"{seat.name} sees another chart"
            assert all(a["revealed"] for a in board["answers"])
        assert {r["id"]: r["revealed"] for r in seat.live.board["rounds"]} == {round_id: True}

    again = await chair_seat.live.request({"type": "reveal_round", "round_id": round_id})
    assert again["type"] == "error" and again["code"] == "round_already_revealed"
    late_answer = await by_name["mum"].live.request({"type": "answer_round", "round_id": round_id, "value": 9})
    assert late_answer["type"] == "error" and late_answer["code"] == "round_not_open"
    late_for = await chair_seat.live.request(
        {"type": "answer_for", "round_id": round_id, "attendee_id": gran["card_id"], "value": 9}
    )
    assert late_for["type"] == "error" and late_for["code"] == "round_not_open"

    # The room goes on: a bystander's card is accepted and reaches every screen; the answers stand.
    card = await by_name["school"].live.request(
        {"type": "add_card", "column": "working_well", "kind": "strength", "text": "Mum came to every meeting"}
    )
    assert card["type"] == "ack"
    await sync_all(seats, card["seq"])
    for seat in seats:
        for client in seat.open_clients():
            assert client.card(card["card_id"]) is not None
            assert client.board["answers"] == chair_view["answers"]
