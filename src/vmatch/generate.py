"""Synthetic instances: the public face of :mod:`vmatch.gen`.

Examples
--------
>>> from vmatch.generate import GENERATORS, generate_city
>>> p = generate_city(20, 10, seed=0)
>>> (len(p.volunteers), len(p.tasks)), sorted(GENERATORS)
((20, 10), ['city', 'province'])
"""

from __future__ import annotations

from vmatch.gen import GENERATORS, generate_city, generate_province, pair_stats, static_pairs, supply_demand

__all__ = ["GENERATORS", "generate_city", "generate_province", "pair_stats", "static_pairs", "supply_demand"]
