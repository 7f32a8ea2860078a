"""The Content-Security-Policy is strict, and nothing the app serves needs it loosened: scripts only from the app's
own files (no 'unsafe-inline', no 'unsafe-eval', no other host), and no inline script, event-handler attribute or
javascript: URL in any frontend HTML file or any page route's answer (every route of app.api.pages, so a new page
is covered the day it is added)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api import pages
from app.config import Settings
from app.main import CONTENT_SECURITY_POLICY, create_app
from tests.api._support import BASE_URL

FRONTEND = Path(pages.FRONTEND_DIR)


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


class InlineCode(HTMLParser):
    """Script that would run from the document itself: <script> without src, on* attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
            if not values.get("src"):
                self.found.append(f"<script> without src at line {self.getpos()[0]}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if value and re.match(r"\s*(javascript|vbscript|data):", value, re.I) and name in ("href", "src", "action"):
                self.found.append(f"<{tag} {name}={value[:30]}>")


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


def test_scripts_come_only_from_the_app_itself() -> None:
    policy = directives(CONTENT_SECURITY_POLICY)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "object-src" not in policy or policy["object-src"] == ["'none'"]  # else default-src 'self' applies
    loose = [value for values in policy.values() for value in values if value not in ("'self'", "'none'", "data:")]
    assert loose == []
    assert "data:" not in policy["script-src"] + policy["default-src"] + policy["connect-src"]


@pytest.mark.parametrize("path", sorted(FRONTEND.glob("*.html")), ids=lambda p: p.name)
def test_no_frontend_page_holds_inline_script(path: Path) -> None:
    parsed = inline_code(path.read_text(encoding="utf-8"))
    assert parsed.scripts >= 1  # each page loads its code, from a file
    assert parsed.found == []


def test_the_scan_finds_inline_script() -> None:
    for html in (
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href=" javascript:alert(1)">x</a>',
        "<body onload=go()>",
    ):
        assert inline_code(html).found != [], html


@pytest_asyncio.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'csp.db'}"))
    await app.state.services.start()
    try:
        yield app
    finally:
        await app.state.services.stop()


def page_paths() -> list[str]:
    """Every page route, its path parameters filled in."""
    paths = [route.path for route in pages.router.routes if isinstance(route, APIRoute)]
    assert {"/", "/join", "/room", "/docs"} <= set(paths)
    return [re.sub(r"\{\w+\}", "0123456789abcdef", path) for path in paths]


@pytest.mark.asyncio
async def test_every_page_route_answers_under_the_policy_with_no_inline_script(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        for path in page_paths():
            answer = await client.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
            assert answer.headers["x-content-type-options"] == "nosniff"
            if answer.headers["content-type"].startswith("text/html"):
                parsed = inline_code(answer.text)
                assert parsed.found == [], (path, parsed.found)
