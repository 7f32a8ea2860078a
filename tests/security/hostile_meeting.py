"""A conference whose every writable text field holds an attack: markup that would run if a screen or an export
treated words as HTML or Markdown (<script>, <img onerror>, SVG onload, javascript: links), a right-to-left override
that would reverse what follows it, zero-width joiners, and spreadsheet formulas. Written through the real server
(HTTP for the meeting and its people, the websocket for every op), as the chair, a professional and the family.

Each field's text ends with its own label (`f01`...), so a test can tell which field a piece of text came from.
Long fields carry every attack at once; names (40 to 80 characters) one attack each, in turn, so every attack
reaches names too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import ServerProcess
from tests.support.clients import TLS, BoardClient, Connections, Member, join

ATTACKS = (
    # Spreadsheet formulas first: the meeting's title and people's names (which the audit CSV holds) get these.
    '=HYPERLINK("http://x.test")',
    "@SUM(1+1)",
    "-2+3",
    "+44 7700",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg onload=alert(3)>",
    "[see](javascript:alert(4))",
    '<a href="javascript:alert(5)">go</a>',
    "\u202egnp.exe",  # RIGHT-TO-LEFT OVERRIDE: "gnp.exe" shows as "exe.png"
    "Zo\u200de\u200b!",  # ZERO WIDTH JOINER and ZERO WIDTH SPACE inside a word
)
EVERY_ATTACK = " ".join(ATTACKS)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
"""Characters that change the order text is shown in (embeddings, overrides, isolates, marks)."""


@dataclass
class HostileTexts:
    """Hands out texts, each labelled, and remembers which field got which."""

    by_field: dict[str, str] = field(default_factory=dict)
    _labels: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _attacks: Iterator[str] = field(default_factory=lambda: itertools.cycle(ATTACKS))

    def short(self, name: str, limit: int = 40) -> str:
        """One attack and the label, within `limit` characters (a child's name: 40)."""
        label = f"f{next(self._labels):02d}"
        attack = next(self._attacks)
        while len(attack) + 1 + len(label) > limit:  # never true of today's attacks within 40; kept honest
            attack = next(self._attacks)
        text = f"{attack} {label}"
        self.by_field[name] = text
        return text

    def long(self, name: str) -> str:
        label = f"f{next(self._labels):02d}"
        text = f"{EVERY_ATTACK} {label}"
        self.by_field[name] = text
        return text


@dataclass
class HostileMeeting:
    meeting_id: str
    chair: Member
    professional: Member
    family: Member
    projector: Member
    texts: HostileTexts
    tokens: dict[str, str]
    """The invite tokens handed out (secrets: they must never show up where they should not)."""
    clients: dict[str, BoardClient]


async def create(server: ServerProcess, texts: HostileTexts) -> tuple[Member, dict[str, Member], dict[str, str]]:
    """The meeting and its people over HTTP: title, chair's name, display names and agencies hostile."""
    async with httpx.AsyncClient(base_url=server.url, verify=TLS) as http:
        created = await http.post(
            "/api/meetings", json={"title": texts.short("meeting title", 200), "chair_name": texts.short("chair")}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        meeting_id = body["meeting"]["id"]
        chair_cookie = f"sos_{meeting_id}={created.cookies[f'sos_{meeting_id}']}"
        chair = Member(meeting_id, body["participant"]["id"], "chair", chair_cookie)
        tokens = {"chair": str(body["invite_url"]).split("#", 1)[1]}
        people: dict[str, Member] = {}
        for role in ("professional", "family", "projector"):
            invite: dict[str, Any] = {"display_name": texts.short(f"{role} display name", 80), "role": role}
            if role == "professional":
                invite["agency"] = texts.short("professional agency", 120)
            answer = await http.post(
                f"/api/meetings/{meeting_id}/participants", json=invite, headers={"Cookie": chair_cookie}
            )
            assert answer.status_code == 201, answer.text
            tokens[role] = str(answer.json()["invite_url"]).split("#", 1)[1]
            people[role] = await join(server.url, tokens[role])
    return chair, people, tokens


def steps(t: HostileTexts, people: dict[str, Member]) -> list[tuple[str, dict[str, Any]]]:
    """Every op with words in it, as (who sends it: chair | professional | family, the op)."""
    return [
        ("chair", {"type": "add_child", "child_id": "kid", "name": t.short("child name"), "age": 7}),
        ("chair", {"type": "add_attendee", "attendee_id": "gran", "name": t.short("attendee name", 80),
                   "role_label": t.short("attendee role", 120), "agency": t.short("attendee agency", 120),
                   "group": "family"}),
        ("professional", {"type": "check_in", "attendee_id": "pro-line"}),  # name and agency: from the invite
        ("professional", {"type": "add_card", "card_id": "c-worry", "column": "worries", "kind": "harm",
                          "text": t.long("card: worries"), "child_ids": ["kid"]}),
        ("family", {"type": "add_card", "card_id": "c-well", "column": "working_well", "kind": "strength",
                    "text": t.long("card: working well (family)")}),
        ("chair", {"type": "add_card", "card_id": "c-next", "column": "needs_to_happen", "kind": "next_step",
                   "text": t.long("card: needs to happen")}),
        ("professional", {"type": "add_child_words", "voice_id": "v-1", "child_id": "kid", "house": "worries",
                          "words": t.long("child's words"), "told_to": t.short("child's words told to", 120),
                          "shared": True}),
        ("professional", {"type": "add_statement", "statement_id": "s-1",
                          "who_is_worried": t.long("statement: who is worried"),
                          "behaviour": t.long("statement: behaviour"), "impact": t.long("statement: impact"),
                          "if_nothing_changes": t.long("statement: if nothing changes"), "child_ids": ["kid"]}),
        ("family", {"type": "set_family_view", "statement_id": "s-1", "base_version": 0, "agreement": "partly",
                    "words": t.long("statement: family's view")}),
        ("professional", {"type": "set_safety_goal", "statement_id": "s-1", "base_version": 0,
                          "adults_will": t.long("goal: adults will"),
                          "child_will_experience": t.long("goal: child will experience"),
                          "professionals_will_see": t.long("goal: professionals will see"),
                          "how_long": t.long("goal: how long")}),
        ("chair", {"type": "open_round", "round_id": "r-1", "label": "other", "question": t.long("round question")}),
        ("professional", {"type": "answer_round", "round_id": "r-1", "value": 3,
                          "reason": t.long("answer reason (professional)")}),
        ("family", {"type": "answer_round", "round_id": "r-1", "value": 8, "reason": t.long("answer reason (family)")}),
        ("chair", {"type": "answer_for", "round_id": "r-1", "attendee_id": "gran", "value": 6,
                   "reason": t.long("answer reason (entered by the chair)")}),
        ("chair", {"type": "reveal_round", "round_id": "r-1"}),
        ("professional", {"type": "add_network_member", "member_id": "n-1", "name": t.short("network name", 80),
                          "relationship": t.short("network relationship", 120),
                          "agreed_to": t.long("network agreed to")}),
        ("professional", {"type": "add_step", "step_id": "p-1", "what": t.long("step: what"),
                          "by_when": t.short("step: by when", 120), "how_we_know": t.long("step: how we know"),
                          "child_ids": ["kid"]}),
        ("chair", {"type": "record_decision", "child_id": "kid", "base_version": 0, "outcome": "child_protection_plan",
                   "categories": ["neglect"], "reasons": t.long("decision reasons")}),
        ("family", {"type": "set_decision_view", "child_id": "kid", "base_version": 0, "agreement": "disagree",
                    "words": t.long("decision: family's view")}),
        ("chair", {"type": "add_decision_note", "note_id": "d-1", "child_id": "kid", "kind": "dissent",
                   "who": t.short("dissent: who", 80), "reason": t.long("dissent: reason")}),
    ]  # fmt: skip


async def build(server: ServerProcess, connections: Connections) -> HostileMeeting:
    """The whole meeting, every op acknowledged; not finalised (see `finalise_with_addendum`)."""
    texts = HostileTexts()
    chair, people, tokens = await create(server, texts)
    members = {"chair": chair, **people}
    clients = {who: await connections.connect(server.ws_url, members[who]) for who in ("chair", *people)}
    for who, op in steps(texts, members):
        answer = await clients[who].request(op)
        assert answer["type"] == "ack", (who, op["type"], answer)
    return HostileMeeting(
        chair.meeting_id,
        chair,
        people["professional"],
        people["family"],
        people["projector"],
        texts,
        tokens,
        clients,
    )


async def finalise_with_addendum(meeting: HostileMeeting) -> int:
    """Finalise, then correct the record with an addendum; the addendum's seq (the log's last)."""
    chair = meeting.clients["chair"]
    answer = await chair.request({"type": "finalise"})
    assert answer["type"] == "ack", answer
    addendum = {
        "type": "add_addendum",
        "addendum_id": "a-1",
        "text": meeting.texts.long("addendum text"),
        "reason": meeting.texts.long("addendum reason"),
    }
    answer = await chair.request(addendum)
    assert answer["type"] == "ack", answer
    return int(answer["seq"])
