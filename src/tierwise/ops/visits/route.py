"""A manager's day routed over the outlets' coordinates with time windows (R-OPS-8).

The solver is PyVRP (pinned in pyproject.toml): one vehicle (the manager) leaves from and
returns to a start point (by default the centroid of the day's stops, as the store knows no
home address), travels at the policy's speed over great-circle distances, spends
``visit_minutes`` at each outlet and must arrive inside each outlet's window (default: the
working day). The stop criterion is a fixed number of iterations or ``route_seconds``,
whichever comes first, with a fixed seed, so a day's route is reproducible on one machine.
A day that cannot fit in its windows is still routed; each late stop carries its lateness.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tierwise.ops.visits.policy import VisitPolicy

EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class Stop:
    """One outlet to visit: id, coordinates (WGS-84) and its window in minutes from the
    day's start (``None``: the whole day)."""

    customer_id: str
    lat: float
    lon: float
    window: tuple[int, int] | None = None


@dataclass(frozen=True)
class RoutedStop:
    customer_id: str
    seq: int  # 1 = first visit of the day
    arrive_minute: int  # minutes after the day's start
    late_minutes: int  # arrival after the window's end (0 when on time)


@dataclass(frozen=True)
class Route:
    stops: tuple[RoutedStop, ...]
    distance_m: int
    minutes: int  # from leaving the start point to coming back

    @property
    def feasible(self) -> bool:
        return all(s.late_minutes == 0 for s in self.stops)


def haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    out: np.ndarray = 2 * EARTH_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return out


def route_day(
    stops: Sequence[Stop],
    policy: VisitPolicy,
    *,
    start: tuple[float, float] | None = None,
    iterations: int = 2_000,
    seed: int = 1,
) -> Route:
    """Order ``stops`` into one day's route (see the module's docstring)."""
    if not stops:
        return Route((), 0, 0)
    from pyvrp import Model
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    lat = np.array([s.lat for s in stops] if start is None else [start[0]] + [s.lat for s in stops])
    lon = np.array([s.lon for s in stops] if start is None else [start[1]] + [s.lon for s in stops])
    if start is None:
        lat, lon = np.concatenate([[lat.mean()], lat]), np.concatenate([[lon.mean()], lon])
    dist = np.rint(haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :]))
    m_per_min = policy.day.speed_kmh * 1000 / 60
    travel = np.ceil(dist / m_per_min).astype(np.int64)
    day_len, service = policy.day.minutes, policy.day.visit_minutes

    model = Model()
    locs = [model.add_location(x=float(lon[i]), y=float(lat[i])) for i in range(len(lat))]
    depot = model.add_depot(locs[0], tw_early=0, tw_late=day_len)
    model.add_vehicle_type(num_available=1, start_depot=depot, end_depot=depot,
                           tw_early=0, tw_late=day_len,
                           unit_distance_cost=1, unit_duration_cost=0)  # fmt: skip
    for i, s in enumerate(stops, start=1):
        early, late = s.window if s.window is not None else (0, day_len - service)
        model.add_client(locs[i], service_duration=service, tw_early=early, tw_late=late,
                         name=s.customer_id)  # fmt: skip
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            if i != j:
                model.add_edge(a, b, distance=int(dist[i, j]), duration=int(travel[i, j]))
    stop = MultipleCriteria([MaxIterations(iterations), MaxRuntime(policy.route_seconds)])
    with warnings.catch_warnings():
        # a day that cannot fit its windows is routed anyway; lateness is reported per stop
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = model.solve(stop, seed=seed, display=False)
    routes = result.best.routes()
    order = [v.idx for v in routes[0].schedule() if v.is_client()] if routes else []
    return _timed(stops, order, dist, travel, day_len, service)


def _timed(
    stops: Sequence[Stop],
    order: list[int],
    dist: np.ndarray,
    travel: np.ndarray,
    day_len: int,
    service: int,
) -> Route:
    """Arrival times along ``order`` (indexes into ``stops``): wait for a window to open,
    record lateness past its end."""
    t, here, metres, out = 0, 0, 0, []
    for seq, k in enumerate(order, start=1):
        s = stops[k]
        early, late = s.window if s.window is not None else (0, day_len - service)
        t += int(travel[here, k + 1])
        metres += int(dist[here, k + 1])
        t = max(t, early)
        out.append(RoutedStop(s.customer_id, seq, t, max(0, t - late)))
        t += service
        here = k + 1
    t += int(travel[here, 0])
    metres += int(dist[here, 0])
    return Route(tuple(out), metres, t)


def order_label(minute: int, policy: VisitPolicy) -> str:
    """``HH:MM`` of a minute offset from the day's start."""
    base = policy.day.start.hour * 60 + policy.day.start.minute + minute
    return f"{base // 60:02d}:{base % 60:02d}"
