"""A conference with every kind of item the record holds, written through ordinary operations, so the domain
tests (ConferenceRoom) and the API tests (the store's OpLog) build the same meeting.

Items kept from the family carry a canary word (CANARY-...): the family's copy must hold none of them, the full
copy every one. Answers to a round the chair never revealed carry UNREVEALED-...: no copy holds those. One card
holds text that would be Markdown or HTML if it were not escaped (`HOSTILE`); one holds jargon (LADO, s47), and
the restricted card the jargon PLO, which only the full copy explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.context import Actor
from app.domain.meeting import Participant
from app.domain.roles import Role

OpDict = dict[str, Any]
Step = tuple[str, OpDict]
"""(who acts: a key of PEOPLE, the operation as a client sends it)."""

HOSTILE = "**bold** # heading <script>alert(1)</script> [x](javascript:alert(1)) | cell"

RESTRICTED_CANARIES = (
    "CANARY-CLOSED-CARD",
    "CANARY-RESTRICTED-CARD",
    "CANARY-STATEMENT",
    "CANARY-CLOSED-ROUND",
    "CANARY-NETWORK",
    "CANARY-STEP",
    "CANARY-NOTE",
    "CANARY-UNSHARED-WORDS",
    "CANARY-RESTRICTED-WORDS",
    "CANARY-ADDENDUM",
)
"""Words in items kept from the family: in the full copy, never in the family's."""
UNREVEALED = ("UNREVEALED-PRO-REASON", "UNREVEALED-MUM-REASON")
"""Reasons given in a round the chair never revealed: in no copy."""

DECISION_REASONS = "There is not enough food at home and A. often misses school"
FIRST_STEP = "Gran collects A. from school every Friday"
PUBLIC_WORDS = (
    "Mum keeps a tidy home",  # a card
    "Dad drinks and shouts at night",  # a danger statement
    "Dad does not drink at home",  # its safety goal
    "Not every night",  # the family's view of it
    DECISION_REASONS,
    FIRST_STEP,
    "Aunt Sue",  # the safety network
    "I like my bike",  # a child's words, shared
    "The review is moved to 3 March",  # an addendum
)


@dataclass(frozen=True)
class Person:
    id: str
    role: Role
    name: str
    agency: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role, self.name, self.agency)

    @property
    def participant(self) -> Participant:
        return Participant(self.id, "m-1", self.role, self.name, self.agency)


PEOPLE: dict[str, Person] = {
    "chair": Person("chair-1", Role.chair, "Chris Chair", "Safeguarding unit"),
    "worker": Person("sw-1", Role.professional, "Sam Worker", "Children's services"),
    "mum": Person("mum-1", Role.family, "Jo Parent"),
}


