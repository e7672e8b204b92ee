"""Synthetic instance generators (``vmatch generate KIND``).

:func:`generate_city` draws a week of volunteer service in Wuhan with every hard rule
in play; :func:`generate_province` spreads the same over Hubei, so that the problem
splits into many regions. :data:`GENERATORS` maps a kind to its generator.
:mod:`vmatch.gen.stats` measures how hard a problem is (candidate pairs, overlap).

Examples
--------
>>> from vmatch.gen import GENERATORS
>>> p = GENERATORS["province"](30, 10, seed=2)
>>> p.extra["region"], len(p.tasks)
('hubei', 10)
"""

from __future__ import annotations

from vmatch.gen.city import DEFAULT_START, GENERATORS, MAX_DISTANCE_KM, generate_city, generate_province
from vmatch.gen.regions import Region, region
from vmatch.gen.stats import PairStats, pair_stats, static_pairs, supply_demand

__all__ = [
    "DEFAULT_START",
    "GENERATORS",
    "MAX_DISTANCE_KM",
    "PairStats",
    "Region",
    "generate_city",
    "generate_province",
    "pair_stats",
    "region",
    "static_pairs",
    "supply_demand",
]
