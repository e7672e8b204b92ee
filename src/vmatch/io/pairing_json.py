"""The ``"pairing"`` section of ``vmatch/1`` documents, and pairing solutions (see ``docs/format.md``).

A pairing problem is a ``vmatch/1`` document (settings, volunteers) with a ``"pairing"``
section (beneficiaries, ``max_beneficiaries``, existing, dissolved and forbidden pairs,
weights). Tasks of the document, if any, are read and checked as usual but not used.
Pairing answers are ``vmatch-pairing-solution/1`` documents. Readers refuse bad input
with one :class:`vmatch.FormatError` line naming the object and the field.

Examples
--------
>>> doc = '''{"format": "vmatch/1", "volunteers": [{"id": "v1", "location": [31.3, 114.6]}],
...   "pairing": {"today": "2026-12-07", "max_beneficiaries": {"v1": 2},
...     "beneficiaries": [{"id": "b1", "location": [31.31, 114.6], "minutes_per_week": 60,
...                        "weekly": [{"days": [2, 4], "start": "16:30", "end": "18:30"}]}]}}'''
>>> p = loads_pairing_problem(doc)
>>> p.capacity("v1"), p.beneficiaries[0].weekly[0].days
(2, (2, 4))
>>> loads_pairing_problem(dumps_pairing_problem(p)) == p
True
>>> loads_pairing_problem(doc.replace('"minutes_per_week": 60', '"minutes_per_week": 0'))
Traceback (most recent call last):
...
vmatch.errors.FormatError: beneficiary 'b1': field 'minutes_per_week' must be in [1, 1440], got 0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vmatch._pairing_model import Beneficiary, PairingProblem, PairingWeights
from vmatch.errors import FormatError
from vmatch.io import _json_read, _json_write
from vmatch.io._json_text import parse_json
from vmatch.io._json_util import (
    Ctx,
    as_date,
    as_int,
    as_list,
    as_location,
    as_num,
    as_obj,
    as_str,
    check_keys,
    fmt_clock,
    fmt_num,
    json_data,
)
from vmatch.io._pairing_json_result import (
    PAIRING_SOLUTION_FORMAT,
    dumps_pairing_result,
    loads_pairing_result,
    pairing_result_from_dict,
    pairing_result_to_dict,
)
from vmatch.io.json_format import MAX_BYTES, PathOrFile, _dumps, _guard, _read, _write, problem_from_dict
from vmatch.model import MAX_LEVEL, Problem

__all__ = [
    "PAIRING_SOLUTION_FORMAT",
    "dumps_pairing_problem",
    "dumps_pairing_result",
    "loads_pairing_problem",
    "loads_pairing_result",
    "pairing_problem_from_dict",
    "pairing_problem_to_dict",
    "pairing_result_from_dict",
    "pairing_result_to_dict",
    "read_pairing_problem",
    "write_pairing_problem",
]

FIELDS = {
    "pairing": (
        "today",
        "horizon_weeks",
        "beneficiaries",
        "max_beneficiaries",
        "existing",
        "dissolved",
        "forbidden",
        "weights",
        "extra",
    ),
    "beneficiary": (
        "id",
        "location",
        "weekly",
        "minutes_per_week",
        "needs",
        "certificates",
        "wishes",
        "preferences",
        "group",
        "waiting_since",
        "extra",
    ),
    "weights": (
        "base",
        "groups",
        "per_month_waiting",
        "max_months",
        "slack_per_15min",
        "slack_cap_minutes",
        "preference",
        "per_km",
    ),
}


def _value_sets(ctx: Ctx, fld: str, x: object) -> dict[str, frozenset[str]]:
    out = {}
    for k, vals in as_obj(ctx, fld, x).items():
        xs = as_list(ctx, f"{fld}.{k}", vals)
        if not k or not xs:
            ctx.fail(f"{fld}.{k}", "must be a non-empty array of strings under a non-empty key")
        out[k] = frozenset(as_str(ctx, f"{fld}.{k}[{n}]", s) for n, s in enumerate(xs))
    return out


def _beneficiary(n: int, x: object) -> Beneficiary:
    ctx = Ctx(f"beneficiaries[{n}]")
    d = as_obj(Ctx("pairing"), f"beneficiaries[{n}]", x)
    if "id" not in d:
        ctx.fail("id", "is missing (required)")
    ctx.name = f"beneficiary {as_str(ctx, 'id', d['id'])!r}"
    check_keys(ctx, d, FIELDS["beneficiary"])
    for key in ("location", "weekly"):
        if key not in d:
            ctx.fail(key, "is missing (required)")
    weekly = as_list(ctx, "weekly", d["weekly"])
    if not weekly:
        ctx.fail("weekly", "must list at least one weekly rule")
    needs = {
        k: as_int(ctx, f"needs.{k}", lvl, 1, MAX_LEVEL) for k, lvl in as_obj(ctx, "needs", d.get("needs", {})).items()
    }
    certs = as_list(ctx, "certificates", d.get("certificates", []))
    ws = d.get("waiting_since")
    with ctx.model():
        return Beneficiary(
            id=d["id"],
            location=as_location(ctx, "location", d["location"]),
            weekly=tuple(_json_read._weekly(ctx, i, r) for i, r in enumerate(weekly)),
            minutes_per_week=as_int(ctx, "minutes_per_week", d.get("minutes_per_week", 60), 1, 1440),
            needs=needs,
            certificates=tuple(as_str(ctx, f"certificates[{i}]", c) for i, c in enumerate(certs)),
            wishes=_value_sets(ctx, "wishes", d.get("wishes", {})),
            preferences=_value_sets(ctx, "preferences", d.get("preferences", {})),
            group=as_str(ctx, "group", d.get("group", "other")),
            waiting_since=None if ws is None else as_date(ctx, "waiting_since", ws),
            extra=dict(json_data(ctx, "extra", as_obj(ctx, "extra", d.get("extra", {})))),
        )


def _weights(x: object) -> PairingWeights:
    ctx = Ctx("weights")
    d = as_obj(Ctx("pairing"), "weights", x)
    check_keys(ctx, d, FIELDS["weights"])
    kw: dict[str, Any] = {
        k: as_int(ctx, k, d[k], 0, 10**6) for k in FIELDS["weights"] if k in d and k not in ("groups", "per_km")
    }
    if "groups" in d:
        kw["groups"] = {
            g: as_int(ctx, f"groups.{g}", w, 0, 10**6) for g, w in as_obj(ctx, "groups", d["groups"]).items()
        }
    if "per_km" in d:
        kw["per_km"] = as_num(ctx, "per_km", d["per_km"], 0.0, 1e4)
    with ctx.model():
        return PairingWeights(**kw)


def _pairs(ctx: Ctx, fld: str, x: object) -> tuple[tuple[str, str], ...]:
    out = []
    for n, p in enumerate(as_list(ctx, fld, x)):
        if not isinstance(p, list | tuple) or len(p) != 2 or not all(isinstance(s, str) for s in p):
            ctx.fail(f"{fld}[{n}]", "must be a [volunteer id, beneficiary id] pair of strings")
        out.append((p[0], p[1]))
    return tuple(out)


def pairing_problem_from_dict(d: object) -> PairingProblem:
    """Build a :class:`PairingProblem` from a parsed ``vmatch/1`` document with a ``"pairing"`` section."""
    with _guard("problem"):
        if not isinstance(d, Mapping):
            raise FormatError(f"problem: the document must be a JSON object, got {type(d).__name__}")
        root = Ctx("problem")
        if "pairing" not in d:
            root.fail("pairing", "is missing (a pairing problem needs its 'pairing' section)")
        base = problem_from_dict({k: v for k, v in d.items() if k != "pairing"})
        ctx = Ctx("pairing")
        s = as_obj(root, "pairing", d["pairing"])
        check_keys(ctx, s, FIELDS["pairing"])
        if "today" not in s:
            ctx.fail("today", "is missing (required)")
        bens = [_beneficiary(n, x) for n, x in enumerate(as_list(ctx, "beneficiaries", s.get("beneficiaries", [])))]
        caps = {
            k: as_int(ctx, f"max_beneficiaries.{k}", c, 0, 1000)
            for k, c in as_obj(ctx, "max_beneficiaries", s.get("max_beneficiaries", {})).items()
        }
        with ctx.model():
            return PairingProblem(
                base.volunteers,
                tuple(bens),
                as_date(ctx, "today", s["today"]),
                base.settings,
                _weights(s["weights"]) if "weights" in s else PairingWeights(),
                as_int(ctx, "horizon_weeks", s.get("horizon_weeks", 26), 1, 520),
                caps,
                _pairs(ctx, "existing", s.get("existing", [])),
                _pairs(ctx, "dissolved", s.get("dissolved", [])),
                _pairs(ctx, "forbidden", s.get("forbidden", [])),
                dict(json_data(ctx, "extra", as_obj(ctx, "extra", s.get("extra", {})))),
            )


def _rule(ctx: Ctx, fld: str, r: Any) -> dict[str, Any]:
    return {
        "days": list(r.days),
        "start": fmt_clock(ctx, f"{fld}.start", r.start),
        "end": fmt_clock(ctx, f"{fld}.end", r.end, end=True),
    }


def _ben_dict(b: Beneficiary) -> dict[str, Any]:
    ctx = Ctx(f"beneficiary {b.id!r}")
    d: dict[str, Any] = {
        "id": b.id,
        "location": [fmt_num(b.location.lat), fmt_num(b.location.lon)],
        "weekly": [_rule(ctx, f"weekly[{n}]", r) for n, r in enumerate(b.weekly)],
        "minutes_per_week": b.minutes_per_week,
        "group": b.group,
    }
    if b.needs:
        d["needs"] = dict(b.needs)
    if b.certificates:
        d["certificates"] = list(b.certificates)
    for fld in ("wishes", "preferences"):
        if getattr(b, fld):
            d[fld] = {k: sorted(v) for k, v in getattr(b, fld).items()}
    if b.waiting_since is not None:
        d["waiting_since"] = b.waiting_since.isoformat()
    if b.extra:
        d["extra"] = json_data(ctx, "extra", b.extra)
    return d


def pairing_problem_to_dict(p: PairingProblem) -> dict[str, Any]:
    """The ``vmatch/1`` document of ``p`` (reads back equal for JSON ``extra`` data)."""
    d = _json_write.problem_to_dict(Problem(volunteers=p.volunteers, settings=p.settings))
    del d["tasks"]
    s: dict[str, Any] = {
        "today": p.today.isoformat(),
        "horizon_weeks": p.horizon_weeks,
        "beneficiaries": [_ben_dict(b) for b in p.beneficiaries],
    }
    if p.max_beneficiaries:
        s["max_beneficiaries"] = dict(p.max_beneficiaries)
    for fld in ("existing", "dissolved", "forbidden"):
        if getattr(p, fld):
            s[fld] = [list(x) for x in getattr(p, fld)]
    if p.weights != PairingWeights():
        w = p.weights
        s["weights"] = {k: getattr(w, k) for k in FIELDS["weights"]}
        s["weights"]["groups"] = dict(w.groups)
    if p.extra:
        s["extra"] = json_data(Ctx("pairing"), "extra", p.extra)
    d["pairing"] = s
    return d


def loads_pairing_problem(text: str | bytes, *, max_bytes: int = MAX_BYTES) -> PairingProblem:
    """Parse a pairing document (JSON text)."""
    return pairing_problem_from_dict(parse_json(text, "problem", max_bytes))


def dumps_pairing_problem(p: PairingProblem) -> str:
    """The pairing document of ``p`` as JSON text."""
    return _dumps(pairing_problem_to_dict(p)) + "\n"


def read_pairing_problem(path_or_file: PathOrFile, *, max_bytes: int = MAX_BYTES) -> PairingProblem:
    """Read a pairing document from a path or an open file (raises :class:`FormatError`, ``OSError``)."""
    return loads_pairing_problem(_read(path_or_file, "problem", max_bytes), max_bytes=max_bytes)


def write_pairing_problem(p: PairingProblem, path_or_file: PathOrFile) -> None:
    """Write the pairing document of ``p`` to a path or an open file."""
    _write(dumps_pairing_problem(p), path_or_file)
