"""Pairing solution documents (``vmatch-pairing-solution/1``), see ``docs/format.md``.

Examples
--------
>>> from datetime import time
>>> from vmatch.result import Status
>>> from vmatch._pairing_result import Pair, PairingResult
>>> r = PairingResult(Status.FEASIBLE, pairs=(Pair("v1", "b1", 2, time(16), time(17)),))
>>> d = pairing_result_to_dict(r)
>>> d["format"], d["pairs"][0]["start"], d["pairs"][0]["end"]
('vmatch-pairing-solution/1', '16:00', '17:00')
"""

from __future__ import annotations

import math
from datetime import time
from typing import Any

from vmatch._pairing_model import PairingProblem
from vmatch._pairing_result import DroppedPair, Pair, PairingResult, Unpaired
from vmatch.io._json_text import parse_json
from vmatch.io._json_util import (
    Ctx,
    as_clock,
    as_int,
    as_list,
    as_obj,
    as_opt_num,
    as_str,
    check_keys,
    fmt_num,
    json_data,
)
from vmatch.io.json_format import MAX_BYTES, _dumps, _guard
from vmatch.result import LevelResult, Status

__all__ = [
    "PAIRING_SOLUTION_FORMAT",
    "dumps_pairing_result",
    "loads_pairing_result",
    "pairing_result_from_dict",
    "pairing_result_to_dict",
]

SOLUTION_FIELDS = (
    "format",
    "status",
    "objective",
    "bound",
    "gap",
    "pairs",
    "unpaired",
    "kept",
    "new",
    "dropped",
    "levels",
    "stats",
)


PAIRING_SOLUTION_FORMAT = "vmatch-pairing-solution/1"


def pairing_result_to_dict(result: PairingResult) -> dict[str, Any]:
    """The ``vmatch-pairing-solution/1`` document of ``result``; NaN and infinities as null."""
    return {
        "format": PAIRING_SOLUTION_FORMAT,
        "status": result.status.value,
        "objective": fmt_num(result.objective),
        "bound": fmt_num(result.bound),
        "gap": fmt_num(result.gap),
        "pairs": [
            {
                "volunteer": x.volunteer,
                "beneficiary": x.beneficiary,
                "day": x.weekday,
                "start": f"{x.start.hour:02d}:{x.start.minute:02d}",
                "end": "24:00" if x.end == time(0) else f"{x.end.hour:02d}:{x.end.minute:02d}",
            }
            for x in result.pairs
        ],
        "unpaired": {k: {"reasons": dict(u.reasons)} for k, u in result.unpaired.items()},
        "kept": [list(x) for x in result.kept],
        "new": [list(x) for x in result.new],
        "dropped": [
            {"volunteer": x.volunteer, "beneficiary": x.beneficiary, "reason": x.reason} for x in result.dropped
        ],
        "levels": [
            {"name": lv.name, "sense": lv.sense, "value": fmt_num(lv.value), "bound": fmt_num(lv.bound)}
            for lv in result.levels
        ],
        "stats": json_data(Ctx("solution"), "stats", {k: _plain(v) for k, v in result.stats.items()}),
    }


def _plain(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, list | tuple):
        return [_plain(y) for y in x]
    return x.item() if hasattr(x, "item") else x


