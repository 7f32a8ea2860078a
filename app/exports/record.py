"""The record of a meeting as a reader needs it: one model for every export (JSON, Markdown, PDF).

`build_record` takes what the store knows (the meeting's state, its people, its facts, its hash chain) and gives
the record in plain words, with every id that has a name put to that name. Two copies:

- `full`: for the chair and the professionals. Items kept from the family are in it, each marked `restricted`.
- `family`: exactly what `meeting_for` lets a family viewer see; items kept from the family are not in it at all.

In both, a scaling round the chair never revealed says only how many people answered: nobody's value or reason
is in any copy (on the board, they belonged to whoever gave them). A revealed answer names the person and role.
Times are UTC (ISO 8601) in the model; the Markdown and PDF show them in the deployment's local time.

`RECORD_VERSION` is the version of this model's shape, published with its JSON Schema (docs/record.schema.json,
written by `python -m app.exports.schema`). Adding an optional field is a new minor revision of the schema file
under the same version; renaming, removing or changing the meaning of a field raises the version.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.agendas import MeetingKind, agenda_templates
from app.domain.attendance import Attendee, Group, Presence
from app.domain.board import CardKind, Column
from app.domain.decision import Category, NoteKind, PlanOutcome
from app.domain.items import kept_from_family
from app.domain.meeting import Meeting, Participant
from app.domain.plain_words import Glossary, flagged_items
from app.domain.plan import AttendeeOwner, NamedOwner, NetworkOwner, NextStep, StepOwner
from app.domain.roles import Role
from app.domain.scaling import Answer, Round, RoundLabel
from app.domain.state import MeetingState
from app.domain.statements import Agreement, FamilyView
from app.domain.visibility import Viewer, meeting_for
from app.domain.voice import House
from app.exports import labels
from app.store.chain import Verification

RECORD_VERSION: Final = 1
Copy = Literal["full", "family"]


class Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Name = Annotated[str, Field(description="A person's name as the meeting knows it (never an id alone).")]
Restricted = Annotated[
    bool,
    Field(description="Kept from the family (closed part, or marked by the chair). Never true in the family's copy."),
]


class MeetingFacts(Out):
    id: str
    title: str
    kind: MeetingKind
    kind_label: str = Field(description="The kind of meeting in plain words.")
    date: dt.date = Field(description="The day the meeting was held (its creation, UTC).")
    created_at: datetime


class RecordStatus(Out):
    finalised: bool
    label: str = Field(description=f"'{labels.FINALISED}' or '{labels.DRAFT}'.")
    finalised_at: datetime | None
    finalised_by: Name | None


class ChildOut(Out):
    id: str
    name: str = Field(description="First name or initials only.")
    age: int | None = Field(description="Years; null for an unborn child or when not known.")


class Mark(Out):
    at: datetime
    status: Presence
    label: str


class Interval(Out):
    started_at: datetime
    ended_at: datetime | None = Field(description="Null: it had not ended when the record was taken.")


class AttendeeOut(Out):
    id: str
    name: Name
    part: str = Field(description="Their part in the meeting, in their words ('Mum', 'Health visitor').")
    agency: str
    group: Group
    group_label: str
    status: Presence = Field(description="Where they were last: present, apologies, absent, left, stepped_out.")
    status_label: str
    report_sent: bool = Field(description="They sent a report to the meeting.")
    on_device: bool = Field(description="They took part on a device of their own.")
    confirmed: bool = Field(description="False: they checked themselves in and the chair has not confirmed it.")
    left_at: datetime | None = Field(description="When they left early, if they did.")
    stepped_out: list[Interval] = Field(description="Each time they stepped out (a closed part), and came back.")
    history: list[Mark] = Field(description="Every change of their attendance, with its time.")


class CardOut(Out):
    id: str
    kind: CardKind
    kind_label: str
    text: str
    author: Name
    author_id: str
    edited_by: Name | None = Field(description="Who last changed the words, when not the author.")
    children: list[str] = Field(description="The names of the children it concerns.")
    restricted: Restricted


class ColumnOut(Out):
    column: Column
    heading: str
    cards: list[CardOut] = Field(description="In the order the room left them.")


class FamilyViewOut(Out):
    agreement: Agreement
    agreement_label: str
    words: str = Field(description="The family's own words.")
    given_by: Name


class SafetyGoalOut(Out):
    adults_will: str
    child_will_experience: str
    professionals_will_see: str
    how_long: str
    author: Name


class StatementOut(Out):
    number: int = Field(description="1, 2, 3... in the order of this copy.")
    id: str
    who_is_worried: str
    behaviour: str = Field(description="What the adults did or may do.")
    impact: str = Field(description="The impact on the child.")
    if_nothing_changes: str
    children: list[str]
    author: Name
    author_id: str
    restricted: Restricted
    family_view: FamilyViewOut | None
    safety_goal: SafetyGoalOut | None


class AnswerOut(Out):
    person_id: str = Field(description="The participant's id, or the attendee's when the chair entered it.")
    name: Name
    role: Role | None = Field(description="The role of who answered on their own device; null when entered.")
    role_label: str = Field(description="Their role or part in plain words, with their agency.")
    value: int = Field(ge=0, le=10)
    reason: str
    entered_by_chair: bool


class RoundOut(Out):
    id: str
    label: RoundLabel
    label_text: str
    question: str
    opened_at: datetime
    revealed: bool
    revealed_at: datetime | None
    restricted: Restricted
    answered: int = Field(description="How many people answered.")
    answers: list[AnswerOut] = Field(description="Only once revealed: an unrevealed round lists nobody's answer.")
    lowest: int | None
    highest: int | None
    middle: float | None = Field(description="The median of the revealed answers.")


class ScaleRow(Out):
    """One person's place on one scale, at the start and at the end, side by side."""

    name: Name
    role_label: str
    start: AnswerOut | None
    end: AnswerOut | None


