"""GET /api/meetings/{id}/audit and /audit.csv: who did what, in which role, and when, as the chair reads it on
screen and a records manager opens it in a spreadsheet."""

from __future__ import annotations

import csv
import io
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.api.audit import safe_cell
from app.domain.board import CardKind, Column
from app.domain.operations import Actor, AddCard
from app.domain.roles import Role
from tests.api._support import JoinAs, Member, OpenBrowser, assert_error, invite, join
from tests.conftest import ServerProcess
from tests.support.clients import BoardClient, add_member, create_meeting

pytestmark = pytest.mark.asyncio

EVIL_NAME = '=HYPERLINK("http://evil")'
CARD_TEXT = "Canary words: a bruise was seen on Tuesday"


async def add_card(app: FastAPI, member: Member, text: str = CARD_TEXT) -> str:
    committed = await app.state.services.oplog.commit(
        member.meeting_id,
        Actor(member.participant_id, Role(member.role)),
        uuid.uuid4().hex,
        AddCard(column=Column.worries, kind=CardKind.harm, text=text),
    )
    return str(committed.target_id)


async def trail(chair: Member) -> list[dict[str, Any]]:
    response = await chair.browser.get(chair.url("/audit"))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def said(entry: dict[str, Any]) -> tuple[Any, ...]:
    """An entry as the chair's screen puts it: who (name, role) did what, about whom or which item."""
    return (
        entry["actor_name"],
        entry["actor_role"],
        entry["action"],
        entry["participant_name"] or entry["item_id"] or entry["detail"] or None,
    )


