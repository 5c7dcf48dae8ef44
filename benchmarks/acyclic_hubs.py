"""Acyclic coloring with hub rows read by neighbour color vs walking every entry, side by side.

Run ``python benchmarks/acyclic_hubs.py`` (``--full`` adds the arrowhead at n = 10^5, where
walking every entry takes minutes). Both variants give the same colors
(:func:`sparsehess._src.coloring.kernels.acyclic_coloring` with ``hub_degree`` at its default, and
with ``hub_degree`` larger than every row: the kernel before hubs); each case prints the best
of ``--repeat`` interleaved rounds and the ratio walk / hubs (> 1: hubs faster).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sparsehess import bench
from sparsehess._src.coloring import kernels, load_pattern
from sparsehess._src.coloring.graphs import adjacency, symmetrize
from sparsehess._src.coloring.orders import vertex_order

WALK_ALL = 2**62


def best_of(rounds, calls):
    """Best time of each call over ``rounds`` interleaved rounds."""
    best = [float("inf")] * len(calls)
    for _ in range(rounds):
        for i, call in enumerate(calls):
            t0 = time.perf_counter()
            call()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the arrowhead at n = 10^5")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = [(f"arrowhead n={n}", bench.arrowhead(n)) for n in (10_000, 30_000)]
    if args.full:
        cases.append(("arrowhead n=100000", bench.arrowhead(100_000)))
    cases += [("random n=100000", bench.random_symmetric(100_000)),
              ("mesh3d n=97336", bench.mesh3d(100_000))]
    shared = bench.shared_suitesparse_dir()
    for name in ("bcsstk13", "G51"):
        if shared is not None and (shared / f"{name}.mtx.gz").is_file():
            cases.append((name, load_pattern(shared / f"{name}.mtx.gz")))
    tiny = adjacency(symmetrize(bench.arrowhead(5)))
    kernels.acyclic_coloring(np.arange(5), *tiny)     # numba cache load, not timed
    kernels.acyclic_coloring(np.arange(5), *tiny, hub_degree=1)
    print(f"{'case':<22} {'nnz':>9} {'colors':>6} {'walk s':>9} {'hubs s':>9} {'walk/hubs':>9}")
    for name, p in cases:
        ptr, idx = adjacency(symmetrize(p))
        n = ptr.size - 1
        order = vertex_order("largest_first", (n, ptr, idx, ptr, idx, False))
        walk = kernels.acyclic_coloring(order, ptr, idx, hub_degree=WALK_ALL)
        hubs = kernels.acyclic_coloring(order, ptr, idx)
        assert np.array_equal(walk, hubs), name
        rounds = 1 if n >= 100_000 and "arrowhead" in name else args.repeat
        t_walk, t_hubs = best_of(rounds, [
            lambda: kernels.acyclic_coloring(order, ptr, idx, hub_degree=WALK_ALL),
            lambda: kernels.acyclic_coloring(order, ptr, idx)])
        print(f"{name:<22} {idx.size:>9} {int(hubs.max()) + 1:>6} {t_walk:>9.4f} "
              f"{t_hubs:>9.4f} {t_walk / t_hubs:>9.1f}")


if __name__ == "__main__":
    main()