class ScaleOut(Out):
    subject: str = Field(description="'Overall' or the danger statement scaled, in words.")
    statement_id: str | None
    statement_number: int | None
    start: RoundOut | None = Field(description="The last round labelled 'start'.")
    end: RoundOut | None = Field(description="The last round labelled 'end'.")
    other_rounds: list[RoundOut] = Field(description="Every other round on this scale, in order.")

    def side_by_side(self) -> list[ScaleRow]:
        """Each person who answered the start or the end round (revealed), with both answers."""
        rows: dict[str, ScaleRow] = {}
        for which, scale in (("start", self.start), ("end", self.end)):
            for answer in scale.answers if scale else []:
                row = rows.get(answer.person_id) or ScaleRow(
                    name=answer.name, role_label=answer.role_label, start=None, end=None
                )
                rows[answer.person_id] = row.model_copy(update={which: answer})
        return list(rows.values())


class StepOut(Out):
    number: int
    id: str
    what: str
    who: Name | None = Field(description="Who will do it; null: nobody is named yet.")
    who_kind: Literal["attendee", "network", "person"] | None = Field(
        description="Someone at the meeting, in the safety network, or named in words."
    )
    by_when: str
    how_we_know: str
    children: list[str]
    author: Name
    restricted: Restricted


class PlanOut(Out):
    steps: list[StepOut]
    review_conference: date | None
    core_group: date | None


class NetworkMemberOut(Out):
    id: str
    name: str
    relationship: str
    agreed_to: str
    author: Name
    restricted: Restricted


class CategoryOut(Out):
    category: Category
    label: str


class NoteOut(Out):
    id: str
    kind: NoteKind
    who: str = Field(description="The agency or person.")
    recommends: PlanOutcome | None
    recommends_label: str | None
    categories: list[CategoryOut]
    reason: str
    recorded_by: Name
    restricted: Restricted


class DecisionOut(Out):
    child_id: str
    child: str
    outcome: PlanOutcome | None = Field(description="Null: no decision is recorded for this child.")
    outcome_label: str
    categories: list[CategoryOut]
    reasons: str
    recorded_by: Name | None
    family_view: FamilyViewOut | None
    recommendations: list[NoteOut]
    dissent: list[NoteOut]
    restricted: Restricted


class WordsOut(Out):
    id: str
    words: str = Field(description="In the child's own words, or a description of their drawing.")
    told_to: str
    shared: bool = Field(description="The child agreed to share these words with their family.")
    recorded_by: Name
    restricted: Restricted


class HouseOut(Out):
    house: House
    heading: str
    words: list[WordsOut]


