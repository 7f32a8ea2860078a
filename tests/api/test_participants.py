"""The chair's People panel: list, add, reissue and revoke, under /api/meetings/{id}/participants."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api._support import (
    JoinAs,
    Member,
    OpenBrowser,
    assert_error,
    browser_with_cookie,
    create_meeting,
    invite,
    join,
    token_of,
)


async def _statuses(chair: Member) -> dict[str, str]:
    response = await chair.browser.get(chair.url("/participants"))
    assert response.status_code == 200, response.text
    return {row["participant"]["id"]: row["invite"]["status"] for row in response.json()}


# --- list ---------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_lists_everyone_in_the_order_they_were_added(chair: Member, join_as: JoinAs) -> None:
    worker = await join_as("professional", "Sam Social Worker")
    family = await join_as("family", "Alex Parent")

    response = await chair.browser.get(chair.url("/participants"))

    assert response.status_code == 200, response.text
    rows = response.json()
    assert [row["participant"]["id"] for row in rows] == [
        chair.participant_id,
        worker.participant_id,
        family.participant_id,
    ]
    assert [row["participant"]["role"] for row in rows] == ["chair", "professional", "family"]
    assert rows[1]["participant"]["display_name"] == "Sam Social Worker"


@pytest.mark.asyncio
async def test_invite_status_is_active_then_used_then_revoked(chair: Member, client: httpx.AsyncClient) -> None:
    participant_id, token = await invite(chair, "family")
    assert (await _statuses(chair))[participant_id] == "active"
    # The chair signed in by creating the meeting, not through their link.
    assert (await _statuses(chair))[chair.participant_id] == "active"

    await join(client, token)
    assert (await _statuses(chair))[participant_id] == "used"

    await chair.browser.delete(chair.url(f"/participants/{participant_id}/invite"))
    assert (await _statuses(chair))[participant_id] == "revoked"

    await chair.browser.post(chair.url(f"/participants/{participant_id}/invite"))
    assert (await _statuses(chair))[participant_id] == "active"


@pytest.mark.asyncio
async def test_lists_only_this_meetings_people(chair: Member, open_browser: OpenBrowser) -> None:
    other = await create_meeting(await open_browser(), title="Another conference")
    stranger_id, _token = await invite(other, "family", "Someone Else")

    assert set(await _statuses(chair)) == {chair.participant_id}
    assert stranger_id in await _statuses(other)


# --- add ----------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_add_returns_the_person_and_their_invite_link(chair: Member) -> None:
    response = await chair.browser.post(
        chair.url("/participants"),
        json={"display_name": " Dr Lee ", "role": "professional", "agency": "Health visiting"},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["participant"] == {
        "id": body["participant"]["id"],
        "display_name": "Dr Lee",
        "role": "professional",
        "agency": "Health visiting",
    }
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", token_of(body["invite_url"]))
    assert "set-cookie" not in response.headers  # the chair stays the chair


@pytest.mark.asyncio
async def test_every_added_person_gets_their_own_link(chair: Member) -> None:
    first = await invite(chair, "family", "Alex")
    second = await invite(chair, "family", "Alex")

    assert first[0] != second[0]
    assert first[1] != second[1]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        {"display_name": "", "role": "family"},
        {"display_name": "x" * 81, "role": "family"},
        {"display_name": "\f" + "x" * 80, "role": "family"},
        {"display_name": "Alex", "role": "headteacher"},
        {"display_name": "Alex"},
        {"display_name": "Alex", "role": "family", "agency": "x" * 121},
        {"display_name": "Alex", "role": "family", "meeting_id": "x"},
    ],
    ids=["empty-name", "long-name", "long-name-as-sent", "unknown-role", "no-role", "long-agency", "extra-field"],
)
async def test_add_with_a_bad_body_is_422_invalid(chair: Member, body: dict[str, object]) -> None:
    assert_error(await chair.browser.post(chair.url("/participants"), json=body), 422, "invalid")
    assert set(await _statuses(chair)) == {chair.participant_id}


# --- reissue ------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_reissue_makes_the_old_link_fail_and_the_new_one_work(chair: Member, open_browser: OpenBrowser) -> None:
    participant_id, old_token = await invite(chair, "family", "Alex Parent")

    response = await chair.browser.post(chair.url(f"/participants/{participant_id}/invite"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["participant"]["id"] == participant_id
    new_token = token_of(body["invite_url"])
    assert new_token != old_token
    assert_error(await (await open_browser()).post("/api/join", json={"token": old_token}), 404, "invite_not_found")
    member = await join(await open_browser(), new_token)
    assert member.participant_id == participant_id


@pytest.mark.asyncio
async def test_reissue_leaves_a_signed_in_session_alone(chair: Member, join_as: JoinAs) -> None:
    """A new link is for a lost link, not for throwing someone out (that is revoke)."""
    family = await join_as("family")

    await chair.browser.post(chair.url(f"/participants/{family.participant_id}/invite"))

    assert (await family.browser.get(family.url("/me"))).status_code == 200


# --- revoke -------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_revoke_ends_the_session_and_the_link(chair: Member, open_browser: OpenBrowser) -> None:
    participant_id, token = await invite(chair, "professional")
    member = await join(await open_browser(), token)
    assert (await member.browser.get(member.url("/me"))).status_code == 200

    response = await chair.browser.delete(chair.url(f"/participants/{participant_id}/invite"))

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_error(await member.browser.get(member.url("/me")), 401, "not_signed_in")
    assert_error(await member.browser.get(member.url("/board")), 401, "not_signed_in")
    assert_error(await (await open_browser()).post("/api/join", json={"token": token}), 404, "invite_not_found")


@pytest.mark.asyncio
async def test_the_chair_cannot_revoke_their_own_link(chair: Member) -> None:
    response = await chair.browser.delete(chair.url(f"/participants/{chair.participant_id}/invite"))

    assert_error(response, 403, "forbidden")
    assert (await chair.browser.get(chair.url("/me"))).status_code == 200


@pytest.mark.asyncio
async def test_revoke_ends_every_session_of_that_person_only(chair: Member, open_browser: OpenBrowser) -> None:
    participant_id, token = await invite(chair, "family")
    tablet, phone = await join(await open_browser(), token), await join(await open_browser(), token)
    bystander = await join(await open_browser(), (await invite(chair, "family"))[1])

    await chair.browser.delete(chair.url(f"/participants/{participant_id}/invite"))

    for browser in (tablet, phone):
        assert_error(await browser.browser.get(browser.url("/me")), 401, "not_signed_in")
    assert (await bystander.browser.get(bystander.url("/me"))).status_code == 200
    assert (await chair.browser.get(chair.url("/me"))).status_code == 200


@pytest.mark.asyncio
async def test_revoke_twice_is_harmless(chair: Member) -> None:
    participant_id, _token = await invite(chair, "family")

    for _ in range(2):
        response = await chair.browser.delete(chair.url(f"/participants/{participant_id}/invite"))
        assert response.status_code == 204, response.text


# --- who may -------------------------------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/participants", None),
    ("POST", "/participants", {"display_name": "Alex", "role": "family"}),
    ("POST", "/participants/{pid}/invite", None),
    ("DELETE", "/participants/{pid}/invite", None),
]
ROUTE_IDS = ["list", "add", "reissue", "revoke"]


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("role", ["professional", "family", "projector", "observer"])
async def test_only_the_chair_may_manage_people_403_forbidden(
    chair: Member,
    join_as: JoinAs,
    open_browser: OpenBrowser,
    role: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    member = await join_as(role)
    target_id, target_token = await invite(chair, "family")

    response = await member.browser.request(method, member.url(path.format(pid=target_id)), json=body)

    assert_error(response, 403, "forbidden")
    # Nothing changed: nobody was added and the target's link still works.
    assert set(await _statuses(chair)) == {chair.participant_id, member.participant_id, target_id}
    assert (await _statuses(chair))[target_id] == "active"
    assert (await join(await open_browser(), target_token)).participant_id == target_id


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
async def test_without_a_cookie_is_401_not_signed_in(
    chair: Member, client: httpx.AsyncClient, method: str, path: str, body: dict[str, str] | None
) -> None:
    response = await client.request(method, chair.url(path.format(pid=chair.participant_id)), json=body)

    assert_error(response, 401, "not_signed_in")


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
async def test_an_unknown_meeting_is_404_meeting_not_found(
    chair: Member, open_browser: OpenBrowser, method: str, path: str, body: dict[str, str] | None
) -> None:
    """Not 401 and "ask the chair for a new link": there is no meeting to ask about (a made-up id, or a meeting
    purged since). A meeting id is 128 random bits: telling that one does not exist helps no guesser."""
    unknown = "0" * 32
    copied = await browser_with_cookie(open_browser, f"sos_{unknown}", chair.session_token)

    response = await copied.request(
        method, f"/api/meetings/{unknown}{path.format(pid=chair.participant_id)}", json=body
    )

    assert_error(response, 404, "meeting_not_found")


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["POST", "DELETE"], ids=["reissue", "revoke"])
async def test_a_participant_of_another_meeting_is_404_participant_not_found(
    chair: Member, open_browser: OpenBrowser, method: str
) -> None:
    other = await create_meeting(await open_browser(), title="Another conference")
    stranger_id, stranger_token = await invite(other, "family")

    response = await chair.browser.request(method, chair.url(f"/participants/{stranger_id}/invite"))

    assert_error(response, 404, "participant_not_found")
    # The other meeting's person is untouched.
    assert (await _statuses(other))[stranger_id] == "active"
    await join(await open_browser(), stranger_token)


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["POST", "DELETE"], ids=["reissue", "revoke"])
async def test_an_unknown_participant_is_404_participant_not_found(chair: Member, method: str) -> None:
    response = await chair.browser.request(method, chair.url(f"/participants/{'f' * 32}/invite"))

    assert_error(response, 404, "participant_not_found")
