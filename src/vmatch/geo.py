"""Great-circle distance and travel time (DESIGN §3, the distance rule).

Distances use the haversine formula on a sphere of mean Earth radius 6371.0 km; travel
time between two sites is that distance at the problem's speed, rounded up to whole
minutes.

Examples
--------
>>> round(float(haversine_km(30.0, 114.0, 30.0, 114.1)), 3)
9.63
>>> travel_minutes(5.0, 15.0)
20
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["EARTH_RADIUS_KM", "Sites", "chord_for_km", "haversine_km", "travel_minutes", "unit_xyz"]

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km (numpy broadcasting over degree arrays)."""
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class Sites:
    """Sites in degrees with their latitudes' radians and cosines computed once, for many
    :meth:`km` look-ups by index (a province's compile asks for tens of millions)."""

    def __init__(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> None:
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        self.rad = np.radians(self.lat)
        self.cos = np.cos(self.rad)

    def km(self, i: npt.NDArray[np.int64], other: Sites, j: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """``haversine_km(lat[i], lon[i], other.lat[j], other.lon[j])``, the same floats bit for bit
        (the same operations in the same order, the latitudes' trigonometry taken from the tables)."""
        p1 = self.rad[i]
        p2 = other.rad[j]
        dphi = p2 - p1
        dlmb = np.radians(other.lon[j] - self.lon[i])
        a = np.sin(dphi / 2.0) ** 2 + self.cos[i] * other.cos[j] * np.sin(dlmb / 2.0) ** 2
        return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), np.float64)


def travel_minutes(km: Any, speed_kmh: float) -> Any:
    """Whole minutes (rounded up) to cover ``km`` at ``speed_kmh``; arrays give int64 arrays."""
    m = np.ceil(np.asarray(km, dtype=np.float64) * 60.0 / speed_kmh)
    if np.ndim(m) == 0:
        return int(m)
    return m.astype(np.int64)


def unit_xyz(lat: Any, lon: Any) -> npt.NDArray[np.float64]:
    """Points on the unit sphere (n x 3) for a k-d tree on chord length."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    c = np.cos(la)
    return np.column_stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)])


def chord_for_km(km: float) -> float:
    """Unit-sphere chord length of a great-circle distance ``km`` (a little slack added)."""
    ang = min(km / EARTH_RADIUS_KM, math.pi)
    return 2.0 * math.sin(ang / 2.0) * (1.0 + 1e-9) + 1e-12
