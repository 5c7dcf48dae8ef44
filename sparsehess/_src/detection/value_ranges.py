"""Possible values of integer and bool arrays that detection cannot compute.

Index arithmetic on values that depend on the inputs (``argmax(x) // 2``, ``(x[0] > 0) + 3``,
a ``cond`` returning 1 or 2) leaves an index unknown, but its possible values are often
few.  An integer or bool Value may carry a ``Range`` of them, per element: a small set
(``choices``, (K, *shape): element e is one of choices[:, e]; elements vary independently)
or inclusive bounds ``lo``, ``hi`` (float64 arrays within the dtype's limits; results of
interval arithmetic beyond them may wrap around and become the whole dtype).  A range with a
``root`` is one of a family of correlated values: the value is choices[k] as a whole for
the same k as every range of that root (all functions of one unknown scalar, e.g. ``i``,
``i // 2`` and ``i % 2`` for ``i = argmax(x)``), so combining them pairs their slots.  Ranges come from
comparisons (bool), ``argmax`` / ``argmin`` and ``cond`` outputs, and propagate through
elementwise arithmetic, comparisons, selections and data movement.  Index primitives try
every index the range allows (``index_candidates``) and take the union of their maps.  A
range with a single value per element makes the Value known.
"""

import itertools

import numpy as np

from .index_maps import bind, gather_like

# Distinct values per element kept as a set; beyond this, bounds.  Scalars (loop
# counters, argmax) keep more: their functions stay correlated (see ``root``).
MAX_CHOICES = 16
MAX_SCALAR_CHOICES = 256
# Operand combinations evaluated for one elementwise equation.
MAX_COMBINATIONS = 256
# Index arrays an index primitive tries for operands with ranges.
MAX_CANDIDATES = 256

ELEMENTWISE = frozenset({
    "add", "sub", "mul", "div", "rem", "max", "min", "neg", "abs", "sign", "clamp",
    "select_n", "convert_element_type", "eq", "ne", "lt", "le", "gt", "ge", "and", "or",
    "not", "xor", "integer_pow", "shift_left", "shift_right_logical",
    "shift_right_arithmetic", "copy", "copy_p",
})


def _is_integral(dtype):
    return dtype == np.bool_ or (isinstance(dtype, np.dtype) and np.issubdtype(dtype, np.integer))


