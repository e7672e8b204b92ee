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
:meth:`Background.group_values` without waiting.

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
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Background", "GroupValues"]

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


class Background:
    """A value (such as a bound) being computed beside the caller; see the module docstring."""

    def __init__(self, proc: Any, conn: Connection | None, q: queue.Queue[Message | str] | None) -> None:
        self._proc = proc
        self._conn = conn
        self._queue = q
        self._best = math.inf
        self._groups: npt.NDArray[np.float64] | None = None
        self._ended = False

    @staticmethod
    def start(work: Work) -> Background:
        """Run ``work(send)`` in a forked process (a thread where fork is not available)."""
        if "fork" in mp.get_all_start_methods():
            parent, child = mp.get_context("fork").Pipe(duplex=False)
            proc = mp.get_context("fork").Process(target=_child, args=(work, child), daemon=True)
            proc.start()
            child.close()
            return Background(proc, parent, None)
        q: queue.Queue[Message | str] = queue.Queue()

        def run() -> None:
            try:
                work(q.put)
            except Exception as e:
                q.put(repr(e))
            q.put("done")

        th = threading.Thread(target=run, daemon=True, name="vmatch-background")
        th.start()
        return Background(th, None, q)

    def _take(self, item: Message | str) -> bool:
        """Record one message; True when it says the work has ended."""
        if isinstance(item, str):
            if item != "done":
                log.warning("background work failed: %s", item)
            self._ended = True
            return True
        if isinstance(item, tuple):
            _, n, idx, vals = item
            if self._groups is None:
                self._groups = np.full(n, np.nan)
            self._groups[idx] = vals
            return False
        self._best = min(self._best, item)
        return False

    def group_values(self) -> npt.NDArray[np.float64] | None:
        """The group values sent so far (NaN where none was; None before any), without waiting."""
        if self._ended:
            return self._groups
        try:
            if self._conn is not None:
                while self._conn.poll(0):
                    if self._take(self._conn.recv()):
                        break
            elif self._queue is not None:
                while True:
                    if self._take(self._queue.get_nowait()):
                        break
        except queue.Empty:
            pass
        except (EOFError, OSError):  # the child has ended: nothing more will come
            self._ended = True
        return self._groups

    def smallest(self, wait: float = 0.0) -> float:
        """The smallest value sent so far, waiting at most ``wait`` seconds for the work to end;
        a process still running then is stopped (``inf`` when nothing was sent)."""
        end = time.perf_counter() + max(0.0, wait)
        if self._conn is not None:
            conn = self._conn
            try:
                while True:
                    left = end - time.perf_counter()
                    if not conn.poll(max(0.0, left)):
                        break
                    if self._take(conn.recv()):
                        break
            except (EOFError, OSError):
                pass  # the child has ended
            if self._proc.is_alive():
                self._proc.terminate()
            self._proc.join(timeout=1.0)
            conn.close()
            self._conn = None
        elif self._queue is not None and not self._ended:
            while True:
                try:
                    item = self._queue.get(timeout=max(0.0, end - time.perf_counter()))
                except queue.Empty:
                    break
                if self._take(item):
                    break
        return self._best
