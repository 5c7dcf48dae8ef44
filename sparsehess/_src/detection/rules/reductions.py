"""Rules of reductions and cumulative reductions along axes: linear (sum, max, min), products
(curvature between distinct factors of a group, none on a factor itself) or with curvature
among all elements of a group (logsumexp)."""

import numpy as np

from .. import index_maps
from ..structure import EqnStructure, Interaction, LocalMap


def _reduction_map(ctx):
    targets = index_maps.reduction_targets(ctx.in_shapes[0], ctx.params["axes"])
    return LocalMap(ctx.out_size(), ctx.in_size(0),
                    matrix=index_maps.targets_to_matrix(targets, ctx.out_size()))


def reduction(ctx):
    """reduce_sum / reduce_max / reduce_min over ``axes``: linear or piecewise linear."""
    return EqnStructure(maps=[(0, 0, _reduction_map(ctx))])


MAX_PAIRS = 2_000_000
"""Factor pairs a product rule lists one by one; beyond, curvature among all elements."""


def distinct_pairs(matrix):
    """Triples ``(out, j, k)``, ``j < k``, of the entries of each row of the bool csr
    ``matrix`` (outputs x factors), or None when there are more than ``MAX_PAIRS``."""
    matrix.sum_duplicates()
    counts = np.diff(matrix.indptr)
    if int((counts * (counts - 1) // 2).sum()) > MAX_PAIRS:
        return None
    outs, firsts, seconds = [], [], []
    for c in np.unique(counts[counts >= 2]):
        rows = np.flatnonzero(counts == c)
        block = matrix.indices[matrix.indptr[rows][:, None] + np.arange(c)]    # (rows, c)
        j, k = np.triu_indices(int(c), 1)
        outs.append(np.repeat(rows, j.size))
        firsts.append(block[:, j].ravel())
        seconds.append(block[:, k].ravel())
    if not outs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return tuple(np.concatenate(a).astype(np.int64) for a in (outs, firsts, seconds))


def _product(local):
    """Structure of out[o] = product of the operand elements ``local`` maps to it: a product
    is linear in each factor, so curvature only between two distinct factors."""
    pairs = distinct_pairs(local.matrix)
    curvature = Interaction(0) if pairs is None else Interaction(0, 0, 0, *pairs)
    return EqnStructure(maps=[(0, 0, local)], interactions=[curvature])


def reduction_product(ctx):
    """reduce_prod over ``axes``."""
    return _product(_reduction_map(ctx))


def _cumulative_map(ctx):
    matrix = index_maps.cumulative_matrix(ctx.in_shapes[0], ctx.params["axis"],
                                          ctx.params["reverse"])
    return LocalMap(ctx.out_size(), ctx.in_size(0), matrix=matrix)


def cumulative(ctx):
    """cumsum / cummax / cummin: element i depends on the prefix (or suffix) up to i."""
    return EqnStructure(maps=[(0, 0, _cumulative_map(ctx))])


def cumulative_product(ctx):
    """cumprod: element i is the product of the prefix (or suffix) up to i."""
    return _product(_cumulative_map(ctx))


def cumulative_nonlinear(ctx):
    """cumlogsumexp: prefix dependencies with curvature among all of them."""
    return EqnStructure(maps=[(0, 0, _cumulative_map(ctx))], interactions=[Interaction(0)])
