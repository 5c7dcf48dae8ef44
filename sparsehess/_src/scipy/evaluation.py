"""What every SciPy-facing object shares: the flat float64 view of a JAX function of x
(shape, working dtype, x64 context) and the SciPy forms of sparse results."""

import collections
import contextlib

import jax
import numpy as np
import scipy.sparse as _sp

from .. import dtypes
from ...errors import InternalError


def compute_dtype(x0, dtype):
    """The JAX working dtype: ``dtype`` if given, else x0's float dtype (float64 for
    integers)."""
    if dtype is not None:
        dtype = np.dtype(dtype)
    else:
        x0_dtype = np.asarray(x0).dtype
        dtype = x0_dtype if np.issubdtype(x0_dtype, np.floating) else np.dtype(np.float64)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"dtype must be a floating-point type, got {dtype}")
    return dtype


def args_equal(a, b) -> bool:
    """Whether two argument pytrees hold the same structure and values."""
    if a is b:
        return True
    la, ta = jax.tree_util.tree_flatten(a)
    lb, tb = jax.tree_util.tree_flatten(b)
    if ta != tb:
        return False
    for u, v in zip(la, lb):
        if u is v:
            continue
        try:
            if not np.array_equal(dtypes.host_data(u), dtypes.host_data(v)):
                return False
        except Exception:   # noqa: BLE001 - non-array leaves that do not compare
            return False
    return True


class Evaluator:
    """Flat-vector view of a JAX function of x shaped like x0 (plus extra args).

    Handles shapes, dtype (x64 context) and conversion of results to float64 numpy.
    """

    def __init__(self, x0, args, dtype):
        x0 = np.asarray(x0)
        if x0.size == 0:
            raise ValueError("x0 is empty")
        self.shape = x0.shape
        self.n = int(x0.size)
        self.dtype = compute_dtype(x0, dtype)
        self.args = tuple(args)
        self.x0 = np.asarray(x0, np.float64).reshape(-1)
        self.counts = collections.Counter()

    def context(self):
        """float64 work needs x64 enabled; do it as a context, not a global flag."""
        if self.dtype.itemsize >= 8:
            return jax.enable_x64(True)
        return contextlib.nullcontext()

    def point(self, x):
        """x as the flat working-dtype vector the compiled functions take."""
        x = np.asarray(x)
        if x.size != self.n:
            raise ValueError(f"x has {x.size} entries, expected {self.n} (x0.shape={self.shape})")
        return np.asarray(x.reshape(-1), self.dtype)

    def call_args(self, args):
        """The extra arguments of one call: ``args`` if given, else those of construction."""
        return self.args if not args else tuple(args)

    @staticmethod
    def out(value):
        """A JAX result as float64 numpy (what SciPy gets)."""
        return np.asarray(value, dtype=np.float64)


def csr(values, pattern):
    """csr_array with the fixed structure of ``pattern`` and float64 ``values``."""
    return _sp.csr_array((np.asarray(values, np.float64), pattern.indices.copy(),
                          pattern.indptr.copy()), shape=pattern.shape)


def coo(values, plan):
    """coo_array with ``plan``'s fixed coordinates (CSR order) and float64 ``values``: the
    form ``cyipopt.minimize_ipopt`` takes sparse derivatives in."""
    return _sp.coo_array((np.asarray(values, np.float64), (plan.rows.copy(), plan.cols.copy())),
                         shape=plan.pattern.shape)


def triangle_mask(rows, cols, triangle):
    """Boolean mask of the entries in ``triangle`` (None: all, returned as None)."""
    if triangle is None:
        return None
    if triangle == "lower":
        return rows >= cols
    if triangle == "upper":
        return rows <= cols
    raise ValueError(f"triangle={triangle!r} is not one of None, 'lower', 'upper'")


def structure(plan, triangle=None):
    """(rows, cols) of ``plan``'s stored entries, optionally one ``triangle``; copies."""
    mask = triangle_mask(plan.rows, plan.cols, triangle)
    if mask is None:
        return plan.rows.copy(), plan.cols.copy()
    return plan.rows[mask], plan.cols[mask]


def check_structure(plan):
    """The plan's (rows, cols) must be the CSR storage order of its pattern (we reuse it)."""
    pattern = plan.pattern
    rows = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    if not (np.array_equal(rows, plan.rows) and np.array_equal(pattern.indices, plan.cols)):
        raise InternalError("sparsehess plan coordinates are not in the CSR order of its pattern")
    return plan
