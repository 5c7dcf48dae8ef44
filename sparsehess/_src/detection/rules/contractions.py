"""Rules of bilinear contractions (dot_general, convolutions) and of linear algebra on
batches of matrices."""

import numpy as np

from .. import index_maps
from ..index_maps import size_of
from ..structure import EqnStructure, Interaction, LocalMap
from .elementwise import conservative


def _nonzero_at(value, elems):
    """Bool mask (len(elems),) of ``value`` (flattened) being nonzero at ``elems``; None
    (nothing to prune) when the value is unknown."""
    return None if value is None else np.asarray(value).ravel()[elems] != 0


def _both(mask, other):
    """Conjunction of two masks where None means all true."""
    if mask is None or other is None:
        return other if mask is None else mask
    return mask & other


def _select(mask, *arrays):
    """The arrays at ``mask`` (all of them when None or all true)."""
    if mask is None or mask.all():
        return arrays
    return tuple(a[mask] for a in arrays)


def _bilinear(ctx, out_t, lhs_t, rhs_t):
    """Structure of out[o] = Σ lhs[l] * rhs[r] over the triples (o, l, r) (int arrays of
    equal length).

    ∂out[o]/∂lhs[l] = rhs[r]: the lhs map skips triples whose rhs is zero at the point, and
    the rhs map those whose lhs is; ∂²out[o]/∂lhs[l]∂rhs[r] = 1, so the curvature skips only
    triples with a constant zero (whose operand has no derivatives anyway)."""
    out_size = ctx.out_size()
    constant = _both(_nonzero_at(ctx.known[0], lhs_t), _nonzero_at(ctx.known[1], rhs_t))
    lhs_keep = rhs_keep = constant
    if ctx.values[1] is not ctx.known[1]:
        lhs_keep = _both(constant, _nonzero_at(ctx.values[1], rhs_t))
    if ctx.values[0] is not ctx.known[0]:
        rhs_keep = _both(constant, _nonzero_at(ctx.values[0], lhs_t))
    lhs_out, lhs_in = _select(lhs_keep, out_t, lhs_t)
    rhs_out, rhs_in = _select(rhs_keep, out_t, rhs_t)
    lhs_map = index_maps.targets_to_matrix_pairs(lhs_out, lhs_in, out_size, ctx.in_size(0))
    rhs_map = index_maps.targets_to_matrix_pairs(rhs_out, rhs_in, out_size, ctx.in_size(1))
    return EqnStructure(
        maps=[(0, 0, LocalMap(out_size, ctx.in_size(0), matrix=lhs_map)),
              (0, 1, LocalMap(out_size, ctx.in_size(1), matrix=rhs_map))],
        interactions=[Interaction(0, 0, 1, *_select(constant, out_t, lhs_t, rhs_t))])


def dot_general(ctx):
    """Bilinear contraction: exact element triples, pruned by zeros (see ``_bilinear``)."""
    out_t, lhs_t, rhs_t, _ = index_maps.dot_general_triples(
        ctx.in_shapes[0], ctx.in_shapes[1], ctx.params["dimension_numbers"])
    return _bilinear(ctx, out_t, lhs_t, rhs_t)


def conv(ctx):
    """conv_general_dilated: bilinear, exact triples (a 3x3 stencil with zero corners in a
    constant kernel gives the 5-point pattern), feature and batch groups included."""
    triples = index_maps.conv_triples(ctx.eqn, ctx.in_shapes[0], ctx.in_shapes[1],
                                      ctx.out_shapes[0], ctx.known[1])
    if triples is None:
        return conservative(ctx)
    return _bilinear(ctx, *triples)


def per_matrix(ctx):
    """Linear algebra on (batches of) matrices: conservative within each matrix, exact
    across the batch (the leading dimensions of the first operand, minus two)."""
    first = ctx.in_shapes[0]
    batch = size_of(first[:-2]) if len(first) >= 2 else 1
    if batch == 1:
        return conservative(ctx)
    maps = []
    for o, out_shape in enumerate(ctx.out_shapes):
        for p, in_shape in enumerate(ctx.in_shapes):
            so, si = size_of(out_shape), size_of(in_shape)
            if so % batch or si % batch or tuple(out_shape[:len(first) - 2]) != tuple(first[:-2]) \
                    or tuple(in_shape[:len(first) - 2]) != tuple(first[:-2]):
                maps.append((o, p, LocalMap(so, si, dense=True)))
                continue
            matrix = index_maps.same_group_matrix(np.arange(so) // (so // batch),
                                                  np.arange(si) // (si // batch))
            maps.append((o, p, LocalMap(so, si, matrix=matrix)))
    return EqnStructure(maps=maps,
                        interactions=[Interaction(o) for o in range(len(ctx.out_shapes))])


# Leading operands that hold the matrix (the others are right-hand sides); custom_linear_solve:
# every operand but the right-hand sides, one per output.
_MATRIX_OPERANDS = {"triangular_solve": 1, "tridiagonal_solve": 3}


def linear_solve(ctx):
    """A solve x = A⁻¹ b (triangular_solve, tridiagonal_solve, custom_linear_solve) is linear
    in its right-hand side: with every matrix operand constant it has no curvature. Otherwise
    conservative (within each matrix of a batch for the LAPACK-style solves)."""
    name = ctx.eqn.primitive.name
    nmatrix = _MATRIX_OPERANDS.get(name, len(ctx.in_shapes) - len(ctx.out_shapes))
    structure = conservative(ctx) if name not in _MATRIX_OPERANDS else per_matrix(ctx)
    if all(k is not None for k in ctx.known[:nmatrix]):
        return EqnStructure(maps=structure.maps)
    return structure
