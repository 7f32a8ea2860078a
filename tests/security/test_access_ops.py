"""Websocket operations that try to reach past their connection: another meeting's items, or fields that claim to
be someone, somewhere or something else.

Both tables are generated from the operation models (the `Operation` union) and the op builders of
tests/support/conference_ops.py, so an operation added later is covered here once it has a builder (a missing one
fails `case_for` with a KeyError that says so).

- Another meeting's ids: meeting B is the conference fixture (items with known, client-chosen ids) with its free
  text marked by a canary word; meeting A is empty. A's chair sends one operation of every type, written for B's
  items. Every operation that names one of B's items is refused; nothing of B ever reaches A's connection (acks,
  errors, and the `current` of a stale-version error included) nor A's board; and B does not change. Then A's
  chair re-adds B's items with B's very ids: each lands in A only, and B is still unchanged.
- Forged fields: every operation, once per forged field it does not itself have (author, role, meeting, seq,
  version, read_only, finalised, submitted_by, edited_by...), and the frame around it with such a field: refused
  as `invalid`; the meeting's seq does not move and the connection stays open.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, get_args

import httpx
import pytest
import pytest_asyncio
from pydantic import BaseModel

from app.domain.operations import AnyOperation
from app.domain.roles import OpType
from realtime.protocol import ClientFrame
from tests.conftest import ServerProcess
from tests.security.access_world import start_server
from tests.support.clients import BoardClient, Connections, Member, add_member, board_over_http, create_meeting
from tests.support.conference_ops import MeetingFixture, case_for, setup_steps

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURE = MeetingFixture()
MARK = "Kinkajou"
"""Marks every free text of meeting B: finding it anywhere in meeting A is a cross-meeting read."""
FREE_TEXT = {
    "text",
    "name",
    "behaviour",
    "impact",
    "if_nothing_changes",
    "who_is_worried",
    "what",
    "words",
    "reasons",
    "reason",
    "role_label",
    "who",
    "agreed_to",
    "relationship",
}
FORGED_FIELDS: dict[str, Any] = {
    "author_id": "someone-else",
    "actor_id": "someone-else",
    "participant_id": "someone-else",
    "meeting_id": "another-meeting",
    "role": "chair",
    "seq": 1,
    "version": 7,
    "read_only": False,
    "finalised": None,
    "submitted_by": "someone-else",
    "edited_by": "someone-else",
    "created_by": "someone-else",
    "restricted": False,
    "revealed": True,
}
"""What a client might add to claim another author, role, meeting or state."""


def operation_models() -> dict[str, type[BaseModel]]:
    union = get_args(AnyOperation)
    models = {str(model.model_fields["type"].default): model for model in union}
    assert set(models) == {op.value for op in OpType}, "the Operation union and OpType differ"
    return models


MODELS = operation_models()
FORGED_CELLS = [
    (op_type, name) for op_type, model in MODELS.items() for name in FORGED_FIELDS if name not in model.model_fields
]


def marked(op: dict[str, Any]) -> dict[str, Any]:
    """The op with its free text marked as meeting B's."""
    return {
        key: f"{MARK} {value}" if key in FREE_TEXT and isinstance(value, str) else value for key, value in op.items()
    }


def ids_of_b() -> set[str]:
    """Every id the fixture gives an item of meeting B."""
    found: set[str] = set()
    for value in vars(FIXTURE).values():
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            found.update(v for key, v in value.items() if key != "people")
    found -= set(FIXTURE.people.values())
    return found


def names_an_item_of_b(op: dict[str, Any]) -> bool:
    text = json.dumps(op)
    return any(f'"{item_id}"' in text for item_id in ids_of_b())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = start_server(tmp_path_factory.mktemp("access-ops") / "board.db")
    try:
        yield process
    finally:
        process.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def connections() -> AsyncIterator[Connections]:
    connections = Connections()
    yield connections
    await connections.close_all()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def meeting_b(server: ServerProcess, connections: Connections) -> Member:
    """The conference fixture, every free text marked; its chair."""
    chair = await create_meeting(server.url, title=f"{MARK} meeting", chair=f"{MARK} Chair")
    members = {"chair": chair}
    for role in ("professional", "family"):
        members[role] = await add_member(server.url, chair, role, f"{MARK} {role}")
    clients = {role: await connections.connect(server.ws_url, member) for role, member in members.items()}
    for author, op in setup_steps(FIXTURE):
        reply = await clients[author].request(marked(op))
        assert reply["type"] == "ack", f"setting up B, {author} {op['type']}: {reply}"
    return chair


async def b_as_its_chair_sees_it(server: ServerProcess, chair: Member) -> dict[str, Any]:
    board = await board_over_http(server.url, chair)
    board.pop("presence", None)
    return board


