"""Loop bodies walked once and reused at every iteration whose inputs have the same values.

Patterns propagate linearly: each pattern in a walk is a union of boolean products of the
walk's input patterns, and each curvature term an outer product of two such patterns.  A
body walked once over local element ids (one per element of its inputs) therefore gives
  * its local Jacobian L (output elements, local ids): at an iteration whose inputs have
    the stacked patterns P (local ids, n), the outputs' patterns are L P;
  * for the reached elements of its outputs, local rows A and B: the iteration adds the
    outer products of the rows of A P and B P to the Hessian pattern.
Such a summary is exactly what walking the body again would give, as long as the walk
takes the same course: it depends on the inputs' values (known constants, local-mode
points, integer value ranges), not on their patterns.  An iteration whose input values
are new is walked directly; the summary is built when they recur.  Walks through fixed
points (conservative maps, not compositions of exact ones) are never summarized.
"""

import numpy as np

from .. import patterns, value_ranges
from ..structure import EqnStructure, LocalMap, RegionCurvature
from ..values import Value, value_key

_DIRECT = "direct"  # cache mark of a body whose walk cannot be summarized


def call(prop, closed, ins):
    """Output Values of the body ``closed`` (ClosedJaxpr) applied to ``ins`` (Values)."""
    key = ("body", id(closed), tuple((v.known is None, value_key(v.value)) for v in ins),
           value_ranges.cache_key([v.range for v in ins]))
    seen = prop.cache.get(key)
    if seen is None:
        # Values kept alive: value keys of large arrays are their ids.
        prop.cache[key] = (None, closed, [v.value for v in ins])
        return prop.walk_closed(closed, ins)
    summary = seen[0]
    if summary is None:
        summary = BodySummary.of(prop, closed, ins) or _DIRECT
        prop.cache[key] = (summary, closed, seen[2])
    if summary is _DIRECT:
        return prop.walk_closed(closed, ins)
    return summary.apply(prop, ins)


class BodySummary:
    """A body walked over local ids: its output Values (values, local patterns), its local
    Jacobian, the equation structure that stands for one application, and the local
    curvature rows per reached-output signature.  Local matrices are kept over the local
    ids they use only (``_Compact``), so that an application touches only those rows of
    its inputs' patterns."""

    def __init__(self, sub, in_sizes, outs):
        self.sub = sub
        self.outs = outs
        self.in_offsets = np.cumsum([0] + in_sizes)
        self.out_offsets = np.cumsum([0] + [o.size for o in outs])
        jacobian = patterns.stack([o.pattern for o in outs], sub.n)
        self.jacobian = _Compact(jacobian, self.in_offsets)
        maps = []
        for o, out in enumerate(outs):
            rows = patterns.row_slice(jacobian, self.out_offsets[o], self.out_offsets[o + 1])
            for p, block in patterns.column_blocks(rows, self.in_offsets):
                maps.append((o, p, LocalMap(out.size, in_sizes[p], matrix=block)))
        self.structure = EqnStructure(maps=maps, interactions=[RegionCurvature(self.curvature)])
        self._curvature = {}

    @classmethod
    def of(cls, prop, closed, ins):
        """Summary of ``closed`` walked with the values of ``ins``, or None (fixed points)."""
        sizes = [v.size for v in ins]
        sub = prop.child(sum(sizes), record=True)
        sub.cache, sub.warned = prop.cache, prop.warned
        local_ins, offset = [], 0
        for v, size in zip(ins, sizes):
            pattern = sub.empty(size) if v.known is not None else \
                patterns.identity_block(size, offset, sub.n)
            local = Value(v.shape, v.dtype, pattern, v.known, v.point)
            local.range = v.range
            local_ins.append(local)
            offset += size
        outs = sub.walk_closed(closed, local_ins)
        if sub.opaque:
            return None
        return cls(sub, sizes, outs)

    def apply(self, prop, ins):
        """Output Values of one application to ``ins``, recorded on ``prop``'s tape."""
        product = self.jacobian.times(ins)
        outs = []
        for o, out in enumerate(self.outs):
            pattern = prop.empty(out.size) if product is None else \
                patterns.row_slice(product, self.out_offsets[o], self.out_offsets[o + 1])
            outs.append(Value(out.shape, out.dtype, pattern, out.known, out.point))
        return prop.emit(self.structure, ins, outs)

    def curvature(self, ins, outs_reached):
        """(a rows, b rows) of one application to ``ins`` given the reached elements of each
        output; see ``RegionCurvature``."""
        key = tuple(None if r is None else r.tobytes() for r in outs_reached)
        if key not in self._curvature:
            reached = {}
            for out, r in zip(self.outs, outs_reached):
                if r is not None:
                    k = id(out)
                    reached[k] = r if k not in reached else reached[k] | r
            pairs = list(self.sub.curvature(reached))
            # The pairs' rows A and B stacked as [A; B]: one product per application.
            self._curvature[key] = None if not pairs else _Compact(patterns.stack(
                [a for a, _ in pairs] + [b for _, b in pairs], self.sub.n), self.in_offsets)
        local = self._curvature[key]
        rows = None if local is None else local.times(ins)
        if rows is None:
            return None
        half = rows.shape[0] // 2
        return patterns.row_slice(rows, 0, half), patterns.row_slice(rows, half, 2 * half)


class _Compact:
    """A local matrix (rows, local ids) restricted to the local ids it uses, with where
    those ids lie: ``selection``, per input position, its elements as a (start, stop)
    range or an index array."""

    def __init__(self, matrix, in_offsets):
        used = patterns.row_union(matrix)
        columns = np.searchsorted(used, matrix.indices[:patterns.nnz(matrix)])
        self.matrix = patterns.with_columns(matrix, columns, len(used))
        owner = np.searchsorted(in_offsets, used, side="right") - 1
        self.selection = []
        for p in np.unique(owner):
            elems = used[owner == p] - in_offsets[p]
            contiguous = elems[-1] - elems[0] + 1 == len(elems)
            self.selection.append((int(p), (int(elems[0]), int(elems[-1]) + 1) if contiguous
                                   else elems))

    def times(self, ins):
        """The product (rows, n) with the stacked patterns of the Values ``ins``, or None
        when the matrix is empty."""
        if not self.selection:
            return None
        n = ins[0].pattern.shape[1]
        parts = [patterns.row_slice(ins[p].pattern, *elems) if isinstance(elems, tuple)
                 else patterns.gather_rows(ins[p].pattern, elems) for p, elems in self.selection]
        return patterns.product(self.matrix, patterns.stack(parts, n))
