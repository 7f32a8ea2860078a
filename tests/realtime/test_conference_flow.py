"""A whole conference over real websockets.

- An operation the meeting's state does not allow gets its documented error code, changes nothing, and the room
  goes on (the next operation is accepted and reaches every screen).
- Three people on their own devices, working at the same time through a scripted conference that uses every
  operation, end with copies of the meeting (built from events) equal to a fresh hello and to GET /board: the
  filtering of events and of snapshots agree, for the family too.
- The same across two app processes on PostgreSQL and Redis, with the family on the other process from where the
  closed part is written: nothing kept from them reaches their screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.domain.roles import OpType
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

Op = dict[str, Any]


@pytest.fixture(scope="module")
def flow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database: Path = tmp_path_factory.mktemp("flow") / "board.db"
    process = ServerProcess(f"sqlite+aiosqlite:///{database}", ops_per_second="1000", ops_burst="1000").start()
    try:
        yield process
    finally:
        process.stop()


# ---- state-disallowed operations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """`who` sends `op` after `setup` ran (each step: who, op), and gets `code`."""

    code: str
    setup: list[tuple[str, Op]]
    who: str
    op: Op
    check: Callable[[dict[str, Any]], None] = lambda error: None


def _stale_statement(error: dict[str, Any]) -> None:
    assert error["current"]["id"] == "s1"
    assert error["current"]["behaviour"] == "Dad shouts at Jo every night"
    assert error["current"]["version"] == 2


REFUSALS = {
    "a move from a phase the meeting has left": Refusal(
        "phase_changed",
        [("chair", {"type": "set_phase", "phase": "worries", "from_phase": "welcome"})],
        "chair",
        {"type": "set_phase", "phase": "working_well", "from_phase": "welcome"},
    ),
    "a decision for a child not in the meeting": Refusal(
        "child_not_found",
        [("chair", {"type": "add_child", "child_id": "jo", "name": "Jo"})],
        "chair",
        {"type": "record_decision", "child_id": "sam", "base_version": 0, "outcome": "no_plan"},
    ),
    "a card about a child not in the meeting": Refusal(
        "child_not_found",
        [],
        "professional",
        {"type": "add_card", "column": "worries", "kind": "harm", "text": "Bruise", "child_ids": ["sam"]},
    ),
    "an answer to a round never opened": Refusal(
        "round_not_open", [], "family", {"type": "answer_round", "round_id": "r1", "value": 5}
    ),
    "an answer to a round already revealed": Refusal(
        "round_not_open",
        [
            ("chair", {"type": "open_round", "round_id": "r1"}),
            ("professional", {"type": "answer_round", "round_id": "r1", "value": 3}),
            ("chair", {"type": "reveal_round", "round_id": "r1"}),
        ],
        "family",
        {"type": "answer_round", "round_id": "r1", "value": 5},
    ),
    "a second reveal": Refusal(
        "round_already_revealed",
        [("chair", {"type": "open_round", "round_id": "r1"}), ("chair", {"type": "reveal_round", "round_id": "r1"})],
        "chair",
        {"type": "reveal_round", "round_id": "r1"},
    ),
    "the family adding a card in a closed part": Refusal(
        "closed_part_running",
        [("chair", {"type": "start_closed_part"})],
        "family",
        {"type": "add_card", "column": "working_well", "kind": "strength", "text": "We love Jo"},
    ),
    "starting a closed part while one runs": Refusal(
        "closed_part_running", [("chair", {"type": "start_closed_part"})], "chair", {"type": "start_closed_part"}
    ),
    "ending a closed part when none runs": Refusal("no_closed_part", [], "chair", {"type": "end_closed_part"}),
    "a statement edit based on an old version": Refusal(
        "stale_version",
        [
            ("professional", {"type": "add_statement", "statement_id": "s1", "behaviour": "Dad shouts"}),
            (
                "teacher",
                {
                    "type": "edit_statement",
                    "statement_id": "s1",
                    "base_version": 1,
                    "behaviour": "Dad shouts at Jo every night",
                },
            ),
        ],
        "professional",
        {"type": "edit_statement", "statement_id": "s1", "base_version": 1, "behaviour": "Dad shouts sometimes"},
        _stale_statement,
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("name", list(REFUSALS))
async def test_an_operation_the_meeting_does_not_allow_gets_its_error_and_the_room_goes_on(
    name: str, flow_server: ServerProcess, connections: Connections
) -> None:
    case = REFUSALS[name]
    chair = await create_meeting(flow_server.url)
    members = {
        "chair": chair,
        "professional": await add_member(flow_server.url, chair, "professional", "Social worker"),
        "teacher": await add_member(flow_server.url, chair, "professional", "Teacher"),
        "family": await add_member(flow_server.url, chair, "family", "Mum"),
    }
    clients = {who: await connections.connect(flow_server.ws_url, member) for who, member in members.items()}
    for who, op in case.setup:
        assert (await clients[who].request(op))["type"] == "ack", (who, op)
    before = (await board_over_http(flow_server.url, chair))["seq"]

    error = await clients[case.who].request(case.op)

    assert error["type"] == "error" and error["code"] == case.code, error
    assert error["message"], "a refusal says why in plain words"
    case.check(error)
    after = await board_over_http(flow_server.url, chair)
    assert after["seq"] == before, "a refused operation changes nothing"
    # The room goes on: the next change is accepted and reaches every screen, the refused one included.
    bystander = "teacher" if case.who != "teacher" else "professional"
    goes_on = await clients[bystander].request(
        {"type": "add_card", "column": "worries", "kind": "harm", "text": "Jo was late 5 times"}
    )
    assert goes_on["type"] == "ack" and goes_on["seq"] == before + 1
    if case.code == "stale_version":
        retry = {**case.op, "base_version": error["current"]["version"]}
        assert (await clients[case.who].request(retry))["type"] == "ack", "shown the current words, they build on them"
    for who, client in clients.items():
        await client.sync_to(goes_on["seq"])
        kept_out = who == "family" and client.board["closed_part"]["active"]  # said while the family is out
        assert (client.card(goes_on["card_id"]) is None) is kept_out, who


# ---- a scripted conference -------------------------------------------------------------------------------

CANARIES = ("CANARYVOICE", "CANARYCARD", "CANARYSTATEMENT", "CANARYSTEP", "CANARYDISSENT", "CANARYREASON")


@dataclass
class Conference:
    """The three people doing the conference, each on their own device, and what the server accepted."""

    chair: BoardClient
    worker: BoardClient
    family: BoardClient
    accepted: set[str] = field(default_factory=set)
    last_seq: int = 0

    async def do(self, client: BoardClient, op: Op) -> dict[str, Any]:
        reply = await client.request(op)
        assert reply["type"] == "ack", (op, reply)
        self.accepted.add(op["type"])
        self.last_seq = max(self.last_seq, reply["seq"])
        return reply

    async def each(self, *scripts: Awaitable[object]) -> None:
        """People working at the same time: their operations interleave on the server."""
        await asyncio.gather(*scripts)


async def run_conference(conf: Conference) -> None:
    """From the welcome to the decision, touching every kind of operation; what is said in the closed part, and
    the child's words shared without consent, carry canaries."""
    chair, worker, family = conf.chair, conf.worker, conf.family
    do = conf.do
    checked_in: dict[str, str] = {}

    async def chair_welcomes() -> None:
        await do(chair, {"type": "add_child", "child_id": "jo", "name": "Jo", "age": 6})
        await do(chair, {"type": "add_child", "child_id": "sam", "name": "Sam", "age": 3})
        await do(chair, {"type": "add_child", "child_id": "typo", "name": "Sma"})
        await do(chair, {"type": "remove_child", "child_id": "typo"})
        await do(chair, {"type": "add_attendee", "attendee_id": "gran", "name": "Gran", "group": "family"})
        await do(
            chair,
            {
                "type": "add_attendee",
                "attendee_id": "hv",
                "name": "Pat",
                "role_label": "Health visitor",
                "status": "apologies",
            },
        )
        await do(chair, {"type": "add_attendee", "attendee_id": "extra", "name": "Wrong room"})
        await do(chair, {"type": "remove_attendee", "attendee_id": "extra"})
        await do(chair, {"type": "set_phase", "phase": "worries", "from_phase": "welcome", "timer_minutes": 20})

    async def worker_arrives() -> None:
        checked_in["worker"] = (await do(worker, {"type": "check_in"}))["card_id"]
        await do(worker, {"type": "add_card", "card_id": "k1", "column": "worries", "kind": "harm", "text": "Bruise"})
        await do(
            worker,
            {"type": "add_card", "card_id": "k2", "column": "worries", "kind": "complicating_factor", "text": "Drink"},
        )
        await do(worker, {"type": "add_network_member", "member_id": "m1", "name": "Gran", "relationship": "Gran"})

    async def family_arrives() -> None:
        checked_in["family"] = (await do(family, {"type": "check_in"}))["card_id"]
        await do(
            family,
            {"type": "add_card", "card_id": "k3", "column": "working_well", "kind": "strength", "text": "I walk Jo"},
        )

    await conf.each(chair_welcomes(), worker_arrives(), family_arrives())

    async def chair_records_attendance() -> None:
        for attendee_id in checked_in.values():
            await do(chair, {"type": "confirm_attendee", "attendee_id": attendee_id})
        await do(
            chair,
            {
                "type": "edit_attendee",
                "attendee_id": "hv",
                "base_version": 1,
                "name": "Pat",
                "role_label": "Health visitor",
                "group": "professional",
                "report_sent": True,
            },
        )
        await do(chair, {"type": "edit_child", "child_id": "jo", "base_version": 1, "name": "Jo", "age": 7})
        await do(chair, {"type": "set_phase", "phase": "working_well", "from_phase": "worries"})
        await do(chair, {"type": "set_timer", "minutes": 15})

    async def worker_maps() -> None:
        await do(
            worker,
            {"type": "edit_card", "card_id": "k1", "base_version": 1, "text": "Bruise on arm", "child_ids": ["jo"]},
        )
        await do(worker, {"type": "move_card", "card_id": "k2", "column": "worries", "position": 0})
        await do(
            worker, {"type": "add_statement", "statement_id": "s1", "behaviour": "Dad drinks", "child_ids": ["jo"]}
        )
        await do(worker, {"type": "add_statement", "statement_id": "s2", "behaviour": "Duplicate"})
        await do(worker, {"type": "delete_statement", "statement_id": "s2", "base_version": 1})
        await do(
            worker,
            {"type": "set_safety_goal", "statement_id": "s1", "base_version": 0, "adults_will": "Dad stops drinking"},
        )
        voice = {"type": "add_child_words", "child_id": "jo"}
        await do(worker, {**voice, "voice_id": "v1", "house": "dreams", "words": "A dog", "shared": True})
        await do(worker, {**voice, "voice_id": "v2", "house": "worries", "words": "CANARYVOICE", "shared": False})
        await do(worker, {**voice, "voice_id": "v3", "house": "good_things", "words": "Oops", "shared": True})
        await do(worker, {"type": "delete_child_words", "voice_id": "v3", "base_version": 1})
        await do(
            worker,
            {
                "type": "edit_child_words",
                "voice_id": "v1",
                "base_version": 1,
                "house": "dreams",
                "words": "A dog and a garden",
                "shared": True,
            },
        )

    async def family_maps() -> None:
        add = {"type": "add_card", "column": "working_well", "kind": "strength"}
        await do(family, {**add, "card_id": "k4", "text": "Gran helps"})
        await do(family, {"type": "edit_card", "card_id": "k3", "base_version": 1, "text": "I walk Jo to school"})
        await do(family, {"type": "move_card", "card_id": "k4", "column": "working_well", "position": 0})
        await do(family, {"type": "delete_card", "card_id": "k4", "base_version": 1})

    await conf.each(chair_records_attendance(), worker_maps(), family_maps())
    await do(family, {"type": "set_family_view", "statement_id": "s1", "base_version": 0, "agreement": "partly"})
    await do(chair, {"type": "set_focus", "entity": "statement", "item_id": "s1"})

    # Scaling at the start: everyone on their own, the chair for Gran; then the reveal.
    await do(chair, {"type": "open_round", "round_id": "r1", "label": "start"})
    await conf.each(
        do(chair, {"type": "answer_for", "round_id": "r1", "attendee_id": "gran", "value": 6}),
        _answer(conf, worker, "r1", 3),
        _answer(conf, family, "r1", 8),
    )
    await do(chair, {"type": "reveal_round", "round_id": "r1"})

    # The closed part: the family steps out; what is said now is kept from them.
    await do(chair, {"type": "start_closed_part"})
    refused = await family.request({"type": "add_card", "column": "worries", "kind": "harm", "text": "x"})
    assert refused["type"] == "error" and refused["code"] == "closed_part_running"
    await conf.each(
        _closed_part_worker(conf),
        _closed_part_chair(conf),
    )
    await do(chair, {"type": "end_closed_part"})

    # The plan and the scaling at the end, the family back in the room.
    async def worker_plans() -> None:
        step = {"type": "add_step", "what": "Dad sees the GP", "who": {"kind": "network", "member_id": "m1"}}
        await do(worker, {**step, "step_id": "t1", "by_when": "2026-12-20"})
        await do(
            worker,
            {"type": "edit_step", "step_id": "t1", "base_version": 1, "what": "Dad sees the GP about drinking"},
        )
        await do(worker, {"type": "add_step", "step_id": "t2", "what": "Twice"})
        await do(worker, {"type": "delete_step", "step_id": "t2", "base_version": 1})
        await do(worker, {"type": "add_network_member", "member_id": "m2", "name": "Neighbour"})
        await do(worker, {"type": "remove_network_member", "member_id": "m2", "base_version": 1})
        await do(
            worker,
            {
                "type": "edit_network_member",
                "member_id": "m1",
                "base_version": 1,
                "name": "Gran",
                "agreed_to": "Fridays",
            },
        )
        await do(
            worker, {"type": "edit_statement", "statement_id": "s1", "base_version": 1, "behaviour": "Dad drinks a lot"}
        )

    async def chair_plans() -> None:
        await do(chair, {"type": "set_phase", "phase": "plan"})
        await do(chair, {"type": "set_plan_dates", "review_conference": "2027-03-01", "core_group": "2026-12-14"})
        await do(chair, {"type": "set_attendance", "attendee_id": "gran", "status": "left"})

    await conf.each(worker_plans(), chair_plans())
    await do(chair, {"type": "open_round", "round_id": "r2", "statement_id": "s1", "label": "end"})
    await conf.each(_answer(conf, chair, "r2", 5), _answer(conf, worker, "r2", 5), _answer(conf, family, "r2", 9))
    await do(chair, {"type": "reveal_round", "round_id": "r2"})

    # The decision, per child.
    async def chair_decides() -> None:
        await do(chair, {"type": "set_phase", "phase": "decision", "from_phase": "plan"})
        cpp = {"outcome": "child_protection_plan", "categories": ["neglect"]}
        await do(chair, {"type": "record_decision", "child_id": "jo", "base_version": 0, **cpp, "reasons": "Bruises"})
        await do(chair, {"type": "record_decision", "child_id": "sam", "base_version": 0, "outcome": "no_plan"})
        await do(chair, {"type": "clear_decision", "child_id": "sam", "base_version": 1})
        note = {"type": "add_decision_note", "child_id": "jo", "kind": "recommendation", "categories": ["neglect"]}
        await do(chair, {**note, "note_id": "n2", "who": "Police", "recommends": "child_protection_plan"})
        await do(chair, {**note, "note_id": "n3", "who": "Typo", "recommends": "child_protection_plan"})
        await do(chair, {"type": "remove_decision_note", "note_id": "n3"})
        await do(chair, {"type": "set_restricted", "entity": "card", "item_id": "k1", "restricted": True})
        await do(chair, {"type": "set_restricted", "entity": "card", "item_id": "k1", "restricted": False})
        await do(chair, {"type": "set_focus", "entity": "round", "item_id": "r2"})

    async def family_gives_view() -> None:
        await do(
            family,
            {"type": "set_decision_view", "child_id": "jo", "base_version": 0, "agreement": "disagree", "words": "No"},
        )

    await conf.each(chair_decides(), family_gives_view())
    # The record: finalised, then one correction after it, as an addendum.
    await conf.do(chair, {"type": "finalise"})
    await conf.do(chair, {"type": "add_addendum", "text": "The review is on 3 March.", "reason": "Date moved."})


