"""The pace at which the op log answers ops while they queue (app/store/answer_pace.py)."""

from __future__ import annotations

import pytest

from app.store.answer_pace import AnswerPace


def test_ops_answered_now_and_then_do_not_make_the_pace_slow() -> None:
    # An edit every few seconds, each answered before the next comes: the time between answers is the room's quiet,
    # not the op log's work, and an op taken now would not wait for it.
    pace = AnswerPace(seconds_per_op=0.001)
    for second in range(10):
        pace.answered(first_submitted=second * 3.0, now=second * 3.0 + 0.002, ops=1)
    assert pace.seconds_per_op == 0.001
    assert pace.expected_wait(waiting=20, now=30.0) == 0.0  # no queue measured: nothing to expect a wait from


def test_while_ops_queue_the_pace_follows_the_time_between_answers() -> None:
    pace = AnswerPace(seconds_per_op=0.001)
    pace.answered(first_submitted=0.0, now=0.1, ops=10)  # the first answer only starts the clock
    assert pace.seconds_per_op == 0.001
    now = 0.1
    for _ in range(40):  # groups of 20 each submitted before the last answer: 200 ms apart, 10 ms an op
        pace.answered(first_submitted=now - 0.05, now=now + 0.2, ops=20)
        now += 0.2
    assert pace.seconds_per_op == pytest.approx(0.01, rel=0.01)
    # 30 ops waiting at that pace: an op taken now would wait about 300 ms
    assert pace.expected_wait(waiting=30, now=now) == pytest.approx(0.3, rel=0.01)
    # a burst after a quiet spell (the queue emptied since): that old pace says nothing of it
    assert pace.expected_wait(waiting=30, now=now + 5) == 0.0

    # the queue drains faster again: the pace follows within a few groups
    for _ in range(40):
        pace.answered(first_submitted=now - 0.01, now=now + 0.02, ops=20)
        now += 0.02
    assert pace.seconds_per_op == pytest.approx(0.001, rel=0.05)
