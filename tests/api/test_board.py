"""GET /api/meetings/{id}/board: the board this participant's role may see, with its seq."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from app.domain.board import CardKind, Column
from app.domain.operations import Actor, AddCard
from app.domain.roles import Role
from tests.api._support import JoinAs, Member, OpenBrowser, assert_error, browser_with_cookie, create_meeting

COLUMNS = {"worries", "working_well", "needs_to_happen"}


@pytest.mark.asyncio
async def test_a_new_board_has_three_empty_columns_at_seq_0(chair: Member) -> None:
    response = await chair.browser.get(chair.url("/board"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["seq"] == 0
    assert body["read_only"] is False
    assert set(body["columns"]) == COLUMNS
    assert all(cards == [] for cards in body["columns"].values())


@pytest.mark.asyncio
async def test_shows_the_cards_in_their_columns_and_the_last_seq(app: FastAPI, chair: Member, join_as: JoinAs) -> None:
    family = await join_as("family", "Alex Parent")
    oplog = app.state.services.oplog
    await oplog.commit(
        chair.meeting_id,
        Actor(chair.participant_id, Role.chair),
        uuid.uuid4().hex,
        AddCard(column=Column.worries, kind=CardKind.harm, text="Bruise seen at school"),
    )
    await oplog.commit(
        chair.meeting_id,
        Actor(family.participant_id, Role.family),
        uuid.uuid4().hex,
        AddCard(column=Column.working_well, kind=CardKind.strength, text="Gran takes them to school"),
    )

    for member in (chair, family):
        body = (await member.browser.get(member.url("/board"))).json()
        assert body["seq"] == 2
        assert [c["text"] for c in body["columns"]["worries"]] == ["Bruise seen at school"]
        assert [c["text"] for c in body["columns"]["working_well"]] == ["Gran takes them to school"]
        assert body["columns"]["needs_to_happen"] == []
        assert body["columns"]["working_well"][0]["author_id"] == family.participant_id


@pytest.mark.asyncio
@pytest.mark.parametrize("role", ["professional", "family", "projector", "observer"])
async def test_every_role_sees_the_board(join_as: JoinAs, role: str) -> None:
    member = await join_as(role)

    response = await member.browser.get(member.url("/board"))

    assert response.status_code == 200, response.text
    assert set(response.json()["columns"]) == COLUMNS
    assert response.json()["seq"] == 0


@pytest.mark.asyncio
async def test_without_a_cookie_is_401_not_signed_in(chair: Member, client: httpx.AsyncClient) -> None:
    assert_error(await client.get(chair.url("/board")), 401, "not_signed_in")


@pytest.mark.asyncio
async def test_another_meetings_session_is_401(chair: Member, open_browser: OpenBrowser) -> None:
    other = await create_meeting(await open_browser(), title="Another conference")
    copied = await browser_with_cookie(open_browser, chair.cookie_name, other.session_token)

    assert_error(await copied.get(chair.url("/board")), 401, "not_signed_in")
