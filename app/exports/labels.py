"""Plain words for every code the record holds, as a family reads them (no jargon, no acronyms).

One table per enumeration, and each must name every member: tests/exports/test_labels.py checks that, so a new
category, card kind or status cannot reach a family's copy as a bare code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.attendance import Group, Presence
from app.domain.board import CardKind, Column
from app.domain.decision import Category, NoteKind, PlanOutcome
from app.domain.roles import Role
from app.domain.scaling import RoundLabel
from app.domain.statements import Agreement
from app.domain.voice import House

DRAFT = "Draft — not finalised"
FINALISED = "Finalised"
FULL_COPY = "Full record, for the professionals"
FAMILY_COPY = "The family's copy"
NOT_SHARED = "Not shared with the family"
NOBODY_NAMED = "Nobody named yet"
SOMEONE = "Someone no longer listed"
"""A person the record names by an id that no longer has a name (never shown as the id alone)."""
CORE_GROUP_MEETING = "Core group meeting"
"""The name the family will hear for the meetings between conferences: kept, and explained in every copy's "Words
used in this record" (app.exports.record), since the family will be invited to them by this name."""

COLUMN_HEADING: dict[Column, str] = {
    Column.worries: "What are we worried about?",
    Column.working_well: "What's working well?",
    Column.needs_to_happen: "What needs to happen?",
}

CARD_KIND: dict[CardKind, str] = {
    CardKind.harm: "What has happened",
    CardKind.complicating_factor: "What makes it harder",
    CardKind.grey_area: "Not sure, or we disagree",
    CardKind.strength: "Good things in this family",
    CardKind.existing_safety: "Times the children were kept safe",
    CardKind.safety_goal: "What life will look like",
    CardKind.next_step: "Next step",
}

PRESENCE: dict[Presence, str] = {
    Presence.present: "Here",
    Presence.apologies: "Sent apologies",
    Presence.absent: "Not here",
    Presence.left: "Left early",
    Presence.stepped_out: "Stepped out",
}

GROUP: dict[Group, str] = {
    Group.family: "Family",
    Group.professional: "Professional",
    Group.other: "Other",
}

ROLE: dict[Role, str] = {
    Role.chair: "Chair",
    Role.professional: "Professional",
    Role.family: "Family",
    Role.projector: "Room screen",
    Role.observer: "Observer",
}

AGREEMENT: dict[Agreement, str] = {
    Agreement.agree: "Agrees",
    Agreement.partly: "Partly agrees",
    Agreement.disagree: "Disagrees",
    Agreement.not_sure: "Not sure",
}

ROUND_LABEL: dict[RoundLabel, str] = {
    RoundLabel.start: "At the start",
    RoundLabel.end: "At the end",
    RoundLabel.other: "During the meeting",
}

OUTCOME: dict[PlanOutcome, str] = {
    PlanOutcome.child_protection_plan: "A Child Protection plan",
    PlanOutcome.no_plan: "No Child Protection plan",
}
NO_DECISION_IN_COPY = {
    "full": "No decision on this record",
    # The same words whether none was made or it was made while the family stepped out: "no decision" would tell
    # a parent something untrue in the second case, and different words would tell them it happened.
    "family": "No decision is shown in this copy",
}

CATEGORY: dict[Category, str] = {
    Category.neglect: "Neglect",
    Category.physical_abuse: "Physical abuse",
    Category.emotional_abuse: "Emotional abuse",
    Category.sexual_abuse: "Sexual abuse",
}

NOTE_KIND: dict[NoteKind, str] = {
    NoteKind.recommendation: "Recommendation",
    NoteKind.dissent: "Disagrees with the decision",
}

HOUSE: dict[House, str] = {
    House.worries: "House of worries",
    House.good_things: "House of good things",
    House.dreams: "House of dreams",
}

TABLES: tuple[Mapping[Any, str], ...] = (
    COLUMN_HEADING,
    CARD_KIND,
    PRESENCE,
    GROUP,
    ROLE,
    AGREEMENT,
    ROUND_LABEL,
    OUTCOME,
    CATEGORY,
    NOTE_KIND,
    HOUSE,
)
"""Every table above, for the test that each names every member of its enumeration."""
