"""Work beside the search in a forked process: bounds without sharing the interpreter lock.

A bound computed in a thread beside the large-neighbourhood search holds Python's global
interpreter lock for much of its work (building networks and LPs in numpy and Python), and
the search's own Python work (cutting parts, building their CP-SAT models, merging answers)
waits for it: on a 10k x 5k city the search made 23 steps in 16 s beside the regional LP
bound and 65 in 20 s without it. A forked child shares the parent's arrays (copy on write)
and runs truly beside it. Where ``fork`` is not available (Windows), a thread does the work.

The work is a function that calls ``send(value)`` whenever it has a (better) value; the
parent takes the smallest value sent by the time it asks (:meth:`Background.smallest`). It may
also send ``("groups", n, index, values)``: values for some of ``n`` groups (such as the LP
relaxation's value of the groups of a region just solved), gathered by
:meth:`Background.group_values` without waiting. A thread of the parent (:class:`Reader`) takes
the messages as they arrive, so the child never waits on a full pipe, whether or not the parent
asks (a reproducible search reads nothing until the end).

Examples
--------
>>> def work(send):
...     send(5.0)
...     send(3.0)
>>> bg = Background.start(work)
>>> bg.smallest(wait=10.0)
3.0
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Background", "GroupValues", "Reader"]

log = logging.getLogger(__name__)

#: ``("groups", n, index, values)``: values for the groups ``index`` of ``n``.
GroupValues = tuple[str, int, npt.NDArray[np.int64], npt.NDArray[np.float64]]
Message = float | GroupValues
Work = Callable[[Callable[[Message], None]], None]


def _child(work: Work, conn: Connection) -> None:
    try:
        work(lambda v: conn.send(v if isinstance(v, tuple) else float(v)))
    except Exception as e:  # the parent keeps what was sent and logs the rest
        conn.send(repr(e))
    finally:
        conn.close()


class Reader:
    """Reads a child process's pipe in a daemon thread as messages arrive, so that the child never
    waits on a full pipe while its parent is busy (a pipe holds about 64 KB: one region's values
    per group, or a menu's wanted orders, fill it).

    ``take(message)`` records one message and returns True when it is the last; the thread also
    ends when the child closes its end (or dies). ``take`` runs under :attr:`lock` (``lock``, or a
    new one), which callers hold to read what it writes.

    Examples
    --------
    >>> import multiprocessing as mp
    >>> parent, child = mp.Pipe(duplex=False)
    >>> got = []
    >>> r = Reader(parent, lambda m: got.append(m) or m == "end")
    >>> child.send(1.5); child.send("end")
    >>> r.wait(10.0), got
    (True, [1.5, 'end'])
    >>> r.close()
    """

    def __init__(self, conn: Connection, take: Callable[[object], bool], lock: threading.Lock | None = None) -> None:
        self.lock = threading.Lock() if lock is None else lock
        self.ended = threading.Event()
        self._conn = conn
        self._take = take
        self._thread = threading.Thread(target=self._run, daemon=True, name="vmatch-pipe-reader")
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                item = self._conn.recv()
                with self.lock:
                    if self._take(item):
                        break
        except (EOFError, OSError):
            pass  # the child has ended
        except Exception as e:  # a message cut off when the child was stopped mid-send
            log.debug("background pipe: %r", e)
        finally:
            self.ended.set()

    def wait(self, seconds: float) -> bool:
        """Wait at most ``seconds`` for the last message (or the child's end); True when it came."""
        return self.ended.wait(max(0.0, seconds))

    def close(self, proc: Any = None) -> None:
        """Stop ``proc`` (the child) if it still runs, let the thread end, close the pipe."""
        if proc is not None:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=1.0)
        self._thread.join(timeout=1.0)
        if not self._thread.is_alive():
            self._conn.close()


class Background:
    """A value (such as a bound) being computed beside the caller; see the module docstring.

    The messages are taken as they arrive (by a :class:`Reader` thread, or by the worker thread
    itself where there is no fork), so neither side ever waits for the other."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._best = math.inf
        self._groups: npt.NDArray[np.float64] | None = None
        self._proc: Any = None
        self._reader: Reader | None = None

    @staticmethod
    def start(work: Work) -> Background:
        """Run ``work(send)`` in a forked process (a thread where fork is not available)."""
        bg = Background()
        if "fork" in mp.get_all_start_methods():
            parent, child = mp.get_context("fork").Pipe(duplex=False)
            proc = mp.get_context("fork").Process(target=_child, args=(work, child), daemon=True)
            proc.start()
            child.close()
            bg._proc = proc
            bg._reader = Reader(parent, bg._take_unlocked, bg._lock)
            return bg

        def send(message: Message) -> None:
            bg._take(message)

        def run() -> None:
            try:
                work(send)
            except Exception as e:
                bg._take(repr(e))
            bg._take("done")

        th = threading.Thread(target=run, daemon=True, name="vmatch-background")
        th.start()
        bg._proc = th
        return bg

    def _take(self, item: object) -> bool:
        with self._lock:
            return self._take_unlocked(item)

    def _take_unlocked(self, item: object) -> bool:
        """Record one message; True when it says the work has ended."""
        if isinstance(item, str):
            if item != "done":
                log.warning("background work failed: %s", item)
            self._ended.set()
            return True
        if isinstance(item, tuple):
            _, n, idx, vals = item
            # a new array each time: a caller may hold the last one while the next arrives
            groups = np.full(n, np.nan) if self._groups is None else self._groups.copy()
            groups[idx] = vals
            self._groups = groups
            return False
        self._best = min(self._best, float(item))  # type: ignore[arg-type]
        return False

    def group_values(self) -> npt.NDArray[np.float64] | None:
        """The group values sent so far (NaN where none was; None before any), without waiting."""
        with self._lock:
            return self._groups

    def smallest(self, wait: float = 0.0) -> float:
        """The smallest value sent so far, waiting at most ``wait`` seconds for the work to end;
        a process still running then is stopped (``inf`` when nothing was sent)."""
        if self._reader is not None:
            self._reader.wait(wait)
            self._reader.close(self._proc)
        else:
            self._ended.wait(max(0.0, wait))
        with self._lock:
            return self._best