class ChildVoiceOut(Out):
    child_id: str
    child: str
    houses: list[HouseOut] = Field(description="Worries, good things, dreams: always all three.")


class AddendumOut(Out):
    number: int
    id: str
    text: str
    reason: str
    at: datetime
    by: Name
    restricted: Restricted


class WordExplained(Out):
    term: str = Field(description="A word or acronym of children's social care, as the glossary spells it.")
    plain: str = Field(description="What it means, in the words a family would use.")
    note: str


class PlainWords(Out):
    still_flagged: int = Field(
        description="How many fields of this copy (a card's text, a part of a danger statement...) still hold a "
        "word of the glossary of jargon, not counting the family's or a child's own words."
    )
    words_explained: list[WordExplained] = Field(
        description="Every glossary word this copy holds, with its plain words, in alphabetical order."
    )


class Integrity(Out):
    hash: str | None = Field(
        description="SHA-256 of the meeting's last op in its hash chain (docs/record.md); null when the chain "
        "does not hold or nothing has happened yet."
    )
    ops: int = Field(description="How many ops the chain covers: the hash is the one of op number `ops`.")
    as_of_seq: int = Field(description="The record shows the meeting as it was after this op (normally `ops`).")
    chain_holds: bool
    first_broken_seq: int | None
    record_matches_log: bool = Field(description="The stored meeting is exactly its log replayed.")


class Record(Out):
    """A meeting's record, as exported."""

    record_version: Literal[1] = Field(description="The version of this shape (docs/record.schema.json).")
    copy_kind: Copy = Field(description="full: for the professionals; family: what the family may see.")
    copy_label: str
    exported_at: datetime
    meeting: MeetingFacts
    status: RecordStatus
    children: list[ChildOut]
    attendance: list[AttendeeOut]
    closed_parts: list[Interval] = Field(description="When the family was asked to step out.")
    map: list[ColumnOut] = Field(description="The three columns, in order.")
    danger_statements: list[StatementOut]
    scaling: list[ScaleOut] = Field(description="Overall first, then each danger statement scaled.")
    plan: PlanOut
    safety_network: list[NetworkMemberOut]
    decisions: list[DecisionOut] = Field(description="One per child, in the order of the children.")
    childs_voice: list[ChildVoiceOut] = Field(description="One per child: the Three Houses.")
    addenda: list[AddendumOut] = Field(description="Added after the record was finalised, in order.")
    plain_words: PlainWords
    integrity: Integrity


@dataclass(frozen=True, slots=True)
class _Names:
    """Who is who, from the people invited, the attendance list and the safety network."""

    people: dict[str, Participant]
    attendees: dict[str, Attendee]
    network: dict[str, str]
    children: dict[str, str]

    def person(self, participant_id: str) -> str:
        person = self.people.get(participant_id)
        if person is not None:
            return person.display_name
        attendee = next((a for a in self.attendees.values() if a.participant_id == participant_id), None)
        return attendee.name if attendee is not None else labels.SOMEONE

    def maybe(self, participant_id: str | None) -> str | None:
        return None if participant_id is None else self.person(participant_id)

    def kids(self, child_ids: Iterable[str]) -> list[str]:
        return [self.children.get(child_id, labels.SOMEONE) for child_id in child_ids]

    def owner(self, who: StepOwner | None) -> tuple[str | None, Literal["attendee", "network", "person"] | None]:
        if isinstance(who, AttendeeOwner):
            attendee = self.attendees.get(who.attendee_id)
            return (attendee.name if attendee else labels.SOMEONE), "attendee"
        if isinstance(who, NetworkOwner):
            # In the family's copy a member kept from the family is not named: only that someone is.
            return self.network.get(who.member_id, "Someone in the safety network"), "network"
        if isinstance(who, NamedOwner):
            return who.name, "person"
        return None, None


def _with_agency(label: str, agency: str | None) -> str:
    return f"{label}, {agency}" if agency else label


