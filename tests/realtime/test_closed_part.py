"""Closed session over real websockets: what is kept from the family (said in a closed part, restricted by the
chair, a child's words shared without consent) never reaches a family or room-screen connection: not in events,
hello snapshots, resumes with `since` spanning the closed part, or HTTP reads. Every kept item carries a canary
word, searched for in the raw text of everything those connections received. Lifting a restriction shows the
item there, live and in a fresh hello; and a family screen's copy, built from events, equals a fresh snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
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

CANARIES = {
    "card": "CANARYCLOSEDCARD",
    "statement": "CANARYDANGERSTATEMENT",
    "step": "CANARYSTEP",
    "network": "CANARYNETWORK",
    "round_question": "CANARYROUNDQUESTION",
    "round_reason": "CANARYROUNDREASON",
    "dissent": "CANARYDISSENT",
    "voice": "CANARYVOICEWORDS",
    "chair_restricted": "CANARYEDITOFRESTRICTED",
}
LIFTED = "LIFTEDCARDTEXT"
DRIFT = "the family's live screen shows another order than a reload would"


@dataclass
class Screens:
    """Everything one kept-out person (family, room screen) received: connections and HTTP bodies."""

    member: Member
    connections: list[BoardClient] = field(default_factory=list)
    http: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join([*(c.received_text() for c in self.connections), *self.http])


def assert_no_canary(text: str, who: str) -> None:
    leaked = {what: canary for what, canary in CANARIES.items() if canary in text}
    assert not leaked, f"{who} received what was kept from them: {leaked}"


def ok(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["type"] == "ack", reply
    return reply


def refused(reply: dict[str, Any], code: str) -> None:
    assert reply["type"] == "error" and reply["code"] == code, reply


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the module: each test holds its own meeting."""
    database: Path = tmp_path_factory.mktemp("closed_part") / "board.db"
    process = ServerProcess(f"sqlite+aiosqlite:///{database}", ops_per_second="1000", ops_burst="1000").start()
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.asyncio
async def test_nothing_kept_from_the_family_reaches_their_screens_and_a_lifted_item_does(
    server: ServerProcess, connections: Connections
) -> None:
    chair = await create_meeting(server.url, chair="Ann Chair")
    worker = await add_member(server.url, chair, "professional", "Social worker")
    mum = await add_member(server.url, chair, "family", "Mum")
    projector = await add_member(server.url, chair, "projector", "Room screen")
    c = await connections.connect(server.ws_url, chair)
    p = await connections.connect(server.ws_url, worker)
    family = Screens(mum, [await connections.connect(server.ws_url, mum)])
    room = Screens(projector, [await connections.connect(server.ws_url, projector)])
    f = family.connections[0]
    f_away = await connections.connect(server.ws_url, mum)
    family.connections.append(f_away)

    # Before the closed part: the open map, with the family taking part.
    child = ok(await c.request({"type": "add_child", "name": "Jo", "age": 6}))["card_id"]
    ok(await f.request({"type": "check_in"}))
    ok(await p.request({"type": "add_card", "column": "worries", "kind": "harm", "text": "Jo missed school 9 days"}))
    ok(await f.request({"type": "add_card", "column": "working_well", "kind": "strength", "text": "Mum walks Jo"}))
    statement = ok(await p.request({"type": "add_statement", "behaviour": "Dad shouts when he has been drinking"}))
    ok(
        await p.request(
            {"type": "add_child_words", "child_id": child, "house": "dreams", "words": "A dog", "shared": True}
        )
    )
    ok(
        await p.request(
            {
                "type": "add_child_words",
                "child_id": child,
                "house": "worries",
                "words": f"{CANARIES['voice']} I hide under the bed",
                "shared": False,
            }
        )
    )
    kept_back = ok(await p.request({"type": "add_card", "column": "worries", "kind": "grey_area", "text": "Rumour"}))
    ok(
        await c.request(
            {"type": "set_restricted", "entity": "card", "item_id": kept_back["card_id"], "restricted": True}
        )
    )
    before_closed = ok(
        await p.request(
            {
                "type": "edit_card",
                "card_id": kept_back["card_id"],
                "base_version": 1,
                "text": f"{CANARIES['chair_restricted']} neighbour's account",
            }
        )
    )
    await f_away.sync_to(before_closed["seq"])
    await f_away.close()  # the tablet goes to sleep as the family leaves the room
    family.http.append(await board_text_over_http(server.url, mum))
    room.http.append(await board_text_over_http(server.url, projector))

    # The closed part.
    ok(await c.request({"type": "start_closed_part"}))
    refused(
        await f.request({"type": "add_card", "column": "worries", "kind": "harm", "text": "x"}), "closed_part_running"
    )
    refused(
        await f.request(
            {"type": "set_family_view", "statement_id": statement["card_id"], "base_version": 0, "agreement": "agree"}
        ),
        "closed_part_running",
    )
    ok(await p.request({"type": "add_card", "column": "worries", "kind": "harm", "text": f"{CANARIES['card']} x"}))
    lifted = ok(
        await p.request({"type": "add_card", "column": "working_well", "kind": "strength", "text": f"{LIFTED} Dad"})
    )
    ok(await p.request({"type": "add_statement", "behaviour": f"{CANARIES['statement']} Dad may hit Jo"}))
    ok(await p.request({"type": "add_step", "what": f"{CANARIES['step']} police check"}))
    ok(await p.request({"type": "add_network_member", "name": f"Uncle {CANARIES['network']}"}))
    closed_round = ok(
        await c.request({"type": "open_round", "label": "other", "question": f"{CANARIES['round_question']} ?"})
    )["card_id"]
    ok(
        await p.request(
            {"type": "answer_round", "round_id": closed_round, "value": 2, "reason": CANARIES["round_reason"]}
        )
    )
    ok(await c.request({"type": "reveal_round", "round_id": closed_round}))
    ok(
        await c.request(
            {
                "type": "add_decision_note",
                "child_id": child,
                "kind": "dissent",
                "who": "Police",
                "reason": CANARIES["dissent"],
            }
        )
    )
    ok(await c.request({"type": "set_focus", "entity": "card", "item_id": lifted["card_id"]}))
    refused(await f.request({"type": "answer_round", "round_id": closed_round, "value": 9}), "closed_part_running")
    # A family screen opened now, and the room screen reloaded, see only that this part is private.
    family.connections.append(await connections.connect(server.ws_url, mum))
    room.connections.append(await connections.connect(server.ws_url, projector))
    for screens in (family, room):
        screens.http.append(await board_text_over_http(server.url, screens.member))
        assert screens.connections[-1].board["closed_part"]["active"] is True
        assert screens.connections[-1].board["focus"] is None
        assert json.loads(screens.http[-1])["closed_part"]["active"] is True
    ended = ok(await c.request({"type": "end_closed_part"}))

    # The family is back: the tablet resumes from before the closed part; they take part again.
    back = await connections.connect(server.ws_url, mum, since=f_away.seq)
    assert back.hello["board"] is None and back.hello["missed"], "a resume spanning the closed part"
    back.resume_from(f_away)
    family.connections.append(back)
    ok(
        await f.request(
            {"type": "set_family_view", "statement_id": statement["card_id"], "base_version": 0, "agreement": "partly"}
        )
    )
    for screens in (family, room):
        for client in screens.connections:
            if client is not f_away:
                await client.sync_to(ended["seq"])
        screens.http.append(await board_text_over_http(server.url, screens.member))
        assert_no_canary(screens.text(), screens.member.role)
        assert LIFTED not in screens.text()
    mum_back = next(a for a in f.board["attendees"] if a["participant_id"] == mum.participant_id)
    assert [mark["status"] for mark in mum_back["history"]] == ["present", "stepped_out", "present"]

    # The chair lifts the restriction on one item (the one in focus): it appears on their screens, live and fresh.
    shown = ok(
        await c.request({"type": "set_restricted", "entity": "card", "item_id": lifted["card_id"], "restricted": False})
    )
    for screens in (family, room):
        live = [client for client in screens.connections if client is not f_away]
        for client in live:
            await client.sync_to(shown["seq"])
            assert client.card(lifted["card_id"]) is not None, (
                f"the lifted card is not on a {screens.member.role} screen"
            )
            assert client.board["focus"] == {"entity": "card", "item_id": lifted["card_id"], "restricted": False}
        fresh = await connections.connect(server.ws_url, screens.member)
        screens.connections.append(fresh)
        screens.http.append(await board_text_over_http(server.url, screens.member))
        assert fresh.card(lifted["card_id"]) is not None
        assert LIFTED in screens.http[-1]
        assert_no_canary(screens.text(), screens.member.role)
        # What the screens built from events is exactly what a fresh snapshot shows.
        for client in live:
            assert client.board == fresh.hello["board"], f"a {screens.member.role} copy drifted"
        assert json.loads(screens.http[-1]) == fresh.hello["board"]

    # The canaries are really in the meeting: the professionals see every one of them.
    full = await board_text_over_http(server.url, chair)
    assert all(canary in full for canary in CANARIES.values())
    worker_board = await board_over_http(server.url, worker)
    assert worker_board["closed_part"]["active"] is False


