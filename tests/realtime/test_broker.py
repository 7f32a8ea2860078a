"""The broker behind one interface: `memory://` in one process, `redis://` across processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from realtime import broker as broker_module
from realtime.broker import SUBSCRIBER_QUEUE, RedisBroker, RoomBroker, broker_from_url
from tests.conftest import REDIS_URL

WAIT = 5.0


@pytest_asyncio.fixture(params=["memory://", pytest.param(REDIS_URL, marks=pytest.mark.redis)])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[RoomBroker]:
    instance = broker_from_url(str(request.param))
    yield instance
    await instance.close()


def meeting() -> str:
    return uuid.uuid4().hex


async def next_message(iterator: AsyncIterator[str]) -> str:
    return await asyncio.wait_for(anext(iterator), WAIT)


@pytest.mark.asyncio
async def test_a_message_reaches_every_subscriber_of_its_meeting_only(broker: RoomBroker) -> None:
    here, elsewhere = meeting(), meeting()
    async with broker.subscribe(here) as first, broker.subscribe(here) as second, broker.subscribe(elsewhere) as other:
        await broker.publish(elsewhere, "for the other meeting")
        await broker.publish(here, "card added")
        assert await next_message(aiter(first)) == "card added"
        assert await next_message(aiter(second)) == "card added"
        assert await next_message(aiter(other)) == "for the other meeting"


@pytest.mark.asyncio
async def test_a_room_alone_in_its_meeting_is_told_nobody_else_would_hear_only_in_one_process(
    broker: RoomBroker,
) -> None:
    # Rooms skip publishing what only they would hear: on memory://, a room alone in its meeting; through Redis,
    # never (another process may have a room of the meeting).
    here = meeting()
    async with broker.subscribe(here) as own:
        assert broker.reaches_other_rooms(here, own) is isinstance(broker, RedisBroker)
        async with broker.subscribe(here):  # another registry on the same broker: another process's room
            assert broker.reaches_other_rooms(here, own)
        assert broker.reaches_other_rooms(here, own) is isinstance(broker, RedisBroker)


@pytest.mark.asyncio
async def test_messages_arrive_in_the_order_they_were_published(broker: RoomBroker) -> None:
    here = meeting()
    async with broker.subscribe(here) as subscription:
        for n in range(50):
            await broker.publish(here, str(n))
        stream = aiter(subscription)
        assert [await next_message(stream) for _ in range(50)] == [str(n) for n in range(50)]


@pytest.mark.asyncio
async def test_a_subscriber_that_never_reads_loses_messages_instead_of_blocking_the_publisher(
    broker: RoomBroker,
) -> None:
    here = meeting()
    async with broker.subscribe(here) as stalled, broker.subscribe(here) as reader:
        stream = aiter(reader)
        for n in range(SUBSCRIBER_QUEUE + 50):
            await broker.publish(here, str(n))
            # The reading subscriber keeps up; the stalled one is never read.
            assert await next_message(stream) == str(n)
        # The stalled inbox kept its first SUBSCRIBER_QUEUE messages and dropped the rest (the room refills
        # such gaps from the op log).
        assert stalled.queue.qsize() == SUBSCRIBER_QUEUE  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_presence_lists_live_entries_and_forgets_removed_ones(broker: RoomBroker) -> None:
    here = meeting()
    await broker.presence_set(here, "conn-1", {"participant_id": "p1", "display_name": "Ann"})
    await broker.presence_set(here, "conn-2", {"participant_id": "p2", "display_name": "Sam"})
    assert sorted(e["display_name"] for e in await broker.presence_list(here)) == ["Ann", "Sam"]
    assert await broker.presence_list(meeting()) == []

    await broker.presence_remove(here, "conn-1")

    assert [e["display_name"] for e in await broker.presence_list(here)] == ["Sam"]


@pytest.mark.asyncio
async def test_a_connect_storm_of_presence_writes_waits_its_turn_and_leaves_the_broker_up(broker: RoomBroker) -> None:
    """Hundreds of screens arriving at once (a restart): many more writes at once than the pool has connections."""
    rooms = [meeting() for _ in range(10)]
    await asyncio.gather(
        *(
            broker.presence_set(room, f"conn-{k}", {"participant_id": f"p{k}", "display_name": f"Person {k}"})
            for room in rooms
            for k in range(40)
        )
    )
    assert [len(await broker.presence_list(room)) for room in rooms] == [40] * 10
    subscriber = meeting()
    async with broker.subscribe(subscriber) as inbox:
        await broker.publish(subscriber, "still here")  # raises BrokerUnavailable if the storm took it down
        assert await next_message(aiter(inbox)) == "still here"


@pytest.mark.asyncio
async def test_presence_of_a_process_that_stopped_renewing_expires(
    broker: RoomBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = meeting()
    monkeypatch.setattr(broker_module, "PRESENCE_LEASE_SECONDS", -1.0)  # leases already over when written
    await broker.presence_set(here, "conn-of-a-dead-process", {"participant_id": "p1", "display_name": "Ann"})
    assert await broker.presence_list(here) == []


def test_an_unknown_broker_url_is_refused_plainly() -> None:
    with pytest.raises(ValueError, match="memory:// or redis://"):
        broker_from_url("kafka://somewhere")