def steps() -> list[Step]:
    """The meeting, op by op, ending finalised with two addenda."""
    restrict = "set_restricted"
    return [
        ("chair", {"type": "add_child", "child_id": "child-a", "name": "A.", "age": 7}),
        ("chair", {"type": "add_child", "child_id": "child-b", "name": "B.", "age": 4}),
        ("chair", {"type": "add_attendee", "attendee_id": "gran", "name": "Gran", "role_label": "Gran",
                   "group": "family"}),
        ("chair", {"type": "add_attendee", "attendee_id": "hv", "name": "Pat Health", "role_label": "Health visitor",
                   "agency": "Health", "status": "apologies", "report_sent": True}),
        ("chair", {"type": "add_attendee", "attendee_id": "teacher", "name": "Lee Teacher", "role_label": "Teacher",
                   "agency": "School"}),
        ("chair", {"type": "add_attendee", "attendee_id": "police", "name": "Officer Dee", "agency": "Police",
                   "status": "absent"}),
        ("mum", {"type": "check_in", "attendee_id": "mum-line"}),
        ("chair", {"type": "confirm_attendee", "attendee_id": "mum-line"}),
        ("chair", {"type": "check_in", "attendee_id": "chair-line"}),
        # The map: every kind of card.
        ("worker", {"type": "add_card", "card_id": "c-harm", "column": "worries", "kind": "harm",
                    "text": "A. came to school hungry three times", "child_ids": ["child-a"]}),
        ("worker", {"type": "add_card", "card_id": "c-complicating", "column": "worries",
                    "kind": "complicating_factor", "text": "Dad's drinking"}),
        ("worker", {"type": "add_card", "card_id": "c-hostile", "column": "worries", "kind": "grey_area",
                    "text": HOSTILE}),
        ("mum", {"type": "add_card", "card_id": "c-strength", "column": "working_well", "kind": "strength",
                 "text": "Mum keeps a tidy home"}),
        ("worker", {"type": "add_card", "card_id": "c-safety", "column": "working_well", "kind": "existing_safety",
                    "text": "Gran has had the children every weekend for a year"}),
        ("worker", {"type": "add_card", "card_id": "c-goal", "column": "needs_to_happen", "kind": "safety_goal",
                    "text": "The children have a meal every evening"}),
        ("worker", {"type": "add_card", "card_id": "c-next", "column": "needs_to_happen", "kind": "next_step",
                    "text": "Food bank referral"}),
        ("worker", {"type": "add_card", "card_id": "c-jargon", "column": "worries", "kind": "complicating_factor",
                    "text": "The LADO was told, and a s47 enquiry followed"}),
        ("worker", {"type": "add_card", "card_id": "c-restricted", "column": "worries", "kind": "harm",
                    "text": "CANARY-RESTRICTED-CARD police information before the PLO meeting"}),
        ("chair", {"type": restrict, "entity": "card", "item_id": "c-restricted", "restricted": True}),
        ("chair", {"type": "edit_card", "card_id": "c-complicating", "base_version": 1,
                   "text": "Dad's drinking at night"}),
        # The child's voice.
        ("worker", {"type": "add_child_words", "voice_id": "v-bike", "child_id": "child-a", "house": "good_things",
                    "words": "I like my bike", "shared": True, "told_to": "Sam, at school"}),
        ("worker", {"type": "add_child_words", "voice_id": "v-dream", "child_id": "child-a", "house": "dreams",
                    "words": "A dog called Max", "shared": True}),
        ("worker", {"type": "add_child_words", "voice_id": "v-unshared", "child_id": "child-a", "house": "worries",
                    "words": "CANARY-UNSHARED-WORDS Dad shouting", "shared": False}),
        ("worker", {"type": "add_child_words", "voice_id": "v-restricted", "child_id": "child-b",
                    "house": "worries", "words": "CANARY-RESTRICTED-WORDS", "shared": True}),
        ("chair", {"type": restrict, "entity": "voice", "item_id": "v-restricted", "restricted": True}),
        # Danger statements, the family's view and a safety goal.
        ("worker", {"type": "add_statement", "statement_id": "s-1", "who_is_worried": "Children's services",
                    "behaviour": "Dad drinks and shouts at night", "impact": "A. is frightened and does not sleep",
                    "if_nothing_changes": "A. could be hurt", "child_ids": ["child-a", "child-b"]}),
        ("mum", {"type": "set_family_view", "statement_id": "s-1", "base_version": 0, "agreement": "partly",
                 "words": "Not every night"}),
        ("worker", {"type": "set_safety_goal", "statement_id": "s-1", "base_version": 0,
                    "adults_will": "Dad does not drink at home",
                    "child_will_experience": "A quiet house at bedtime",
                    "professionals_will_see": "Sober visits", "how_long": "Six months"}),
        ("worker", {"type": "add_statement", "statement_id": "s-2", "behaviour": "CANARY-STATEMENT an allegation"}),
        ("chair", {"type": restrict, "entity": "statement", "item_id": "s-2", "restricted": True}),
        # Scaling: overall at the start and the end, and one danger statement; one round never revealed.
        ("chair", {"type": "open_round", "round_id": "r-start", "label": "start"}),
        ("worker", {"type": "answer_round", "round_id": "r-start", "value": 3, "reason": "Too many nights"}),
        ("mum", {"type": "answer_round", "round_id": "r-start", "value": 7, "reason": "Gran helps"}),
        ("chair", {"type": "answer_for", "round_id": "r-start", "attendee_id": "gran", "value": 6,
                   "reason": "I am there at weekends"}),
        ("chair", {"type": "reveal_round", "round_id": "r-start"}),
        ("chair", {"type": "open_round", "round_id": "r-statement", "statement_id": "s-1", "label": "start"}),
        ("worker", {"type": "answer_round", "round_id": "r-statement", "value": 2, "reason": "Worried"}),
        ("chair", {"type": "reveal_round", "round_id": "r-statement"}),
        ("chair", {"type": "open_round", "round_id": "r-hidden", "label": "other", "question": "Mid-point"}),
        ("worker", {"type": "answer_round", "round_id": "r-hidden", "value": 1, "reason": "UNREVEALED-PRO-REASON"}),
        ("mum", {"type": "answer_round", "round_id": "r-hidden", "value": 9, "reason": "UNREVEALED-MUM-REASON"}),
        # The plan: someone at the meeting, someone in the network, someone named, nobody.
        ("worker", {"type": "add_network_member", "member_id": "n-sue", "name": "Aunt Sue", "relationship": "Aunt",
                    "agreed_to": "Visit on Wednesdays"}),
        ("worker", {"type": "add_network_member", "member_id": "n-hidden", "name": "CANARY-NETWORK neighbour"}),
        ("chair", {"type": restrict, "entity": "network_member", "item_id": "n-hidden", "restricted": True}),
        ("worker", {"type": "add_step", "step_id": "p-1", "what": FIRST_STEP,
                    "who": {"kind": "attendee", "attendee_id": "gran"}, "by_when": "From 5 December",
                    "how_we_know": "The school sees Gran at the gate", "child_ids": ["child-a"]}),
        ("worker", {"type": "add_step", "step_id": "p-2", "what": "Sue visits on Wednesdays",
                    "who": {"kind": "network", "member_id": "n-sue"}, "by_when": "2026-12-09"}),
        ("worker", {"type": "add_step", "step_id": "p-3", "what": "Referral to the drinking service",
                    "who": {"kind": "person", "name": "The GP"}}),
        ("worker", {"type": "add_step", "step_id": "p-4", "what": "A visit by CANARY-NETWORK neighbour",
                    "who": {"kind": "network", "member_id": "n-hidden"}}),
        ("worker", {"type": "add_step", "step_id": "p-5", "what": "CANARY-STEP police check"}),
        ("chair", {"type": restrict, "entity": "step", "item_id": "p-5", "restricted": True}),
        ("chair", {"type": restrict, "entity": "step", "item_id": "p-4", "restricted": True}),
        ("chair", {"type": "set_plan_dates", "review_conference": "2027-03-01", "core_group": "2026-12-14"}),
        # A closed part: the family steps out; everything said then is kept from them.
        ("chair", {"type": "start_closed_part"}),
        ("worker", {"type": "add_card", "card_id": "c-closed", "column": "worries", "kind": "harm",
                    "text": "CANARY-CLOSED-CARD said without the family"}),
        ("chair", {"type": "open_round", "round_id": "r-closed", "label": "other"}),
        ("worker", {"type": "answer_round", "round_id": "r-closed", "value": 4, "reason": "CANARY-CLOSED-ROUND"}),
        ("chair", {"type": "reveal_round", "round_id": "r-closed"}),
        ("chair", {"type": "add_decision_note", "note_id": "note-closed", "child_id": "child-a", "kind": "dissent",
                   "who": "Police", "reason": "CANARY-NOTE an investigation"}),
        ("chair", {"type": "end_closed_part"}),
        ("chair", {"type": "set_attendance", "attendee_id": "teacher", "status": "left"}),
        # The end of the meeting: the overall scale again, the decision for each child.
        ("chair", {"type": "open_round", "round_id": "r-end", "label": "end"}),
        ("worker", {"type": "answer_round", "round_id": "r-end", "value": 5, "reason": "A plan we all agree"}),
        ("mum", {"type": "answer_round", "round_id": "r-end", "value": 8, "reason": "We will manage"}),
        ("chair", {"type": "reveal_round", "round_id": "r-end"}),
        ("chair", {"type": "add_decision_note", "note_id": "note-police", "child_id": "child-a",
                   "kind": "recommendation", "who": "Police", "recommends": "child_protection_plan",
                   "categories": ["neglect"], "reason": "Repeated call-outs"}),
        ("chair", {"type": "add_decision_note", "note_id": "note-school", "child_id": "child-a", "kind": "dissent",
                   "who": "School", "reason": "Things got better this term"}),
        ("chair", {"type": "record_decision", "child_id": "child-a", "base_version": 0,
                   "outcome": "child_protection_plan", "categories": ["neglect", "emotional_abuse"],
                   "reasons": DECISION_REASONS}),
        ("chair", {"type": "record_decision", "child_id": "child-b", "base_version": 0, "outcome": "no_plan",
                   "reasons": "B. is safe with Gran"}),
        ("mum", {"type": "set_decision_view", "child_id": "child-a", "base_version": 0, "agreement": "disagree",
                 "words": "We can manage with Gran"}),
        ("chair", {"type": "set_focus", "entity": "statement", "item_id": "s-2"}),
        ("chair", {"type": "finalise"}),
        ("chair", {"type": "add_addendum", "addendum_id": "add-1", "text": "The review is moved to 3 March",
                   "reason": "The school asked"}),
        ("chair", {"type": "add_addendum", "addendum_id": "add-2", "text": "CANARY-ADDENDUM a new report",
                   "reason": "Came after", "restricted": True}),
    ]  # fmt: skip
