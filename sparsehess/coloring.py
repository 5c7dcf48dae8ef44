"""Graph coloring of sparsity patterns for compressed Jacobian / Hessian evaluation.

``color(pattern, method, order)`` returns a :class:`Coloring`; see :mod:`.result` for the
seed / compression conventions of each method and :mod:`.checks` for independent validity
checkers.
"""

from ._src.coloring import (
    color,
    Coloring,
    DirectColoring,
    SubstitutionColoring,
    BidirectionalColoring,
    check_coloring,
    load_pattern,
    METHODS,
    ORDERS,
    BEST_ORDERS,
    METHOD_SPECS,
)

__all__ = [
    "color",
    "Coloring",
    "DirectColoring",
    "SubstitutionColoring",
    "BidirectionalColoring",
    "check_coloring",
    "load_pattern",
    "METHODS",
    "ORDERS",
    "BEST_ORDERS",
    "METHOD_SPECS",
]
