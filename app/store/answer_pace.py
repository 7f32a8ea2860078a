"""The pace at which the op log answers ops while they queue: what an op taken now would wait.

The op log's other bounds look at the ops already waiting (how many; how long the oldest has waited). Past a
process's capacity, refused edits come back faster than they are answered, and a queue let fill up for a quarter of
a second then holds far more than a quarter of a second of work: on a slow machine, bench.compare's A past capacity
with only those bounds, the ops taken waited 150-450 ms for their answers at the p99. The ops waiting times this pace
is how long the next one would wait (Little's law: the queue's length over its throughput), so the op log can refuse
an op before it waits too long rather than after.
"""

from __future__ import annotations

SMOOTHING = 8
"""Each group answered moves the pace an eighth of the way to what it measured: a few groups' worth of memory."""
FRESH_SECONDS = 1.0
"""How long a pace measured says something of the queue: ops queue again and again while a process is past its
capacity, so its pace is always fresh then. A burst after a quiet spell (a room all adding at once) is judged by the
other bounds, not by how slowly a queue drained some time ago: the op log's 200 ops at once were refused halfway
when the pace's first guess judged them."""


class AnswerPace:
    def __init__(self, seconds_per_op: float = 0.001, measured_at: float | None = None) -> None:
        self.seconds_per_op = seconds_per_op
        """A running mean of the time between one group's answer and the next's, per op of the later group."""
        self._measured_at = measured_at
        """When a group that waited for the one before it was last answered: when the pace was last measured."""
        self._last_answered_at: float | None = None

    def answered(self, first_submitted: float, now: float, ops: int) -> None:
        """A group of `ops` ops answered at `now`, its first op submitted at `first_submitted`. Only a group that
        waited for the one before it tells the pace (the time between their answers is then the queue's, not the
        time nothing came): an op log answering an edit now and then is not slow for it."""
        last = self._last_answered_at
        self._last_answered_at = now
        if last is None or first_submitted >= last or ops <= 0:
            return
        self.seconds_per_op += ((now - last) / ops - self.seconds_per_op) / SMOOTHING
        self._measured_at = now

    def expected_wait(self, waiting: int, now: float) -> float:
        """How long an op taken now would wait for its answer, in seconds, behind `waiting` ops; 0 when no queue
        has been measured within FRESH_SECONDS."""
        if self._measured_at is None or now - self._measured_at > FRESH_SECONDS:
            return 0.0
        return waiting * self.seconds_per_op
