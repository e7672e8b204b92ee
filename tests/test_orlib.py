"""Tests of the OR-Library readers (GAP and linear assignment)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from vmatch import FormatError
from vmatch.arcs import ArcProblem
from vmatch.io.orlib import read_assign, read_gap

DATA = Path(__file__).parent / "data" / "gap"


def _one(x: list[ArcProblem] | ArcProblem) -> ArcProblem:
    assert isinstance(x, ArcProblem)
    return x


def _many(x: list[ArcProblem] | ArcProblem) -> list[ArcProblem]:
    assert isinstance(x, list)
    return x


# --- GAP ---------------------------------------------------------------------------------


def test_multi_file_counts_shapes_and_values() -> None:
    probs = _many(read_gap(DATA / "orlib" / "gap1.txt"))
    assert len(probs) == 5
    assert [p.meta["name"] for p in probs] == [f"gap1-{k}" for k in range(5)]
    p = probs[0]
    assert (p.n_agents, p.n_jobs, p.n_arcs) == (5, 15, 75)
    assert p.meta["kind"] == "gap"
    cost = p.levels[0].coef
    assert p.levels[0].sense == "min"
    # first costs of agent 0 and of agent 1 (job 0), first resources, all capacities: from the file
    assert cost[:3].tolist() == [17.0, 21.0, 22.0]
    assert cost[15] == 23.0 and p.arc_agent[15] == 1 and p.arc_job[15] == 0
    assert p.arc_load[:3].tolist() == [8, 15, 14]
    assert p.agent_capacity.tolist() == [36, 34, 38, 27, 33]
    assert cost.sum() == 1476.0
    assert np.all(p.job_min == 1) and np.all(p.job_max == 1) and np.all(p.group_required)


def test_multi_file_problem_index_and_sizes() -> None:
    sizes = [(p.n_agents, p.n_jobs) for p in _many(read_gap(DATA / "orlib" / "gapc.txt"))]
    assert sizes == [(5, 100), (5, 200), (10, 100), (10, 200), (20, 100), (20, 200)]
    p = _one(read_gap(DATA / "orlib" / "gap12.txt", problem=3))
    assert p.meta["name"] == "gap12-3" and (p.n_agents, p.n_jobs) == (10, 60)
    with pytest.raises(FormatError, match="out of range"):
        read_gap(DATA / "orlib" / "gap12.txt", problem=5)


def test_every_orlib_file_matches_the_known_values_table() -> None:
    rows = list(csv.DictReader((DATA / "known_values_gap.csv").open()))
    assert len(rows) == 87
    cache: dict[str, list[ArcProblem] | ArcProblem] = {}
    for r in rows:
        if r["file"] not in cache:
            cache[r["file"]] = read_gap(DATA / r["file"])
        got = cache[r["file"]]
        p = got[int(r["problem"]) - 1] if isinstance(got, list) else got
        assert (p.n_agents, p.n_jobs) == (int(r["m"]), int(r["n"])), r["instance"]


def test_single_file_detected() -> None:
    p = _one(read_gap(DATA / "large" / "c10400"))
    assert (p.n_agents, p.n_jobs, p.n_arcs) == (10, 400, 4000)
    assert p.meta["name"] == "c10400"
    assert p.agent_capacity.tolist() == [480, 490, 461, 491, 484, 477, 472, 469, 474, 484]
    assert p.levels[0].coef[:3].tolist() == [42.0, 38.0, 11.0]
    assert p.arc_load[:3].tolist() == [12, 15, 25]
    assert _one(read_gap(DATA / "large" / "c10400", problem=0)).n_arcs == 4000
    with pytest.raises(FormatError, match="no problem 1"):
        read_gap(DATA / "large" / "c10400", problem=1)


def test_layout_is_token_based(tmp_path: Path) -> None:
    text = "2 3 1 2 3 4 5 6 1 1 1 1 1 1 3 3"  # one line
    (tmp_path / "a").write_text(text)
    (tmp_path / "b").write_text(text.replace(" ", "\n\n"))
    a, b = _one(read_gap(tmp_path / "a")), _one(read_gap(tmp_path / "b"))
    assert a.levels[0].coef.tolist() == b.levels[0].coef.tolist() == [1, 2, 3, 4, 5, 6]
    (tmp_path / "m").write_text("1 " + text)
    m = _many(read_gap(tmp_path / "m"))
    assert len(m) == 1 and m[0].levels[0].coef.tolist() == [1, 2, 3, 4, 5, 6]
    assert len(_many(read_gap(tmp_path / "m", kind="multi"))) == 1
    with pytest.raises(FormatError):
        read_gap(tmp_path / "m", kind="single")


def _raw(path: Path) -> str:
    return path.read_text()


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda s: " ".join(s.split()[:-7]), "file ends"),  # truncated
        (lambda s: s + " 7 7", "extra tokens"),
        (lambda s: s.replace("36", "x36", 1), "not a number"),
        (lambda s: "", "empty file"),
        (lambda s: "\x00\xff garbage", "not a number|not a plain-text"),
        (lambda s: s.replace("5 15", "5 -15", 1), ">= 1"),
        (lambda s: "0 " + " ".join(s.split()[1:]), ">= 1"),
    ],
)
def test_gap_refuses_malformed(tmp_path: Path, mutate: object, match: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_text(mutate(_raw(DATA / "orlib" / "gap1.txt")))  # type: ignore[operator]
    with pytest.raises(FormatError, match=match) as e:
        read_gap(f)
    assert "bad.txt" in str(e.value)


def test_gap_refuses_bad_numbers(tmp_path: Path) -> None:
    f = tmp_path / "neg"
    f.write_text("1 2 5 6 -3 4 10")  # negative resource
    with pytest.raises(FormatError, match="resources"):
        read_gap(f)
    f.write_text("1 2 5 6 3.5 4 10")  # fractional resource
    with pytest.raises(FormatError, match="not an integer"):
        read_gap(f)
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(FormatError, match="neg"):
        read_gap(f)
    with pytest.raises(FormatError, match="no such file"):
        read_gap(tmp_path / "missing")


# --- linear assignment -------------------------------------------------------------------

DENSE = """4
 9 2 7 8
 6 4 3 7
 5 8 1 8
 7 6 9 4
