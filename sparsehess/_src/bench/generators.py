"""Generated sparsity patterns: band, grid Laplacians, random symmetric, arrowhead.

The one home of the pattern families of the built-in benchmark suite (``sparsehess bench``),
also used by the tests, the benchmark scripts and :func:`sparsehess.bench.warm_up`. Every
generator returns a square, symmetric ``int8`` CSR pattern with ones at the entries.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

__all__ = ["PROBLEMS", "ENTRIES_PER_ROW", "banded", "laplacian", "mesh2d", "mesh3d",
           "random_symmetric", "arrowhead", "check_problem", "generate"]

PROBLEMS = ("banded", "mesh2d", "mesh3d", "random", "arrowhead")
"""Families of the built-in suite (all square and symmetric)."""


def _pattern(rows, cols, shape) -> sp.csr_array:
    p = sp.csr_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=shape)
    p.sum_duplicates()
    p.data[:] = 1
    return p


def banded(n: int, half_bandwidth: int = 2) -> sp.csr_array:
    """Symmetric band: ``|i - j| <= half_bandwidth`` (2: pentadiagonal)."""
    offsets = range(-half_bandwidth, half_bandwidth + 1)
    return sp.csr_array(sp.diags_array([np.ones(n - abs(k), np.int8) for k in offsets],
                                       offsets=list(offsets), shape=(n, n), dtype=np.int8))


def laplacian(sides) -> sp.csr_array:
    """Pattern of the 5-point (2-D) / 7-point (3-D) Laplacian on a grid with these sides
    (row-major numbering)."""
    ops = []
    for axis, k in enumerate(sides):
        t = sp.diags_array([np.ones(max(k - 1, 0)), np.ones(k), np.ones(max(k - 1, 0))],
                           offsets=[-1, 0, 1], shape=(k, k))
        term = None
        for other, m in enumerate(sides):
            f = t if other == axis else sp.eye_array(m)
            term = f if term is None else sp.kron(term, f)
        ops.append(term)
    p = sp.csr_array(sum(ops[1:], ops[0]))
    p.data[:] = 1
    return sp.csr_array(p, dtype=np.int8)


def mesh2d(n: int) -> sp.csr_array:
    """5-point stencil on a ``s x s`` grid, ``s = round(sqrt(n))``."""
    s = max(1, round(math.sqrt(n)))
    return laplacian((s, s))


def mesh3d(n: int) -> sp.csr_array:
    """7-point stencil on a ``s x s x s`` grid, ``s = round(cbrt(n))``."""
    s = max(1, round(n ** (1 / 3)))
    return laplacian((s, s, s))


def random_symmetric(n: int, avg_degree: int = 8, seed: int = 0) -> sp.csr_array:
    """Symmetric random pattern with the diagonal and about ``avg_degree`` off-diagonals per row."""
    rng = np.random.default_rng(seed)
    ne = n * avg_degree // 2
    i = rng.integers(0, n, ne)
    j = rng.integers(0, n, ne)
    d = np.arange(n)
    return _pattern(np.concatenate([i, j, d]), np.concatenate([j, i, d]), (n, n))


def arrowhead(n: int) -> sp.csr_array:
    """Diagonal plus a dense first row and column."""
    d = np.arange(n)
    z = np.zeros(n, dtype=np.int64)
    return _pattern(np.concatenate([z, d, d]), np.concatenate([d, z, d]), (n, n))


_GENERATORS = {"banded": banded, "mesh2d": mesh2d, "mesh3d": mesh3d,
               "random": random_symmetric, "arrowhead": arrowhead}

ENTRIES_PER_ROW = {"banded": 5, "mesh2d": 5, "mesh3d": 7, "random": 9, "arrowhead": 3}
"""About how many entries a row of each family holds (weighs a matrix in the progress bar)."""


def check_problem(problem: str) -> None:
    """``ValueError`` naming the accepted families unless ``problem`` is one of them."""
    if problem not in _GENERATORS:
        raise ValueError(f"unknown built-in problem {problem!r}; accepted: {', '.join(PROBLEMS)}")


def generate(problem: str, n: int) -> sp.csr_array:
    """Pattern of the built-in ``problem`` (one of :data:`PROBLEMS`) with about ``n`` rows."""
    check_problem(problem)
    if n < 1:
        raise ValueError(f"problem size must be positive, got {n}")
    return _GENERATORS[problem](n)
