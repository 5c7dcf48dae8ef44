"""The implementation behind :mod:`sparsehess.coloring` (internal; its public names are
re-exported there)."""

from __future__ import annotations

import numpy as np

from .checks import check_coloring
from .graphs import as_pattern
from .matrix_market import load_pattern
from .methods import METHODS as METHOD_SPECS
from .orders import ORDERS, vertex_order
from .result import RESULTS, BidirectionalColoring, Coloring, DirectColoring, SubstitutionColoring

__all__ = ["color", "Coloring", "DirectColoring", "SubstitutionColoring",
           "BidirectionalColoring", "check_coloring", "load_pattern", "METHODS", "ORDERS",
           "BEST_ORDERS", "METHOD_SPECS"]

METHODS = tuple(METHOD_SPECS)
"""Coloring methods accepted by :func:`color` (their :class:`~.methods.Method` objects:
:data:`METHOD_SPECS`)."""

BEST_ORDERS = ("natural", "largest_first", "smallest_last", "incidence_degree",
               "dynamic_largest_first")
"""Orders tried by ``order="best"`` (the first with the fewest colors wins)."""


def _result(spec, graphs, colors, lower_bound, order, chosen_order):
    """The result object of ``spec``'s recovery kind for ``colors`` (a ``Method.greedy``
    dict)."""
    extra = {}
    if spec.recovery == "substitution":
        extra["adjacency"] = graphs.adjacency
    elif spec.recovery == "bidirectional":
        extra = {"row_colors": colors["row_colors"], "column_colors": colors["column_colors"]}
    return RESULTS[spec.recovery](spec, order, graphs.p.shape, graphs.pattern, colors["colors"],
                                  lower_bound, chosen_order=chosen_order, **extra)


def _greedy(spec, graphs, order_name, requested, seed):
    order = vertex_order(order_name, graphs.view, seed=seed)
    colors = spec.greedy(graphs, order, order_name, seed)
    return _result(spec, graphs, colors, graphs.lower_bound, requested, order_name)


def color(pattern, method: str, order: str = "largest_first", *, seed: int = 0,
          effort: float = 0.0, rounds: int | None = None) -> Coloring:
    """Color the sparsity pattern ``pattern`` (scipy sparse or dense; nonzeros are structural,
    explicit stored zeros are dropped) for compressed differentiation.

    method: ``"column"`` / ``"row"`` (partial distance-2 coloring of columns / rows),
    ``"star"`` (symmetric, direct recovery), ``"acyclic"`` (symmetric, substitution),
    ``"distance1"`` (proper coloring of the adjacency graph, for diagonals), ``"bicoloring"``
    (star bicoloring of rows and columns). Symmetric methods need a square pattern and color
    ``pattern ∪ pattern.T``.
    order: one of :data:`ORDERS` or ``"best"`` (tries :data:`BEST_ORDERS`, keeps the fewest
    colors). ``seed`` drives ``"random"`` and the improvement stage.
    effort: seconds for the improvement stage after greedy (:mod:`.improve`: iterated greedy,
    and tabu search for column / row / distance1; never more colors than greedy, valid for the
    method; bicoloring is not improved). ``0`` (default) is plain greedy. The search stops
    early at ``lower_bound``. ``rounds`` replaces the clock by a fixed number of search rounds
    (same seed, same rounds: same colors).
    """
    spec = METHOD_SPECS.get(method) if isinstance(method, str) else None
    if spec is None:
        raise ValueError(f"unknown coloring method {method!r}; accepted: {', '.join(METHODS)}")
    if order != "best" and order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; accepted: {', '.join(ORDERS)}, best")
    if not np.isscalar(effort) or not effort >= 0:
        raise ValueError(f"effort must be a number of seconds >= 0, got {effort!r}")
    if rounds is not None and (not isinstance(rounds, (int, np.integer)) or rounds < 0):
        raise ValueError(f"rounds must be None or an int >= 0, got {rounds!r}")
    p = as_pattern(pattern)
    if spec.symmetric and p.shape[0] != p.shape[1]:
        raise ValueError(f"method {method!r} needs a square pattern, got shape {p.shape}; "
                         "use 'column', 'row' or 'bicoloring' for rectangular patterns")
    graphs = spec.graphs(p)
    if order != "best":
        best = _greedy(spec, graphs, order, order, seed)
    else:
        best = None
        for name in BEST_ORDERS:
            c = _greedy(spec, graphs, name, "best", seed)
            if best is None or c.ncolors < best.ncolors:
                best = c
    if (effort > 0 or rounds is not None) and best.ncolors > max(graphs.lower_bound, 1):
        colors, lower = spec.improve(graphs, best.colors, best.lower_bound, effort=float(effort),
                                     seed=seed, rounds=rounds)
        if colors is not best.colors:
            best = _result(spec, graphs, {"colors": colors}, lower, best.order, best.chosen_order)
    return best
