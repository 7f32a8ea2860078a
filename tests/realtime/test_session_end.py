"""Leaving or being revoked closes the open connections it concerns (4401), and only those."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, add_member, create_meeting, invite, join


async def closed_with(client: BoardClient) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await client.receive()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


@pytest.mark.asyncio
async def test_leaving_closes_that_sessions_other_tabs_but_not_the_persons_other_device(
    server: ServerProcess,
) -> None:
    chair = await create_meeting(server.url)
    token = await invite(server.url, chair, "family", "Parent")
    tablet, phone = await join(server.url, token), await join(server.url, token)
    tablet_tab = await BoardClient.connect(server.ws_url, tablet)
    phone_tab = await BoardClient.connect(server.ws_url, phone)

    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": tablet.cookie}) as http:
        assert (await http.post(f"/api/meetings/{tablet.meeting_id}/leave")).status_code == 204

    assert await closed_with(tablet_tab) == 4401
    reply = await phone_tab.request(
        {"type": "add_card", "column": "working_well", "kind": "strength", "text": "Still here"}
    )
    assert reply["type"] == "ack"
    await phone_tab.close()


@pytest.mark.asyncio
async def test_revoking_closes_every_connection_of_that_person_only(server: ServerProcess) -> None:
    chair = await create_meeting(server.url)
    parent = await add_member(server.url, chair, "family", "Parent")
    parent_tab = await BoardClient.connect(server.ws_url, parent)
    chair_tab = await BoardClient.connect(server.ws_url, chair)

    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        response = await http.delete(f"/api/meetings/{chair.meeting_id}/participants/{parent.participant_id}/invite")
        assert response.status_code == 204

    assert await closed_with(parent_tab) == 4401
    reply = await chair_tab.request({"type": "add_card", "column": "worries", "kind": "harm", "text": "Still here"})
    assert reply["type"] == "ack"
    await chair_tab.close()
