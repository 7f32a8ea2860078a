"""BoardConnection's rules, driven through the real board page with a scripted websocket server.

The HTTP side (session, /me) is the real app; the websocket is answered by Playwright's route, so each test can
play the server exactly: a gap in `seq`, a lost ack, a missing pong, a close code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.e2e.board_pages import add_card, card, cards, start_meeting, texts, wait_connected
from tests.e2e.conftest import Screens

pytestmark = pytest.mark.browser

ME = {"participant_id": "p-chair", "display_name": "Alex Morgan", "role": "chair", "agency": None, "connections": 1}


def empty_board(seq: int) -> dict[str, Any]:
    """A hello.board as protocol 2 sends it; the page completes any part of the meeting a board leaves out."""
    return {"seq": seq, "read_only": False, "columns": {"worries": [], "working_well": [], "needs_to_happen": []}}


def hello(seq: int, *, board: bool = True, missed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "hello",
        "protocol": 2,
        "seq": seq,
        "you": ME,
        "present": [ME],
        "people": [{k: v for k, v in ME.items() if k != "connections"}],
        "server_time": "2026-11-27T10:00:00+00:00",
        "board": empty_board(seq) if board else None,
        "missed": None if board else (missed or []),
        "limits": {"max_frame_bytes": 65536},
    }


def added(seq: int, card_id: str, text: str, op_id: str | None = None, position: int | None = None) -> dict[str, Any]:
    card = {"id": card_id, "column": "worries", "kind": "harm", "text": text, "author_id": "p-chair", "version": 1}
    op = {"type": "add_card", "card_id": card_id, "column": "worries", "kind": "harm", "text": text}
    op["position"] = seq if position is None else position
    return {
        "type": "event",
        "seq": seq,
        "op_id": op_id or f"op{seq}",
        "actor": {"participant_id": "p-chair", "role": "chair"},
        "op": op,
        "card": card,
        "changes": [{"entity": "card", "id": card_id, "value": card, "position": op["position"]}],
        "at": "2026-11-27T10:00:00Z",
    }


@dataclass
class Link:
    route: WebSocketRoute
    received: list[dict[str, Any]] = field(default_factory=list)

    def send(self, frame: dict[str, Any]) -> None:
        self.route.send(json.dumps(frame))


@dataclass
class ScriptedServer:
    """Answers the page's websocket. `on_connect(index, link)` plays the hello; `on_frame(index, link, frame)`
    answers what the page sends (pings are answered with pongs unless `answer_pings` is off)."""

    on_connect: Callable[[int, Link], None]
    on_frame: Callable[[int, Link, dict[str, Any]], None] = lambda _i, _link, _frame: None
    answer_pings: bool = True
    links: list[Link] = field(default_factory=list)

    def install(self, page: Page) -> None:
        page.route_web_socket(re.compile(r"/ws/meetings/"), self._handle)

    def _handle(self, route: WebSocketRoute) -> None:
        link = Link(route)
        index = len(self.links)
        self.links.append(link)

        def on_message(message: str | bytes) -> None:
            frame = json.loads(message)
            link.received.append(frame)
            if frame["type"] == "ping":
                if self.answer_pings:
                    link.send({"type": "pong", "seq": 0})
                return
            self.on_frame(index, link, frame)

        route.on_message(on_message)
        self.on_connect(index, link)

    def urls(self) -> list[str]:
        return [link.route.url for link in self.links]


def test_a_gap_in_seq_reconnects_with_since_and_applies_each_event_once(live_server, screens: Screens) -> None:
    def on_connect(index: int, link: Link) -> None:
        if index == 0:
            link.send(hello(5))
        else:
            link.send(
                hello(8, board=False, missed=[added(6, "c6", "Six"), added(7, "c7", "Seven"), added(8, "c8", "Eight")])
            )

    server = ScriptedServer(on_connect)
    page = screens.open()
    server.install(page)
    start_meeting(page, live_server.url)

    server.links[0].send(added(6, "c6", "Six", position=0))
    expect(texts(page, "worries")).to_have_text(["Six"])
    server.links[0].send(added(6, "c6", "Six", position=0))  # a repeat is ignored
    server.links[0].send(added(8, "c8", "Eight", position=2))  # seq 7 never came: resync
    expect(texts(page, "worries")).to_have_text(["Six", "Seven", "Eight"])
    wait_connected(page)
    assert len(server.links) == 2
    assert "since" not in server.urls()[0]
    assert server.urls()[1].endswith("?since=6")


def test_an_unacknowledged_op_is_resent_with_the_same_op_id(live_server, screens: Screens) -> None:
    def on_connect(index: int, link: Link) -> None:
        link.send(hello(0) if index == 0 else hello(0, board=False))

    def on_frame(index: int, link: Link, frame: dict[str, Any]) -> None:
        if frame["type"] != "op":
            return
        if index == 0:
            link.route.close(code=1001, reason="The server is restarting; reconnect.")  # the ack is lost
            return
        op = frame["op"]
        link.send({"type": "ack", "op_id": frame["op_id"], "seq": 1, "card_id": "c1", "duplicate": False})
        event = added(1, "c1", op["text"], op_id=frame["op_id"], position=0)
        link.send(event)

    server = ScriptedServer(on_connect, on_frame)
    page = screens.open()
    server.install(page)
    start_meeting(page, live_server.url)

    page.get_by_test_id("add-text-worries").fill("Sent once, kept until acknowledged.")
    page.get_by_test_id("add-submit-worries").click()
    expect(cards(page, "worries")).to_have_count(1)
    expect(cards(page, "worries").first).to_have_attribute("data-card-id", "c1")
    expect(page.get_by_test_id("pending-count")).to_be_hidden()

    ops = [frame for link in server.links for frame in link.received if frame["type"] == "op"]
    assert len(ops) == 2
    assert ops[0]["op_id"] == ops[1]["op_id"]
    assert ops[0]["op"] == ops[1]["op"]
    assert server.urls()[1].endswith("?since=0")


def test_a_silent_link_says_offline_within_three_seconds(live_server, screens: Screens) -> None:
    """The app's own heartbeat: a ping each second when nothing else was heard, one in flight at most; 2.5 s
    without a single frame and the page says "Offline", then reconnects on its own."""
    held: list[Link] = []  # reconnections wait for their hello until the test lets them have it

    def on_connect(index: int, link: Link) -> None:
        if index == 0:
            link.send(hello(0))
        else:
            held.append(link)

    server = ScriptedServer(on_connect)
    page = screens.open()
    page.clock.install()
    server.install(page)
    start_meeting(page, live_server.url)
    status = page.get_by_test_id("connection-status")

    # A ping each second, answered: the connection stays.
    for _ in range(3):
        page.clock.run_for(1_000)
        page.wait_for_function("() => window.sosBoard.connection.pingInFlight === false")
    expect(status).to_have_attribute("data-state", "connected")
    pings = [f["type"] for f in server.links[0].received]
    assert set(pings) == {"ping"} and 2 <= len(pings) <= 3, pings  # the interval's ticks fall where they fall

    # Events flowing prove the link is alive: no ping is needed while they come.
    for seq in range(1, 4):
        server.links[0].send(added(seq, f"c{seq}", f"Card {seq}", position=seq - 1))
        expect(texts(page, "worries")).to_have_count(seq)
        page.clock.run_for(500)
    assert len(server.links[0].received) == len(pings)

    # The server goes silent: one ping goes out (and only one, however long it waits), and 2.5 s after the last
    # frame heard the page says it is offline, in words.
    server.answer_pings = False
    page.clock.run_for(1_100)
    expect(status).to_have_attribute("data-state", "connected")
    page.clock.run_for(1_500)
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_contain_text("Offline")
    assert len(server.links[0].received) == len(pings) + 1

    # It reconnects by itself (the first retry within half a second), resuming where it was.
    server.answer_pings = True
    page.clock.run_for(600)
    expect(status).to_have_attribute("data-state", "offline")  # a socket is open, but no hello yet: not connected
    assert len(held) == 1
    held[0].send(hello(3, board=False))
    wait_connected(page)
    assert len(server.links) == 2
    assert server.urls()[1].endswith("?since=3")


def test_an_editing_frame_is_sent_and_soft_presence_shown(live_server, screens: Screens) -> None:
    """Soft presence: opening an edit form tells the server (`editing`), closing it says so; a server that does
    not know the frame answers `unknown_type`, which the page takes silently. Who else is editing shows on the
    card, and nothing is locked."""

    def on_connect(index: int, link: Link) -> None:
        board = empty_board(1)
        card = added(1, "c1", "Jo to visit weekly.")["card"]
        board["columns"]["worries"] = [card]
        frame = hello(1)
        frame["board"] = board
        link.send(frame)

    def on_frame(_index: int, link: Link, frame: dict[str, Any]) -> None:
        if frame["type"] == "editing":
            link.send(
                {"type": "error", "code": "unknown_type", "message": "That message or operation type is not known."}
            )

    server = ScriptedServer(on_connect, on_frame)
    page = screens.open()
    server.install(page)
    start_meeting(page, live_server.url)
    target = cards(page, "worries").first
    target.get_by_role("button", name="Edit").click()
    expect(page.get_by_test_id("edit-form")).to_be_visible()
    sam = {
        "participant_id": "p-sam",
        "display_name": "Sam Lee",
        "role": "professional",
        "agency": None,
        "connections": 1,
    }
    server.links[0].send(
        {"type": "presence", "present": [ME, {**sam, "editing": [{"entity": "card", "item_id": "c1"}]}]}
    )
    expect(target.get_by_test_id("editing-note")).to_have_text("Sam Lee is editing this card")
    expect(page.get_by_test_id("edit-form").get_by_label("Words on the card")).to_be_editable()  # never a lock
    page.get_by_test_id("edit-form").get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("notice")).to_have_count(0)  # the unknown_type answer is not shown
    editing = [f for f in server.links[0].received if f["type"] == "editing"]
    assert editing == [{"type": "editing", "entity": "card", "item_id": "c1"}]  # unknown: not sent again
    server.links[0].send({"type": "presence", "present": [ME, sam]})
    expect(target.get_by_test_id("editing-note")).to_have_count(0)


def test_close_code_4401_ends_the_session(live_server, screens: Screens) -> None:
    server = ScriptedServer(lambda _index, link: link.send(hello(0)))
    page = screens.open()
    server.install(page)
    start_meeting(page, live_server.url)
    server.links[0].route.close(code=4401, reason="Your invite was revoked.")
    expect(page.get_by_test_id("end-state")).to_contain_text("Ask the chair for a new link.")
    expect(page.get_by_test_id("board")).to_be_hidden()


def test_a_refused_handshake_is_checked_over_http_and_ends_the_session(live_server, screens: Screens) -> None:
    """A browser sees only 1006 when the upgrade is refused; the page asks /me, hears 401, and stops."""
    page = screens.open()
    start_meeting(page, live_server.url)
    page.context.clear_cookies()
    page.evaluate("window.sosBoard.connection.socket.close()")
    expect(page.get_by_test_id("end-state")).to_contain_text("Your session has ended. Ask the chair for a new link.")


def test_an_acknowledged_card_stays_on_screen_until_its_event_arrives(live_server, screens: Screens) -> None:
    """The server acks before it broadcasts: the card must not blink out in between."""

    def ack_only(_index: int, link: Link, frame: dict[str, Any]) -> None:
        if frame["type"] == "op":
            link.send({"type": "ack", "op_id": frame["op_id"], "seq": 4, "card_id": "c4", "duplicate": False})

    server = ScriptedServer(lambda _index, link: link.send(hello(3)), ack_only)
    page = screens.open()
    server.install(page)
    start_meeting(page, live_server.url)

    page.get_by_test_id("add-text-worries").fill("Acked first, shown throughout.")
    page.get_by_test_id("add-submit-worries").click()
    expect(page.get_by_test_id("pending-count")).to_be_hidden()  # acknowledged
    expect(cards(page, "worries")).to_have_count(1)
    expect(cards(page, "worries").first).to_have_attribute("data-pending", "add")

    op_id = next(f["op_id"] for f in server.links[0].received if f["type"] == "op")
    server.links[0].send(added(4, "c4", "Acked first, shown throughout.", op_id=op_id, position=0))
    expect(cards(page, "worries").first).to_have_attribute("data-card-id", "c4")
    expect(cards(page, "worries")).to_have_count(1)


def test_a_change_made_while_an_earlier_one_waits_to_be_sent_again_goes_after_it(live_server, screens: Screens) -> None:
    """A busy server refuses the first card; the person adds a second at once. The second waits behind the first,
    which is sent again when the server asked, so the meeting gets the person's cards in the order they wrote
    them (sent at once, the second was taken first) and a server past its capacity is not sent more to refuse."""
    refused: set[str] = set()
    seq = 0

    def on_frame(_index: int, link: Link, frame: dict[str, Any]) -> None:
        nonlocal seq
        if frame["type"] != "op":
            return
        text = frame["op"]["text"]
        if text == "First, written first." and text not in refused:
            refused.add(text)
            link.send(
                {
                    "type": "error",
                    "code": "busy",
                    "message": "The board is very busy. This change was not saved yet; it will be sent again.",
                    "op_id": frame["op_id"],
                    "retry_after_ms": 600,
                }
            )
            seq += 1  # someone else's card, after the refusal: once it shows, the page has had the refusal
            link.send(added(seq, "c-other", "Someone else's card.", op_id="other", position=0))
            return
        seq += 1
        link.send({"type": "ack", "op_id": frame["op_id"], "seq": seq, "card_id": f"c{seq}", "duplicate": False})
        link.send(added(seq, f"c{seq}", text, op_id=frame["op_id"], position=seq - 1))

    server = ScriptedServer(lambda _index, link: link.send(hello(0)), on_frame)
    page = screens.open()
    server.install(page)
    start_meeting(page, live_server.url)

    add_card(page, "worries", "First, written first.", wait_sent=False)
    expect(card(page, "Someone else's card.")).to_be_visible()
    add_card(page, "worries", "Second, written after.", wait_sent=False)

    expect(texts(page, "worries")).to_have_text(
        ["Someone else's card.", "First, written first.", "Second, written after."]
    )
    expect(page.get_by_test_id("pending-count")).to_be_hidden()
    sent = [f["op"]["text"] for f in server.links[0].received if f["type"] == "op"]
    assert sent == ["First, written first.", "First, written first.", "Second, written after."]
