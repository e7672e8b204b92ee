"""Benchmark of :func:`vmatch.stable.stable_match` (issue 4 target: 100,000 × 10,000 in ≤ 2 s).

Instance: ``--orders`` requesters each rank ``--rank`` distinct providers drawn by popularity
(log-normal weights with sigma ``--skew``, 0.6 by default, so popular offers are over-asked and
deferred acceptance has rejections to do); each provider ranks exactly the requesters that rank
it, in a random order; capacities are uniform in 10..12. Ids are strings, as a platform would have them.

Rows (each timed in this run, best of ``--repeat``):

* ``vmatch requester`` / ``vmatch provider`` — :func:`stable_match` with dicts in and out
  (conversion to arrays included);
* ``plain python DA`` — a textbook dict-and-heap requester-proposing deferred acceptance,
  the baseline for the ratio (same answer checked);
* ``matching`` — the ``matching`` package (``HospitalResident``, 1.4) on a smaller instance
  (``--small-orders``), with vmatch on the same instance for the ratio.

Usage::

    .venv/bin/python benchmarks/stable_bench.py                 # the issue-4 target
    .venv/bin/python benchmarks/stable_bench.py --orders 20000 --offers 2000
"""

from __future__ import annotations

import argparse
import functools
import gc
import heapq
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from vmatch.stable import blocking_pairs, stable_match


def make_instance(
    n_req: int, n_prov: int, k: int, seed: int, skew: float = 0.6
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]:
    """Random hospital–resident instance as described in the module docstring."""
    rng = np.random.default_rng(seed)
    w = rng.lognormal(0.0, skew, n_prov)
    w /= w.sum()
    k = min(k, n_prov)
    choice = np.empty((n_req, k), dtype=np.int64)
    todo = np.arange(n_req)
    while len(todo):
        cand = rng.choice(n_prov, size=(len(todo), 3 * k), p=w)
        srt = np.sort(cand, axis=1)
        order = np.argsort(cand, axis=1, kind="stable")
        dup_sorted = np.zeros_like(cand, dtype=bool)
        dup_sorted[:, 1:] = srt[:, 1:] == srt[:, :-1]
        dup = np.zeros_like(dup_sorted)
        np.put_along_axis(dup, order, dup_sorted, axis=1)
        first = ~dup
        ok = first.sum(axis=1) >= k
        rows = np.flatnonzero(ok)
        # the first k distinct entries of each row, in drawing order (= preference order)
        idx = np.argsort(~first[rows], axis=1, kind="stable")[:, :k]
        choice[todo[rows]] = np.take_along_axis(cand[rows], idx, axis=1)
        todo = todo[~ok]
    req_names = [f"o{i:06d}" for i in range(n_req)]
    prov_names = [f"f{j:05d}" for j in range(n_prov)]
    rp = {req_names[i]: [prov_names[j] for j in row] for i, row in enumerate(choice.tolist())}
    r_of = np.repeat(np.arange(n_req), k)
    p_of = choice.ravel()
    order = np.lexsort((rng.random(len(p_of)), p_of))
    counts = np.bincount(p_of, minlength=n_prov)
    lists = np.split(r_of[order], np.cumsum(counts)[:-1])
    pp = {prov_names[j]: [req_names[i] for i in lst.tolist()] for j, lst in enumerate(lists)}
    caps = {prov_names[j]: int(c) for j, c in enumerate(rng.integers(10, 13, n_prov))}
    return rp, pp, caps


