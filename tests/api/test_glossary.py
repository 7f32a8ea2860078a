"""GET /api/glossary: the merged glossary and the readability bands, for the screens to check what people write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from app.config import Settings
from app.domain.plain_words import READABILITY_BANDS, READABILITY_MIN_WORDS, load_glossary
from app.main import create_app
from tests.api._support import BASE_URL


@pytest.mark.asyncio
async def test_anyone_may_read_the_glossary_without_signing_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/glossary")

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=600"
    body = response.json()
    assert set(body) == {"entries", "readability_bands", "readability_min_words"}
    assert len(body["entries"]) == len(load_glossary()) >= 80
    lado = next(entry for entry in body["entries"] if entry["term"] == "LADO")
    assert lado == {
        "term": "LADO",
        "forms": ["LADO", "local authority designated officer", "designated officer"],
        "plain": "the council officer who looks into worries about adults who work with children",
        "note": "",
        "match_case": False,
    }
    mash = next(entry for entry in body["entries"] if entry["term"] == "MASH")
    assert mash["match_case"] is True


@pytest.mark.asyncio
async def test_the_readability_bands_are_the_servers(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/glossary")).json()

    assert body["readability_min_words"] == READABILITY_MIN_WORDS
    assert [band["words"] for band in body["readability_bands"]] == [band.words for band in READABILITY_BANDS]
    assert [band["min_score"] for band in body["readability_bands"]] == [90, 80, 70, 60, 50, 30, None]
    assert body["readability_bands"][-1]["advice"] == READABILITY_BANDS[-1].advice


@pytest.mark.asyncio
async def test_the_glossary_is_documented_with_its_response_model(client: httpx.AsyncClient) -> None:
    spec: dict[str, Any] = (await client.get("/openapi.json")).json()

    operation = spec["paths"]["/api/glossary"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/GlossaryOut"}
    assert operation["summary"] and "no case data" in operation["description"]
    components = spec["components"]["schemas"]
    assert set(components["GlossaryOut"]["required"]) == {"entries", "readability_bands", "readability_min_words"}
    assert set(components["GlossaryTerm"]["required"]) == {"term", "forms", "plain", "note", "match_case"}


@pytest_asyncio.fixture
async def client_with_extra_glossary(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    extra = tmp_path / "our-words.toml"
    extra.write_text(
        '[[entry]]\nterm = "FAST team"\nvariants = ["Family Assessment and Support Team"]\n'
        'plain = "the family support team"\n\n'
        '[[entry]]\nterm = "lado"\nplain = "the council\'s safeguarding officer"\n\n'
        '[[entry]]\nterm = "contact"\nplain = "family time"\noff = true\n',
        encoding="utf-8",
    )
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}", glossary_files=[extra])
    app = create_app(settings)
    await app.state.services.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
            yield client
    finally:
        await app.state.services.stop()


@pytest.mark.asyncio
async def test_a_deployments_extra_glossary_file_is_picked_up(client_with_extra_glossary: httpx.AsyncClient) -> None:
    response = await client_with_extra_glossary.get("/api/glossary")

    assert response.status_code == 200, response.text
    entries = {entry["term"].lower(): entry for entry in response.json()["entries"]}
    assert entries["fast team"]["forms"] == ["FAST team", "Family Assessment and Support Team"]
    assert entries["lado"] == {
        "term": "lado",
        "forms": ["lado"],
        "plain": "the council's safeguarding officer",
        "note": "",
        "match_case": False,
    }
    assert "contact" not in entries
    assert len(entries) == len(load_glossary())  # one added, one replaced, one switched off