class Range:
    """Possible values of an (integer or bool) array of ``shape``; see the module docstring."""

    __slots__ = ("dtype", "choices", "lo", "hi", "root")

    def __init__(self, dtype, choices=None, lo=None, hi=None, root=None):
        self.dtype = np.dtype(dtype)
        self.choices = choices
        self.root = root
        if choices is not None:
            lo, hi = choices.min(axis=0).astype(np.float64), choices.max(axis=0).astype(np.float64)
        self.lo, self.hi = lo, hi

    @classmethod
    def of_values(cls, values, dtype, root=None):
        """The range of arrays ``values`` (R, *shape): each element's distinct values, or
        with a ``root``, slot k being the value for that root's k-th choice."""
        values = np.asarray(values).astype(dtype)
        limit = MAX_SCALAR_CHOICES if values[0].size == 1 else MAX_CHOICES
        if root is not None and len(values) <= limit:
            if (values == values[:1]).all():
                return cls(dtype, choices=values[:1])
            return cls(dtype, choices=values, root=root)
        ordered = np.sort(values.reshape(len(values), -1), axis=0)
        new = np.ones(ordered.shape, bool)
        new[1:] = ordered[1:] != ordered[:-1]
        rank = np.cumsum(new, axis=0) - 1
        count = int(rank[-1].max(initial=0)) + 1
        if count > limit:
            return cls(dtype, lo=ordered[0].reshape(values.shape[1:]).astype(np.float64),
                       hi=ordered[-1].reshape(values.shape[1:]).astype(np.float64))
        # Slot k of an element holds its k-th distinct value, its largest one past the last.
        choices = np.repeat(ordered[-1:], count, axis=0)
        cols = np.broadcast_to(np.arange(ordered.shape[1]), ordered.shape)
        choices[rank[new], cols[new]] = ordered[new]
        choices = choices.reshape((count,) + values.shape[1:])
        # A scalar's choices are trivially the whole value's: it roots a family.
        return cls(dtype, choices=choices, root=object() if choices[0].size == 1 else None)

    @classmethod
    def of_bounds(cls, lo, hi, dtype):
        """The range lo .. hi (inclusive, float64 arrays); the whole dtype where they
        leave it."""
        info = np.iinfo(dtype) if np.dtype(dtype) != np.bool_ else None
        lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
        low, high = (0, 1) if info is None else (info.min, info.max)
        # Beyond the dtype (an operation that may wrap around, or unbounded): any value.
        wraps = (lo < low) | (hi > high) | np.isnan(lo) | np.isnan(hi)
        lo, hi = np.where(wraps, float(low), lo), np.where(wraps, float(high), hi)
        width = hi - lo
        limit = MAX_SCALAR_CHOICES if lo.size == 1 else MAX_CHOICES
        if np.all(np.isfinite(width)) and width.max(initial=0) < limit:
            steps = np.arange(int(width.max(initial=0)) + 1).reshape((-1,) + (1,) * lo.ndim)
            return cls.of_values(np.minimum(lo + steps, hi), dtype)
        return cls(dtype, lo=lo, hi=hi)

    @property
    def shape(self):
        return self.lo.shape

    def single(self):
        """The value when every element has one possible value, else None."""
        if self.choices is not None and len(self.choices) == 1:
            return self.choices[0]
        return None

    def key(self):
        """Hashable summary of the possible values (for caches)."""
        parts = (self.choices,) if self.choices is not None else (self.lo, self.hi)
        return tuple(p.tobytes() for p in parts) + (str(self.dtype), self.shape)


def cache_key(ranges):
    """Hashable summary of a list of ranges (None entries allowed): their values and which
    of them share a root (rules pair the slots of those)."""
    first = {}
    out = []
    for p, r in enumerate(ranges):
        if r is None:
            out.append(None)
            continue
        group = None if r.root is None else first.setdefault(id(r.root), p)
        out.append((r.key(), group))
    return tuple(out)


def of(value):
    """The Range of an integer or bool Value: its known value, the range it carries, or
    else its dtype's; None for other Values.  (Local-mode points are not ranges: they
    hold at one point only.)"""
    known = value.known
    if known is not None and _plain(getattr(known, "dtype", None)) and _is_integral(known.dtype):
        known = np.asarray(known)
        return Range(known.dtype, choices=known[None])
    if value.range is not None or not _plain(value.dtype) or not _is_integral(value.dtype):
        return value.range
    return Range.of_bounds(np.full(value.shape, -np.inf), np.full(value.shape, np.inf),
                           value.dtype)


def union(ranges, dtype):
    """Range of a value that may be any of ``ranges`` (None if one of them is None)."""
    if any(r is None for r in ranges):
        return None
    if all(r.choices is not None for r in ranges):
        return Range.of_values(np.concatenate([r.choices for r in ranges]), dtype)
    return Range.of_bounds(np.min([r.lo for r in ranges], axis=0),
                           np.max([r.hi for r in ranges], axis=0), dtype)


# ---------------------------------------------------------------- propagation