def plain_da(rp: dict[str, list[str]], pp: dict[str, list[str]], caps: dict[str, int]) -> dict[str, str]:
    """Textbook requester-proposing deferred acceptance on dicts (the baseline)."""
    rank = {p: {r: i for i, r in enumerate(lst)} for p, lst in pp.items()}
    nxt = dict.fromkeys(rp, 0)
    held: dict[str, list[tuple[int, str]]] = {p: [] for p in pp}
    free = list(reversed(rp))
    while free:
        r = free.pop()
        lst = rp[r]
        while nxt[r] < len(lst):
            p = lst[nxt[r]]
            nxt[r] += 1
            rk = rank[p].get(r)
            if rk is None:
                continue
            h = held[p]
            if len(h) < caps.get(p, 1):
                heapq.heappush(h, (-rk, r))
                break
            if h and -h[0][0] > rk:
                _, out = heapq.heapreplace(h, (-rk, r))
                free.append(out)
                break
    return {r: p for p, h in held.items() for _, r in h}


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--offers", type=int, default=10_000)
    ap.add_argument("--rank", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skew", type=float, default=0.6, help="sigma of the log-normal popularity of offers")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--small-orders", type=int, default=2_000, help="instance size for the `matching` row")
    ap.add_argument("--no-matching", action="store_true", help="skip the `matching` package row")
    args = ap.parse_args()

    t0 = time.perf_counter()
    rp, pp, caps = make_instance(args.orders, args.offers, args.rank, args.seed, args.skew)
    print(
        f"instance {args.orders} x {args.offers}, {args.rank} ranked each, skew {args.skew}, "
        f"built in {time.perf_counter() - t0:.1f} s"
    )
    gc.collect()  # the instance's millions of fresh objects would otherwise be swept inside the first timing
    c0 = time.process_time()
    t_req, m_req = timed(lambda: stable_match(rp, pp, caps), args.repeat)
    cpu_req = (time.process_time() - c0) / args.repeat
    t_prov, m_prov = timed(lambda: stable_match(rp, pp, caps, optimal="provider"), args.repeat)
    t_base, m_base = timed(lambda: plain_da(rp, pp, caps), 1)
    assert m_base == m_req, "baseline and vmatch disagree"
    t_chk, bp = timed(lambda: blocking_pairs(rp, pp, caps, m_req) + blocking_pairs(rp, pp, caps, m_prov), 1)
    assert not bp
    print(f"{'row':<28}{'seconds':>9}{'matched':>10}{'ratio':>9}")
    print(f"{'vmatch requester-optimal':<28}{t_req:>9.3f}{len(m_req):>10}{t_base / t_req:>8.1f}x")
    print(f"{'  (mean CPU seconds)':<28}{cpu_req:>9.3f}")
    print(f"{'vmatch provider-optimal':<28}{t_prov:>9.3f}{len(m_prov):>10}{t_base / t_prov:>8.1f}x")
    print(f"{'plain python DA (baseline)':<28}{t_base:>9.3f}{len(m_base):>10}{1.0:>8.1f}x")
    print(f"{'blocking_pairs, both':<28}{t_chk:>9.3f}{len(bp):>10}")
    if args.no_matching:
        return
    from matching.games import HospitalResident

    sys.setrecursionlimit(1_000_000)
    threading.stack_size(512 * 1024 * 1024)

    n_s = args.small_orders
    srp, spp, scaps = make_instance(n_s, max(n_s // 10, 1), args.rank, args.seed + 1, args.skew)
    sides: tuple[tuple[Literal["requester", "provider"], str], ...] = (
        ("requester", "resident"),
        ("provider", "hospital"),
    )
    for side, opt in sides:
        t_v, m_v = timed(functools.partial(stable_match, srp, spp, scaps, optimal=side), args.repeat)

        def peer(opt: str = opt) -> dict[str, str]:
            # `matching` deep-copies linked objects recursively: give it a deep stack
            out: dict[str, str] = {}

            def run() -> None:
                game = HospitalResident.create_from_dictionaries(srp, spp, scaps)
                sol = game.solve(optimal=opt)
                out.update({r.name: h.name for h, rs in sol.items() for r in rs})

            th = threading.Thread(target=run)
            th.start()
            th.join()
            return out

        t_m, m_m = timed(peer, 1)
        assert m_m == m_v, f"matching disagrees ({side})"
        print(
            f"matching {n_s} x {n_s // 10} {side}-optimal: vmatch {t_v:.3f} s, matching {t_m:.3f} s, "
            f"ratio {t_m / t_v:.0f}x (same matching)"
        )


if __name__ == "__main__":
    main()
