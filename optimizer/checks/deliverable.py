"""Which steps a zonal grid can deliver a fixed plan's largest draw in, whatever the operation.

The dispatch LP (:mod:`.dispatch`) of a zonal plan needs its stranded-limit rows and interface
flows only in the steps where some operation could overload the grid. In step t let node n's
open grid be ``open[n, t]`` (its stranded power and firm capacity, less its edge-only sites'
fixed draw) and the most its hourly sites could draw ``most[n, t]`` (each site's
``min(connection, pue * (inference + campus) + storage power)``). With the excess
``e[n, t] = most[n, t] - open[n, t]``, the nodes with ``e > 0`` need imports and the others
can export ``-e``. If one flow within the interfaces' allowed MW each way carries every
node's need from the others' spare (a transport problem, here a maximum flow from a source
feeding each node its spare to a sink taking each node's need), then every operation of step t
fits the grid: a site draws at most its ``most``, and the same flow still covers any smaller
draws (each node's row holds with room to spare). So no row of step t can bind, and leaving the
step's rows, flows and shortfalls out of the LP is exact.

Two tests, the cheap one first:

- **one hop** (numpy, all steps at once): every exporting node splits its spare equally among
  the interfaces to its neighbours in need, each share capped by the interface's allowed MW; if
  that covers every need, the step is deliverable (the shares are a feasible flow);
- **maximum flow** (:func:`scipy.sparse.csgraph.maximum_flow`, per step left): the step is
  deliverable when the maximum flow equals the total need. The capacities are integers of
  :data:`FLOW_UNIT_MW`, needs rounded up and spare and interface limits rounded down, so the
  rounding can only keep a step that is deliverable, never drop one that is not.

On the default US scenario's zonal plan this leaves 0-1 of each year's 8,760-8,784 steps with
rows (every step needs imports somewhere, so a test per node alone keeps them all).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

FLOW_UNIT_MW = 1e-3
"""Capacity unit of the maximum-flow test (1 kW)."""
TOLERANCE_MW = 1e-6
"""A node's largest draw must stay this far below what reaches it for a step to go without
rows."""


def undeliverable_steps(
    excess_mw: np.ndarray,
    needs: np.ndarray,
    interface_from: np.ndarray,
    interface_to: np.ndarray,
    forward_mw: np.ndarray,
    reverse_mw: np.ndarray,
) -> np.ndarray:
    """Positions of the steps where the grid may fail to deliver the plan's largest draw.

    ``excess_mw[n, t]`` is node n's largest draw less its open grid; ``needs[n]`` says whether
    node n has a used site (only those can need imports; the others only export their spare);
    interface i joins node positions ``interface_from[i]`` and ``interface_to[i]`` and allows
    ``forward_mw[i]`` one way and ``reverse_mw[i]`` back.
    """
    need = np.where(needs[:, None], np.maximum(excess_mw + TOLERANCE_MW, 0.0), 0.0)
    spare = np.maximum(-excess_mw, 0.0)
    short = np.flatnonzero((need > 0).any(axis=0))
    if not len(short):
        return short
    head = np.concatenate([interface_from, interface_to])  # arcs both ways
    tail = np.concatenate([interface_to, interface_from])
    limit = np.concatenate([forward_mw, reverse_mw])
    left = short[~_one_hop(need[:, short], spare[:, short], head, tail, limit)]
    return left[~_max_flow(need[:, left], spare[:, left], head, tail, limit)]


def _one_hop(
    need: np.ndarray, spare: np.ndarray, head: np.ndarray, tail: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """Per step: whether equal shares of each node's spare to its neighbours in need, capped
    by the arcs' limits, cover every need."""
    used = (need[tail] > 0) & (spare[head] > 0) & (limit[:, None] > 0)  # [arc, step]
    arcs_out = np.zeros_like(spare)
    np.add.at(arcs_out, head, used)
    share = np.minimum(limit[:, None], spare[head] / np.maximum(arcs_out[head], 1.0))
    received = np.zeros_like(need)
    np.add.at(received, tail, np.where(used, share, 0.0))
    return (received >= need).all(axis=0)


def _max_flow(
    need: np.ndarray, spare: np.ndarray, head: np.ndarray, tail: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """Per step: whether a maximum flow from the nodes' spare to their needs carries all of
    it (integer capacities in :data:`FLOW_UNIT_MW`, rounded against delivery)."""
    nodes = need.shape[0]
    source, sink = nodes, nodes + 1
    every = np.arange(nodes)
    rows = np.concatenate([head, np.full(nodes, source), every])
    cols = np.concatenate([tail, every, np.full(nodes, sink)])
    arcs = np.floor(limit / FLOW_UNIT_MW)
    ok = np.zeros(need.shape[1], dtype=bool)
    for k in range(need.shape[1]):
        wanted = np.ceil(need[:, k] / FLOW_UNIT_MW)
        capacity = np.concatenate([arcs, np.floor(spare[:, k] / FLOW_UNIT_MW), wanted])
        capacity = np.minimum(capacity, np.iinfo(np.int32).max).astype(np.int32)
        graph = csr_array((capacity, (rows, cols)), shape=(nodes + 2,) * 2)
        ok[k] = maximum_flow(graph, source, sink).flow_value >= wanted.sum()
    return ok
