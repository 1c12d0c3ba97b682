"""Backbone latency: a hand-built graph with known paths, random graphs against a brute-force
all-pairs check, and the real Topology Zoo backbone."""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from optimizer.builders.us.latency import (
    LATENCY_COLUMNS,
    backbone_graph,
    latency_table,
    straight_line_latency_ms,
)
from optimizer.errors import InputError
from optimizer.geo import EARTH_MEAN_RADIUS_KM, haversine_km
from optimizer.inputs import load_backbone_topologies, load_metros

FIBRE_MS_PER_KM = 0.0049
ROUTE = 1.5
OVERHEAD_MS = 1.0
KM_PER_DEG = EARTH_MEAN_RADIUS_KM * np.pi / 180.0  # along a meridian (or the equator)


def _network(name: str, points: dict[str, tuple[float, float]], edges: list[tuple[str, str]]):
    graph = nx.Graph(name=name)
    for node, (lat, lon) in points.items():
        graph.add_node(node, label=node.upper(), lat=lat, lon=lon)
    graph.add_edges_from(edges)
    return graph


def _latency(deg: float) -> float:
    """Round trip over ``deg`` degrees of great circle at the route factor."""
    return 2 * deg * KM_PER_DEG * ROUTE * FIBRE_MS_PER_KM + OVERHEAD_MS


@pytest.fixture
def hand_graph() -> nx.Graph:
    """A-B-C along the prime meridian (1 degree apart), a longer detour A-E-C, and a separate
    component F-G further north."""
    points = {
        "a": (0.0, 0.0),
        "b": (1.0, 0.0),
        "c": (2.0, 0.0),
        "e": (1.0, 1.0),
        "f": (10.0, 0.0),
        "g": (11.0, 0.0),
    }
    edges = [("a", "b"), ("b", "c"), ("a", "e"), ("e", "c"), ("f", "g")]
    return backbone_graph({"hand": _network("hand", points, edges)}, route_factor=ROUTE)


@pytest.fixture
def hand_sites() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site": ["s_at_a", "s_near_c", "s_near_f", "s_off_backbone"],
            "lat": [0.0, 2.2, 10.1, 0.0],
            "lon": [0.0, 0.0, 0.0, 5.0],  # the last is > 300 km from every node
        }
    )


@pytest.fixture
def hand_metros() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metro": ["m_at_c", "m_near_a", "m_at_g"],
            "lat": [2.0, 0.0, 11.0],
            "lon": [0.0, 0.1, 0.0],
            "latency_max_ms": [5.0, 2.0, 1000.0],
        }
    )


def test_edges_carry_route_km(hand_graph):
    assert hand_graph.edges["hand:a", "hand:b"]["length_km"] == pytest.approx(
        KM_PER_DEG * ROUTE, rel=1e-12
    )
    assert hand_graph.nodes["hand:a"]["networks"] == ["hand"]
    assert nx.number_connected_components(hand_graph) == 2


def test_hand_graph_exact_latencies(hand_graph, hand_sites, hand_metros):
    table = latency_table(hand_graph, hand_sites, hand_metros, FIBRE_MS_PER_KM, ROUTE, OVERHEAD_MS)
    assert list(table.columns) == LATENCY_COLUMNS
    got = {(r.site, r.metro): (r.latency_ms, r.path_km) for r in table.itertuples()}
    expected_deg = {
        ("s_at_a", "m_at_c"): 2.0,  # A-B-C, not the detour A-E-C (2.83 degrees)
        ("s_near_c", "m_at_c"): 0.2,  # access leg only
        ("s_at_a", "m_near_a"): 0.1,  # the metro's access leg along the equator
        ("s_near_f", "m_at_g"): 1.1,  # access 0.1 + F-G 1.0
    }
    assert set(got) == set(expected_deg)
    for pair, deg in expected_deg.items():
        latency_ms, path_km = got[pair]
        assert latency_ms == pytest.approx(_latency(deg), rel=1e-9)
        assert path_km == pytest.approx(deg * KM_PER_DEG * ROUTE, rel=1e-9)
    # sorted by metro, then latency
    assert list(table["metro"]) == ["m_at_c", "m_at_c", "m_at_g", "m_near_a"]
    assert list(table["site"])[:2] == ["s_near_c", "s_at_a"]


