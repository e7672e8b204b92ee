"""Readers for OR-Library benchmark files: generalised assignment (GAP) and linear assignment.

Both readers parse whitespace-separated tokens, not lines (line breaks in these files are
arbitrary), and turn every problem into an :class:`~vmatch.arcs.ArcProblem` with one
minimisation level ``"cost"``. A malformed file raises :class:`~vmatch.errors.FormatError`
naming the file and what is wrong.

GAP files (http://people.brunel.ac.uk/~mastjjb/jeb/orlib/gapinfo.html) come in two layouts:

* **multi**: ``P``, then for each problem ``m n``, the m x n costs (agent-major), the
  m x n resources, and the m capacities (OR-Library ``gap1.txt`` ... ``gapd.txt``);
* **single**: the same without the leading ``P`` (Yagiura's and fontanf's files).

Linear assignment files (http://people.brunel.ac.uk/~mastjjb/jeb/orlib/assigninfo.html):

* **dense** (``assign100`` ...): ``n`` then the n x n cost matrix, row i = agent i;
* **sparse** (``assignp800`` ...): optional header ``n``, then ``i j cost`` triples (1-based);
  absent pairs are forbidden.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "tiny").write_text("2 3\\n1 2 3\\n4 5 6\\n5 5 5\\n5 5 5\\n10 10\\n")
>>> ap = read_gap(d / "tiny")
>>> ap.n_agents, ap.n_jobs, ap.n_arcs, ap.meta["name"]
(2, 3, 6, 'tiny')
>>> _ = (d / "lap").write_text("2\\n1 2 3\\n2 1 4\\n")
>>> lap = read_assign(d / "lap")
>>> lap.n_arcs, lap.levels[0].coef.tolist()
(2, [3.0, 4.0])
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from vmatch.arcs import ArcProblem, Level
from vmatch.errors import FormatError

__all__ = ["read_assign", "read_gap"]

PathLike = str | os.PathLike[str]
_FloatArray = npt.NDArray[np.float64]


def _read_tokens(path: PathLike) -> tuple[str, list[str]]:
    fname, text = _read_text(path)
    return fname, text.split()


def _read_text(path: PathLike) -> tuple[str, str]:
    p = Path(path)
    try:
        text = p.read_text(encoding="ascii", errors="strict")
    except FileNotFoundError:
        raise FormatError(f"{p}: no such file") from None
    except UnicodeDecodeError as e:
        raise FormatError(f"{p}: not a plain-text number file (byte {e.start} is not ASCII)") from None
    except OSError as e:
        raise FormatError(f"{p}: cannot read ({e.strerror})") from None
    if not text.split():
        raise FormatError(f"{p}: empty file")
    return str(p), text


def _numbers(fname: str, toks: list[str], start: int, count: int, what: str) -> _FloatArray:
    """``count`` numbers from ``toks[start:]`` as floats; FormatError on truncation or garbage."""
    if start + count > len(toks):
        raise FormatError(
            f"{fname}: file ends after {len(toks)} numbers, but {what} needs {count} numbers from position {start + 1}"
        )
    chunk = toks[start : start + count]
    try:
        arr = np.array(chunk, dtype=np.float64)
    except ValueError:
        for k, t in enumerate(chunk):
            try:
                float(t)
            except ValueError:
                raise FormatError(f"{fname}: token {start + k + 1} ({t[:20]!r}) in {what} is not a number") from None
        raise  # pragma: no cover - np.array failed although every token parses
    if not np.all(np.isfinite(arr)):
        raise FormatError(f"{fname}: {what} holds a non-finite number")
    return arr


def _ints(fname: str, toks: list[str], start: int, count: int, what: str, lo: int = 0) -> npt.NDArray[np.int64]:
    arr = _numbers(fname, toks, start, count, what)
    if np.any(arr != np.rint(arr)):
        k = int(np.flatnonzero(arr != np.rint(arr))[0])
        raise FormatError(f"{fname}: token {start + k + 1} ({toks[start + k]!r}) in {what} is not an integer")
    if np.any(arr < lo):
        k = int(np.flatnonzero(arr < lo)[0])
        raise FormatError(f"{fname}: {what} must be >= {lo}, got {toks[start + k]} at token {start + k + 1}")
    return arr.astype(np.int64)


def _gap_problem(fname: str, toks: list[str], pos: int, name: str) -> tuple[ArcProblem, int]:
    """Parse one GAP problem starting at token ``pos``; return it and the next position."""
    m, n = (int(v) for v in _ints(fname, toks, pos, 2, f"problem {name!r} header (m n)", lo=1))
    pos += 2
    cost = _numbers(fname, toks, pos, m * n, f"problem {name!r} costs ({m}x{n})")
    pos += m * n
    res = _ints(fname, toks, pos, m * n, f"problem {name!r} resources ({m}x{n})")
    pos += m * n
    cap = _ints(fname, toks, pos, m, f"problem {name!r} capacities ({m})")
    pos += m
    ap = ArcProblem.build(
        n_agents=m,
        n_jobs=n,
        arc_agent=np.repeat(np.arange(m, dtype=np.int64), n),
        arc_job=np.tile(np.arange(n, dtype=np.int64), m),
        arc_load=res,
        agent_capacity=cap,
        job_min=np.ones(n, np.int64),
        job_max=np.ones(n, np.int64),
        required=np.ones(n, bool),
        levels=[Level("cost", cost, "min")],
        meta={"name": name, "kind": "gap"},
    )
    return ap, pos


def _gap_kind(toks: list[str]) -> Literal["multi", "single"]:
    try:
        a, b = int(toks[0]), int(toks[1]) if len(toks) > 1 else 0
    except ValueError:
        return "single"  # let the parser report the bad token
    if a >= 1 and b >= 1 and len(toks) == 2 + 2 * a * b + a:
        return "single"
    return "multi"


def read_gap(
    path: PathLike, problem: int | None = None, kind: Literal["auto", "multi", "single"] = "auto"
) -> list[ArcProblem] | ArcProblem:
    """Read an OR-Library GAP file (multi- or single-problem) as arc problems.

    Parameters
    ----------
    path : str or path-like
        The file.
    problem : int, optional
        0-based index of one problem of a multi-problem file (``gap1.txt`` problem 0 is
        OR-Library's ``c515-1``). A single-problem file accepts only 0.
    kind : {"auto", "multi", "single"}
        The layout; "auto" detects it from the number of tokens.

    Returns
    -------
    list of ArcProblem or ArcProblem
        For a multi-problem file without ``problem``: all problems, named ``"<stem>-<k>"``.
        Otherwise one problem (a single-problem file is named after the file).
        Every problem is dense (m x n arcs, agent-major: arc ``i*n + j``), every job
        required exactly once, one level ``cost`` to minimise.

    Raises
    ------
    FormatError
        Missing file, garbage or non-integer resources, truncated or over-long file,
        or a problem index out of range.
    """
    fname, toks = _read_tokens(path)
    stem = Path(path).stem
    if kind not in ("auto", "multi", "single"):
        raise ValueError(f"kind must be 'auto', 'multi' or 'single', got {kind!r}")
    k = _gap_kind(toks) if kind == "auto" else kind
    if k == "single":
        ap, pos = _gap_problem(fname, toks, 0, stem)
        if pos != len(toks):
            raise FormatError(
                f"{fname}: {len(toks) - pos} extra tokens after the problem "
                f"(a multi-problem file needs a leading problem count)"
            )
        if problem not in (None, 0):
            raise FormatError(f"{fname}: single-problem file has no problem {problem}")
        return ap
    n_prob = int(_ints(fname, toks, 0, 1, "problem count P", lo=1)[0])
    out: list[ArcProblem] = []
    pos = 1
    for p in range(n_prob):
        ap, pos = _gap_problem(fname, toks, pos, f"{stem}-{p}")
        out.append(ap)
    if pos != len(toks):
        raise FormatError(f"{fname}: {len(toks) - pos} extra tokens after the {n_prob} problems announced")
    if problem is None:
        return out
    if not 0 <= problem < n_prob:
        raise FormatError(f"{fname}: problem {problem} out of range 0..{n_prob - 1}")
    return out[problem]


def _assign_problem(
    n_agents: int, n_jobs: int, agent: npt.NDArray[np.int64], job: npt.NDArray[np.int64], cost: _FloatArray, name: str
) -> ArcProblem:
    return ArcProblem.build(
        n_agents=n_agents,
        n_jobs=n_jobs,
        arc_agent=agent,
        arc_job=job,
        arc_load=np.ones(len(agent), np.int64),
        agent_capacity=np.ones(n_agents, np.int64),
        job_min=np.ones(n_jobs, np.int64),
        job_max=np.ones(n_jobs, np.int64),
        required=np.ones(n_jobs, bool),
        levels=[Level("cost", cost, "min")],
        meta={"name": name, "kind": "assign"},
    )


def read_assign(path: PathLike, kind: Literal["auto", "dense", "sparse"] = "auto") -> ArcProblem:
    """Read a linear assignment file (dense or sparse) as a one-to-one arc problem.

    Parameters
    ----------
    path : str or path-like
        The file.
    kind : {"auto", "dense", "sparse"}
        "auto" takes the dense layout when the file holds exactly ``1 + n*n`` numbers
        (``n`` the first one; line breaks do not matter), else the sparse one: an optional
        header line ``n``, then one ``i j cost`` triple per line, 1-based (without a header,
        n is the largest index).

    Returns
    -------
    ArcProblem
        n agents of capacity 1 (every arc has load 1), n required jobs, one level ``cost``
        to minimise. Row/first index = agent, column/second index = job.

    Raises
    ------
    FormatError
        Garbage, truncated file, indices out of range, repeated pairs.
    """
    fname, text = _read_text(path)
    toks = text.split()
    name = Path(path).stem
    if kind not in ("auto", "dense", "sparse"):
        raise ValueError(f"kind must be 'auto', 'dense' or 'sparse', got {kind!r}")
    k = kind
    if k == "auto":
        try:
            n0 = int(toks[0])
        except ValueError:
            n0 = -1
        k = "dense" if n0 >= 1 and len(toks) == 1 + n0 * n0 else "sparse"
    if k == "dense":
        n = int(_ints(fname, toks, 0, 1, "size n", lo=1)[0])
        cost = _numbers(fname, toks, 1, n * n, f"cost matrix ({n}x{n})")
        if len(toks) != 1 + n * n:
            raise FormatError(f"{fname}: {len(toks) - 1 - n * n} extra tokens after the {n}x{n} matrix")
        idx = np.arange(n, dtype=np.int64)
        return _assign_problem(n, n, np.repeat(idx, n), np.tile(idx, n), cost, name)
    lines = [ln.split() for ln in text.splitlines()]
    numbered = [(k + 1, ln) for k, ln in enumerate(lines) if ln]
    head = 1 if len(numbered[0][1]) == 1 else 0
    for lineno, ln in numbered[head:]:
        if len(ln) != 3:
            raise FormatError(
                f"{fname}: line {lineno} holds {len(ln)} numbers, expected 'i j cost' "
                f"(nor is the file an n x n matrix with n = {toks[0][:12]!r})"
            )
    n_hdr = int(_ints(fname, toks, 0, 1, "size n", lo=1)[0]) if head else 0
    n_tri = (len(toks) - head) // 3
    if n_tri == 0:
        raise FormatError(f"{fname}: no i-j-cost triples")
    flat = _numbers(fname, toks, head, 3 * n_tri, "i-j-cost triples").reshape(n_tri, 3)
    ij = flat[:, :2]
    if np.any(ij != np.rint(ij)) or np.any(ij < 1):
        r = int(np.flatnonzero(np.any((ij != np.rint(ij)) | (ij < 1), axis=1))[0])
        raise FormatError(f"{fname}: triple {r + 1} has index {ij[r].tolist()}, expected integers >= 1")
    ii = ij[:, 0].astype(np.int64) - 1
    jj = ij[:, 1].astype(np.int64) - 1
    n = n_hdr or int(max(ii.max(), jj.max())) + 1
    if ii.max() >= n or jj.max() >= n:
        r = int(np.flatnonzero((ii >= n) | (jj >= n))[0])
        raise FormatError(f"{fname}: triple {r + 1} ({ii[r] + 1}, {jj[r] + 1}) exceeds the header size n={n}")
    key = ii * n + jj
    uniq, counts = np.unique(key, return_counts=True)
    if len(uniq) != len(key):
        dup = int(uniq[counts > 1][0])
        raise FormatError(f"{fname}: pair ({dup // n + 1}, {dup % n + 1}) appears more than once")
    return _assign_problem(n, n, ii, jj, flat[:, 2].copy(), name)