def propagate(eqn, ins, outs, data_positions):
    """Set ``range`` (and ``known`` when single-valued) on the integer / bool ``outs`` of
    ``eqn`` from its operands' ranges.  ``data_positions``: the operands a data-movement
    primitive copies (None for other primitives)."""
    avals = [v.aval for v in eqn.outvars]
    if not any(_is_integral(np.dtype(a.dtype)) for a in avals if _plain(a.dtype)):
        return
    try:
        result = _output_ranges(eqn, ins, data_positions, avals)
    except Exception:  # noqa: BLE001 - a range we cannot compute just stays unknown
        return
    for out, aval, r in zip(outs, avals, result):
        if r is None and _plain(aval.dtype) and np.dtype(aval.dtype) == np.bool_:
            r = Range.of_values(np.array([False, True]).reshape((2,) + (1,) * len(aval.shape))
                                * np.ones(aval.shape, bool), np.bool_)
        if r is not None and out.known is None and out.point is None:
            single = r.single()
            if single is not None:
                out.known = np.asarray(single)
            else:
                out.range = r


def _output_ranges(eqn, ins, data_positions, avals):
    """Range (or None) of each output of ``eqn``; see ``propagate``."""
    name = eqn.primitive.name
    ranges = [of(v) for v in ins]
    if name in ELEMENTWISE:
        result = [_elementwise(eqn, ranges, avals[0])]
    elif data_positions is not None:
        result = _movement(eqn, ins, ranges, data_positions, avals)
    elif name in ("argmax", "argmin"):
        axis = eqn.params["axes"][0]
        length = ins[0].shape[axis]
        result = [Range.of_bounds(np.zeros(avals[0].shape), np.full(avals[0].shape, length - 1),
                                  avals[0].dtype)]
    elif name in ("reduce_max", "reduce_min", "reduce_sum") and ranges[0] is not None:
        result = [_reduction(name, ranges[0], eqn.params["axes"], avals[0].dtype)]
    else:
        result = [None] * len(avals)
    return result


def _plain(dtype):
    """Whether numpy can hold ``dtype`` (not a PRNG key, not missing)."""
    if dtype is None:
        return False
    try:
        np.dtype(dtype)
    except TypeError:
        return False
    return True


def _elementwise(eqn, ranges, aval):
    """Range of an elementwise equation's output: every combination of the operands'
    choices evaluated at once, else interval arithmetic."""
    if any(r is None for r in ranges):
        return None
    shape = tuple(aval.shape)
    if all(r.choices is not None for r in ranges):
        # Operands of one root share a slot; the others vary independently.
        groups = {}
        for p, r in enumerate(ranges):
            if len(r.choices) > 1:
                groups.setdefault(id(r.root) if r.root is not None else ("own", p), []).append(p)
        factors = list(groups.values())
        counts = [len(ranges[ps[0]].choices) for ps in factors]
        if np.prod(counts) <= MAX_COMBINATIONS:
            slot = np.zeros((int(np.prod(counts)), len(ranges)), np.int64)
            for row, combo in enumerate(itertools.product(*[range(k) for k in counts])):
                for ps, k in zip(factors, combo):
                    slot[row, ps] = k
            args = [np.stack([np.broadcast_to(r.choices[k], shape) for k in slot[:, p]])
                    for p, r in enumerate(ranges)]
            (values,) = bind(eqn, args)
            root = ranges[factors[0][0]].root if len(factors) == 1 else None
            return Range.of_values(np.asarray(values), aval.dtype, root)
    rule = _INTERVAL.get(eqn.primitive.name)
    if rule is None:
        return None
    bounds = [(np.broadcast_to(r.lo, shape), np.broadcast_to(r.hi, shape)) for r in ranges]
    lo, hi = rule(eqn, *bounds)
    return Range.of_bounds(lo, hi, aval.dtype)


def _products(a, b):
    with np.errstate(invalid="ignore"):
        prods = np.nan_to_num(np.stack([a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]),
                              nan=0.0, posinf=np.inf, neginf=-np.inf)
    return prods.min(axis=0), prods.max(axis=0)