def test_pair_beyond_limit_is_absent(hand_graph, hand_sites, hand_metros):
    table = latency_table(hand_graph, hand_sites, hand_metros, FIBRE_MS_PER_KM, ROUTE, OVERHEAD_MS)
    # s_near_c to m_near_a is 2.3 degrees of route: 4.76 ms round trip against a 2 ms limit
    assert _latency(2.3) > 2.0
    assert not ((table["site"] == "s_near_c") & (table["metro"] == "m_near_a")).any()
    # a limit exactly at a pair's latency keeps it; a hair below drops it
    full = latency_table(hand_graph, hand_sites, hand_metros, FIBRE_MS_PER_KM, ROUTE, OVERHEAD_MS)
    exact_ms = full.set_index(["site", "metro"]).loc[("s_at_a", "m_at_c"), "latency_ms"]
    at = hand_metros.assign(latency_max_ms=[exact_ms, 0.0, 0.0])
    kept = latency_table(hand_graph, hand_sites, at, FIBRE_MS_PER_KM, ROUTE, OVERHEAD_MS)
    assert set(kept["site"]) == {"s_at_a", "s_near_c"}
    below = at.assign(latency_max_ms=[exact_ms - 1e-6, 0.0, 0.0])
    dropped = latency_table(hand_graph, hand_sites, below, FIBRE_MS_PER_KM, ROUTE, OVERHEAD_MS)
    assert set(dropped["site"]) == {"s_near_c"}


def test_other_component_and_far_site_have_no_pairs(hand_graph, hand_sites, hand_metros):
    generous = hand_metros.assign(latency_max_ms=1e6)
    table = latency_table(hand_graph, hand_sites, generous)
    assert "s_off_backbone" not in set(table["site"])
    assert set(table.loc[table["site"] == "s_near_f", "metro"]) == {"m_at_g"}
    assert set(table.loc[table["metro"] == "m_at_g", "site"]) == {"s_near_f"}
    # without the access limit the far site attaches to its nearest node (E) and gets pairs
    unlimited = latency_table(hand_graph, hand_sites, generous, access_max_km=None)
    assert set(unlimited.loc[unlimited["site"] == "s_off_backbone", "metro"]) == {
        "m_at_c",
        "m_near_a",
    }


def test_empty_inputs_give_empty_table(hand_graph, hand_sites, hand_metros):
    none = latency_table(hand_graph, hand_sites.iloc[:0], hand_metros)
    assert list(none.columns) == LATENCY_COLUMNS and none.empty
    tight = latency_table(hand_graph, hand_sites, hand_metros.assign(latency_max_ms=0.5))
    assert tight.empty  # below the fixed overhead nothing is admissible


def test_bad_inputs_raise(hand_graph, hand_sites, hand_metros):
    with pytest.raises(InputError, match="latency_max_ms"):
        latency_table(hand_graph, hand_sites, hand_metros.drop(columns="latency_max_ms"))
    with pytest.raises(InputError, match="route_factor"):
        backbone_graph({}, route_factor=0.9)
    with pytest.raises(InputError, match="lat"):
        latency_table(hand_graph, hand_sites.assign(lat=np.nan), hand_metros)