def build_record(
    state: MeetingState,
    meeting: Meeting,
    people: Sequence[Participant],
    chain: Verification,
    record_matches_log: bool,
    *,
    copy: Copy,
    exported_at: datetime,
    glossary: Glossary,
) -> Record:
    """The record of `state` as `copy` (see the module's docstring)."""
    role = Role.family if copy == "family" else Role.chair
    # No viewer id: every unrevealed answer is redacted, whoever asks for the record.
    seen = meeting_for(state, Viewer("", role))
    if copy == "family":
        # meeting_for does not filter addenda (yet): an addendum the chair kept from the family stays out here.
        seen = seen.model_copy(update={"addenda": tuple(a for a in seen.addenda if not kept_from_family(a))})
    names = _Names(
        people={person.id: person for person in people},
        attendees={attendee.id: attendee for attendee in seen.attendees},
        network={member.id: member.name for member in seen.network},
        children={child.id: child.name for child in seen.children},
    )
    statements = _statements(seen, names)
    return Record(
        record_version=RECORD_VERSION,
        copy_kind=copy,
        copy_label=labels.FAMILY_COPY if copy == "family" else labels.FULL_COPY,
        exported_at=exported_at,
        meeting=MeetingFacts(
            id=meeting.id,
            title=meeting.title,
            kind=meeting.kind,
            kind_label=agenda_templates()[meeting.kind].label,
            date=datetime.fromisoformat(meeting.created_at).date(),
            created_at=datetime.fromisoformat(meeting.created_at),
        ),
        status=RecordStatus(
            finalised=seen.finalised is not None,
            label=labels.FINALISED if seen.finalised is not None else labels.DRAFT,
            finalised_at=seen.finalised.at if seen.finalised else None,
            finalised_by=names.person(seen.finalised.by) if seen.finalised else None,
        ),
        children=[ChildOut(id=c.id, name=c.name, age=c.age) for c in seen.children],
        attendance=[_attendee(a) for a in seen.attendees],
        closed_parts=[Interval(started_at=p.started_at, ended_at=p.ended_at) for p in seen.closed_part.parts],
        map=[_column(seen, column, names) for column in Column],
        danger_statements=statements,
        scaling=_scaling(seen, statements, names),
        plan=PlanOut(
            steps=[_step(number, step, names) for number, step in enumerate(seen.steps, start=1)],
            review_conference=seen.plan_dates.review_conference,
            core_group=seen.plan_dates.core_group,
        ),
        safety_network=[
            NetworkMemberOut(
                id=m.id,
                name=m.name,
                relationship=m.relationship,
                agreed_to=m.agreed_to,
                author=names.person(m.author_id),
                restricted=m.restricted,
            )
            for m in seen.network
        ],
        decisions=_decisions(seen, names, labels.NO_DECISION_IN_COPY[copy]),
        childs_voice=_voices(seen, names),
        addenda=[
            AddendumOut(
                number=number,
                id=a.id,
                text=a.text,
                reason=a.reason,
                at=a.at,
                by=names.person(a.author_id),
                restricted=a.restricted,
            )
            for number, a in enumerate(seen.addenda, start=1)
        ],
        plain_words=_plain_words(seen, glossary),
        integrity=Integrity(
            hash=chain.last_hash,
            ops=chain.ops,
            as_of_seq=state.seq,
            chain_holds=chain.holds,
            first_broken_seq=chain.first_broken_seq,
            record_matches_log=record_matches_log,
        ),
    )


def _plain_words(state: MeetingState, glossary: Glossary) -> PlainWords:
    """What of the glossary this copy holds: in what people wrote on the board and in the addenda, and in the
    record's own wording (the plan's dates name the core group meeting)."""
    flagged = flagged_items(state, glossary)
    terms = [term for item in flagged for term in item.terms]
    terms += glossary.terms_in(labels.CORE_GROUP_MEETING)
    for addendum in state.addenda:
        terms += glossary.terms_in(addendum.text) + glossary.terms_in(addendum.reason)
    entries = {entry.term: entry for entry in glossary.entries}
    explained = [
        WordExplained(term=term, plain=entries[term].plain, note=entries[term].note)
        for term in sorted(set(terms), key=str.casefold)
        if term in entries
    ]
    return PlainWords(still_flagged=sum(1 for item in flagged if not item.own_words), words_explained=explained)


