"""The frontend's pages: HTML, never cached (shared tablets), under a strict Content-Security-Policy."""

from __future__ import annotations

import httpx
import pytest

from tests.api._support import Member

PAGES = ["/", "/join", "/meetings/{meeting_id}"]


def _directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *values = directive.split()
        parsed[name.lower()] = values
    return parsed


@pytest.mark.asyncio
@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_html_not_stored_and_same_origin_only(
    chair: Member, client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path.format(meeting_id=chair.meeting_id))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()
    assert response.headers["cache-control"] == "no-store"
    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["referrer-policy"] == "no-referrer"  # the invite token must never leak onward
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.asyncio
async def test_the_board_page_holds_nothing_of_the_meeting(chair: Member, client: httpx.AsyncClient) -> None:
    """Signed out, the board page is the same empty shell: the meeting comes over the socket after sign-in."""
    signed_in = await chair.browser.get(f"/meetings/{chair.meeting_id}")
    signed_out = await client.get(f"/meetings/{chair.meeting_id}")

    assert signed_in.text == signed_out.text
    assert "Initial conference" not in signed_out.text


@pytest.mark.asyncio
async def test_api_responses_carry_the_security_headers_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")

    assert _directives(response.headers["content-security-policy"])["default-src"] == ["'self'"]
