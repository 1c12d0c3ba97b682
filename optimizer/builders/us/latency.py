"""Site-to-metro round-trip latency over a real fibre backbone (Internet Topology Zoo).

Method:

1. ``backbone_graph`` merges several backbone networks into one undirected graph. A node of a
   later network that lies within ``merge_km`` (great-circle) of a node already placed is the
   same city and becomes that node (the first network's coordinates and label are kept; the
   node's ``networks`` attribute lists every network present there). Nearest nodes are found
   with a k-d tree (``scipy.spatial.cKDTree``) on 3-D unit vectors, where chord order is
   great-circle order, never with an all-pairs loop. Each edge carries
   ``length_km = great_circle_km(ends) * route_factor``: fibre follows roads and rights of way,
   not the great circle. Self-loops (two nodes of one network merged into the same city) are
   dropped. All connected components are kept: a site and a metro attached to different
   components have no path, so no latency, so the pair is never admissible.
2. ``latency_table`` attaches every site and every metro to its nearest backbone node (nearest
   by great-circle distance, through the same k-d tree) with an access leg of
   ``great_circle_km * route_factor``. A site or metro farther than ``access_max_km`` from every
   node is off the backbone and gets no pairs. Then

       path_km    = access_site_km + backbone_km + access_metro_km   (one way, route km)
       latency_ms = 2 * path_km * fibre_ms_per_km + overhead_ms      (round trip)

   with ``backbone_km`` the shortest path on ``length_km``.
3. Only pairs that can be admissible are computed, never all pairs: a metro's latency limit
   leaves a one-way budget of ``(latency_max_ms - overhead_ms) / (2 * fibre_ms_per_km)`` km;
   minus its access leg this is the cutoff of one single-source Dijkstra from its node
   (``nx.single_source_dijkstra_path_length(..., cutoff=...)``; metros sharing a node share one
   run, with the largest cutoff). The sites attached to the nodes reached (grouped by node once)
   are joined, and pairs with ``latency_ms <= latency_max_ms`` are kept. Work grows with the
   nodes and sites inside each metro's reach, not with sites x metros.

Figures:

* ``fibre_ms_per_km = 0.0049``: light in glass travels at about c / 1.47, so about 4.9 us per
  km one way (``optimizer.geo.FIBRE_MS_PER_KM``).
* ``overhead_ms = 1.0``: a round figure for what the fibre does not account for on a round
  trip: switching and routing in the routers along the way, serialization, the last mile.
* ``route_factor = 1.5``: route km over great-circle km, a common planning value for long-haul
  fibre; it also makes up for the Topology Zoo drawing links as straight lines between cities.

Every latency so computed is at least the straight-line fibre time
``straight_line_latency_ms(great_circle_km(site, metro))`` (triangle inequality, route factor
>= 1), which the tests check.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from optimizer.errors import InputError
from optimizer.geo import (
    EARTH_MEAN_RADIUS_KM,
    FIBRE_MS_PER_KM,
    OVERHEAD_MS,
    ROUTE_FACTOR,
    haversine_km,
)

__all__ = [
    "ACCESS_MAX_KM",
    "LATENCY_COLUMNS",
    "MERGE_KM",
    "backbone_graph",
    "latency_table",
    "straight_line_latency_ms",
]

MERGE_KM = 10.0
"""Default distance (great-circle km) within which nodes of two networks are one city."""
ACCESS_MAX_KM = 300.0
"""Default longest access leg (great-circle km) from a site or metro to its backbone node."""
LATENCY_COLUMNS = ["site", "metro", "latency_ms", "path_km"]
"""Columns of the table ``latency_table`` returns."""


def straight_line_latency_ms(
    km: ArrayLike, fibre_ms_per_km: float = FIBRE_MS_PER_KM, overhead_ms: float = OVERHEAD_MS
) -> np.ndarray:
    """Round-trip latency (ms) of a straight fibre of ``km`` one way: ``2 * km * fibre + overhead``.

    With ``km`` the great-circle distance this is a lower bound of every backbone latency.
    """
    return 2.0 * np.asarray(km, dtype="float64") * fibre_ms_per_km + overhead_ms


def _unit_vectors(lat_deg: ArrayLike, lon_deg: ArrayLike) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3); chord order there is great-circle order."""
    phi = np.radians(np.asarray(lat_deg, dtype="float64"))
    lam = np.radians(np.asarray(lon_deg, dtype="float64"))
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _chord(great_circle_km: float) -> float:
    """Chord on the unit sphere of a great-circle distance (km)."""
    return 2.0 * np.sin(min(great_circle_km / EARTH_MEAN_RADIUS_KM, np.pi) / 2.0)