def _attendee(attendee: Attendee) -> AttendeeOut:
    history = [Mark(at=m.at, status=m.status, label=labels.PRESENCE[m.status]) for m in attendee.history]
    stepped_out: list[Interval] = []
    left_at: datetime | None = None
    for mark, after in zip(history, [*history[1:], None], strict=True):
        if mark.status is Presence.stepped_out:
            stepped_out.append(Interval(started_at=mark.at, ended_at=after.at if after else None))
        if mark.status is Presence.left:
            left_at = mark.at
    return AttendeeOut(
        id=attendee.id,
        name=attendee.name,
        part=attendee.role_label,
        agency=attendee.agency,
        group=attendee.group,
        group_label=labels.GROUP[attendee.group],
        status=attendee.status,
        status_label=labels.PRESENCE[attendee.status],
        report_sent=attendee.report_sent,
        on_device=attendee.participant_id is not None,
        confirmed=attendee.confirmed,
        left_at=left_at if attendee.status is Presence.left else None,
        stepped_out=stepped_out,
        history=history,
    )


def _column(state: MeetingState, column: Column, names: _Names) -> ColumnOut:
    cards = [
        CardOut(
            id=card.id,
            kind=card.kind,
            kind_label=labels.CARD_KIND[card.kind],
            text=card.text,
            author=names.person(card.author_id),
            author_id=card.author_id,
            edited_by=names.maybe(card.edited_by),
            children=names.kids(card.child_ids),
            restricted=card.restricted,
        )
        for card in state.columns.get(column, ())
    ]
    return ColumnOut(column=column, heading=labels.COLUMN_HEADING[column], cards=cards)


def _family_view(view: FamilyView | None, names: _Names) -> FamilyViewOut | None:
    if view is None:
        return None
    return FamilyViewOut(
        agreement=view.agreement,
        agreement_label=labels.AGREEMENT[view.agreement],
        words=view.words,
        given_by=names.person(view.author_id),
    )


def _statements(state: MeetingState, names: _Names) -> list[StatementOut]:
    out: list[StatementOut] = []
    for number, s in enumerate(state.statements, start=1):
        goal = s.goal
        out.append(
            StatementOut(
                number=number,
                id=s.id,
                who_is_worried=s.who_is_worried,
                behaviour=s.behaviour,
                impact=s.impact,
                if_nothing_changes=s.if_nothing_changes,
                children=names.kids(s.child_ids),
                author=names.person(s.author_id),
                author_id=s.author_id,
                restricted=s.restricted,
                family_view=_family_view(s.family_view, names),
                safety_goal=None
                if goal is None
                else SafetyGoalOut(
                    adults_will=goal.adults_will,
                    child_will_experience=goal.child_will_experience,
                    professionals_will_see=goal.professionals_will_see,
                    how_long=goal.how_long,
                    author=names.person(goal.author_id),
                ),
            )
        )
    return out


def _answer(answer: Answer, names: _Names) -> AnswerOut | None:
    if not answer.revealed or answer.value is None:
        return None
    if answer.attendee_id is not None:
        attendee = names.attendees.get(answer.attendee_id)
        name = attendee.name if attendee else labels.SOMEONE
        part = ""
        if attendee is not None:
            said = attendee.role_label if attendee.role_label not in ("", attendee.name) else ""
            part = said or labels.GROUP[attendee.group]
        role_label = _with_agency(part, attendee.agency if attendee else None)
        person_id = answer.attendee_id
    else:
        person_id = answer.participant_id or answer.submitted_by
        name = names.person(person_id)
        person = names.people.get(person_id)
        role = answer.role or (person.role if person else None)
        role_label = _with_agency(labels.ROLE[role], person.agency if person else None) if role else ""
    return AnswerOut(
        person_id=person_id,
        name=name,
        role=answer.role,
        role_label=role_label,
        value=answer.value,
        reason=answer.reason or "",
        entered_by_chair=answer.entered_by_chair,
    )


def _round(scale: Round, answers: Sequence[Answer], names: _Names) -> RoundOut:
    given = [a for a in answers if a.round_id == scale.id]
    shown = [out for a in given if (out := _answer(a, names)) is not None] if scale.revealed else []
    values = [a.value for a in shown]
    return RoundOut(
        id=scale.id,
        label=scale.label,
        label_text=labels.ROUND_LABEL[scale.label],
        question=scale.question,
        opened_at=scale.opened_at,
        revealed=scale.revealed,
        revealed_at=scale.revealed_at,
        restricted=scale.restricted,
        answered=len(given),
        answers=shown,
        lowest=min(values) if values else None,
        highest=max(values) if values else None,
        middle=statistics.median(values) if values else None,
    )