async def _answer(conf: Conference, client: BoardClient, round_id: str, value: int) -> None:
    await conf.do(client, {"type": "answer_round", "round_id": round_id, "value": value, "reason": f"because {value}"})


async def _closed_part_worker(conf: Conference) -> None:
    worker = conf.worker
    await conf.do(
        worker, {"type": "add_card", "card_id": "k5", "column": "worries", "kind": "harm", "text": "CANARYCARD"}
    )
    await conf.do(worker, {"type": "add_statement", "statement_id": "s3", "behaviour": "CANARYSTATEMENT"})
    await conf.do(worker, {"type": "add_step", "step_id": "t3", "what": "CANARYSTEP"})


async def _closed_part_chair(conf: Conference) -> None:
    chair = conf.chair
    await conf.do(chair, {"type": "open_round", "round_id": "r9", "label": "other"})
    await conf.do(chair, {"type": "answer_round", "round_id": "r9", "value": 1, "reason": "CANARYREASON"})
    await conf.do(chair, {"type": "reveal_round", "round_id": "r9"})
    await conf.do(
        chair,
        {"type": "add_decision_note", "child_id": "jo", "kind": "dissent", "who": "School", "reason": "CANARYDISSENT"},
    )


async def assert_converged(
    conf: Conference,
    copies: list[tuple[BoardClient, Member, str, str]],
) -> None:
    """Each copy, built from events, equals a fresh hello for the same person (on `ws_url`) and their GET /board
    (on `base_url`)."""
    for client, member, ws_url, base_url in copies:
        await client.sync_to(conf.last_seq)
        fresh = await BoardClient.connect(ws_url, member)
        try:
            assert fresh.hello["seq"] == conf.last_seq
            assert client.board == fresh.hello["board"], f"the {member.role}'s copy drifted from a fresh hello"
            assert client.board == await board_over_http(base_url, member), f"the {member.role}'s copy != GET /board"
        finally:
            await fresh.close()


