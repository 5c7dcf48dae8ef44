"""Compiled (numba) coloring kernels, one module per algorithm.

======================  ===============================================================
module                  holds
======================  ===============================================================
``neighbours``          distance-1 / distance-2 neighbourhoods and degrees of a view
``hubs``                vertices grouped by the long rows they share (distance-2 views)
``orders``              dynamic vertex orders (smallest last, incidence degree, ...)
``greedy``              first-fit distance-1 and partial distance-2 colorings
``star``                star colorings (bitset and per-edge variants, one dispatcher)
``acyclic``             acyclic coloring with disjoint sets of 2-colored trees
``postprocess``         star-coloring post-processing
======================  ===============================================================

Graphs are CSR pairs ``(ptr, idx)`` of int64; colors are 0-based int64, -1 uncolored. The
per-entry counts and mirror positions the kernels share with recovery live in
:mod:`sparsehess._src.recovery.direct`.
"""

from .acyclic import ACYCLIC_HUB_DEGREE, acyclic_coloring
from .greedy import greedy_coloring
from .hubs import classes_meet, distance2_degrees, hub_classes
from .neighbours import collect_neighbors, degrees
from .orders import dynamic_order, dynamic_order_hubs
from .postprocess import star_postprocess
from .star import (
    STAR_BITSET_BYTES,
    star_coloring,
    star_coloring_bits,
    star_coloring_bits1,
    star_coloring_edges,
    star_coloring_restricted_edges,
)

__all__ = [
    "ACYCLIC_HUB_DEGREE",
    "STAR_BITSET_BYTES",
    "acyclic_coloring",
    "classes_meet",
    "collect_neighbors",
    "degrees",
    "distance2_degrees",
    "dynamic_order",
    "dynamic_order_hubs",
    "greedy_coloring",
    "hub_classes",
    "star_coloring",
    "star_coloring_bits",
    "star_coloring_bits1",
    "star_coloring_edges",
    "star_coloring_restricted_edges",
    "star_postprocess",
]