def _scaling(state: MeetingState, statements: list[StatementOut], names: _Names) -> list[ScaleOut]:
    number_of = {s.id: s.number for s in statements}
    subjects: list[str | None] = [None, *(s.id for s in statements)]
    # A round on a statement this copy does not hold (kept from the family) is listed after, unnamed.
    subjects += list(dict.fromkeys(r.statement_id for r in state.rounds if r.statement_id not in subjects))
    scales: list[ScaleOut] = []
    for subject in subjects:
        rounds = [_round(r, state.answers, names) for r in state.rounds if r.statement_id == subject]
        if not rounds:
            continue
        start = next((r for r in reversed(rounds) if r.label is RoundLabel.start), None)
        end = next((r for r in reversed(rounds) if r.label is RoundLabel.end), None)
        number = number_of.get(subject) if subject else None
        if subject is None:
            title = "Overall: how safe are the children?"
        elif number is not None:
            title = f"Danger statement {number}"
        else:
            title = "A danger statement"
        scales.append(
            ScaleOut(
                subject=title,
                statement_id=subject,
                statement_number=number,
                start=start,
                end=end,
                other_rounds=[r for r in rounds if r is not start and r is not end],
            )
        )
    return scales


def _step(number: int, step: NextStep, names: _Names) -> StepOut:
    who, who_kind = names.owner(step.who)
    return StepOut(
        number=number,
        id=step.id,
        what=step.what,
        who=who,
        who_kind=who_kind,
        by_when=step.by_when,
        how_we_know=step.how_we_know,
        children=names.kids(step.child_ids),
        author=names.person(step.author_id),
        restricted=step.restricted,
    )


def _categories(categories: Iterable[Category]) -> list[CategoryOut]:
    return [CategoryOut(category=c, label=labels.CATEGORY[c]) for c in categories]


def _decisions(state: MeetingState, names: _Names, no_decision: str) -> list[DecisionOut]:
    out: list[DecisionOut] = []
    for child in state.children:
        decision = next((d for d in state.decisions if d.child_id == child.id), None)
        notes = [
            NoteOut(
                id=n.id,
                kind=n.kind,
                who=n.who,
                recommends=n.recommends,
                recommends_label=labels.OUTCOME[n.recommends] if n.recommends else None,
                categories=_categories(n.categories),
                reason=n.reason,
                recorded_by=names.person(n.author_id),
                restricted=n.restricted,
            )
            for n in state.decision_notes
            if n.child_id == child.id
        ]
        outcome = decision.outcome if decision else None
        out.append(
            DecisionOut(
                child_id=child.id,
                child=child.name,
                outcome=outcome,
                outcome_label=labels.OUTCOME[outcome] if outcome else no_decision,
                categories=_categories(decision.categories if decision else ()),
                reasons=decision.reasons if decision else "",
                recorded_by=names.maybe(decision.recorded_by) if decision else None,
                family_view=_family_view(decision.family_view, names) if decision else None,
                recommendations=[n for n in notes if n.kind is NoteKind.recommendation],
                dissent=[n for n in notes if n.kind is NoteKind.dissent],
                restricted=decision.restricted if decision else False,
            )
        )
    return out


def _voices(state: MeetingState, names: _Names) -> list[ChildVoiceOut]:
    out: list[ChildVoiceOut] = []
    for child in state.children:
        houses = [
            HouseOut(
                house=house,
                heading=labels.HOUSE[house],
                words=[
                    WordsOut(
                        id=w.id,
                        words=w.words,
                        told_to=w.told_to,
                        shared=w.shared,
                        recorded_by=names.person(w.author_id),
                        restricted=w.restricted,
                    )
                    for w in state.voices
                    if w.child_id == child.id and w.house is house
                ],
            )
            for house in House
        ]
        out.append(ChildVoiceOut(child_id=child.id, child=child.name, houses=houses))
    return out


def present(attendance: Iterable[AttendeeOut]) -> list[AttendeeOut]:
    """Who was there: here now, or there and left early or stepped out."""
    return [a for a in attendance if a.status in (Presence.present, Presence.left, Presence.stepped_out)]