def _node_coords(graph: nx.Graph, name: str) -> tuple[list, np.ndarray, np.ndarray]:
    """Nodes of a graph with their ``lat`` and ``lon`` (degrees); InputError if any lacks one."""
    nodes = list(graph.nodes)
    try:
        lat = np.array([graph.nodes[n]["lat"] for n in nodes], dtype="float64")
        lon = np.array([graph.nodes[n]["lon"] for n in nodes], dtype="float64")
    except KeyError as exc:
        raise InputError(f"backbone graph {name!r}: a node has no {exc.args[0]!r}") from None
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise InputError(f"backbone graph {name!r}: a node has a non-finite lat or lon")
    return nodes, lat, lon


def backbone_graph(
    graphs: Mapping[str, nx.Graph], merge_km: float = MERGE_KM, route_factor: float = ROUTE_FACTOR
) -> nx.Graph:
    """Merge backbone networks into one undirected graph with fibre route lengths.

    ``graphs`` is {network name: graph} with node attributes ``lat``, ``lon`` (degrees) and
    optionally ``label``, as ``optimizer.inputs.load_backbone_topologies`` returns. Networks
    are merged in the mapping's order: a node within ``merge_km`` great-circle km of a node
    placed by an earlier network joins that node (the earlier coordinates and label are kept);
    nodes of one network are never merged with each other unless both join the same earlier
    node. The result has nodes named ``"{network}:{node}"`` (of the network that placed them)
    with attributes ``label``, ``lat``, ``lon``, ``networks`` (list of network names), and
    edges with ``length_km`` (great-circle km between the merged ends x ``route_factor``) and
    ``networks``. Self-loops are dropped; every connected component is kept (a site and a
    metro in different components have no path).
    """
    if merge_km < 0:
        raise InputError(f"merge_km must be >= 0, got {merge_km}")
    if route_factor < 1:
        raise InputError(f"route_factor must be >= 1 (fibre is never shorter), got {route_factor}")
    merged = nx.Graph()
    placed_ids: list[str] = []
    placed_xyz = np.empty((0, 3))
    radius = _chord(merge_km) * (1 + 1e-9) + 1e-15  # a hair wide; haversine decides below
    for network, graph in graphs.items():
        nodes, lat, lon = _node_coords(graph, network)
        xyz = _unit_vectors(lat, lon)
        target = np.full(len(nodes), -1)
        if len(placed_ids) and len(nodes):
            _, nearest = cKDTree(placed_xyz).query(xyz, k=1, distance_upper_bound=radius)
            found = nearest < len(placed_ids)
            if found.any():
                ids = np.asarray(placed_ids, dtype=object)[nearest[found]]
                km = haversine_km(
                    lat[found],
                    lon[found],
                    [merged.nodes[i]["lat"] for i in ids],
                    [merged.nodes[i]["lon"] for i in ids],
                )
                target[np.flatnonzero(found)[km <= merge_km]] = nearest[found][km <= merge_km]
        mapping: dict = {}
        new_xyz = []
        for k, node in enumerate(nodes):
            if target[k] >= 0:
                node_id = placed_ids[target[k]]
                if network not in merged.nodes[node_id]["networks"]:
                    merged.nodes[node_id]["networks"].append(network)
            else:
                node_id = f"{network}:{node}"
                label = graph.nodes[node].get("label", str(node))
                merged.add_node(node_id, label=label, lat=lat[k], lon=lon[k], networks=[network])
                placed_ids.append(node_id)
                new_xyz.append(xyz[k])
            mapping[node] = node_id
        if new_xyz:
            placed_xyz = np.vstack([placed_xyz, np.asarray(new_xyz)])
        for u, v in graph.edges():
            a, b = mapping[u], mapping[v]
            if a == b:
                continue
            if merged.has_edge(a, b):
                if network not in merged.edges[a, b]["networks"]:
                    merged.edges[a, b]["networks"].append(network)
                continue
            merged.add_edge(a, b, networks=[network])
    if merged.number_of_edges():
        ends = np.array([(u, v) for u, v in merged.edges()], dtype=object)
        lat = nx.get_node_attributes(merged, "lat")
        lon = nx.get_node_attributes(merged, "lon")
        km = haversine_km(
            [lat[u] for u in ends[:, 0]],
            [lon[u] for u in ends[:, 0]],
            [lat[v] for v in ends[:, 1]],
            [lon[v] for v in ends[:, 1]],
        )
        for (u, v), length in zip(ends, km * route_factor, strict=True):
            merged.edges[u, v]["length_km"] = float(length)
    return merged