def assert_nothing_kept_reached(client: BoardClient, http_text: str) -> None:
    text = client.received_text() + http_text
    leaked = [canary for canary in CANARIES if canary in text]
    assert not leaked, f"the family received what was kept from them: {leaked}"


@pytest.mark.asyncio
async def test_three_devices_through_a_whole_conference_converge_on_the_same_meeting(
    flow_server: ServerProcess, connections: Connections
) -> None:
    server = flow_server
    chair = await create_meeting(server.url, chair="Ann Chair")
    worker = await add_member(server.url, chair, "professional", "Social worker")
    mum = await add_member(server.url, chair, "family", "Mum")
    conf = Conference(
        await connections.connect(server.ws_url, chair),
        await connections.connect(server.ws_url, worker),
        await connections.connect(server.ws_url, mum),
    )

    await run_conference(conf)

    assert conf.accepted == {op.value for op in OpType}, "the script uses every operation"
    await assert_converged(
        conf,
        [
            (conf.chair, chair, server.ws_url, server.url),
            (conf.worker, worker, server.ws_url, server.url),
            (conf.family, mum, server.ws_url, server.url),
        ],
    )
    assert conf.chair.board == conf.worker.board, "every round is revealed: the chair and the worker see the same"
    full = await board_text_over_http(server.url, chair)
    assert all(canary in full for canary in CANARIES)
    assert_nothing_kept_reached(conf.family, await board_text_over_http(server.url, mum))
    assert conf.family.card("k1") is not None and conf.family.board["focus"]["item_id"] == "r2"


