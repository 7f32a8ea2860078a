"""The role x operation table (app.domain.roles.PERMISSIONS), tested cell by cell over the websocket.

For every role and every operation type, someone in that role sends one valid operation (built by
tests/support/conference_ops.py, shared with the domain tests) on a meeting where it applies: it is acked exactly
when the table allows it, and otherwise refused with `forbidden` and changes nothing. For `own` scopes, it is
accepted on the role's own item and forbidden on someone else's.

One server serves the whole module. Refused cells share one fixture meeting (a refusal changes nothing, which
each cell checks); an accepted cell, which changes its meeting, gets a fresh one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, Connections, Member, add_member, board_over_http, create_meeting
from tests.support.conference_ops import Cell, MeetingFixture, Step, case_for, cells, setup_steps

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURE = MeetingFixture()
CELLS = list(cells())
NAMES = {
    "chair": "Ann Chair",
    "professional": "Social worker",
    "family": "Mum",
    "projector": "Room screen",
    "observer": "Minute taker",
}


@dataclass
class FixtureMeeting:
    """The fixture meeting on the server, with one connected person per role (by role name)."""

    members: dict[str, Member]
    clients: dict[str, BoardClient]

    async def run(self, steps: list[Step]) -> None:
        for author, op in steps:
            reply = await self.clients[author].request(op)
            assert reply["type"] == "ack", f"setting up, {author} {op['type']}: {reply}"


@pytest.fixture(scope="module")
def permissions_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database: Path = tmp_path_factory.mktemp("permissions") / "board.db"
    # The module's connections are shared across tests and sit unserviced while other event loops run, as no real
    # device does: the server's pings must wait longer for them than for a tablet.
    process = ServerProcess(
        f"sqlite+aiosqlite:///{database}", ops_per_second="1000", ops_burst="1000", ws_ping_timeout_seconds="60"
    ).start()
    try:
        yield process
    finally:
        process.stop()


async def build_meeting(server: ServerProcess, connections: Connections, roles: set[str]) -> FixtureMeeting:
    """A new meeting with the fixture's people and items, with connections for `roles` (and the authors)."""
    chair = await create_meeting(server.url, chair=NAMES["chair"])
    members = {"chair": chair}
    for role in sorted(roles | {"professional", "family"}):
        if role != "chair":
            members[role] = await add_member(server.url, chair, role, NAMES[role])
    clients = {role: await connections.connect(server.ws_url, member) for role, member in members.items()}
    meeting = FixtureMeeting(members, clients)
    await meeting.run(setup_steps(FIXTURE))
    return meeting


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_connections() -> AsyncIterator[Connections]:
    connections = Connections()
    yield connections
    await connections.close_all()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def refusing_meeting(permissions_server: ServerProcess, shared_connections: Connections) -> FixtureMeeting:
    """One fixture meeting, with every role connected, for all the cells that must be refused."""
    return await build_meeting(permissions_server, shared_connections, set(NAMES))


@pytest_asyncio.fixture(loop_scope="module")
async def connections() -> AsyncIterator[Connections]:
    connections = Connections()
    yield connections
    await connections.close_all()


@pytest.mark.parametrize("cell", CELLS, ids=[cell.id for cell in CELLS])
async def test_a_role_may_do_exactly_what_the_table_says(
    cell: Cell,
    permissions_server: ServerProcess,
    refusing_meeting: FixtureMeeting,
    connections: Connections,
) -> None:
    case = case_for(cell.op_type, FIXTURE, cell.owner)
    role = cell.role.value
    if cell.expected == "forbidden" and not case.before:
        meeting = refusing_meeting
    else:
        meeting = await build_meeting(permissions_server, connections, {role})
    await meeting.run(case.before)
    before = (await board_over_http(permissions_server.url, meeting.members["chair"]))["seq"]

    reply = await meeting.clients[role].request(case.op)

    if cell.expected == "accepted":
        assert reply["type"] == "ack", f"a {role} may {cell.op_type.value} ({cell.owner}'s item), but: {reply}"
        assert reply["seq"] == before + 1
        watcher = meeting.clients["chair" if role != "chair" else "professional"]
        await watcher.sync_to(reply["seq"])  # the room sees it
    else:
        assert reply["type"] == "error" and reply["code"] == "forbidden", (
            f"a {role} may not {cell.op_type.value} ({cell.owner}'s item), but: {reply}"
        )
        board = await board_over_http(permissions_server.url, meeting.members["chair"])
        assert board["seq"] == before, "a refused operation changes nothing"
