"""Two app processes sharing PostgreSQL and Redis serve one meeting as if they were one."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator

import pytest

from tests.conftest import ServerProcess
from tests.realtime.test_convergence import random_op
from tests.support.clients import BoardClient, add_member, board_over_http, create_meeting

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def two_servers(postgres_database: str, redis_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    settings = {"ops_per_second": "1000", "ops_burst": "1000"}
    first = ServerProcess(postgres_database, redis_url, **settings).start()
    second = ServerProcess(postgres_database, redis_url, **settings).start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


@pytest.mark.asyncio
async def test_clients_on_two_processes_converge_with_gap_free_seqs(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = two_servers
    chair = await create_meeting(a.url)
    worker = await add_member(a.url, chair, "professional", "Health visitor")
    clients = [
        await BoardClient.connect(a.ws_url, chair),
        await BoardClient.connect(b.ws_url, worker),
        await BoardClient.connect(b.ws_url, chair),
    ]
    seqs: list[int] = []

    async def work(client: BoardClient, seed: int) -> None:
        rng = random.Random(seed)
        for n in range(60):
            reply = await client.request(random_op(client, rng, n))
            if reply["type"] == "ack":
                seqs.append(reply["seq"])

    await asyncio.gather(*(work(c, seed) for seed, c in enumerate(clients)))
    assert sorted(seqs) == list(range(1, max(seqs) + 1))
    board = await board_over_http(b.url, chair)
    for client in clients:
        await client.sync_to(board["seq"])
        assert client.columns == board["columns"]
        await client.close()


@pytest.mark.asyncio
async def test_presence_is_shared_across_processes(two_servers: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = two_servers
    chair = await create_meeting(a.url, chair="Ann Chair")
    parent = await add_member(a.url, chair, "family", "Sam Parent")
    on_a = await BoardClient.connect(a.ws_url, chair)
    on_b = await BoardClient.connect(b.ws_url, parent)
    assert {p["display_name"] for p in on_b.hello["present"]} == {"Ann Chair", "Sam Parent"}

    seen = await on_a.receive_until(
        lambda f: f["type"] == "presence" and {p["display_name"] for p in f["present"]} == {"Ann Chair", "Sam Parent"}
    )
    assert seen["type"] == "presence"

    await on_b.close()
    left = await on_a.receive_until(
        lambda f: f["type"] == "presence" and [p["display_name"] for p in f["present"]] == ["Ann Chair"]
    )
    assert left["present"][0]["role"] == "chair"
    await on_a.close()


@pytest.mark.asyncio
async def test_revoking_on_one_process_closes_the_connection_on_the_other(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    import httpx
    from websockets.exceptions import ConnectionClosed

    a, b = two_servers
    chair = await create_meeting(a.url)
    parent = await add_member(a.url, chair, "family", "Parent")
    on_b = await BoardClient.connect(b.ws_url, parent)
    async with httpx.AsyncClient(base_url=a.url, headers={"Cookie": chair.cookie}) as http:
        response = await http.delete(f"/api/meetings/{chair.meeting_id}/participants/{parent.participant_id}/invite")
        assert response.status_code == 204
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await on_b.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
