"""/docs: the API reference, from Swagger UI vendored in frontend/vendor/swagger-ui, under the app's own
Content-Security-Policy (no inline script, nothing from another host), so it works offline."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.api.pages import FRONTEND_DIR
from app.main import CONTENT_SECURITY_POLICY

SWAGGER_DIR = FRONTEND_DIR / "vendor" / "swagger-ui"


class _Assets(HTMLParser):
    """Every script and stylesheet a page loads, and the text of any inline script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self._in_script = True
            if found.get("src"):
                self.urls.append(str(found["src"]))
            else:
                self.inline.append("")
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))
        for name, value in attrs:
            assert not name.startswith("on"), f"inline event handler {name}={value!r}"
            assert not (value or "").strip().lower().startswith("javascript:"), (name, value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


@pytest.mark.asyncio
async def test_docs_is_a_page_whose_scripts_and_styles_all_come_from_this_app(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, "the policy is not loosened"
    page = _Assets()
    page.feed(response.text)
    assert page.inline == [], "the CSP allows no inline script"
    assert any(url.endswith("swagger-ui-bundle.js") for url in page.urls)
    assert any(url.endswith("swagger-ui.css") for url in page.urls)
    assert "/static/js/docs-init.js" in page.urls
    for url in page.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), f"{url} is not same-origin"
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
        kind = asset.headers["content-type"]
        expected = "text/css" if url.endswith(".css") else "svg" if url.endswith(".svg") else "javascript"
        assert expected in kind, (url, kind)


def test_swagger_ui_starts_from_a_file_and_asks_nobody_else() -> None:
    init = (FRONTEND_DIR / "js" / "docs-init.js").read_text()

    assert 'url: "/openapi.json"' in init
    assert "validatorUrl: null" in init, "else Swagger UI sends the schema to validator.swagger.io"


def test_the_vendored_swagger_ui_ships_its_licence_and_no_source_map_references() -> None:
    assert "Apache License" in (SWAGGER_DIR / "LICENSE").read_text()
    assert (SWAGGER_DIR / "NOTICE").is_file()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        text = (SWAGGER_DIR / name).read_text(errors="replace")
        assert "sourceMappingURL" not in text, name
    readme = (SWAGGER_DIR / "README.md").read_text()
    assert "5.35.0" in readme and "swagger-ui-dist" in readme


@pytest.mark.asyncio
async def test_the_openapi_schema_is_still_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1"), "Swagger UI 5 renders OpenAPI 3.1; 4 does not"
    assert "/api/lobby" in spec["paths"]
    assert "/docs" not in spec["paths"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/redoc", "/docs/oauth2-redirect"])
async def test_fastapis_cdn_pages_are_gone(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert "cdn.jsdelivr.net" not in response.text


def test_the_vendored_files_are_the_ones_the_page_names() -> None:
    from app.api.pages import DOCS_PAGE

    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static/vendor/swagger-ui/{name}" in DOCS_PAGE
        assert Path(SWAGGER_DIR / name).stat().st_size > 100_000, name
