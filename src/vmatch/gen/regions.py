"""Real geography for the synthetic generators: Wuhan (a city) and Hubei (a province).

A :class:`Region` is a bounding box plus a mixture of *centres* (district seats,
neighbourhood centres, county towns), each with a weight (population share) and a
Gaussian spread in km. Homes and community stations are drawn from the mixture, so
volunteers and sites cluster like people do. Coordinates are approximate public
figures (WGS 84 degrees); populations are rough millions, used only as weights.

Examples
--------
>>> import numpy as np
>>> r = region("city")
>>> r.name, r.timezone
('wuhan', 'Asia/Shanghai')
>>> lat, lon, centre = r.sample(np.random.default_rng(0), 1000)
>>> bool(lat.min() >= r.bbox[0] and lat.max() <= r.bbox[1])
True
>>> len(region("province").centres) > 50
True
>>> len(r.scaled(600, 10_000).centres), len(r.scaled(10_000, 10_000).centres)
(3, 15)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = ["REGION_NAMES", "Region", "region"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQ = 111.320


@dataclass(frozen=True, slots=True)
class Region:
    """An area to draw points in.

    Parameters
    ----------
    name : str
        Short name ("wuhan", "hubei").
    timezone : str
        IANA time zone of the area.
    bbox : tuple of float
        ``(lat_min, lat_max, lon_min, lon_max)``; every drawn point lies inside.
    centres : tuple of (lat, lon, weight, sigma_km)
        The mixture points are drawn from.
    """

    name: str
    timezone: str
    bbox: tuple[float, float, float, float]
    centres: tuple[tuple[float, float, float, float], ...]

    def scaled(self, n: int, full: int, minimum: int = 3) -> Region:
        """The first centres (core first) holding about ``n / full`` of the weight, at least ``minimum``.

        Keeps people per km² the same for small problems as for a ``full``-sized one.
        """
        w = np.cumsum([c[2] for c in self.centres])
        k = int(np.searchsorted(w, w[-1] * min(n / full, 1.0) - 1e-9)) + 1
        return dataclasses.replace(self, centres=self.centres[: max(k, minimum)])

    def sample(
        self, rng: np.random.Generator, n: int, *, spread: float = 1.0, weights: F64 | None = None
    ) -> tuple[F64, F64, I64]:
        """Draw ``n`` points: ``(lat, lon, centre index)``, clipped to :attr:`bbox`.

        ``spread`` scales every centre's sigma; ``weights`` replaces the centre weights.
        """
        c = np.asarray(self.centres, dtype=np.float64)
        w = c[:, 2] if weights is None else np.asarray(weights, dtype=np.float64)
        idx = rng.choice(len(c), size=n, p=w / w.sum())
        off = rng.standard_normal((n, 2)) * (c[idx, 3] * spread)[:, None]
        lat = c[idx, 0] + off[:, 0] / KM_PER_DEG_LAT
        lon = c[idx, 1] + off[:, 1] / (KM_PER_DEG_LON_EQ * np.cos(np.radians(c[idx, 0])))
        lat0, lat1, lon0, lon1 = self.bbox
        return np.clip(lat, lat0, lat1), np.clip(lon, lon0, lon1), idx.astype(np.int64)


# Wuhan's districts (and the big sub-centres of Hongshan and Hannan): lat, lon,
# population (millions), spread (km). Central districts are dense, outer ones wider.
_WUHAN_DISTRICTS: tuple[tuple[float, float, float, float], ...] = (
    (30.600, 114.309, 0.97, 1.8),  # Jiang'an
    (30.601, 114.271, 0.65, 1.5),  # Jianghan
    (30.582, 114.215, 0.67, 1.6),  # Qiaokou
    (30.554, 114.219, 0.84, 2.0),  # Hanyang
    (30.554, 114.316, 1.09, 1.8),  # Wuchang
    (30.640, 114.385, 0.55, 2.0),  # Qingshan
    (30.500, 114.344, 1.10, 2.4),  # Hongshan (Jiedaokou / Nanhu)
    (30.478, 114.410, 0.60, 2.2),  # Donghu high-tech zone (Optics Valley)
    (30.495, 114.165, 0.50, 2.2),  # Economic development zone (Zhuankou)
    (30.620, 114.137, 0.85, 2.2),  # Dongxihu
    (30.582, 114.029, 0.55, 2.2),  # Caidian
    (30.309, 114.082, 0.12, 1.6),  # Hannan
    (30.375, 114.322, 0.97, 2.4),  # Jiangxia
    (30.882, 114.375, 1.15, 2.4),  # Huangpi
    (30.841, 114.801, 0.86, 2.4),  # Xinzhou
)

_WUHAN = Region(
    name="wuhan",
    timezone="Asia/Shanghai",
    bbox=(29.97, 31.37, 113.68, 115.08),
    centres=_WUHAN_DISTRICTS,
)

# Hubei's prefecture-level cities: lat, lon, population (millions).
_HUBEI_CITIES: tuple[tuple[float, float, float], ...] = (
    (30.593, 114.305, 13.7),  # Wuhan (its districts are used instead)
    (30.200, 115.039, 2.5),  # Huangshi
    (32.629, 110.798, 3.2),  # Shiyan
    (30.692, 111.287, 4.0),  # Yichang
    (32.009, 112.122, 5.3),  # Xiangyang
    (30.391, 114.895, 1.1),  # Ezhou
    (31.036, 112.199, 2.6),  # Jingmen
    (30.924, 113.917, 4.3),  # Xiaogan
    (30.335, 112.240, 5.2),  # Jingzhou
    (30.453, 114.872, 5.9),  # Huanggang
    (29.841, 114.322, 2.7),  # Xianning
    (31.690, 113.383, 2.0),  # Suizhou
    (30.272, 109.488, 3.5),  # Enshi
    (30.363, 113.454, 1.1),  # Xiantao
    (30.402, 112.900, 0.9),  # Qianjiang
    (30.649, 113.166, 1.2),  # Tianmen
    (31.745, 110.676, 0.07),  # Shennongjia
)

_HUBEI_BBOX = (29.03, 33.28, 108.35, 116.13)


@cache
def _hubei() -> Region:
    """Hubei: Wuhan's districts, urban neighbourhoods of each other city, county towns.

    The layout is fixed (its own seed), so every problem seed sees the same geography.
    """
    rng = np.random.default_rng(420_000)
    lat0, lat1, lon0, lon1 = _HUBEI_BBOX
    out: list[tuple[float, float, float, float]] = []
    for i, (lat, lon, pop) in enumerate(_HUBEI_CITIES):
        urban = 0.6 * pop
        if i == 0:
            tot = sum(d[2] for d in _WUHAN_DISTRICTS)
            out.extend((a, b, w * urban / tot, s) for a, b, w, s in _WUHAN_DISTRICTS)
        else:
            k = max(2, round(urban * 1.5))
            r = 3.0 * math.sqrt(max(urban, 0.1) / 2.0)
            for _ in range(k):
                dy, dx = rng.standard_normal(2) * r
                out.append(
                    (
                        lat + dy / KM_PER_DEG_LAT,
                        lon + dx / (KM_PER_DEG_LON_EQ * math.cos(math.radians(lat))),
                        urban / k,
                        2.0,
                    )
                )
        towns = max(2, round(pop * 1.2))
        for _ in range(towns):
            ang = rng.uniform(0.0, 2.0 * math.pi)
            dist = rng.uniform(18.0, 70.0)
            tl = lat + dist * math.sin(ang) / KM_PER_DEG_LAT
            tn = lon + dist * math.cos(ang) / (KM_PER_DEG_LON_EQ * math.cos(math.radians(lat)))
            out.append((min(max(tl, lat0), lat1), min(max(tn, lon0), lon1), 0.4 * pop / towns, 1.5))
    return Region(name="hubei", timezone="Asia/Shanghai", bbox=_HUBEI_BBOX, centres=tuple(out))


REGION_NAMES = ("city", "wuhan", "province", "hubei")


def region(name: str) -> Region:
    """The region called ``name``: "city"/"wuhan" or "province"/"hubei"."""
    key = name.lower()
    if key in ("city", "wuhan"):
        return _WUHAN
    if key in ("province", "hubei"):
        return _hubei()
    raise ValueError(f"unknown region {name!r}; expected one of {', '.join(REGION_NAMES)}")
