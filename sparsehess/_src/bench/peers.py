"""Peer colorings to compare with: CasADi's ``star_coloring`` / ``uni_coloring``.

The one CasADi adapter, used by ``sparsehess bench --vs casadi`` and by
``benchmarks/coloring.py``. CasADi is optional (the ``bench`` extra): :func:`casadi_module`
returns ``None`` without it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .timing import best_time

__all__ = ["CASADI_METHODS", "casadi_module", "to_casadi", "casadi_call", "casadi_coloring"]

CASADI_METHODS = {"star": "largest_first", "column": "natural"}
"""Methods CasADi offers, and the order of ours that matches it (``star_coloring(1)`` orders
by largest degree first; ``uni_coloring`` takes the natural order)."""


def casadi_module():
    """``casadi`` when installed, else ``None``."""
    try:
        import casadi  # noqa: PLC0415 - optional, benchmark-only
    except ImportError:
        return None
    return casadi


def to_casadi(casadi, p):
    """``p`` (any scipy sparse pattern) as a ``casadi.Sparsity``."""
    csc = sp.csc_array(p)
    csc.sort_indices()
    return casadi.Sparsity(csc.shape[0], csc.shape[1], csc.indptr.tolist(),
                           csc.indices.tolist())


def casadi_call(sparsity, method):
    """A no-argument callable running CasADi's ``method`` coloring of ``sparsity``; it returns
    CasADi's (ncolumns x ncolors) result. ``ValueError`` for a method CasADi lacks."""
    if method == "star":
        return lambda: sparsity.star_coloring(1, 2**62)
    if method == "column":
        return lambda: sparsity.uni_coloring(sparsity.T, 2**62)
    raise ValueError(f"CasADi has no {method!r} coloring")


def casadi_coloring(casadi, pattern, method, repeat=1):
    """CasADi's coloring of ``pattern``: ``(colors per column, ncolors, best time)``; the
    conversion to a ``casadi.Sparsity`` is not timed. CasADi's star coloring needs a
    symmetric pattern: it gets ``P ∪ Pᵀ``, the pattern our star coloring colors."""
    if method == "star":
        pattern = sp.csr_array(pattern + pattern.T)
    call = casadi_call(to_casadi(casadi, pattern), method)
    res, t = best_time(call, repeat)
    # res is (ncolumns x ncolors): column j has color k where res[j, k] is structurally nonzero
    rows, cols = res.get_triplet()
    colors = np.full(pattern.shape[1], -1, dtype=np.int64)
    colors[np.asarray(rows, dtype=np.int64)] = np.asarray(cols, dtype=np.int64)
    return colors, int(res.size2()), t
