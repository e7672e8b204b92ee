"""Work beside the search in a forked process (or a thread where fork is missing)."""

from __future__ import annotations

import math
import time

import pytest

from vmatch.solvers import background
from vmatch.solvers.background import Background


def _steps(send):  # type: ignore[no-untyped-def]
    for v in (7.0, 4.0, 5.0):
        send(v)


def _fails(send):  # type: ignore[no-untyped-def]
    send(9.0)
    raise RuntimeError("boom")


def _slow(send):  # type: ignore[no-untyped-def]
    send(2.0)
    time.sleep(30)
    send(1.0)


@pytest.mark.parametrize("fork", [True, False])
def test_smallest_value_sent(fork: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not fork:
        monkeypatch.setattr(background.mp, "get_all_start_methods", lambda: ["spawn"])
    assert Background.start(_steps).smallest(wait=30) == 4.0
    # a failure keeps what was sent before it
    assert Background.start(_fails).smallest(wait=30) == 9.0


def test_nothing_sent_is_inf_and_a_slow_process_is_stopped() -> None:
    assert Background.start(lambda send: None).smallest(wait=30) == math.inf
    t = time.perf_counter()
    bg = Background.start(_slow)
    assert bg.smallest(wait=1.0) == 2.0
    assert time.perf_counter() - t < 10
    assert not bg._proc.is_alive()


def _groups(send):  # type: ignore[no-untyped-def]
    import numpy as np

    send(("groups", 5, np.array([0, 2]), np.array([1.5, 2.5])))
    send(6.0)
    send(("groups", 5, np.array([2, 4]), np.array([3.0, 4.0])))
    send(3.0)


@pytest.mark.parametrize("fork", [True, False])
def test_group_values_are_gathered_beside_the_bounds(fork: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    if not fork:
        monkeypatch.setattr(background.mp, "get_all_start_methods", lambda: ["spawn"])
    bg = Background.start(_groups)
    got = None
    end = time.perf_counter() + 30
    while time.perf_counter() < end:  # without waiting: poll until all have arrived
        got = bg.group_values()
        if got is not None and not np.isnan(got[4]):
            break
        time.sleep(0.01)
    assert got is not None
    assert np.isnan(got[1]) and np.isnan(got[3])
    assert got[[0, 2, 4]].tolist() == [1.5, 3.0, 4.0]  # the later value of group 2 wins
    # the bounds read on the way are kept
    assert bg.smallest(wait=30) == 3.0
    assert bg.group_values() is got


def _floods(send):  # type: ignore[no-untyped-def]
    import numpy as np

    n = 200_000  # 1.6 MB per message: far more than a pipe holds
    for k in range(4):
        send(("groups", n, np.arange(k, n, 4), np.full(n // 4, float(k))))
    send(1.0)


def test_a_child_never_waits_for_a_parent_that_does_not_ask() -> None:
    """The messages are read as they come: the child ends while the parent reads nothing (a
    reproducible search asks only at the end; the city's bound had stalled on a full pipe)."""
    import numpy as np

    bg = Background.start(_floods)
    end = time.perf_counter() + 60
    while bg._proc.is_alive() and time.perf_counter() < end:
        time.sleep(0.05)
    assert not bg._proc.is_alive()  # it sent all and ended without anyone asking
    got = bg.group_values()
    assert got is not None and got[:8].tolist() == [0.0, 1.0, 2.0, 3.0] * 2
    assert not np.isnan(got).any()
    assert bg.smallest() == 1.0


def test_a_held_group_array_is_not_changed_by_later_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    monkeypatch.setattr(background.mp, "get_all_start_methods", lambda: ["spawn"])
    bg = Background()
    bg._take(("groups", 3, np.array([0]), np.array([1.0])))
    first = bg.group_values()
    bg._take(("groups", 3, np.array([0, 1]), np.array([5.0, 2.0])))
    assert first is not None and first[0] == 1.0 and np.isnan(first[1])
    assert bg.group_values().tolist()[:2] == [5.0, 2.0]  # type: ignore[union-attr]