@pytest.fixture
def two_servers(postgres_database: str, redis_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    settings = {"ops_per_second": "1000", "ops_burst": "1000"}
    first = ServerProcess(postgres_database, redis_url, **settings).start()
    try:
        second = ServerProcess(postgres_database, redis_url, **settings).start()
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.asyncio
async def test_a_conference_across_two_processes_converges_and_keeps_the_closed_part_from_the_family(
    two_servers: tuple[ServerProcess, ServerProcess], connections: Connections
) -> None:
    a, b = two_servers
    chair = await create_meeting(a.url, chair="Ann Chair")
    worker = await add_member(a.url, chair, "professional", "Social worker")
    mum = await add_member(b.url, chair, "family", "Mum")
    # The chair and the worker write on process A; the family's tablet, and a second screen of the chair's,
    # are served by process B, so everything reaches them through Redis.
    conf = Conference(
        await connections.connect(a.ws_url, chair),
        await connections.connect(a.ws_url, worker),
        await connections.connect(b.ws_url, mum),
    )
    chair_on_b = await connections.connect(b.ws_url, chair)

    await run_conference(conf)

    assert conf.accepted == {op.value for op in OpType}
    await assert_converged(
        conf,
        [
            (conf.chair, chair, b.ws_url, b.url),
            (conf.worker, worker, b.ws_url, a.url),
            (conf.family, mum, a.ws_url, b.url),
            (chair_on_b, chair, a.ws_url, a.url),
        ],
    )
    assert conf.chair.board == chair_on_b.board == conf.worker.board
    assert_nothing_kept_reached(conf.family, await board_text_over_http(a.url, mum))