def test_merge_shares_a_city_and_connects_networks():
    # New York in both networks, 2.1 km apart; a second east-coast node of net2 (Newark, 14 km
    # away) stays its own node; two net2 nodes both inside New York merge and their link drops
    net1 = _network("net1", {"ny": (40.71, -74.00), "chi": (41.85, -87.65)}, [("ny", "chi")])
    net2 = _network(
        "net2",
        {
            "nyc": (40.73, -74.00),
            "nyc2": (40.70, -74.01),
            "ewr": (40.735, -74.17),
            "la": (34.05, -118.24),
        },
        [("nyc", "la"), ("nyc", "nyc2"), ("nyc", "ewr")],
    )
    assert haversine_km(40.71, -74.0, 40.735, -74.17) > 10
    merged = backbone_graph({"net1": net1, "net2": net2}, merge_km=10.0, route_factor=ROUTE)
    assert merged.number_of_nodes() == 4  # ny (shared), chi, ewr, la
    assert set(merged.nodes) == {"net1:ny", "net1:chi", "net2:ewr", "net2:la"}
    shared = merged.nodes["net1:ny"]
    assert shared["networks"] == ["net1", "net2"]
    assert (shared["lat"], shared["lon"], shared["label"]) == (40.71, -74.00, "NY")
    assert nx.has_path(merged, "net1:chi", "net2:la")
    assert not any(u == v for u, v in merged.edges())
    assert merged.number_of_edges() == 3
    expected_km = haversine_km(40.71, -74.00, 34.05, -118.24) * ROUTE
    assert merged.edges["net1:ny", "net2:la"]["length_km"] == pytest.approx(expected_km)


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    n_nodes = int(rng.integers(2, 25))
    lat = rng.uniform(30, 45, n_nodes)
    lon = rng.uniform(-120, -75, n_nodes)
    points = {str(k): (lat[k], lon[k]) for k in range(n_nodes)}
    n_edges = int(rng.integers(0, 2 * n_nodes))
    pairs = rng.integers(0, n_nodes, size=(n_edges, 2))
    edges = [(str(u), str(v)) for u, v in pairs]  # self-loops included, to be dropped
    graph = backbone_graph(
        {"rand": _network("rand", points, edges)}, route_factor=float(rng.uniform(1, 2))
    )
    n_sites, n_metros = int(rng.integers(1, 40)), int(rng.integers(1, 8))
    sites = pd.DataFrame(
        {
            "site": [f"s{k}" for k in range(n_sites)],
            "lat": rng.uniform(27, 48, n_sites),
            "lon": rng.uniform(-125, -70, n_sites),
        }
    )
    metros = pd.DataFrame(
        {
            "metro": [f"m{k}" for k in range(n_metros)],
            "lat": rng.uniform(28, 47, n_metros),
            "lon": rng.uniform(-122, -72, n_metros),
            "latency_max_ms": rng.uniform(0.5, 60, n_metros),
        }
    )
    options = {
        "fibre_ms_per_km": float(rng.uniform(0.004, 0.006)),
        "route_factor": float(rng.uniform(1, 2)),
        "overhead_ms": float(rng.uniform(0, 3)),
        "access_max_km": [None, 150.0, 400.0][seed % 3],
    }
    return graph, sites, metros, options


def _brute_force(graph, sites, metros, options) -> dict[tuple[str, str], float]:
    """Every pair's latency from all-pairs shortest paths and nearest nodes by full scan."""
    nodes = list(graph.nodes)
    node_lat = np.array([graph.nodes[n]["lat"] for n in nodes])
    node_lon = np.array([graph.nodes[n]["lon"] for n in nodes])
    dist = dict(nx.all_pairs_dijkstra_path_length(graph, weight="length_km"))

    def attach(frame):
        km = haversine_km(
            frame["lat"].to_numpy()[:, None], frame["lon"].to_numpy()[:, None], node_lat, node_lon
        )
        best = km.argmin(axis=1)
        return best, km[np.arange(len(frame)), best]

    site_node, site_km = attach(sites)
    metro_node, metro_km = attach(metros)
    limit = options["access_max_km"]
    result = {}
    for i, site in enumerate(sites["site"]):
        for j, metro in enumerate(metros["metro"]):
            if limit is not None and (site_km[i] > limit or metro_km[j] > limit):
                continue
            backbone_km = dist[nodes[site_node[i]]].get(nodes[metro_node[j]])
            if backbone_km is None:
                continue
            path_km = (site_km[i] + metro_km[j]) * options["route_factor"] + backbone_km
            result[site, metro] = 2 * path_km * options["fibre_ms_per_km"] + options["overhead_ms"]
    return result


