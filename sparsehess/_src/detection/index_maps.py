"""Exact index maps of linear primitives, computed once per equation with numpy/JAX.

Data movement (gather-like: each output element copies at most one operand element) is
evaluated by running the primitive itself on arrays of element ids.  Scatter-like maps
(each operand element lands in at most one output element) run the transpose instead.
Reductions, cumulative sums and ``dot_general`` build their maps directly from the shapes.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

# Element ids travel through float32 transposes exactly up to 2**24; larger arrays are
# encoded in base 2**12 digits, one transpose per digit.
_FLOAT32_EXACT = 2 ** 24
_DIGIT = 2 ** 12


def size_of(shape) -> int:
    return int(math.prod(shape))


def bind(eqn, args):
    """Evaluate ``eqn``'s primitive eagerly on concrete ``args``; returns a list of outputs."""
    params = eqn.primitive.get_bind_params(eqn.params)
    with jax.ensure_compile_time_eval():
        out = eqn.primitive.bind(*args, **params)
    return list(out) if eqn.primitive.multiple_results else [out]


def gather_like(eqn, in_shapes, known, data_positions):
    """Index maps of a gather-like equation.

    Returns ``{(output position, operand position): idx}`` with ``idx`` an int64 array over
    the output's elements (operand element copied, -1 for none), or ``None`` when an
    operand outside ``data_positions`` has no known value.
    """
    offsets, args, total = {}, [], 1  # id 0 means "no operand element"
    for pos, shape in enumerate(in_shapes):
        if pos in data_positions:
            offsets[pos] = total
            ids = np.arange(total, total + size_of(shape), dtype=np.int32).reshape(shape)
            total += size_of(shape)
            args.append(ids)
        elif known[pos] is None:
            return None
        else:
            args.append(known[pos])
    if total >= np.iinfo(np.int32).max:
        return None
    maps = {}
    for out_pos, out in enumerate(bind(eqn, args)):
        if len(offsets) == 1:                # ids 1..size: id - 1, and 0 ("none") gives -1
            (pos,) = offsets
            idx = np.subtract(np.asarray(out).ravel(), 1, dtype=np.int64)
            if idx.size and idx.max() >= 0:
                maps[(out_pos, pos)] = idx
            continue
        flat = np.asarray(out).ravel().astype(np.int64)
        for pos, offset in offsets.items():
            size = size_of(in_shapes[pos])
            inside = (flat >= offset) & (flat < offset + size)
            if inside.any():
                maps[(out_pos, pos)] = np.where(inside, flat - offset, -1)
    return maps


def scatter_targets(linear_fn, in_shape, out_shape) -> np.ndarray:
    """For a linear map that sends each input element to at most one output element,
    the target output element of every input element (-1 when dropped).

    ``linear_fn`` maps a float32 array of ``in_shape`` to one of ``out_shape``.
    """
    out_size = size_of(out_shape)
    with jax.ensure_compile_time_eval():
        transpose = jax.linear_transpose(linear_fn, jax.ShapeDtypeStruct(in_shape, jnp.float32))
        ids = np.arange(1, out_size + 1, dtype=np.int64)
        if out_size + 1 < _FLOAT32_EXACT:
            (back,) = transpose(jnp.asarray(ids.reshape(out_shape), jnp.float32))
            target = np.asarray(back).ravel().astype(np.int64)
        else:
            target = np.zeros(size_of(in_shape), np.int64)
            scale, rest = 1, ids
            while rest.any():
                digit = rest % _DIGIT
                (back,) = transpose(jnp.asarray(digit.reshape(out_shape), jnp.float32))
                target += scale * np.asarray(back).ravel().astype(np.int64)
                rest, scale = rest // _DIGIT, scale * _DIGIT
    return target - 1




def targets_to_matrix(targets: np.ndarray, out_size: int) -> sp.csr_array:
    """Bool CSR (out_size, len(targets)): output element targets[k] depends on input k
    (none where targets[k] < 0)."""
    keep = targets >= 0
    return targets_to_matrix_pairs(targets[keep], np.nonzero(keep)[0], out_size, len(targets))


def reduction_targets(in_shape, axes) -> np.ndarray:
    """Output element (row-major over the kept axes) of every input element."""
    kept = [d for d in range(len(in_shape)) if d not in axes]
    if not kept:                                   # one output (0-d operands included)
        return np.zeros(size_of(in_shape), np.int64)
    coords = np.indices(in_shape).reshape(len(in_shape), -1)
    kept_shape = tuple(in_shape[d] for d in kept)
    return np.ravel_multi_index(tuple(coords[d] for d in kept), kept_shape).astype(np.int64)


def cumulative_matrix(shape, axis: int, reverse: bool) -> sp.csr_array:
    """Bool CSR (size, size): element i of a cumulative op along ``axis`` depends on j."""
    length = shape[axis]
    ids = np.arange(size_of(shape)).reshape(shape)
    ids = np.moveaxis(ids, axis, -1).reshape(-1, length)            # (lines, length)
    i, j = np.tril_indices(length) if not reverse else np.triu_indices(length)
    rows = ids[:, i].ravel()
    cols = ids[:, j].ravel()
    n = size_of(shape)
    return sp.csr_array((np.ones(len(rows), bool), (rows, cols)), shape=(n, n))


