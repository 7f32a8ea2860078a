"""The child's voice: a panel per child holds their own words (the Three Houses: worries, good things, dreams),
with whether the child agreed that their words may be shared with the family. Without that consent the words are
kept from the family and the room screen like a closed-part item."""

from __future__ import annotations

import pytest

from app.domain.errors import StaleVersion
from app.domain.roles import Role
from app.domain.visibility import Viewer, meeting_for
from app.domain.voice import (
    AddChildWords,
    ChildWords,
    ChildWordsChange,
    DeleteChildWords,
    EditChildWords,
    House,
)
from tests.support.conference_ops import ConferenceRoom

from ._support import CHAIR, MUM, SOCIAL_WORKER, TEACHER, said


def _room() -> ConferenceRoom:
    room = ConferenceRoom()
    room.do(CHAIR, {"type": "add_child", "child_id": "amy", "name": "Amy", "age": 7})
    room.do(CHAIR, {"type": "add_child", "child_id": "ben", "name": "Ben", "age": 9})
    return room


def test_the_social_worker_writes_down_a_childs_words_in_one_of_the_three_houses() -> None:
    room = _room()
    applied = room.do(
        SOCIAL_WORKER,
        AddChildWords(
            child_id="amy",
            house=House.worries,
            words="When Daddy shouts I hide under my bed",
            shared=True,
            told_to="Sam, at school, 20 November",
        ),
    )
    (words,) = room.state.voices
    assert words == ChildWords(
        id="srv-3",
        author_id="sw-1",
        child_id="amy",
        house=House.worries,
        words="When Daddy shouts I hide under my bed",
        shared=True,
        told_to="Sam, at school, 20 November",
    )
    assert said(applied.changes) == said((ChildWordsChange(id="srv-3", value=words),))


def test_each_child_has_their_own_panel_with_three_houses() -> None:
    room = _room()
    for child, house in [("amy", House.worries), ("amy", House.good_things), ("ben", House.dreams)]:
        room.do(SOCIAL_WORKER, AddChildWords(child_id=child, house=house, words=f"{child} {house}", shared=True))
    assert [(w.child_id, w.house) for w in room.state.voices] == [
        ("amy", House.worries),
        ("amy", House.good_things),
        ("ben", House.dreams),
    ]


def test_words_without_consent_are_kept_from_the_family_and_the_room_screen() -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddChildWords(voice_id="secret", child_id="amy", house=House.worries, words="Not shared"))
    room.do(
        SOCIAL_WORKER, AddChildWords(voice_id="open", child_id="amy", house=House.dreams, words="A dog", shared=True)
    )
    assert room.state.voices[0].kept_from_family() and not room.state.voices[0].restricted
    for role in (Role.family, Role.projector):
        assert [w.id for w in meeting_for(room.state, Viewer("someone", role)).voices] == ["open"]
    for role in (Role.chair, Role.professional, Role.observer):
        assert [w.id for w in meeting_for(room.state, Viewer("someone", role)).voices] == ["secret", "open"]


def test_consent_given_later_shares_the_words() -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddChildWords(voice_id="v", child_id="amy", house=House.good_things, words="Gran's cake"))
    room.do(
        SOCIAL_WORKER,
        EditChildWords(voice_id="v", base_version=1, house=House.good_things, words="Gran's cake", shared=True),
    )
    assert room.state.voices[0].version == 2
    assert [w.words for w in meeting_for(room.state, Viewer("mum-1", Role.family)).voices] == ["Gran's cake"]


def test_a_colleague_edits_the_words_and_both_names_show() -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddChildWords(voice_id="v", child_id="amy", house=House.dreams, words="A dog", shared=True))
    room.do(TEACHER, EditChildWords(voice_id="v", base_version=1, house=House.dreams, words="A puppy", shared=True))
    words = room.state.voices[0]
    assert (words.words, words.version, words.author_id, words.edited_by) == ("A puppy", 2, "sw-1", "school-1")
    refused = room.refuses(
        SOCIAL_WORKER,
        EditChildWords(voice_id="v", base_version=1, house=House.dreams, words="A cat", shared=True),
        "stale_version",
    )
    assert isinstance(refused, StaleVersion) and refused.current == words


def test_saving_the_same_words_again_is_no_change() -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddChildWords(voice_id="v", child_id="amy", house=House.dreams, words="A dog"))
    room.do(TEACHER, EditChildWords(voice_id="v", base_version=1, house=House.dreams, words="A dog"))
    assert (room.state.voices[0].version, room.state.voices[0].edited_by) == (1, None)


def test_deleting_words_needs_the_version_the_user_saw() -> None:
    room = _room()
    room.do(SOCIAL_WORKER, AddChildWords(voice_id="v", child_id="amy", house=House.dreams, words="A dog"))
    room.do(SOCIAL_WORKER, EditChildWords(voice_id="v", base_version=1, house=House.dreams, words="Two dogs"))
    room.refuses(CHAIR, DeleteChildWords(voice_id="v", base_version=1), "stale_version")
    applied = room.do(CHAIR, DeleteChildWords(voice_id="v", base_version=2))
    assert room.state.voices == ()
    assert said(applied.changes) == said((ChildWordsChange(id="v", value=None),))


@pytest.mark.parametrize(
    "op",
    [
        EditChildWords(voice_id="gone", base_version=1, house=House.dreams, words="x"),
        DeleteChildWords(voice_id="gone", base_version=1),
    ],
    ids=lambda op: op.type,
)
def test_words_that_are_not_there_are_refused(op: EditChildWords | DeleteChildWords) -> None:
    room = _room()
    room.refuses(SOCIAL_WORKER, op, "item_not_found")


def test_words_for_a_child_not_in_the_meeting_are_refused() -> None:
    room = _room()
    room.refuses(SOCIAL_WORKER, AddChildWords(child_id="zoe", house=House.dreams, words="x"), "child_not_found")


def test_the_family_cannot_write_down_a_childs_words() -> None:
    room = _room()
    room.refuses(MUM, AddChildWords(child_id="amy", house=House.dreams, words="x", shared=True), "forbidden")