@pytest.mark.parametrize("seed", range(60))
def test_random_graphs_match_brute_force(seed):
    graph, sites, metros, options = _random_case(seed)
    table = latency_table(graph, sites, metros, **options)
    brute = _brute_force(graph, sites, metros, options)
    limit_ms = dict(zip(metros["metro"], metros["latency_max_ms"], strict=True))
    got = {(r.site, r.metro): r.latency_ms for r in table.itertuples()}
    assert len(got) == len(table)  # no duplicated pair

    # every returned pair is within its limit, agrees with brute force, and is no faster than a
    # straight fibre between the two points
    site_xy = sites.set_index("site")[["lat", "lon"]]
    metro_xy = metros.set_index("metro")[["lat", "lon"]]
    for (site, metro), latency_ms in got.items():
        assert latency_ms <= limit_ms[metro]
        assert latency_ms == pytest.approx(brute[site, metro], rel=1e-9, abs=1e-9)
        great_circle_km = haversine_km(*site_xy.loc[site], *metro_xy.loc[metro])
        bound_ms = straight_line_latency_ms(
            great_circle_km, options["fibre_ms_per_km"], options["overhead_ms"]
        )
        assert latency_ms >= bound_ms - 1e-9

    # the Dijkstra cutoff loses nothing: every pair brute force admits is returned
    admissible = {pair for pair, ms in brute.items() if ms <= limit_ms[pair[1]] - 1e-9}
    assert admissible <= set(got)

    # sorted by metro, then latency
    ordered = table.sort_values(["metro", "latency_ms"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(table, ordered)


def test_straight_line_latency():
    assert straight_line_latency_ms(1000.0, 0.0049, 1.0) == pytest.approx(10.8)
    np.testing.assert_allclose(straight_line_latency_ms([0.0, 100.0], 0.005, 0.0), [0.0, 1.0])


@pytest.fixture(scope="module")
def real_backbone(data_dir):
    topologies = load_backbone_topologies(data_dir)
    return topologies, backbone_graph(topologies)


@pytest.mark.realdata
def test_real_backbone_merges_shared_cities(real_backbone):
    topologies, merged = real_backbone
    assert len(topologies) == 17
    total_nodes = sum(graph.number_of_nodes() for graph in topologies.values())
    assert merged.number_of_nodes() < total_nodes
    assert any(len(attrs["networks"]) > 1 for _, attrs in merged.nodes(data=True))
    # a few links join two PoPs one network geocodes to the same city (Miami - Miami?): 0 km
    lengths_km = np.array([attrs["length_km"] for _, _, attrs in merged.edges(data=True)])
    assert (lengths_km >= 0).all() and (lengths_km > 0).mean() > 0.99


@pytest.mark.realdata
def test_real_new_york_chicago(data_dir, real_backbone):
    _, merged = real_backbone
    metros = load_metros(data_dir)
    ny = metros.loc[metros["principal_city"] == "New York City"].iloc[0]
    chicago = metros.loc[metros["principal_city"] == "Chicago"].iloc[0]
    sites = pd.DataFrame({"site": ["NY"], "lat": [ny["city_lat"]], "lon": [ny["city_lon"]]})
    target = pd.DataFrame(
        {
            "metro": ["Chicago"],
            "lat": [chicago["city_lat"]],
            "lon": [chicago["city_lon"]],
            "latency_max_ms": [1000.0],
        }
    )
    table = latency_table(merged, sites, target)
    assert len(table) == 1
    great_circle_km = haversine_km(ny["city_lat"], ny["city_lon"], chicago["city_lat"],
                                   chicago["city_lon"])  # fmt: skip
    bound_ms = float(straight_line_latency_ms(great_circle_km))
    assert bound_ms <= table["latency_ms"].iloc[0] <= 3 * bound_ms


@pytest.mark.realdata
def test_real_table_100_metros_300_sites_is_fast_and_quiet(data_dir, real_backbone, capsys):
    _, merged = real_backbone
    largest = load_metros(data_dir).head(100)
    metros = pd.DataFrame(
        {
            "metro": largest["cbsa"].to_numpy(),
            "lat": largest["city_lat"].to_numpy(),
            "lon": largest["city_lon"].to_numpy(),
            "latency_max_ms": 20.0,
        }
    )
    rng = np.random.default_rng(20240601)
    sites = pd.DataFrame(
        {
            "site": np.arange(300),
            "lat": rng.uniform(30, 45, 300),
            "lon": rng.uniform(-120, -75, 300),
        }
    )
    start = time.perf_counter()
    table = latency_table(merged, sites, metros)
    elapsed_s = time.perf_counter() - start
    assert elapsed_s < 3.0
    assert len(table) > 0 and (table["latency_ms"] <= 20.0).all()
    assert table["metro"].nunique() > 50
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