async def family_order_room(
    server: ServerProcess, connections: Connections
) -> tuple[BoardClient, BoardClient, BoardClient, Member]:
    """A chair, a worker and the family, with worries on the worker's screen: "Missed school", a card said in a
    closed part, "Bruise seen", "Dad shouts". The family's screen shows the three others."""
    chair = await create_meeting(server.url)
    worker = await add_member(server.url, chair, "professional", "Social worker")
    c = await connections.connect(server.ws_url, chair)
    p = await connections.connect(server.ws_url, worker)
    mum = await add_member(server.url, chair, "family", "Mum")
    f = await connections.connect(server.ws_url, mum)
    add = {"type": "add_card", "column": "worries", "kind": "harm"}
    ok(await p.request({**add, "card_id": "school", "text": "Missed school"}))
    ok(await c.request({"type": "start_closed_part"}))
    ok(await p.request({**add, "card_id": "closed", "text": "Said in the closed part"}))
    ok(await c.request({"type": "end_closed_part"}))
    ok(await p.request({**add, "card_id": "bruise", "text": "Bruise seen"}))
    ok(await p.request({**add, "card_id": "shouts", "text": "Dad shouts"}))
    return c, p, f, mum


@pytest.mark.asyncio
async def test_a_card_moved_below_a_restricted_one_lands_on_a_family_screen_where_a_snapshot_puts_it(
    server: ServerProcess, connections: Connections
) -> None:
    """Positions in a card change count the cards a family screen does not have: a card placed below one of them
    must still land where the family's next snapshot will show it."""
    _, p, f, mum = await family_order_room(server, connections)
    # The worker moves "Dad shouts" up one, just below the closed-part card on their screen.
    moved = ok(await p.request({"type": "move_card", "card_id": "shouts", "column": "worries", "position": 2}))

    await f.sync_to(moved["seq"])
    fresh = await connections.connect(server.ws_url, mum)
    assert [card["text"] for card in fresh.columns["worries"]] == ["Missed school", "Dad shouts", "Bruise seen"]
    assert [card["text"] for card in f.columns["worries"]] == ["Missed school", "Dad shouts", "Bruise seen"], DRIFT