def pairing_result_from_dict(d: object, problem: PairingProblem) -> PairingResult:
    """Read a ``vmatch-pairing-solution/1`` document of a pairing of ``problem``."""
    with _guard("solution"):
        ctx = Ctx("solution")
        r = as_obj(ctx, "(document)", d)
        if r.get("format") != PAIRING_SOLUTION_FORMAT:
            ctx.fail("format", f"must be {PAIRING_SOLUTION_FORMAT!r}, got {r.get('format')!r}")
        check_keys(ctx, r, SOLUTION_FIELDS)
        try:
            status = Status(r.get("status"))
        except ValueError:
            ctx.fail("status", f"must be OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN, got {r.get('status')!r}")
        vids = {v.id for v in problem.volunteers}
        bids = {b.id for b in problem.beneficiaries}

        def ids(fld: str, vid: object, bid: object) -> tuple[str, str]:
            if vid not in vids:
                ctx.fail(fld, f"names unknown volunteer {vid!r}")
            if bid not in bids:
                ctx.fail(fld, f"names unknown beneficiary {bid!r}")
            return str(vid), str(bid)

        pairs = []
        for n, x in enumerate(as_list(ctx, "pairs", r.get("pairs", []))):
            o = as_obj(ctx, f"pairs[{n}]", x)
            vid, bid = ids(f"pairs[{n}]", o.get("volunteer"), o.get("beneficiary"))
            pairs.append(
                Pair(
                    vid,
                    bid,
                    as_int(ctx, f"pairs[{n}].day", o.get("day"), 1, 7),
                    as_clock(ctx, f"pairs[{n}].start", o.get("start")),
                    as_clock(ctx, f"pairs[{n}].end", o.get("end"), end=True),
                )
            )
        unpaired = {}
        for bid, u in as_obj(ctx, "unpaired", r.get("unpaired", {})).items():
            if bid not in bids:
                ctx.fail("unpaired", f"names unknown beneficiary {bid!r}")
            reasons = as_obj(ctx, f"unpaired.{bid}.reasons", as_obj(ctx, f"unpaired.{bid}", u).get("reasons", {}))
            unpaired[bid] = Unpaired(
                bid, {k: as_int(ctx, f"unpaired.{bid}.reasons.{k}", c, 0) for k, c in reasons.items()}
            )
        kept = tuple(
            ids(f"kept[{n}]", *_two(ctx, f"kept[{n}]", x))
            for n, x in enumerate(as_list(ctx, "kept", r.get("kept", [])))
        )
        new = tuple(
            ids(f"new[{n}]", *_two(ctx, f"new[{n}]", x)) for n, x in enumerate(as_list(ctx, "new", r.get("new", [])))
        )
        dropped = []
        for n, x in enumerate(as_list(ctx, "dropped", r.get("dropped", []))):
            o = as_obj(ctx, f"dropped[{n}]", x)
            vid, bid = ids(f"dropped[{n}]", o.get("volunteer"), o.get("beneficiary"))
            dropped.append(DroppedPair(vid, bid, as_str(ctx, f"dropped[{n}].reason", o.get("reason"))))
        levels = []
        for n, x in enumerate(as_list(ctx, "levels", r.get("levels", []))):
            o = as_obj(ctx, f"levels[{n}]", x)
            levels.append(
                LevelResult(
                    as_str(ctx, f"levels[{n}].name", o.get("name")),
                    as_str(ctx, f"levels[{n}].sense", o.get("sense")),
                    as_opt_num(ctx, f"levels[{n}].value", o.get("value")),
                    as_opt_num(ctx, f"levels[{n}].bound", o.get("bound")),
                )
            )
        stats = json_data(ctx, "stats", as_obj(ctx, "stats", r.get("stats", {})))
        return PairingResult(status, tuple(pairs), unpaired, kept, new, tuple(dropped), tuple(levels), stats)


def _two(ctx: Ctx, fld: str, x: object) -> tuple[object, object]:
    if not isinstance(x, list | tuple) or len(x) != 2:
        ctx.fail(fld, "must be a [volunteer id, beneficiary id] pair")
    return x[0], x[1]


def dumps_pairing_result(result: PairingResult) -> str:
    """The ``vmatch-pairing-solution/1`` document of ``result`` as JSON text."""
    return _dumps(pairing_result_to_dict(result)) + "\n"


def loads_pairing_result(text: str | bytes, problem: PairingProblem, *, max_bytes: int = MAX_BYTES) -> PairingResult:
    """Parse a ``vmatch-pairing-solution/1`` document of a pairing of ``problem``."""
    return pairing_result_from_dict(parse_json(text, "solution", max_bytes), problem)
