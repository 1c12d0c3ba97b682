"""Great-circle distances and fibre round-trip latency, vectorised with numpy broadcasting.

Round-trip latency between two points (used when a scenario has no latency table):

    latency_ms = 2 * great_circle_km * route_factor * fibre_ms_per_km + overhead_ms

* ``great_circle_km``: haversine distance on a sphere of the Earth's mean radius.
* ``route_factor``: fibre route length over great-circle length (cables follow roads and
  rights of way; 1.5 is a common planning value for long-haul routes).
* ``fibre_ms_per_km``: one-way propagation delay in fibre, about 1 / (c / 1.468) = 4.9 us/km.
* ``overhead_ms``: fixed round-trip overhead (switching, last mile, serialisation).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EARTH_MEAN_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""
FIBRE_MS_PER_KM = 0.0049
"""One-way propagation delay in optical fibre (group index about 1.468), ms per km."""
ROUTE_FACTOR = 1.5
"""Default fibre route km over great-circle km."""
OVERHEAD_MS = 1.0
"""Default fixed round-trip overhead, ms."""


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Great-circle distance (km) between points given in degrees; inputs broadcast like numpy.

    ``haversine_km(site_lat[:, None], site_lon[:, None], metro_lat[None, :], metro_lon[None, :])``
    gives the site-by-metro distance matrix.
    """
    phi1, lam1, phi2, lam2 = (
        np.radians(np.asarray(x, dtype="float64")) for x in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    )
    return 2 * EARTH_MEAN_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def roundtrip_latency_ms(
    great_circle_km: ArrayLike,
    fibre_ms_per_km: float = FIBRE_MS_PER_KM,
    route_factor: float = ROUTE_FACTOR,
    overhead_ms: float = OVERHEAD_MS,
) -> np.ndarray:
    """Round-trip fibre latency (ms) over a great-circle distance (km), elementwise.

    ``2 * great_circle_km * route_factor * fibre_ms_per_km + overhead_ms``.
    """
    km = np.asarray(great_circle_km, dtype="float64")
    return 2.0 * km * route_factor * fibre_ms_per_km + overhead_ms
