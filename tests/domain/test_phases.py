"""The agenda in motion: the chair moves next, back or jumps; a move from a phase the meeting already left is
refused; an accidental move is one step back; the timer is stored as a start and a length. Phases lock nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.agendas import MeetingKind, agenda_for, agenda_templates
from app.domain.phases import PhaseChange, PhaseState, SetPhase, SetTimer, Timer
from app.domain.state import MeetingState
from tests.support.conference_ops import START, ConferenceRoom

from ._support import CHAIR, MUM, SOCIAL_WORKER, said

INITIAL = [
    "welcome",
    "worries",
    "working_well",
    "childs_voice",
    "danger_statements",
    "scaling",
    "plan",
    "decision",
    "close",
]


def test_an_initial_conference_follows_the_agenda_of_the_practice() -> None:
    state = MeetingState.new(MeetingKind.initial_conference)
    assert [phase.id for phase in state.agenda] == INITIAL
    assert state.phase == PhaseState(current="welcome")
    assert state.agenda[0].title == "Welcome and introductions"
    assert all(phase.title and phase.prompt for phase in state.agenda), "every screen shows the phase and a prompt"


@pytest.mark.parametrize("kind", list(MeetingKind))
def test_every_kind_of_meeting_starts_at_the_first_phase_of_its_own_agenda(kind: MeetingKind) -> None:
    state = MeetingState.new(kind)
    assert state.kind is kind
    assert state.agenda == agenda_for(kind) == agenda_templates()[kind].phases
    assert state.phase.current == state.agenda[0].id == "welcome"
    assert state.agenda[-1].id == "close"
    assert len({phase.id for phase in state.agenda}) == len(state.agenda)


def test_a_mapping_meeting_has_no_decision_and_a_core_group_starts_with_the_plan() -> None:
    mapping = [phase.id for phase in agenda_for(MeetingKind.mapping)]
    assert "decision" not in mapping and "needs_to_happen" in mapping
    assert [phase.id for phase in agenda_for(MeetingKind.core_group)][:2] == ["welcome", "progress"]


def test_the_chair_moves_to_the_next_phase_and_every_screen_learns_when() -> None:
    room = ConferenceRoom()
    at = room.now
    applied = room.do(CHAIR, SetPhase(phase="worries", from_phase="welcome"))
    assert room.state.phase == PhaseState(current="worries", previous="welcome", started_at=at)
    assert said(applied.changes) == said((PhaseChange(value=room.state.phase),))


def test_the_chair_jumps_ahead_and_steps_back_in_one_click() -> None:
    room = ConferenceRoom()
    room.do(CHAIR, SetPhase(phase="worries", from_phase="welcome"))
    room.do(CHAIR, SetPhase(phase="decision", from_phase="worries"))  # a slip of the hand
    assert (room.state.phase.current, room.state.phase.previous) == ("decision", "worries")

    back = room.state.phase.previous
    assert back is not None
    room.do(CHAIR, SetPhase(phase=back, from_phase="decision"))

    assert room.state.phase.current == "worries"
    assert room.state.phase.previous == "decision", "and undoing the undo is one click too"


def test_choosing_the_current_phase_again_keeps_the_way_back() -> None:
    room = ConferenceRoom()
    room.do(CHAIR, SetPhase(phase="worries"))
    room.do(CHAIR, SetPhase(phase="worries", from_phase="worries"))
    assert room.state.phase.previous == "welcome"


def test_a_move_from_a_phase_the_meeting_already_left_is_refused() -> None:
    """Two chair devices, or a double click on 'Next': the second move is refused instead of skipping a phase."""
    room = ConferenceRoom()
    room.do(CHAIR, SetPhase(phase="worries", from_phase="welcome"))
    room.refuses(CHAIR, SetPhase(phase="worries", from_phase="welcome"), "phase_changed")
    room.refuses(CHAIR, SetPhase(phase="working_well", from_phase="welcome"), "phase_changed")
    assert room.state.phase.current == "worries"


def test_a_move_without_the_phase_it_came_from_always_lands() -> None:
    room = ConferenceRoom()
    room.do(CHAIR, SetPhase(phase="plan"))
    room.do(CHAIR, SetPhase(phase="scaling"))
    assert (room.state.phase.current, room.state.phase.previous) == ("scaling", "plan")


def test_a_phase_that_is_not_on_this_meetings_agenda_is_refused() -> None:
    room = ConferenceRoom(MeetingState.new(MeetingKind.mapping))
    room.refuses(CHAIR, SetPhase(phase="decision"), "invalid_operation")
    room.refuses(CHAIR, SetPhase(phase="no_such_phase"), "invalid_operation")


def test_moving_with_a_timer_stores_its_start_and_length_and_the_next_move_drops_it() -> None:
    room = ConferenceRoom()
    at = room.now
    room.do(CHAIR, SetPhase(phase="worries", timer_minutes=20))
    assert room.state.phase.timer == Timer(started_at=at, seconds=20 * 60)
    room.do(CHAIR, SetPhase(phase="working_well"))
    assert room.state.phase.timer is None


def test_the_chair_starts_restarts_and_stops_the_timer_of_the_current_phase() -> None:
    room = ConferenceRoom()
    room.do(CHAIR, SetPhase(phase="scaling"))
    moved_at = room.state.phase.started_at

    first = room.now
    room.do(CHAIR, SetTimer(minutes=10))
    assert room.state.phase.timer == Timer(started_at=first, seconds=600)

    room.now += timedelta(minutes=7)
    again = room.now
    room.do(CHAIR, SetTimer(minutes=5))
    assert room.state.phase.timer == Timer(started_at=again, seconds=300), "screens count down from the new start"

    room.do(CHAIR, SetTimer(minutes=None))
    assert room.state.phase.timer is None
    assert room.state.phase.current == "scaling" and room.state.phase.started_at == moved_at


def test_moving_phases_changes_nothing_but_the_phase() -> None:
    room = ConferenceRoom()
    room.do(SOCIAL_WORKER, {"type": "add_card", "column": "worries", "kind": "harm", "text": "Bruise seen"})
    room.do(SOCIAL_WORKER, {"type": "add_statement", "behaviour": "Dad hits"})
    before = room.state
    room.do(CHAIR, SetPhase(phase="decision", timer_minutes=10))
    assert room.state.model_dump(exclude={"phase", "seq"}) == before.model_dump(exclude={"phase", "seq"})


@pytest.mark.parametrize("phase", INITIAL)
def test_phases_lock_nothing(phase: str) -> None:
    """Whatever phase the meeting is in, anyone may still add to any part of it (the room goes back and forth)."""
    room = ConferenceRoom()
    room.do(CHAIR, {"type": "add_child", "child_id": "k", "name": "K"})
    room.do(CHAIR, SetPhase(phase=phase))
    room.do(MUM, {"type": "add_card", "column": "working_well", "kind": "strength", "text": "I walk him to school"})
    room.do(SOCIAL_WORKER, {"type": "add_statement", "statement_id": "s", "behaviour": "Dad drinks"})
    room.do(CHAIR, {"type": "add_attendee", "name": "Late teacher"})
    room.do(CHAIR, {"type": "open_round", "round_id": "r"})
    room.do(MUM, {"type": "answer_round", "round_id": "r", "value": 8})
    room.do(SOCIAL_WORKER, {"type": "add_step", "what": "Weekly visits"})
    room.do(CHAIR, {"type": "record_decision", "child_id": "k", "base_version": 0, "outcome": "no_plan"})
    room.do(SOCIAL_WORKER, {"type": "add_child_words", "child_id": "k", "house": "dreams", "words": "A dog"})
    assert room.state.phase.current == phase


def test_the_first_move_remembers_where_the_meeting_started() -> None:
    room = ConferenceRoom()
    assert room.state.phase.started_at is None
    room.do(CHAIR, SetPhase(phase="worries"))
    assert room.state.phase.started_at == START