def _attach(
    tree: cKDTree,
    node_lat: np.ndarray,
    node_lon: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    access_max_km: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node position of each point and its great-circle km; position -1 if too far."""
    if len(lat) == 0:
        return np.empty(0, dtype=int), np.empty(0)
    _, pos = tree.query(_unit_vectors(lat, lon), k=1)
    pos = np.asarray(pos, dtype=int)
    km = haversine_km(lat, lon, node_lat[pos], node_lon[pos])
    if access_max_km is not None:
        pos = np.where(km <= access_max_km, pos, -1)
    return pos, km


def _checked_points(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {missing}; expected {columns}")
    coords = frame[["lat", "lon"]].to_numpy(dtype="float64")
    if not np.isfinite(coords).all():
        raise InputError(f"{name}: lat and lon must be finite numbers")


def latency_table(
    graph: nx.Graph,
    sites: pd.DataFrame,
    metros: pd.DataFrame,
    fibre_ms_per_km: float = FIBRE_MS_PER_KM,
    route_factor: float = ROUTE_FACTOR,
    overhead_ms: float = OVERHEAD_MS,
    access_max_km: float | None = ACCESS_MAX_KM,
) -> pd.DataFrame:
    """Admissible site-metro pairs with their round-trip latency over the backbone.

    ``graph``: a backbone from ``backbone_graph`` (nodes with ``lat``, ``lon``; edges with
    ``length_km``). ``sites``: columns ``site``, ``lat``, ``lon`` (degrees). ``metros``:
    ``metro``, ``lat``, ``lon``, ``latency_max_ms`` (round-trip limit, ms).

    Sites and metros attach to their nearest node by great-circle distance, with an access leg
    of that distance x ``route_factor`` km (the backbone edges carry their own route factor in
    ``length_km``). A site or metro farther than ``access_max_km`` great-circle km from every
    node gets no pairs (``None``: no limit); so does a pair on different components.
    ``latency_ms = 2 * path_km * fibre_ms_per_km + overhead_ms``; only pairs with
    ``latency_ms <= latency_max_ms`` are returned (each metro's Dijkstra is cut off at the km
    its limit allows, so no pair beyond it is ever computed).

    Returns columns ``site``, ``metro``, ``latency_ms``, ``path_km`` (one-way route km, access
    legs included), sorted by metro then latency.
    """
    if fibre_ms_per_km <= 0:
        raise InputError(f"fibre_ms_per_km must be > 0, got {fibre_ms_per_km}")
    if route_factor < 1:
        raise InputError(f"route_factor must be >= 1 (fibre is never shorter), got {route_factor}")
    if access_max_km is not None and access_max_km < 0:
        raise InputError(f"access_max_km must be >= 0 or None, got {access_max_km}")
    _checked_points(sites, "sites", ["site", "lat", "lon"])
    _checked_points(metros, "metros", ["metro", "lat", "lon", "latency_max_ms"])
    empty = pd.DataFrame(
        {
            "site": sites["site"].iloc[:0].to_numpy(),
            "metro": metros["metro"].iloc[:0].to_numpy(),
            "latency_ms": np.empty(0),
            "path_km": np.empty(0),
        }
    )
    if graph.number_of_nodes() == 0 or len(sites) == 0 or len(metros) == 0:
        return empty
    nodes, node_lat, node_lon = _node_coords(graph, "graph")
    tree = cKDTree(_unit_vectors(node_lat, node_lon))
    position = {node: k for k, node in enumerate(nodes)}

    site_pos, site_gc_km = _attach(
        tree, node_lat, node_lon, sites["lat"].to_numpy(float), sites["lon"].to_numpy(float),
        access_max_km,
    )  # fmt: skip
    site_access_km = site_gc_km * route_factor
    metro_pos, metro_gc_km = _attach(
        tree, node_lat, node_lon, metros["lat"].to_numpy(float), metros["lon"].to_numpy(float),
        access_max_km,
    )  # fmt: skip
    metro_access_km = metro_gc_km * route_factor
    limit_ms = metros["latency_max_ms"].to_numpy(dtype="float64")
    path_budget_km = (limit_ms - overhead_ms) / (2.0 * fibre_ms_per_km) - metro_access_km

    # sites grouped by node once: rows of node p are site_order[site_start[p]:site_start[p + 1]]
    on_backbone = np.flatnonzero(site_pos >= 0)
    site_order = on_backbone[np.argsort(site_pos[on_backbone], kind="stable")]
    site_count = np.bincount(site_pos[on_backbone], minlength=len(nodes))
    site_start = np.concatenate([[0], np.cumsum(site_count)])

    candidates = np.flatnonzero((metro_pos >= 0) & (path_budget_km >= 0))
    parts_site, parts_metro, parts_km = [], [], []
    for source_pos in np.unique(metro_pos[candidates]):
        group = candidates[metro_pos[candidates] == source_pos]
        cutoff_km = float(path_budget_km[group].max())
        reached = nx.single_source_dijkstra_path_length(
            graph, nodes[source_pos], cutoff=cutoff_km * (1 + 1e-12) + 1e-9, weight="length_km"
        )
        reached_pos = np.fromiter((position[n] for n in reached), dtype=int, count=len(reached))
        reached_km = np.fromiter(reached.values(), dtype="float64", count=len(reached))
        counts = site_count[reached_pos]
        keep = counts > 0
        reached_pos, reached_km, counts = reached_pos[keep], reached_km[keep], counts[keep]
        if not len(counts):
            continue
        # rows of every reached node's sites, in one vectorised gather
        first = np.repeat(site_start[reached_pos] - np.cumsum(counts) + counts, counts)
        rows = site_order[first + np.arange(counts.sum())]
        backbone_km = np.repeat(reached_km, counts)
        for m in group:
            path_km = site_access_km[rows] + backbone_km + metro_access_km[m]
            ok = straight_line_latency_ms(path_km, fibre_ms_per_km, overhead_ms) <= limit_ms[m]
            parts_site.append(rows[ok])
            parts_metro.append(np.full(ok.sum(), m))
            parts_km.append(path_km[ok])
    if not parts_site:
        return empty
    site_rows = np.concatenate(parts_site)
    metro_rows = np.concatenate(parts_metro)
    path_km = np.concatenate(parts_km)
    table = pd.DataFrame(
        {
            "site": sites["site"].to_numpy()[site_rows],
            "metro": metros["metro"].to_numpy()[metro_rows],
            "latency_ms": straight_line_latency_ms(path_km, fibre_ms_per_km, overhead_ms),
            "path_km": path_km,
        }
    )
    return table.sort_values(["metro", "latency_ms"], kind="stable", ignore_index=True)