def _quotients(eqn, a, b):
    """Integer division (rounding toward zero) when the divisor's sign is fixed."""
    if not (np.all(b[0] > 0) or np.all(b[1] < 0)):
        return np.full(a[0].shape, -np.inf), np.full(a[0].shape, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.trunc(np.nan_to_num(np.stack([a[i] / b[j] for i in (0, 1) for j in (0, 1)]),
                                   nan=0.0, posinf=np.inf, neginf=-np.inf))
    return q.min(axis=0), q.max(axis=0)


def _remainders(eqn, a, b):
    """rem(a, b): the sign of a, magnitude below |b|."""
    bound = np.maximum(np.abs(b[0]), np.abs(b[1])) - 1
    lo = np.where(a[0] >= 0, 0, np.maximum(a[0], -bound))
    hi = np.where(a[1] <= 0, 0, np.minimum(a[1], bound))
    return lo, hi


def _compare(test):
    """Interval rule of a comparison: ``test(a, b)`` gives (surely true, surely false)."""
    def rule(eqn, a, b):
        true, false = test(a, b)
        return np.where(true, 1.0, 0.0), np.where(false, 0.0, 1.0)
    return rule


def _select(eqn, which, *cases):
    lo = np.full(which[0].shape, np.inf)
    hi = np.full(which[0].shape, -np.inf)
    for k, (c_lo, c_hi) in enumerate(cases):
        possible = (which[0] <= k) & (which[1] >= k)
        lo, hi = np.where(possible, np.minimum(lo, c_lo), lo), np.where(possible, np.maximum(hi, c_hi), hi)
    return lo, hi


_INTERVAL = {
    "add": lambda eqn, a, b: (a[0] + b[0], a[1] + b[1]),
    "sub": lambda eqn, a, b: (a[0] - b[1], a[1] - b[0]),
    "neg": lambda eqn, a: (-a[1], -a[0]),
    "sign": lambda eqn, a: (np.sign(a[0]), np.sign(a[1])),
    "mul": lambda eqn, a, b: _products(a, b),
    "div": _quotients,
    "rem": _remainders,
    "max": lambda eqn, a, b: (np.maximum(a[0], b[0]), np.maximum(a[1], b[1])),
    "min": lambda eqn, a, b: (np.minimum(a[0], b[0]), np.minimum(a[1], b[1])),
    "clamp": lambda eqn, lo, x, hi: (np.minimum(np.maximum(x[0], lo[0]), hi[0]),
                                     np.minimum(np.maximum(x[1], lo[1]), hi[1])),
    "convert_element_type": lambda eqn, a: a,
    "copy": lambda eqn, a: a,
    "copy_p": lambda eqn, a: a,
    "select_n": _select,
    "lt": _compare(lambda a, b: (a[1] < b[0], a[0] >= b[1])),
    "le": _compare(lambda a, b: (a[1] <= b[0], a[0] > b[1])),
    "gt": _compare(lambda a, b: (a[0] > b[1], a[1] <= b[0])),
    "ge": _compare(lambda a, b: (a[0] >= b[1], a[1] < b[0])),
    "eq": _compare(lambda a, b: ((a[0] == a[1]) & (b[0] == b[1]) & (a[0] == b[0]),
                                 (a[1] < b[0]) | (b[1] < a[0]))),
    "ne": _compare(lambda a, b: ((a[1] < b[0]) | (b[1] < a[0]),
                                 (a[0] == a[1]) & (b[0] == b[1]) & (a[0] == b[0]))),
}


def _reduction(name, r, axes, dtype):
    axes = tuple(axes)
    if name == "reduce_sum":
        return Range.of_bounds(r.lo.sum(axis=axes), r.hi.sum(axis=axes), dtype)
    reduce = np.max if name == "reduce_max" else np.min
    return Range.of_bounds(reduce(r.lo, axis=axes), reduce(r.hi, axis=axes), dtype)


def _movement(eqn, ins, ranges, data_positions, avals):
    """Ranges of a data-movement equation's outputs: each output element takes the range of
    the operand element it copies, for every index the index operands' ranges allow."""
    in_shapes = [v.shape for v in ins]
    positions = set(range(len(ins))) if data_positions == (None,) else set(data_positions)
    candidates = index_candidates(eqn.primitive.name, [v.known for v in ins], ranges, positions)
    if candidates is None:
        return [None] * len(avals)
    per_output = [[] for _ in avals]
    for values in candidates:
        maps = gather_like(eqn, in_shapes, values, positions)
        if maps is None:
            return [None] * len(avals)
        for o, aval in enumerate(avals):
            per_output[o].append(_copied(maps, o, ranges, aval))
    results = []
    for rs, aval in zip(per_output, avals):
        integral = _plain(aval.dtype) and _is_integral(np.dtype(aval.dtype))
        results.append((rs[0] if len(rs) == 1 else union(rs, aval.dtype)) if integral else None)
    return results


def _copied(maps, o, ranges, aval):
    """Range of output ``o`` given its index maps {(o, p): idx}: copies of one root's
    values keep it."""
    shape = tuple(aval.shape)
    size = int(np.prod(shape))
    sources = [(p, idx) for (out, p), idx in maps.items() if out == o]
    if any(ranges[p] is None for p, _ in sources):
        return None
    covered = np.zeros(size, bool)
    for _, idx in sources:
        covered |= idx >= 0
    if not covered.all():
        return None                             # filled elements: values not tracked
    if all(ranges[p].choices is not None for p, _ in sources):
        count = max(len(ranges[p].choices) for p, _ in sources)
        varying = [ranges[p] for p, _ in sources if len(ranges[p].choices) > 1]
        shared = varying and all(r.root is not None and r.root is varying[0].root
                                 for r in varying)
        root = varying[0].root if shared else None
        values = np.zeros((count, size), np.dtype(aval.dtype))
        for p, idx in sources:
            choices = ranges[p].choices.reshape(len(ranges[p].choices), -1)
            hit = idx >= 0
            for k in range(count):
                values[k, hit] = choices[min(k, len(choices) - 1), idx[hit]]
        return Range.of_values(values.reshape((count,) + shape), aval.dtype, root)
    lo, hi = np.zeros(size), np.zeros(size)
    for p, idx in sources:
        hit = idx >= 0
        lo[hit], hi[hit] = ranges[p].lo.ravel()[idx[hit]], ranges[p].hi.ravel()[idx[hit]]
    return Range.of_bounds(lo.reshape(shape), hi.reshape(shape), aval.dtype)


# ---------------------------------------------------------------- index enumeration

def index_candidates(name, values, ranges, data_positions):
    """Lists of operand values, one per index combination to try, with every index operand
    (outside ``data_positions``) concrete; None when one has neither a value nor a small
    range.  An index operand that is an array of index vectors (gather, scatter: the last
    axis) varies each vector component over its choices independently, so every
    combination of per-element values appears at every position."""
    groups = {}   # varying together -> [(operand position, component or None, choices)]
    for p, value in enumerate(values):
        if p in data_positions or value is not None:
            continue
        r = ranges[p]
        if r is None or r.choices is None:
            return None
        if r.root is not None:
            groups.setdefault(id(r.root), []).append((p, None, r.choices))
        elif r.choices.ndim == 1 or name in ("dynamic_slice", "dynamic_update_slice"):
            groups[("own", p)] = [(p, None, r.choices)]
        else:
            for c in range(r.choices.shape[-1]):
                groups[("own", p, c)] = [(p, c, r.choices)]
    if not groups:
        return [values]
    counts = [len(entries[0][2]) for entries in groups.values()]
    if np.prod(counts) > MAX_CANDIDATES:
        return None
    out = []
    for combo in itertools.product(*[range(k) for k in counts]):
        current = list(values)
        for entries, k in zip(groups.values(), combo):
            for p, c, choices in entries:
                if c is None:
                    current[p] = choices[k]
                else:
                    if current[p] is None:
                        current[p] = choices[0].copy()
                    current[p][..., c] = choices[k][..., c]
        out.append(current)
    return out
