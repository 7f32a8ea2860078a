"""GET /api/meetings/{id}/me: who this browser is in the meeting and what their role may do."""

from __future__ import annotations

import httpx
import pytest

from app.domain.roles import PERMISSIONS, Role
from tests.api._support import JoinAs, Member, OpenBrowser, assert_error, browser_with_cookie, create_meeting

CARD_OPS = ("add_card", "edit_card", "move_card", "delete_card")
EVERYTHING = dict.fromkeys(CARD_OPS, "any")
NOTHING = dict.fromkeys(CARD_OPS, "none")


def _row(role: str) -> dict[str, str]:
    return {op.value: scope.value for op, scope in PERMISSIONS[Role(role)].items()}


@pytest.mark.asyncio
async def test_the_chair_sees_the_meeting_and_themself(chair: Member) -> None:
    response = await chair.browser.get(chair.url("/me"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meeting"]["id"] == chair.meeting_id
    assert body["meeting"]["title"] == "Initial conference"
    assert body["participant"]["id"] == chair.participant_id
    assert body["participant"]["role"] == "chair"
    assert body["permissions"] == _row("chair")
    assert all(body["permissions"][op] == "any" for op in body["permissions"])


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("role", "permissions"),
    [
        ("professional", EVERYTHING),
        ("family", {"add_card": "any", "edit_card": "own", "move_card": "own", "delete_card": "own"}),
        ("projector", NOTHING),
        ("observer", NOTHING),
    ],
)
async def test_permissions_follow_the_role(join_as: JoinAs, role: str, permissions: dict[str, str]) -> None:
    member = await join_as(role, "Pat")

    body = (await member.browser.get(member.url("/me"))).json()

    assert body["participant"]["role"] == role
    assert body["participant"]["display_name"] == "Pat"
    assert {op: body["permissions"][op] for op in CARD_OPS} == permissions
    assert body["permissions"] == _row(role), "the whole row of the one table, mirrored for the UI"
    # Running the meeting is the chair's; taking part is everyone's who is in the room.
    assert body["permissions"]["set_phase"] == "none"
    assert body["permissions"]["answer_round"] == ("any" if role in ("professional", "family") else "none")


@pytest.mark.asyncio
async def test_without_a_cookie_is_401_not_signed_in(chair: Member, client: httpx.AsyncClient) -> None:
    assert_error(await client.get(chair.url("/me")), 401, "not_signed_in")


@pytest.mark.asyncio
async def test_a_forged_cookie_is_401_not_signed_in(chair: Member, open_browser: OpenBrowser) -> None:
    browser = await browser_with_cookie(open_browser, chair.cookie_name, "x" * 43)

    assert_error(await browser.get(chair.url("/me")), 401, "not_signed_in")


@pytest.mark.asyncio
async def test_being_signed_in_to_another_meeting_is_not_enough(chair: Member, open_browser: OpenBrowser) -> None:
    other = await create_meeting(await open_browser(), title="Another family's conference")

    # Signed in to the other meeting only: no cookie for this one.
    assert_error(await other.browser.get(chair.url("/me")), 401, "not_signed_in")
    # The other meeting's session copied under this meeting's cookie name.
    copied = await browser_with_cookie(open_browser, chair.cookie_name, other.session_token)
    assert_error(await copied.get(chair.url("/me")), 401, "not_signed_in")


@pytest.mark.asyncio
async def test_an_unknown_meeting_is_404_meeting_not_found(chair: Member, open_browser: OpenBrowser) -> None:
    """docs/protocol.md: after a failed connect, 404 from /me tells the page the meeting is gone (stop
    reconnecting), where 401 would send the family to ask the chair for a new link."""
    unknown = "0" * 32
    copied = await browser_with_cookie(open_browser, f"sos_{unknown}", chair.session_token)

    assert_error(await copied.get(f"/api/meetings/{unknown}/me"), 404, "meeting_not_found")
    without_cookie = await open_browser()
    assert_error(await without_cookie.get(f"/api/meetings/{unknown}/me"), 404, "meeting_not_found")
