"""Objective weights of the pairing service, and the validation helpers of the pairing model.

Examples
--------
>>> PairingWeights().groups["disabled"]
30
>>> PairingWeights(per_km=-1)
Traceback (most recent call last):
...
vmatch.errors.ModelError: weights 'weights': field 'per_km' must be a number in [0, 10000], got -1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vmatch.errors import ModelError

__all__ = ["DEFAULT_GROUP_WEIGHTS", "PairingWeights", "fail", "int_in"]

#: Vulnerability bonus per group, added to :attr:`PairingWeights.base`.
DEFAULT_GROUP_WEIGHTS: Mapping[str, int] = MappingProxyType({"disabled": 30, "elderly": 20, "child": 20})


def fail(kind: str, oid: object, fld: str, msg: str) -> ModelError:
    """``ModelError("<kind> '<id>': field '<fld>' <msg>")``."""
    return ModelError(f"{kind} {oid!r}: field {fld!r} {msg}")


def int_in(kind: str, oid: str, fld: str, x: object, lo: int, hi: int | None = None) -> None:
    """Refuse ``x`` unless it is an integer (not a bool) in ``[lo, hi]``."""
    if isinstance(x, bool) or not isinstance(x, int):
        raise fail(kind, oid, fld, f"must be an integer, got {x!r}")
    if x < lo or (hi is not None and x > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise fail(kind, oid, fld, f"must be {rng}, got {x!r}")


@dataclass(frozen=True, slots=True)
class PairingWeights:
    """Integer weights of the objective levels.

    Level ``paired`` counts, per paired beneficiary, ``base + groups[group] +
    per_month_waiting * min(months waited, max_months)`` (a month is 30 days from
    ``waiting_since`` to the problem's ``today``). Level ``fit`` counts, per pair,
    ``slack_per_15min`` per whole 15 minutes of shared weekly time beyond the visit
    (at most ``slack_cap_minutes``), ``preference`` per soft preference met, minus
    ``per_km`` per km from home to home (the product rounded to an integer).
    """

    base: int = 100
    groups: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_GROUP_WEIGHTS))
    per_month_waiting: int = 1
    max_months: int = 60
    slack_per_15min: int = 1
    slack_cap_minutes: int = 240
    preference: int = 5
    per_km: float = 1.0

    def __post_init__(self) -> None:
        k, i = "weights", "weights"
        for fld in (
            "base",
            "per_month_waiting",
            "max_months",
            "slack_per_15min",
            "slack_cap_minutes",
            "preference",
        ):
            int_in(k, i, fld, getattr(self, fld), 0, 10**6)
        if not isinstance(self.groups, Mapping):
            raise fail(k, i, "groups", "must be a mapping of group to integer")
        for g, w in self.groups.items():
            if not isinstance(g, str) or not g:
                raise fail(k, i, "groups", f"has a key that is not a non-empty string: {g!r}")
            int_in(k, i, f"groups.{g}", w, 0, 10**6)
        object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))
        x = self.per_km
        if isinstance(x, bool) or not isinstance(x, int | float) or not 0 <= x <= 1e4:
            raise fail(k, i, "per_km", f"must be a number in [0, 10000], got {x!r}")