def dot_general_triples(lhs_shape, rhs_shape, dimension_numbers):
    """Triples (out, lhs, rhs) of element ids with out += lhs * rhs in ``dot_general``.

    Returns three int64 arrays of equal length and the output size.
    """
    (lc, rc), (lb, rb) = dimension_numbers
    lf = [d for d in range(len(lhs_shape)) if d not in lc and d not in lb]
    rf = [d for d in range(len(rhs_shape)) if d not in rc and d not in rb]
    batch = size_of([lhs_shape[d] for d in lb])
    contract = size_of([lhs_shape[d] for d in lc])
    nl, nr = size_of([lhs_shape[d] for d in lf]), size_of([rhs_shape[d] for d in rf])
    lhs_ids = np.arange(size_of(lhs_shape)).reshape(lhs_shape)
    rhs_ids = np.arange(size_of(rhs_shape)).reshape(rhs_shape)
    lhs_ids = np.transpose(lhs_ids, list(lb) + lf + list(lc)).reshape(batch, nl, 1, contract)
    rhs_ids = np.transpose(rhs_ids, list(rb) + rf + list(rc)).reshape(batch, 1, nr, contract)
    out_ids = np.arange(batch * nl * nr).reshape(batch, nl, nr, 1)
    full = (batch, nl, nr, contract)
    out_t = np.broadcast_to(out_ids, full).ravel()
    lhs_t = np.broadcast_to(lhs_ids, full).ravel()
    rhs_t = np.broadcast_to(rhs_ids, full).ravel()
    return out_t, lhs_t, rhs_t, batch * nl * nr


def targets_to_matrix_pairs(out_ids, in_ids, out_size: int, in_size: int) -> sp.csr_array:
    """Bool CSR (out_size, in_size) with entries (out_ids[k], in_ids[k])."""
    return sp.csr_array((np.ones(len(out_ids), bool), (out_ids, in_ids)), shape=(out_size, in_size))


def conv_triples(eqn, lhs_shape, rhs_shape, out_shape, rhs_constant=None):
    """Triples (out, lhs, rhs) of element ids of ``conv_general_dilated``, or None.

    For each (input feature, kernel position) the convolution is evaluated once on an
    array of lhs ids with a kernel that is one at that position for every output feature,
    so each output element receives exactly the id of the lhs element it multiplies (with
    feature or batch groups too: an output feature reads one group of lhs features or
    batch elements).
    Kernel positions where ``rhs_constant`` (the kernel when it is a constant) is zero for
    every feature are skipped.  None when ids would not be exact.
    """
    params = eqn.params
    if size_of(lhs_shape) + 1 >= _FLOAT32_EXACT:
        return None
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    conv_params = {k: v for k, v in params.items() if k not in ("preferred_element_type",)}
    conv_params["preferred_element_type"] = None
    lhs_ids = jnp.asarray(np.arange(1, size_of(lhs_shape) + 1).reshape(lhs_shape), jnp.float32)
    out_feature = np.indices(out_shape)[out_spec[1]].ravel()
    kernel_dims = [d for d in range(len(rhs_shape)) if d != rhs_spec[0]]
    rhs_nonzero = None if rhs_constant is None else np.asarray(rhs_constant) != 0
    outs, lhss, rhss = [], [], []
    for position in np.ndindex(*[rhs_shape[d] for d in kernel_dims]):
        index = [slice(None)] * len(rhs_shape)
        for d, i in zip(kernel_dims, position):
            index[d] = i
        if rhs_nonzero is not None and not rhs_nonzero[tuple(index)].any():
            continue
        kernel = np.zeros(rhs_shape, np.float32)
        kernel[tuple(index)] = 1.0
        with jax.ensure_compile_time_eval():
            hit = eqn.primitive.bind(lhs_ids, jnp.asarray(kernel), **conv_params)
        lhs_t = np.asarray(hit).ravel().astype(np.int64) - 1
        coords = [None] * len(rhs_shape)
        coords[rhs_spec[0]] = out_feature
        for d, i in zip(kernel_dims, position):
            coords[d] = np.full(len(lhs_t), i)
        rhs_t = np.ravel_multi_index(tuple(coords), rhs_shape)
        keep = lhs_t >= 0
        outs.append(np.nonzero(keep)[0])
        lhss.append(lhs_t[keep])
        rhss.append(rhs_t[keep])
    out_t = np.concatenate(outs) if outs else np.zeros(0, np.int64)
    lhs_t = np.concatenate(lhss) if lhss else np.zeros(0, np.int64)
    rhs_t = np.concatenate(rhss) if rhss else np.zeros(0, np.int64)
    return out_t, lhs_t, rhs_t


def line_groups(shape, axis: int) -> np.ndarray:
    """Id of the line along ``axis`` that each element (row-major) belongs to."""
    coords = np.indices(shape).reshape(len(shape), -1)
    other = [d for d in range(len(shape)) if d != axis]
    if not other:
        return np.zeros(size_of(shape), np.int64)
    return np.ravel_multi_index(tuple(coords[d] for d in other),
                                tuple(shape[d] for d in other)).astype(np.int64)


def same_group_matrix(out_groups, in_groups) -> sp.csr_array:
    """Bool CSR (len(out_groups), len(in_groups)): out i depends on in j iff same group."""
    ngroups = int(max(out_groups.max(initial=-1), in_groups.max(initial=-1))) + 1
    out_member = sp.csr_array((np.ones(len(out_groups), bool), (np.arange(len(out_groups)), out_groups)),
                              shape=(len(out_groups), ngroups))
    in_member = sp.csr_array((np.ones(len(in_groups), bool), (in_groups, np.arange(len(in_groups)))),
                             shape=(ngroups, len(in_groups)))
    return sp.csr_array(out_member @ in_member)