"""
DENSE_OPT = 2 + 6 + 1 + 4  # agent 0 -> job 1, 1 -> 0, 2 -> 2, 3 -> 3


def test_assign_dense(tmp_path: Path) -> None:
    f = tmp_path / "assign4.txt"
    f.write_text(DENSE)
    p = read_assign(f)
    assert (p.n_agents, p.n_jobs, p.n_arcs) == (4, 4, 16)
    assert p.meta == {"name": "assign4", "kind": "assign"}
    assert p.agent_capacity.tolist() == [1, 1, 1, 1] and np.all(p.arc_load == 1)
    assert np.all(p.group_required)
    c = p.levels[0].coef.reshape(4, 4)
    assert c[0].tolist() == [9, 2, 7, 8] and c[3, 3] == 4
    r, k = linear_sum_assignment(c)
    assert c[r, k].sum() == DENSE_OPT
    f.write_text(" ".join(DENSE.split()))  # line breaks do not matter
    assert read_assign(f).levels[0].coef.tolist() == p.levels[0].coef.tolist()


def test_assign_sparse_with_and_without_header(tmp_path: Path) -> None:
    f = tmp_path / "assignp3.txt"
    f.write_text("3\n1 1 4\n1 2 1\n2 1 2\n2 3 5\n3 2 3\n3 3 6\n")
    p = read_assign(f)
    assert (p.n_agents, p.n_jobs, p.n_arcs) == (3, 3, 6)
    assert p.arc_agent.tolist() == [0, 0, 1, 1, 2, 2]
    assert p.arc_job.tolist() == [0, 1, 0, 2, 1, 2]
    assert p.levels[0].coef.tolist() == [4, 1, 2, 5, 3, 6]
    g = tmp_path / "nohdr"
    g.write_text("1 1 4\n1 2 1\n\n2 1 2\n2 3 5\n3 2 3\n  3 3 6")
    q = read_assign(g)
    assert q.n_agents == 3 and q.levels[0].coef.tolist() == p.levels[0].coef.tolist()
    h = tmp_path / "big"
    h.write_text("5\n1 1 4\n")  # the header may announce more rows than are listed
    assert read_assign(h).n_agents == 5


def test_assign_ambiguous_layout_can_be_forced(tmp_path: Path) -> None:
    f = tmp_path / "amb"
    f.write_text("3\n1 1 4\n2 2 5\n3 3 6\n")  # 10 numbers: also a 3x3 matrix
    assert read_assign(f).n_arcs == 9
    s = read_assign(f, kind="sparse")
    assert s.n_arcs == 3 and s.levels[0].coef.tolist() == [4, 5, 6]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("3\n1 1 4\n1 1 5\n", "more than once"),
        ("2\n1 3 4\n", "exceeds"),
        ("2\n0 1 4\n", "expected integers >= 1"),
        ("2\n1 1 4\n2 2\n", "line 3 holds 2 numbers"),
        ("1 1 4 1 2 1", "line 1 holds 6"),
        ("2\n1 1 x\n", "not a number"),
        ("", "empty"),
        ("3\n1 2 3 4 5 6 7 8\n", "line 2 holds 8"),
    ],
)
def test_assign_refuses_malformed(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "bad_assign"
    f.write_text(text)
    with pytest.raises(FormatError, match=match) as e:
        read_assign(f)
    assert "bad_assign" in str(e.value)


def test_assign_dense_truncated(tmp_path: Path) -> None:
    f = tmp_path / "trunc"
    f.write_text(" ".join(DENSE.split()[:-1]))
    with pytest.raises(FormatError):
        read_assign(f, kind="dense")
