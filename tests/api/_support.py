"""Helpers for the HTTP API tests: who is signed in where, and what a Set-Cookie header says."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

BASE_URL = "http://testserver"
INVITE_PREFIX = f"{BASE_URL}/join#"


OpenBrowser = Callable[[], Awaitable[httpx.AsyncClient]]


@dataclass
class Member:
    """Someone signed in to a meeting on one browser."""

    browser: httpx.AsyncClient
    meeting_id: str
    participant_id: str
    role: str

    @property
    def cookie_name(self) -> str:
        return f"sos_{self.meeting_id}"

    @property
    def session_token(self) -> str:
        value = self.browser.cookies.get(self.cookie_name)
        assert value, f"no {self.cookie_name} cookie in this browser"
        return value

    def url(self, path: str = "") -> str:
        return f"/api/meetings/{self.meeting_id}{path}"


def token_of(invite_url: str) -> str:
    """The invite token, which must ride only in the URL's fragment."""
    assert invite_url.startswith(INVITE_PREFIX), invite_url
    token = invite_url.removeprefix(INVITE_PREFIX)
    assert token and "?" not in token and "/" not in token
    return token


def unknown_token() -> str:
    return secrets.token_urlsafe(32)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip(), body
    return body


def set_cookie(response: httpx.Response, name: str) -> dict[str, str]:
    """The attributes of the one Set-Cookie header for `name`, lower-cased keys ("" for flags), plus "value"."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.split("=", 1)[0].strip() == name]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    first, *attributes = (part.strip() for part in headers[0].split(";"))
    parsed = {"value": first.split("=", 1)[1].strip('"')}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.strip().lower()] = value.strip()
    return parsed


def assert_session_cookie(response: httpx.Response, meeting_id: str) -> str:
    """A session cookie as the design wants it: HttpOnly, SameSite=Strict, no lifetime (gone with the browser)."""
    cookie = set_cookie(response, f"sos_{meeting_id}")
    assert "httponly" in cookie, cookie
    assert cookie.get("samesite", "").lower() == "strict", cookie
    assert "max-age" not in cookie, cookie
    assert "expires" not in cookie, cookie
    assert cookie.get("path") == "/", cookie
    assert len(cookie["value"]) >= 22, cookie
    return cookie["value"]


def assert_cookie_cleared(response: httpx.Response, meeting_id: str) -> None:
    cookie = set_cookie(response, f"sos_{meeting_id}")
    expired = cookie.get("max-age") == "0" or (
        "expires" in cookie and parsedate_to_datetime(cookie["expires"]) <= datetime.now(UTC)
    )
    assert expired, cookie
    assert cookie["value"] == "", cookie


async def create_meeting(
    browser: httpx.AsyncClient, title: str = "Initial conference", chair_name: str = "Chair"
) -> Member:
    response = await browser.post("/api/meetings", json={"title": title, "chair_name": chair_name})
    assert response.status_code == 201, response.text
    body = response.json()
    return Member(browser, body["meeting"]["id"], body["participant"]["id"], "chair")


async def invite(chair: Member, role: str, name: str = "Someone", agency: str | None = None) -> tuple[str, str]:
    """The chair adds someone; returns their participant id and invite token."""
    body: dict[str, Any] = {"display_name": name, "role": role}
    if agency is not None:
        body["agency"] = agency
    response = await chair.browser.post(chair.url("/participants"), json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    return created["participant"]["id"], token_of(created["invite_url"])


async def join(browser: httpx.AsyncClient, token: str) -> Member:
    response = await browser.post("/api/join", json={"token": token})
    assert response.status_code == 200, response.text
    body = response.json()
    participant = body["participant"]
    return Member(browser, body["meeting"]["id"], participant["id"], participant["role"])


async def browser_with_cookie(open_browser: OpenBrowser, name: str, value: str) -> httpx.AsyncClient:
    """A new browser that sends exactly this cookie (a copied or forged one)."""
    browser = await open_browser()
    browser.headers["Cookie"] = f"{name}={value}"
    return browser


JoinAs = Callable[..., Awaitable[Member]]
