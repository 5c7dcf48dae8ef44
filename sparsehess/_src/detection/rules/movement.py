"""Rules of data movement: primitives that copy elements (reshape, slice, gather, pad,
scatter, sort, ...). Index operands with values (constants, local points, or the few values
their range allows) give exact maps; unknown ones make the copied operands' maps dense."""

import numpy as np
from jax import lax

from .. import index_maps, value_ranges
from ..structure import EqnStructure, Interaction, LocalMap
from .elementwise import elementwise_map
from .reductions import distinct_pairs


def data_movement(*data_positions):
    """Rule for a gather-like primitive whose operands ``data_positions`` are copied
    (``None`` = all operands).  Other operands (indices, start positions) must have values
    (constants, or local-mode points) for an exact map; otherwise every output element may
    come from any element."""

    def rule(ctx):
        positions = range(len(ctx.in_shapes)) if data_positions == (None,) else data_positions
        dense = EqnStructure(maps=[(o, p, LocalMap(ctx.out_size(o), ctx.in_size(p), dense=True))
                                   for o in range(len(ctx.out_shapes)) for p in positions])
        candidates = _index_candidates(ctx, set(positions))
        if candidates is None:
            return dense
        all_maps = [index_maps.gather_like(ctx.eqn, ctx.in_shapes, values, set(positions))
                    for values in candidates]
        if any(maps is None for maps in all_maps):
            return dense
        if len(all_maps) == 1:
            return EqnStructure(maps=[(o, p, LocalMap(ctx.out_size(o), ctx.in_size(p), gather=idx))
                                      for (o, p), idx in all_maps[0].items()])
        return EqnStructure(maps=[(o, p, LocalMap(ctx.out_size(o), ctx.in_size(p),
                                                  matrix=_union_of_gathers(maps_of, ctx.in_size(p))))
                                  for (o, p), maps_of in _by_key(all_maps).items()])
    rule.data_positions = data_positions
    return rule


def _index_candidates(ctx, data_positions):
    """Operand value lists to evaluate an index primitive at (see
    ``value_ranges.index_candidates``), or None."""
    ranges = ctx.ranges or [None] * len(ctx.values)
    return value_ranges.index_candidates(ctx.eqn.primitive.name, ctx.values, ranges,
                                         data_positions)


def _by_key(dicts):
    """{key: [values of that key in each dict]} over a list of dicts."""
    out = {}
    for d in dicts:
        for k, v in d.items():
            out.setdefault(k, []).append(v)
    return out


def _entries(arrays):
    """(positions, values) over the entries >= 0 of equal-length int arrays."""
    stacked = np.stack(arrays)
    keep = stacked >= 0
    return np.broadcast_to(np.arange(stacked.shape[1]), stacked.shape)[keep], stacked[keep]


def _union_of_gathers(gathers, in_size):
    """Bool CSR (out size, in_size): output element i depends on g[i] for each gather g."""
    rows, cols = _entries(gathers)
    return index_maps.targets_to_matrix_pairs(rows, cols, len(gathers[0]), in_size)


def _scatter_targets(ctx):
    """For every index value the indices (operand 1) may take, the output element each
    update element (operand 2) lands in (int arrays, -1 for dropped); None if unknown."""
    candidates = _index_candidates(ctx, {0, 2})
    if candidates is None:
        return None
    out_shape, upd_shape = ctx.out_shapes[0], ctx.in_shapes[2]
    params = dict(ctx.params)
    zeros = np.zeros(out_shape, np.float32)
    targets = []
    for values in candidates:
        def place(updates, indices=values[1]):
            return lax.scatter_add_p.bind(zeros, indices, updates, **params)
        targets.append(index_maps.scatter_targets(place, upd_shape, out_shape))
    return targets


def _scatter_updates_map(ctx, targets):
    """LocalMap of a scatter's updates into its output, given their possible ``targets``."""
    if targets is None:
        return LocalMap(ctx.out_size(), ctx.in_size(2), dense=True)
    cols, rows = _entries(targets)
    matrix = index_maps.targets_to_matrix_pairs(rows, cols, ctx.out_size(), ctx.in_size(2))
    return LocalMap(ctx.out_size(), ctx.in_size(2), matrix=matrix)


def scatter_add(ctx):
    """out = operand + updates placed at known indices (or any of the indices their
    range allows)."""
    upd = _scatter_updates_map(ctx, _scatter_targets(ctx))
    return EqnStructure(maps=[(0, 0, elementwise_map(ctx, 0)), (0, 2, upd)])


def scatter_mul(ctx):
    """out = operand times the updates placed at known indices (or any the range allows). A
    product is linear in each factor: curvature between an operand element and each update
    landing on it, and between two distinct updates landing together (among all of each
    output's factors when the indices are unknown, or past ``reductions.MAX_PAIRS`` pairs)."""
    targets = _scatter_targets(ctx)
    updates = _scatter_updates_map(ctx, targets)
    structure = EqnStructure(maps=[(0, 0, elementwise_map(ctx, 0)), (0, 2, updates)])
    pairs = None if targets is None else distinct_pairs(updates.matrix)
    if pairs is None:
        structure.interactions.append(Interaction(0))
        return structure
    landing = updates.matrix.tocoo()
    out, upd = landing.row.astype(np.int64), landing.col.astype(np.int64)
    structure.interactions += [Interaction(0, 0, 2, out, out.copy(), upd),
                               Interaction(0, 2, 2, *pairs)]
    return structure


def scatter(ctx):
    """out = operand with the elements at known indices overwritten by updates (an element
    keeps the operand's dependency unless every index the range allows overwrites it)."""
    targets = _scatter_targets(ctx)
    upd = _scatter_updates_map(ctx, targets)
    if targets is None:
        return EqnStructure(maps=[(0, 0, elementwise_map(ctx, 0)), (0, 2, upd)])
    overwritten = np.ones(ctx.out_size(), bool)
    for t in targets:
        hit = np.zeros(ctx.out_size(), bool)
        hit[t[t >= 0]] = True
        overwritten &= hit
    return EqnStructure(maps=[(0, 0, elementwise_map(ctx, 0, ~overwritten)), (0, 2, upd)])


def sort(ctx):
    """sort along ``dimension``: each output element may be any element of its line of the
    same operand (a permutation chosen by the keys, which get no derivative)."""
    shape = ctx.in_shapes[0]
    axis = ctx.params["dimension"]
    size = ctx.in_size(0)
    if shape[axis] == size:
        local = LocalMap(size, size, dense=True)
    else:
        groups = index_maps.line_groups(shape, axis)
        local = LocalMap(size, size, matrix=index_maps.same_group_matrix(groups, groups))
    return EqnStructure(maps=[(p, p, local) for p in range(len(ctx.in_shapes))])


def top_k(ctx):
    """top_k along the last axis: each value may be any element of its row."""
    in_shape, out_shape = ctx.in_shapes[0], ctx.out_shapes[0]
    if len(in_shape) == 1:
        local = LocalMap(ctx.out_size(), ctx.in_size(0), dense=True)
    else:
        matrix = index_maps.same_group_matrix(index_maps.line_groups(out_shape, len(out_shape) - 1),
                                              index_maps.line_groups(in_shape, len(in_shape) - 1))
        local = LocalMap(ctx.out_size(), ctx.in_size(0), matrix=matrix)
    return EqnStructure(maps=[(0, 0, local)])
