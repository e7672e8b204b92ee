"""The command line, through a subprocess as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vmatch.io.json_format import read_problem, read_solution, write_problem
from vmatch.verify import verify

DOC = {
    "format": "vmatch/1",
    "settings": {"timezone": "Asia/Shanghai", "travel_speed_kmh": 15, "max_distance_km": 10},
    "volunteers": [
        {"id": "v1", "location": [30.66, 114.31], "skills": {"first_aid": 2}},
        {"id": "v2", "location": [30.62, 114.29]},
    ],
    "tasks": [
        {
            "id": "t1",
            "location": [30.61, 114.28],
            "window": ["2026-12-05T09:00+08:00", "2026-12-05T11:00+08:00"],
            "duration": 60,
            "headcount": 2,
            "skills": {"first_aid": 1},
        },
        {"id": "t2", "location": [30.61, 114.28], "window": ["2026-12-05T09:00+08:00", "2026-12-05T10:00+08:00"]},
    ],
}


def vmatch(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vmatch.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture
def problem_file(tmp_path: Path) -> Path:
    f = tmp_path / "p.json"
    f.write_text(json.dumps(DOC), encoding="utf-8")
    return f


def test_solve_verify_explain_roundtrip(problem_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    r = vmatch("-q", "solve", str(problem_file), "--time-limit", "5", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "status      OPTIMAL" in r.stdout
    sol = json.loads(out.read_text())
    assert sol["format"] == "vmatch-solution/1"
    got = sorted((a["volunteer"], a["task"]) for a in sol["assignments"])
    assert got == [("v1", "t1"), ("v2", "t2")]
    assert sol["unassigned"]["t1"]["missing"] == 1
    assert sol["unassigned"]["t1"]["reasons"]["skill"] == 1
    p = read_problem(problem_file)
    assert verify(p, read_solution(out, p)) == []
    r = vmatch("-q", "verify", str(problem_file), str(out))
    assert r.returncode == 0 and r.stdout.startswith("ok: 2 assignments")
    r = vmatch("-q", "explain", str(problem_file), str(out))
    assert r.returncode == 0
    assert "task t1: 1 of 2 places unfilled" in r.stdout
    assert "skill: 1 volunteer lacks a required skill level" in r.stdout
    r = vmatch("-q", "explain", str(problem_file), str(out), "--task", "t1", "--json")
    assert json.loads(r.stdout)[0]["reasons"]["skill"] == 1


def test_explain_a_menu_order(problem_file: Path, tmp_path: Path) -> None:
    f, sol = tmp_path / "menu.json", tmp_path / "plan.json"
    assert vmatch("-q", "generate", "menu", "--orders", "80", "--offers", "25", "--out", str(f)).returncode == 0
    assert vmatch("-q", "menu", str(f), "--time-limit", "5", "--out", str(sol)).returncode == 0
    plan = json.loads(sol.read_text())
    oid, why = next(iter(plan["unserved"].items()))
    r = vmatch("-q", "explain", str(f), str(sol), "--order", oid, "--json")
    assert r.returncode == 0, r.stderr
    (e,) = json.loads(r.stdout)
    assert e["order"] == oid and e["served_by"] == []
    assert e["reasons"] == {k: v for k, v in why.items() if k != "busy"}
    r = vmatch("-q", "explain", str(f), str(sol))
    assert r.returncode == 0 and r.stdout.count("): not served") == len(plan["unserved"]), r.stdout
    a = plan["assignments"][0]
    r = vmatch("-q", "explain", str(f), str(sol), "--order", a["order"])
    assert r.stdout.strip().endswith(f"served by {a['offer']}"), r.stdout
    r = vmatch("-q", "explain", str(f), str(sol), "--volunteer", "v1")
    assert r.returncode == 2 and "field '--volunteer'" in r.stderr
    r = vmatch("-q", "explain", str(problem_file), str(sol), "--order", oid)
    assert r.returncode == 2 and "field '--order' is for a menu" in r.stderr


def test_verify_reports_violations_with_exit_1(problem_file: Path, tmp_path: Path) -> None:
    bad = {
        "format": "vmatch-solution/1",
        "status": "FEASIBLE",
        "assignments": [{"volunteer": "v2", "task": "t1", "start": "2026-12-05T09:00+08:00"}],
        "unassigned": {"t1": {"missing": 1, "reasons": {}}, "t2": {"missing": 1, "reasons": {}}},
    }
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(bad))
    r = vmatch("-q", "verify", str(problem_file), str(f))
    assert r.returncode == 1
    assert "skill" in r.stdout and "1 violation(s)" in r.stdout


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["tasks"][0].update(headcount=0), "task 't1'"),
        (lambda d: d["volunteers"][0].update(location=[95.0, 114.0]), "lat"),
        (lambda d: d["tasks"][1].update(colour="red"), "colour"),
        (lambda d: d["volunteers"].append(dict(d["volunteers"][0])), "duplicate"),
        (lambda d: d.update(pinned=[["v9", "t1"]]), "v9"),
        (lambda d: d["tasks"][0].update(window=["2026-12-05T09:00", "2026-12-05T11:00"]), "window"),
    ],
)
def test_bad_input_exit_2_one_line(problem_file: Path, mutate, needle: str) -> None:  # type: ignore[no-untyped-def]
    d = json.loads(json.dumps(DOC))
    mutate(d)
    problem_file.write_text(json.dumps(d))
    r = vmatch("-q", "solve", str(problem_file))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and needle in r.stderr
    assert r.stdout == ""


def test_malformed_json_and_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text('{"format": "vmatch/1", "volunteers": [')
    r = vmatch("-q", "solve", str(f))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = vmatch("-q", "solve", str(tmp_path / "absent.json"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_infeasible_pins_exit_3(problem_file: Path) -> None:
    d = json.loads(json.dumps(DOC))
    d["pinned"] = [["v2", "t1"]]  # v2 lacks first_aid
    problem_file.write_text(json.dumps(d))
    r = vmatch("-q", "solve", str(problem_file))
    assert r.returncode == 3
    assert "pinned v2->t1" in r.stderr


def test_generate_city_then_solve(tmp_path: Path) -> None:
    f = tmp_path / "city.json"
    r = vmatch("-q", "generate", "city", "--volunteers", "60", "--tasks", "25", "--seed", "3", "--out", str(f))
    assert r.returncode == 0, r.stderr
    p = read_problem(f)
    assert len(p.volunteers) == 60 and len(p.tasks) == 25
    again = tmp_path / "again.json"
    vmatch("-q", "generate", "city", "--volunteers", "60", "--tasks", "25", "--seed", "3", "--out", str(again))
    assert again.read_text() == f.read_text()
    out = tmp_path / "s.json"
    r = vmatch("-q", "solve", str(f), "--time-limit", "10", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert verify(p, read_solution(out, p)) == []


def test_write_problem_reads_back(tmp_path: Path, problem_file: Path) -> None:
    p = read_problem(problem_file)
    f = tmp_path / "again.json"
    write_problem(p, f)
    assert read_problem(f) == p


def test_pair_generate_solve_verify(tmp_path: Path) -> None:
    f = tmp_path / "pairing.json"
    r = vmatch(
        "-q", "generate", "pairing", "--beneficiaries", "40", "--volunteers", "30", "--seed", "2", "--out", str(f)
    )
    assert r.returncode == 0, r.stderr
    out = tmp_path / "pairs.json"
    r = vmatch("-q", "pair", str(f), "--time-limit", "5", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("status ")
    doc = json.loads(out.read_text())
    assert doc["pairs"], doc
    r = vmatch("-q", "verify", str(f), str(out))
    assert r.returncode == 0 and r.stdout.startswith("ok: "), r.stdout + r.stderr
    r = vmatch("-q", "solve", str(f))  # a pairing document is not a dispatch problem
    assert r.returncode == 2 and "vmatch pair" in r.stderr


def test_menu_generate_and_solve_both_modes(tmp_path: Path) -> None:
    f = tmp_path / "menu.json"
    r = vmatch("-q", "generate", "menu", "--orders", "40", "--offers", "15", "--seed", "1", "--out", str(f))
    assert r.returncode == 0, r.stderr
    for mode in ("welfare", "stable"):
        out = tmp_path / f"{mode}.json"
        r = vmatch("-q", "menu", str(f), "--mode", mode, "--time-limit", "5", "--out", str(out))
        assert r.returncode == 0, r.stderr
        doc = json.loads(out.read_text())
        assert doc["mode"] == mode and doc["assignments"]
        # the summary: orders served and why the others are not, the first level with its bound
        busy = sum(1 for reasons in doc["unserved"].values() if reasons.get("busy", 0) > 0)
        lines = r.stdout.splitlines()
        assert lines[0] == f"status      {doc['status']} ({mode})", r.stdout
        assert lines[1] == (
            f"orders      {len(doc['assignments'])} served of {len(doc['assignments']) + len(doc['unserved'])}; "
            f"unserved: {busy} wait for a busy offer, {len(doc['unserved']) - busy} have no offer"
        ), r.stdout
        cov = doc["objective"]["coverage"]
        assert lines[2].startswith(f"coverage    {cov['value']:.6g}"), r.stdout
        assert ("(bound" in lines[2]) == (cov["bound"] is not None), r.stdout
    r = vmatch("-q", "solve", str(f))
    assert r.returncode == 2 and "vmatch menu" in r.stderr
    # the largest weakly stable matching serves at least as many orders as deferred acceptance
    big = tmp_path / "largest.json"
    r = vmatch("-q", "menu", str(f), "--mode", "stable", "--largest", "--time-limit", "5", "--out", str(big))
    assert r.returncode == 0, r.stderr
    da = json.loads((tmp_path / "stable.json").read_text())
    assert len(json.loads(big.read_text())["assignments"]) >= len(da["assignments"])
    r = vmatch("-q", "verify", str(f), str(big))
    assert r.returncode == 0, r.stdout + r.stderr
    r = vmatch("-q", "menu", str(f), "--largest")
    assert r.returncode == 2 and "--largest' needs --mode stable" in r.stderr


def test_menu_replan_and_verify(tmp_path: Path) -> None:
    """``vmatch replan`` on a menu reads the menu solution of ``vmatch menu``; events name offers
    and orders; the new plan keeps the accepted pair, never re-uses the declined one, reports the
    cancelled order and verifies, and ``vmatch verify`` on a menu catches a broken plan."""
    f, sol = tmp_path / "menu.json", tmp_path / "welfare.json"
    # 200 orders: above replan's LOCAL_ABOVE, so the local re-plan (with the shared-person rows) runs
    assert (
        vmatch("-q", "generate", "menu", "--orders", "200", "--offers", "60", "--seed", "1", "--out", str(f)).returncode
        == 0
    )
    r = vmatch("-q", "menu", str(f), "--time-limit", "5", "--out", str(sol))
    assert r.returncode == 0, r.stderr
    prev = json.loads(sol.read_text())["assignments"]
    assert len(prev) >= 10
    declined, accepted, cancelled = prev[0], prev[1], prev[2]["order"]
    ev = tmp_path / "events.json"
    ev.write_text(
        json.dumps(
            {
                "declined": [[declined["offer"], declined["order"]]],
                "accepted": [[accepted["offer"], accepted["order"]]],
                "cancelled": [cancelled],
            }
        )
    )
    new = tmp_path / "new.json"
    r = vmatch("-q", "replan", str(f), str(sol), str(ev), "--time-limit", "5", "--out", str(new))
    assert r.returncode == 0, r.stderr
    doc = json.loads(new.read_text())
    got = {(a["offer"], a["order"]) for a in doc["assignments"]}
    assert (declined["offer"], declined["order"]) not in got
    assert (accepted["offer"], accepted["order"]) in got
    assert cancelled not in {o for _, o in got} and doc["unserved"][cancelled] == {"cancelled": 1}
    ch = doc["stats"]["changes"]
    assert ch["kept"] >= len(prev) - 3 and ch["removed"] >= 2  # the declined pair and the cancelled order
    line = f"changes     kept {ch['kept']}, removed {ch['removed']}, added {ch['added']}, moved {ch['moved']}"
    assert line in r.stdout, r.stdout
    busy = sum(1 for x in doc["unserved"].values() if x.get("busy", 0) > 0)
    served, n = len(doc["assignments"]), len(doc["assignments"]) + len(doc["unserved"])
    assert f"orders      {served} served of {n}; unserved: {busy} wait for a busy offer, " in r.stdout, r.stdout
    assert "have no offer, 1 cancelled\n" in r.stdout, r.stdout
    r = vmatch("-q", "verify", str(f), str(new))
    assert r.returncode == 0 and r.stdout.startswith("ok:"), r.stdout
    # a plan that serves one order twice, the second time through an offer of another item
    bad = json.loads(sol.read_text())
    twice = dict(bad["assignments"][0])
    other = next(a for a in bad["assignments"] if a["offer"] != twice["offer"])
    twice["offer"], twice["provider"] = other["offer"], other["provider"]
    bad["assignments"].append(twice)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(bad))
    r = vmatch("-q", "verify", str(f), str(broken))
    assert r.returncode == 1 and f"menu: order {twice['order']!r}: served 2 times" in r.stdout, r.stdout
    # refusals name the field
    ev.write_text(
        json.dumps(
            {
                "added": [
                    {
                        "id": "t1",
                        "location": [30.6, 114.3],
                        "window": ["2026-12-05T09:00+08:00", "2026-12-05T11:00+08:00"],
                        "duration": 60,
                    }
                ]
            }
        )
    )
    r = vmatch("-q", "replan", str(f), str(sol), str(ev))
    assert r.returncode == 2 and "field 'added'" in r.stderr
    ev.write_text(json.dumps({"declined": [["of99", "or00001"]]}))
    r = vmatch("-q", "replan", str(f), str(sol), str(ev))
    assert r.returncode == 2 and "field 'declined[0]' names unknown offer or provider 'of99'" in r.stderr, r.stderr
    bad = json.loads(sol.read_text())
    bad["assignments"][0]["offer"] = "nobody"
    broken.write_text(json.dumps(bad))
    r = vmatch("-q", "verify", str(f), str(broken))
    assert r.returncode == 2 and "assignments[0].offer" in r.stderr and "nobody" in r.stderr, r.stderr
    bad = json.loads(sol.read_text())
    bad["assignments"][0]["provider"] = "someone"
    broken.write_text(json.dumps(bad))
    r = vmatch("-q", "verify", str(f), str(broken))
    assert r.returncode == 2 and "assignments[0].provider" in r.stderr, r.stderr


def test_replan_after_a_decline(problem_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    assert vmatch("-q", "solve", str(problem_file), "--time-limit", "5", "--out", str(out)).returncode == 0
    ev = tmp_path / "events.json"
    ev.write_text(json.dumps({"declined": [["v2", "t2"]]}))
    new = tmp_path / "new.json"
    r = vmatch("-q", "replan", str(problem_file), str(out), str(ev), "--time-limit", "5", "--out", str(new))
    assert r.returncode == 0, r.stderr
    got = sorted((a["volunteer"], a["task"]) for a in json.loads(new.read_text())["assignments"])
    assert ("v2", "t2") not in got and ("v1", "t1") in got
    assert re.search(r"^changes     kept \d+, removed [1-9]\d*, added \d+, moved \d+$", r.stdout, re.M), r.stdout


def test_reader_going_away_is_quiet(tmp_path: Path) -> None:
    """``vmatch explain ... | head -1``: the closed pipe ends the command without a message."""
    f, sol = tmp_path / "c.json", tmp_path / "s.json"
    r = vmatch("-q", "generate", "city", "--volunteers", "40", "--tasks", "400", "--out", str(f))
    assert r.returncode == 0, r.stderr
    r = vmatch("-q", "solve", str(f), "--time-limit", "2", "--out", str(sol))
    assert r.returncode == 0, r.stderr
    assert len(vmatch("-q", "explain", str(f), str(sol)).stdout) > 100_000  # more than a pipe holds (64 KiB)
    proc = subprocess.Popen(
        [sys.executable, "-m", "vmatch.cli", "-q", "explain", str(f), str(sol)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away with most of the output unread
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert first.startswith(b"task ")
    assert err == ""
    assert proc.returncode == 141


def test_reproducible_solve_and_menu(tmp_path: Path) -> None:
    # a small city whose plans differed in start times between 1, 2 and 8 threads before the
    # tie-break; every level is proven, and so is the tie-break: the same plan
    city = tmp_path / "c.json"
    r = vmatch("-q", "generate", "city", "--volunteers", "60", "--tasks", "30", "--seed", "0", "--out", str(city))
    assert r.returncode == 0, r.stderr
    docs = []
    for w in ("1", "8"):
        out = tmp_path / f"s{w}.json"
        r = vmatch("-q", "solve", str(city), "--time-limit", "30", "--workers", w, "--reproducible", "--out", str(out))
        assert r.returncode == 0, r.stderr
        doc = json.loads(out.read_text())
        assert doc["status"] == "OPTIMAL" and doc["stats"]["tie_break"] == "OPTIMAL"
        docs.append(sorted((a["volunteer"], a["task"], a["start"]) for a in doc["assignments"]))
    assert docs[0] == docs[1] and docs[0]
    events = tmp_path / "e.json"
    events.write_text(json.dumps({"declined": [list(docs[0][0][:2])]}), encoding="utf-8")
    again = []
    for w in ("1", "8"):
        out = tmp_path / f"r{w}.json"
        r = vmatch(
            "-q", "replan", str(city), str(tmp_path / "s1.json"), str(events), "--workers", w, "--reproducible",
            "--out", str(out),
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        again.append(
            sorted((a["volunteer"], a["task"], a["start"]) for a in json.loads(out.read_text())["assignments"])
        )
    assert again[0] == again[1] and tuple(docs[0][0][:2]) not in {x[:2] for x in again[0]}
    searched = []
    for w in ("1", "2"):
        out = tmp_path / f"l{w}.json"
        r = vmatch(
            "-q", "solve", str(city), "--time-limit", "3", "--workers", w, "--method", "lns", "--reproducible",
            "--out", str(out),
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        doc = json.loads(out.read_text())
        assert doc["stats"]["solver"] == "lns" and doc["stats"]["reproducible"] is True
        searched.append(sorted((a["volunteer"], a["task"], a["start"]) for a in doc["assignments"]))
    assert searched[0] == searched[1]
    menu = tmp_path / "m.json"
    assert vmatch("-q", "generate", "menu", "--orders", "60", "--offers", "20", "--out", str(menu)).returncode == 0
    out = tmp_path / "plan.json"
    r = vmatch("-q", "menu", str(menu), "--reproducible", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert vmatch("-q", "verify", str(menu), str(out)).returncode == 0


def test_reproducible_pair(tmp_path: Path) -> None:
    f = tmp_path / "pairing.json"
    gen = ("-q", "generate", "pairing", "--beneficiaries", "150", "--volunteers", "80", "--seed", "1", "--out", str(f))
    assert vmatch(*gen).returncode == 0
    docs = []
    for w in ("1", "8"):
        out = tmp_path / f"pairs{w}.json"
        r = vmatch("-q", "pair", str(f), "--time-limit", "30", "--workers", w, "--reproducible", "--out", str(out))
        assert r.returncode == 0, r.stderr
        doc = json.loads(out.read_text())
        assert doc["stats"]["reproducible"] is True, doc["stats"]
        assert vmatch("-q", "verify", str(f), str(out)).returncode == 0
        docs.append(doc["pairs"])
    assert docs[0] == docs[1]
