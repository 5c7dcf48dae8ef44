"""Rules of reductions and cumulative reductions along axes: linear (sum, max, min) or with
curvature within each reduced group (prod, logsumexp)."""

from .. import index_maps
from ..structure import EqnStructure, Interaction, LocalMap


def _reduction_map(ctx):
    targets = index_maps.reduction_targets(ctx.in_shapes[0], ctx.params["axes"])
    return LocalMap(ctx.out_size(), ctx.in_size(0),
                    matrix=index_maps.targets_to_matrix(targets, ctx.out_size()))


def reduction(ctx):
    """reduce_sum / reduce_max / reduce_min over ``axes``: linear or piecewise linear."""
    return EqnStructure(maps=[(0, 0, _reduction_map(ctx))])


def reduction_nonlinear(ctx):
    """reduce_prod and friends: curvature among all elements of each reduced group."""
    return EqnStructure(maps=[(0, 0, _reduction_map(ctx))], interactions=[Interaction(0)])


def _cumulative_map(ctx):
    matrix = index_maps.cumulative_matrix(ctx.in_shapes[0], ctx.params["axis"],
                                          ctx.params["reverse"])
    return LocalMap(ctx.out_size(), ctx.in_size(0), matrix=matrix)


def cumulative(ctx):
    """cumsum / cummax / cummin: element i depends on the prefix (or suffix) up to i."""
    return EqnStructure(maps=[(0, 0, _cumulative_map(ctx))])


def cumulative_nonlinear(ctx):
    """cumprod / cumlogsumexp: prefix dependencies with curvature among them."""
    return EqnStructure(maps=[(0, 0, _cumulative_map(ctx))], interactions=[Interaction(0)])
