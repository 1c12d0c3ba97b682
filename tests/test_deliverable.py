"""Which steps a zonal grid can deliver a plan's largest draw in (optimizer/checks/deliverable.py):
hand cases where only the maximum flow (not one hop) proves delivery and where the interfaces
are too thin, and a cross-check of the maximum flow against an LP on random networks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from optimizer.checks.deliverable import undeliverable_steps


def steps(excess: list[list[float]], needs: list[bool], links: list[tuple[int, int, float, float]]):
    fr, to, fw, rv = (np.array(v) for v in zip(*links, strict=True))
    return undeliverable_steps(
        np.array(excess, dtype=float).T, np.array(needs), fr.astype(int), to.astype(int), fw, rv
    ).tolist()


def test_two_hops_needed_and_too_thin_a_path():
    # A (spare 100) - B (no site, nothing spare) - C (needs 40); A -> B allows 50 MW
    needs = [False, False, True]
    assert steps([[-100, 0, 40]], needs, [(0, 1, 50, 0), (1, 2, 45, 0)]) == []
    assert steps([[-100, 0, 40]], needs, [(0, 1, 50, 0), (1, 2, 30, 0)]) == [0]  # 30 < 40
    assert steps([[-100, 0, 40]], needs, [(0, 1, 50, 0), (2, 1, 0, 45)]) == []  # the reverse way
    assert steps([[-100, 0, 40]], needs, [(0, 1, 50, 0), (2, 1, 45, 0)]) == [0]  # wrong way only
    assert steps([[-30, 0, 40]], needs, [(0, 1, 50, 0), (1, 2, 45, 0)]) == [0]  # spare too small
    # exactly enough is not enough: a step needs a margin (TOLERANCE_MW) to go without rows
    assert steps([[-100, 0, 40]], needs, [(0, 1, 50, 0), (1, 2, 40, 0)]) == [0]


def test_one_exporter_shared_unevenly_and_steps_apart():
    # X (spare 61) feeds Y (needs 50) and Z (needs 10): equal shares (30.5 each) fail, the
    # maximum flow carries it; a step with 62 MW needed is short; a step in need nowhere is
    # deliverable
    needs = [False, True, True]
    links = [(0, 1, 55, 0), (0, 2, 40, 0)]
    assert steps([[-61, 50, 10], [-61, 52, 10], [-61, -5, 0]], needs, links) == [1]
    # a node without a used site never needs anything, whatever its excess
    assert steps([[-61, 50, 10]], [True, False, True], links) == []


@pytest.mark.parametrize("seed", range(20))
def test_maximum_flow_agrees_with_an_lp_on_random_networks(seed):
    rng = np.random.default_rng(seed)
    nodes, n_links, n_steps = 6, 8, 12
    a = rng.integers(0, nodes, n_links)
    b = (a + rng.integers(1, nodes, n_links)) % nodes
    fw, rv = rng.uniform(0, 40, n_links), rng.uniform(0, 40, n_links) * (rng.random(n_links) < 0.7)
    needs = rng.random(nodes) < 0.5
    excess = rng.uniform(-80, 40, (nodes, n_steps))
    kept = set(undeliverable_steps(excess, needs, a, b, fw, rv).tolist())
    for t in range(n_steps):
        need = np.where(needs, np.maximum(excess[:, t], 0), 0)
        spare = np.maximum(-excess[:, t], 0)
        # maximize what reaches the needs: flows f (within -rv..fw), deliveries g <= need,
        # each node: g - inflow + outflow <= spare
        n_f = n_links
        cost = np.concatenate([np.zeros(n_f), -np.ones(nodes)])
        rows = np.zeros((nodes, n_f + nodes))
        for i in range(n_links):
            rows[a[i], i] += 1
            rows[b[i], i] -= 1
        rows[:, n_f:] = np.eye(nodes)
        bounds = [(-rv[i], fw[i]) for i in range(n_links)] + [(0, need[n]) for n in range(nodes)]
        best = -linprog(cost, A_ub=rows, b_ub=spare, bounds=bounds, method="highs").fun
        margin = best - need.sum()
        if abs(margin) > 1e-2:  # away from the rounding of 1 kW per arc
            assert (t in kept) == (margin < 0), (t, margin)