def parse_csv(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_the_chair_reads_the_whole_trail_in_the_order_things_happened(
    app: FastAPI, chair: Member, join_as: JoinAs
) -> None:
    worker = await join_as("professional", "Sam Worker")
    card_id = await add_card(app, worker)
    assert (await worker.browser.get(worker.url("/board"))).status_code == 200

    response = await chair.browser.get(chair.url("/audit"))

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    entries = response.json()["entries"]
    assert [said(entry) for entry in entries] == [
        ("Chair", "chair", "meeting_created", {"kind": "initial_conference"}),
        ("Chair", "chair", "participant_invited", "Sam Worker"),
        ("Sam Worker", "professional", "joined", None),
        ("Sam Worker", "professional", "add_card", card_id),
        ("Sam Worker", "professional", "record_read", {"via": "http"}),
        ("Chair", "chair", "audit_read", {"format": "json"}),
    ]
    assert [entry["kind"] for entry in entries] == ["event", "event", "event", "op", "event", "event"]
    assert entries[3]["seq"] == 1 and all(entry["seq"] is None for i, entry in enumerate(entries) if i != 3)
    assert [entry["at"] for entry in entries] == sorted(entry["at"] for entry in entries)
    assert entries[1]["participant_id"] == worker.participant_id and entries[1]["participant_role"] == "professional"
    assert "Canary" not in response.text and "bruise" not in response.text, "an op's words are never in the trail"


async def test_revoking_and_new_links_name_whose_link_it_was(chair: Member, join_as: JoinAs) -> None:
    parent = await join_as("family", "Pat Parent")
    assert (await chair.browser.post(chair.url(f"/participants/{parent.participant_id}/invite"))).status_code == 201
    assert (await chair.browser.delete(chair.url(f"/participants/{parent.participant_id}/invite"))).status_code == 204

    entries = await trail(chair)

    assert [said(entry) for entry in entries][-3:] == [
        ("Chair", "chair", "link_reissued", "Pat Parent"),
        ("Chair", "chair", "link_revoked", "Pat Parent"),
        ("Chair", "chair", "audit_read", {"format": "json"}),
    ]


async def test_leaving_is_in_the_trail(chair: Member, join_as: JoinAs) -> None:
    parent = await join_as("family", "Pat Parent")
    assert (await parent.browser.post(parent.url("/leave"))).status_code == 204

    assert ("Pat Parent", "family", "left", None) in [said(entry) for entry in await trail(chair)]


@pytest.mark.parametrize("role", ["professional", "family", "projector", "observer"])
async def test_only_the_chair_sees_the_trail_on_screen(chair: Member, join_as: JoinAs, role: str) -> None:
    member = await join_as(role)

    assert_error(await member.browser.get(member.url("/audit")), 403, "forbidden")
    assert "audit_read" not in [entry["action"] for entry in await trail(chair)][:-1], "a refused read is no read"


async def test_without_a_session_the_trail_is_401(chair: Member, client: httpx.AsyncClient) -> None:
    assert_error(await client.get(chair.url("/audit")), 401, "not_signed_in")
    assert_error(await client.get(chair.url("/audit.csv")), 401, "not_signed_in")


@pytest.mark.parametrize("role", ["chair", "professional"])
async def test_the_chair_and_professionals_download_the_trail_as_csv(
    app: FastAPI, chair: Member, join_as: JoinAs, role: str
) -> None:
    worker = await join_as("professional", "Sam Worker")
    await add_card(app, worker)
    on_screen = await trail(chair)
    downloader = chair if role == "chair" else worker

    before = datetime.now(UTC).date().isoformat()
    response = await downloader.browser.get(downloader.url("/audit.csv"))
    after = datetime.now(UTC).date().isoformat()

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    # As every download's name: the date and the meeting's id, never a name (docs/record.md).
    names = {f'filename="sos-audit-{day}-{chair.meeting_id}.csv"' for day in (before, after)}
    assert disposition.startswith("attachment;") and any(name in disposition for name in names), disposition
    rows = parse_csv(response)
    # The same rows as on screen, then this download itself.
    assert [(r["actor_name"], r["actor_role"], r["action"]) for r in rows] == [
        *[(e["actor_name"], e["actor_role"], e["action"]) for e in on_screen],
        ("Sam Worker" if role == "professional" else "Chair", role, "audit_read"),
    ]
    assert [r["seq"] for r in rows if r["kind"] == "op"] == ["1"]
    assert rows[-1]["detail"] == '{"format": "csv"}'
    assert "Canary" not in response.text


@pytest.mark.parametrize("role", ["family", "projector", "observer"])
async def test_family_room_screen_and_observers_get_no_csv(chair: Member, join_as: JoinAs, role: str) -> None:
    member = await join_as(role)

    assert_error(await member.browser.get(member.url("/audit.csv")), 403, "forbidden")


async def test_a_name_written_as_a_formula_stays_text_in_the_spreadsheet(
    app: FastAPI, chair: Member, open_browser: OpenBrowser
) -> None:
    names = [EVIL_NAME, "+SUM(1,2)", "-2+3", "@cmd|' /C calc'!A0"]
    members = []
    for name in names:
        _pid, token = await invite(chair, "professional", name)
        members.append(await join(await open_browser(), token))
    await add_card(app, members[0])

    response = await chair.browser.get(chair.url("/audit.csv"))

    rows = parse_csv(response)
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    invited = [row["participant_name"] for row in rows if row["action"] == "participant_invited"]
    assert invited == [f"'{name}" for name in names]
    assert {row["actor_name"] for row in rows if row["action"] in ("joined", "add_card")} == {
        f"'{name}" for name in names
    }
    # And on screen, where no spreadsheet runs anything, the name is as it was given.
    assert EVIL_NAME in [entry["actor_name"] for entry in await trail(chair)]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Sam = worker", "Sam = worker"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
async def test_each_cell_that_a_spreadsheet_would_run_gets_a_quote(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


async def test_reading_the_trail_is_itself_recorded(chair: Member, join_as: JoinAs) -> None:
    worker = await join_as("professional", "Sam Worker")
    assert (await worker.browser.get(worker.url("/audit.csv"))).status_code == 200
    assert (await chair.browser.get(chair.url("/audit.csv"))).status_code == 200

    reads = [said(entry) for entry in await trail(chair) if entry["action"] == "audit_read"]

    assert reads == [
        ("Sam Worker", "professional", "audit_read", {"format": "csv"}),
        ("Chair", "chair", "audit_read", {"format": "csv"}),
        ("Chair", "chair", "audit_read", {"format": "json"}),
    ]


async def test_opening_a_finalised_meeting_is_a_read_of_the_record_and_a_live_one_is_not(
    server: ServerProcess, sqlite_url: str
) -> None:
    chair = await create_meeting(server.url)
    worker = await add_member(server.url, chair, "professional", "Sam Worker")
    live = await BoardClient.connect(server.ws_url, worker)
    await live.socket.close()

    database = Path(sqlite_url.split("///", 1)[1])
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE meetings SET status = 'finalised' WHERE id = ?", (chair.meeting_id,))
    connection.close()
    after = await BoardClient.connect(server.ws_url, worker)
    await after.socket.close()

    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": chair.cookie}) as http:
        response = await http.get(f"/api/meetings/{chair.meeting_id}/audit")
    assert response.status_code == 200, response.text
    reads = [said(entry) for entry in response.json()["entries"] if entry["action"] == "record_read"]
    assert reads == [("Sam Worker", "professional", "record_read", {"via": "websocket"})]
