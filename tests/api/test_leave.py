"""POST /api/meetings/{id}/leave: the family tablet's 'Leave this meeting'."""

from __future__ import annotations

import httpx
import pytest

from tests.api._support import (
    JoinAs,
    Member,
    OpenBrowser,
    assert_cookie_cleared,
    assert_error,
    browser_with_cookie,
    create_meeting,
    invite,
    join,
    token_of,
)


@pytest.mark.asyncio
async def test_leave_is_204_and_clears_the_cookie(join_as: JoinAs) -> None:
    family = await join_as("family")

    response = await family.browser.post(family.url("/leave"))

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_cookie_cleared(response, family.meeting_id)
    assert family.cookie_name not in family.browser.cookies
    assert_error(await family.browser.get(family.url("/me")), 401, "not_signed_in")


@pytest.mark.asyncio
async def test_the_old_session_no_longer_works_even_if_the_cookie_was_kept(
    join_as: JoinAs, open_browser: OpenBrowser
) -> None:
    family = await join_as("family")
    kept = family.session_token

    await family.browser.post(family.url("/leave"))

    copy = await browser_with_cookie(open_browser, family.cookie_name, kept)
    assert_error(await copy.get(family.url("/me")), 401, "not_signed_in")
    assert_error(await copy.get(family.url("/board")), 401, "not_signed_in")


async def joined_and_left(chair: Member, open_browser: OpenBrowser, role: str, name: str) -> tuple[str, str, Member]:
    """Someone the chair invited opens their link on a browser of their own and leaves: their participant id, their
    link's token, and them."""
    participant_id, token = await invite(chair, role, name)
    member = await join(await open_browser(), token)
    assert (await member.browser.post(member.url("/leave"))).status_code == 204
    return participant_id, token, member


@pytest.mark.asyncio
async def test_a_family_member_who_leaves_spends_their_link_so_the_tablets_history_opens_nothing(
    chair: Member, open_browser: OpenBrowser
) -> None:
    _participant_id, token, family = await joined_and_left(chair, open_browser, "family", "Sam Lee")

    next_person = await open_browser()
    assert_error(await next_person.post("/api/join", json={"token": token}), 404, "invite_not_found")
    listing = (await chair.browser.get(chair.url("/participants"))).json()
    assert {row["participant"]["id"]: row["invite"]["status"] for row in listing}[family.participant_id] == "revoked"


@pytest.mark.asyncio
async def test_the_chair_can_give_a_family_member_who_left_a_new_link(chair: Member, open_browser: OpenBrowser) -> None:
    participant_id, _token, _family = await joined_and_left(chair, open_browser, "family", "Sam Lee")

    reissued = await chair.browser.post(chair.url(f"/participants/{participant_id}/invite"))

    assert reissued.status_code == 201, reissued.text
    back = await join(await open_browser(), token_of(reissued.json()["invite_url"]))
    assert back.participant_id == participant_id


@pytest.mark.asyncio
async def test_a_professional_who_leaves_keeps_their_link_for_their_own_device(
    chair: Member, open_browser: OpenBrowser
) -> None:
    _participant_id, token, professional = await joined_and_left(chair, open_browser, "professional", "Jo Patel")

    again = await join(await open_browser(), token)
    assert again.participant_id == professional.participant_id


@pytest.mark.asyncio
async def test_leaving_ends_only_this_browsers_session(chair: Member, join_as: JoinAs) -> None:
    family = await join_as("family")

    await family.browser.post(family.url("/leave"))

    assert (await chair.browser.get(chair.url("/me"))).status_code == 200
    listing = (await chair.browser.get(chair.url("/participants"))).json()
    assert family.participant_id in {row["participant"]["id"] for row in listing}


@pytest.mark.asyncio
async def test_leaving_one_meeting_keeps_the_other(open_browser: OpenBrowser) -> None:
    browser = await open_browser()
    first = await create_meeting(browser, title="Morning conference")
    second = await create_meeting(browser, title="Afternoon conference")

    await browser.post(first.url("/leave"))

    assert (await browser.get(first.url("/me"))).status_code == 401
    assert (await browser.get(second.url("/me"))).status_code == 200


@pytest.mark.asyncio
async def test_leaving_when_not_signed_in_is_still_204(chair: Member, client: httpx.AsyncClient) -> None:
    """Pressing Leave twice, or after the chair revoked you, must not show an error on the tablet."""
    response = await client.post(chair.url("/leave"))

    assert response.status_code == 204, response.text
    assert_cookie_cleared(response, chair.meeting_id)
    assert (await chair.browser.get(chair.url("/me"))).status_code == 200


@pytest.mark.asyncio
async def test_another_meetings_session_sent_under_this_meetings_name_is_not_ended(
    chair: Member, open_browser: OpenBrowser
) -> None:
    other_browser = await open_browser()
    other = await create_meeting(other_browser, title="Another family")

    stray = await browser_with_cookie(open_browser, chair.cookie_name, other.session_token)
    assert (await stray.post(chair.url("/leave"))).status_code == 204

    assert (await other_browser.get(other.url("/me"))).status_code == 200