async def test_another_meetings_ids_in_an_operation_are_refused_and_read_nothing(
    server: ServerProcess, meeting_b: Member
) -> None:
    b_before = await b_as_its_chair_sees_it(server, meeting_b)
    chair_a = await create_meeting(server.url, title="Meeting A", chair="Chair A")
    client_a = await BoardClient.connect(server.ws_url, chair_a)
    try:
        naming_b = 0
        for op_type in OpType:
            op = case_for(op_type, FIXTURE, "chair").op
            reply = await client_a.request(op)
            if names_an_item_of_b(op):
                naming_b += 1
                assert reply["type"] == "error", f"A's {op_type.value} on B's item was accepted: {reply}"
                assert reply["code"] != "forbidden", "refused as not there, not as not allowed"
        assert naming_b >= 30, "most operations name an item; the fixture's ids must be seen in them"
        received = client_a.received_text()
        board_a = json.dumps(await board_over_http(server.url, chair_a))
    finally:
        await client_a.close()
    assert MARK not in received, "something of meeting B reached meeting A's connection"
    assert MARK not in board_a, "something of meeting B is in meeting A"
    assert await b_as_its_chair_sees_it(server, meeting_b) == b_before, "meeting B changed"


async def test_re_adding_another_meetings_items_with_their_ids_touches_only_this_meeting(
    server: ServerProcess, meeting_b: Member
) -> None:
    """Item ids are chosen by clients: two meetings holding the same id must stay two items."""
    b_before = await b_as_its_chair_sees_it(server, meeting_b)
    chair_a = await create_meeting(server.url, title="Meeting A2", chair="Chair A2")
    members_a = {"chair": chair_a}
    for role in ("professional", "family"):
        members_a[role] = await add_member(server.url, chair_a, role, f"A2 {role}")
    clients = {role: await BoardClient.connect(server.ws_url, member) for role, member in members_a.items()}
    try:
        for author, op in setup_steps(FIXTURE):
            reply = await clients[author].request(op)
            assert reply["type"] == "ack", f"A2 {author} {op['type']} with B's ids: {reply}"
        edit = {"type": "edit_card", "card_id": FIXTURE.cards["chair"], "base_version": 1, "text": "A2's own words"}
        assert (await clients["chair"].request(edit))["type"] == "ack"
        received = "".join(client.received_text() for client in clients.values())
    finally:
        for client in clients.values():
            await client.close()
    board_a = await board_over_http(server.url, chair_a)
    assert MARK not in received and MARK not in json.dumps(board_a)
    assert "A2's own words" in json.dumps(board_a)
    assert await b_as_its_chair_sees_it(server, meeting_b) == b_before, "meeting B changed"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def forger(server: ServerProcess, meeting_b: Member, connections: Connections) -> BoardClient:
    """Meeting B's chair, on a connection of its own (the chair may send every operation)."""
    return await connections.connect(server.ws_url, meeting_b)


async def pong(client: BoardClient) -> None:
    """A valid frame between forged ones: the server closes a connection after many bad frames in a row."""
    await client.socket.send(json.dumps({"type": "ping"}))
    await client.receive_until(lambda frame: frame["type"] == "pong")


@pytest.mark.parametrize(("op_type", "forged"), FORGED_CELLS, ids=[f"{t}-{f}" for t, f in FORGED_CELLS])
async def test_a_forged_field_in_an_operation_is_invalid_and_changes_nothing(
    forger: BoardClient, op_type: str, forged: str
) -> None:
    op = case_for(OpType(op_type), FIXTURE, "chair").op
    seq = forger.seq

    reply = await forger.request({**op, forged: FORGED_FIELDS[forged]})

    assert (reply["type"], reply.get("code")) == ("error", "invalid"), reply
    await pong(forger)
    assert forger.seq == seq, "nothing was applied"


@pytest.mark.parametrize("forged", list(FORGED_FIELDS))
async def test_a_forged_field_beside_the_operation_is_invalid(forger: BoardClient, forged: str) -> None:
    frame = {"type": "op", "op_id": f"forged-{forged}", "op": case_for(OpType.add_card, FIXTURE, "chair").op}
    seq = forger.seq

    await forger.socket.send(json.dumps({**frame, forged: FORGED_FIELDS[forged]}))
    reply = await forger.receive_until(lambda f: f["type"] == "error")

    assert reply["code"] == "invalid", reply
    await pong(forger)
    assert forger.seq == seq


OTHER_FRAMES: dict[str, dict[str, Any]] = {
    "ping": {"type": "ping"},
    "editing": {"type": "editing", "entity": "card", "item_id": FIXTURE.cards["chair"]},
}
"""A valid example of every client frame but `op` (whose forged fields are above)."""


async def test_every_client_frame_has_an_example_here() -> None:
    members = get_args(get_args(ClientFrame)[0])
    assert {str(model.model_fields["type"].default) for model in members} == {"op", *OTHER_FRAMES}


@pytest.mark.parametrize(("frame_type", "forged"), [(t, f) for t in OTHER_FRAMES for f in FORGED_FIELDS])
async def test_a_forged_field_in_any_other_frame_is_invalid(forger: BoardClient, frame_type: str, forged: str) -> None:
    await forger.socket.send(json.dumps({**OTHER_FRAMES[frame_type], forged: FORGED_FIELDS[forged]}))
    reply = await forger.receive_until(lambda f: f["type"] == "error")

    assert reply["code"] == "invalid", reply
    await pong(forger)


async def test_after_every_forgery_the_meeting_is_as_it_was(server: ServerProcess, meeting_b: Member) -> None:
    """Runs last in the module: no forged operation reached the log."""
    board = await board_over_http(server.url, meeting_b)
    assert board["seq"] == len(setup_steps(FIXTURE))
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/health")).status_code == 200
