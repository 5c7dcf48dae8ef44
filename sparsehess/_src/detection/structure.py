"""The local structure of one jaxpr equation: first-order maps and second-order interactions.

A rule (see ``registry.py``) reads an equation's ``EqnContext`` and describes it by
  * ``LocalMap``s: which operand elements each output element depends on (the structural
    local Jacobian), used forwards to propagate dependency patterns and backwards to find
    the elements that reach the function's output;
  * ``Interaction``s: which (operand element, operand element) pairs have a structurally
    nonzero second derivative for a given output element (the local Hessian).
A loop body walked once and reused (``loop_bodies.py``) stands as one equation whose maps
are its local Jacobian and whose curvature is a ``RegionCurvature``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from . import patterns
from .index_maps import size_of


@dataclass
class EqnContext:
    """What a rule may look at: the equation, operand shapes and operand values.

    ``known``: the operands' values that are constants (the same for every input), else None.
    ``values``: their values at the point of detection: the constant, else (local mode) the
    value at the input point, else None; the same list as ``known`` in global mode.

    A zero in ``values`` proves a first derivative zero at the point (∂(ab)/∂b = a), so
    rules may prune first-order maps by it.  Only a constant has no derivatives at all:
    second-order terms (∂²(ab)/∂a∂b = 1) and a value's own dependencies are pruned by
    ``known`` only.
    ``ranges``: for operands without a value, their possible values
    (``value_ranges.Range``) or None; index rules try every index they allow.
    """

    eqn: object
    in_shapes: list
    known: list
    values: list
    out_shapes: list
    ranges: list = None

    @property
    def params(self):
        return self.eqn.params

    def in_size(self, pos: int) -> int:
        return size_of(self.in_shapes[pos])

    def out_size(self, pos: int = 0) -> int:
        return size_of(self.out_shapes[pos])


@dataclass(frozen=True)
class LocalMap:
    """Structural Jacobian of one output (size ``out_size``) w.r.t. one operand (``in_size``).

    Exactly one representation is used:
      * ``gather``: int array (out_size,), the single operand element each output element
        depends on, -1 for none;
      * ``matrix``: bool CSR (out_size, in_size), for many-to-one maps (reductions, products);
      * ``dense=True``: every output element depends on every operand element;
      * ``offset``: a contiguous block: output elements offset .. offset+out_size-1 of the
        operand when out_size < in_size (a window), or the operand placed at output
        elements offset .. offset+in_size-1 when out_size > in_size (stacking);
      * none of these: the identity (out_size == in_size).
    """

    out_size: int
    in_size: int
    gather: np.ndarray | None = None
    matrix: sp.csr_array | None = None
    dense: bool = False
    offset: int | None = None

    def forward(self, operand: sp.csr_array) -> sp.csr_array:
        """Pattern of the output (out_size, n) given the operand's pattern (in_size, n)."""
        if self.dense:
            cols = patterns.row_union(operand)
            indptr = np.arange(self.out_size + 1, dtype=np.int64) * len(cols)
            indices = np.tile(cols, self.out_size)
            return sp.csr_array((np.ones(len(indices), bool), indices, indptr),
                                shape=(self.out_size, operand.shape[1]))
        if self.matrix is not None:
            return patterns.product(self.matrix, operand)
        if self.gather is not None:
            return patterns.gather_rows(operand, self.gather)
        if self.offset is not None:
            if self.out_size < self.in_size:
                return patterns.row_slice(operand, self.offset, self.offset + self.out_size)
            idx = np.full(self.out_size, -1)
            idx[self.offset:self.offset + self.in_size] = np.arange(self.in_size)
            return patterns.gather_rows(operand, idx)
        return operand

    def backward(self, reached_out: np.ndarray) -> np.ndarray:
        """Operand elements (bool, in_size) that feed any of the reached output elements."""
        if self.dense:
            return np.full(self.in_size, bool(reached_out.any()))
        if self.matrix is not None:
            return patterns.columns_of_rows(self.matrix, reached_out)
        if self.gather is not None:
            reached_in = np.zeros(self.in_size, bool)
            src = self.gather[reached_out]
            reached_in[src[src >= 0]] = True
            return reached_in
        if self.offset is not None:
            if self.out_size < self.in_size:
                reached_in = np.zeros(self.in_size, bool)
                reached_in[self.offset:self.offset + self.out_size] = reached_out
                return reached_in
            return reached_out[self.offset:self.offset + self.in_size]
        return reached_out


@dataclass(frozen=True)
class Interaction:
    """Structurally nonzero ∂² out[o] / ∂ a[i] ∂ b[j] for each triple (o, i, j).

    ``out``, ``a`` and ``b`` are positions of the output and the two operands.  The element
    arrays have equal length; ``None`` for all three means the elementwise triple (k, k, k).
    ``a is None`` marks the conservative "every pair of inputs of this output" interaction.
    """

    out: int
    a: int | None = None
    b: int | None = None
    out_elems: np.ndarray | None = None
    a_elems: np.ndarray | None = None
    b_elems: np.ndarray | None = None


@dataclass(frozen=True)
class RegionCurvature:
    """Curvature of a region summarized once over local element ids (a reused loop body).

    ``rows(ins, outs_reached)``: given the region's input Values and the reached elements of
    each of its outputs (bool array or None), the pair (a rows, b rows) of patterns whose
    outer products are its contribution to the Hessian pattern, or None for none.
    """

    rows: Callable


@dataclass
class EqnStructure:
    """Everything detection needs to know about one equation."""

    maps: list = field(default_factory=list)          # (output position, operand position, LocalMap)
    interactions: list = field(default_factory=list)  # Interaction or RegionCurvature