@pytest.mark.asyncio
async def test_a_lifted_card_below_a_restricted_one_lands_on_a_family_screen_where_a_snapshot_puts_it(
    server: ServerProcess, connections: Connections
) -> None:
    """The chair restricts a card and lifts the restriction again: it comes back to the family's screen where it
    was, below the closed-part card they never had."""
    c, _, f, mum = await family_order_room(server, connections)
    ok(await c.request({"type": "set_restricted", "entity": "card", "item_id": "bruise", "restricted": True}))
    shown = ok(await c.request({"type": "set_restricted", "entity": "card", "item_id": "bruise", "restricted": False}))

    await f.sync_to(shown["seq"])
    fresh = await connections.connect(server.ws_url, mum)
    assert [card["text"] for card in fresh.columns["worries"]] == ["Missed school", "Bruise seen", "Dad shouts"]
    assert [card["text"] for card in f.columns["worries"]] == ["Missed school", "Bruise seen", "Dad shouts"], DRIFT


@pytest.mark.asyncio
async def test_a_lifted_item_takes_its_place_on_a_family_screen_as_in_a_fresh_snapshot(
    server: ServerProcess, connections: Connections
) -> None:
    """A statement written in the closed part and shown afterwards stands where a fresh snapshot puts it: the
    danger statements keep their order (Statement 1, 2...) whether the family's screen reloads or not."""
    chair = await create_meeting(server.url)
    worker = await add_member(server.url, chair, "professional", "Social worker")
    mum = await add_member(server.url, chair, "family", "Mum")
    c = await connections.connect(server.ws_url, chair)
    p = await connections.connect(server.ws_url, worker)
    f = await connections.connect(server.ws_url, mum)
    ok(await c.request({"type": "start_closed_part"}))
    first = ok(await p.request({"type": "add_statement", "behaviour": "Dad hits Jo when he drinks"}))
    ok(await c.request({"type": "end_closed_part"}))
    ok(await p.request({"type": "add_statement", "behaviour": "Mum leaves Jo alone at night"}))
    shown = ok(
        await c.request(
            {"type": "set_restricted", "entity": "statement", "item_id": first["card_id"], "restricted": False}
        )
    )
    await f.sync_to(shown["seq"])
    fresh = await connections.connect(server.ws_url, mum)

    in_snapshot = [s["behaviour"] for s in fresh.board["statements"]]
    assert in_snapshot == ["Dad hits Jo when he drinks", "Mum leaves Jo alone at night"]
    assert [s["behaviour"] for s in f.board["statements"]] == in_snapshot, DRIFT


@pytest.mark.asyncio
async def test_the_closed_part_refuses_what_does_not_fit_it_and_the_family_comes_back_in(
    server: ServerProcess, connections: Connections
) -> None:
    """Starting a closed part twice, ending one that is not running, the family checking in while out: each gets
    its documented error; once the chair ends it, the family checks in."""
    chair = await create_meeting(server.url)
    mum = await add_member(server.url, chair, "family", "Mum")
    c = await connections.connect(server.ws_url, chair)
    f = await connections.connect(server.ws_url, mum)
    refused(await c.request({"type": "end_closed_part"}), "no_closed_part")
    started = ok(await c.request({"type": "start_closed_part"}))
    refused(await c.request({"type": "start_closed_part"}), "closed_part_running")
    refused(await f.request({"type": "check_in"}), "closed_part_running")
    await f.sync_to(started["seq"])
    assert f.board["closed_part"]["active"] is True
    ok(await c.request({"type": "end_closed_part"}))
    checked_in = ok(await f.request({"type": "check_in"}))
    await f.sync_to(checked_in["seq"])
    assert f.board["closed_part"]["active"] is False
    assert [a["status"] for a in f.board["attendees"]] == ["present"]
