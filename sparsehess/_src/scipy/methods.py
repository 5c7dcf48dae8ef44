"""SciPy method policy: which derivatives each ``scipy.optimize.minimize`` method is given,
which methods keep dense matrices, and the one dense-memory check."""

from ...errors import DenseHessianError

# What each scipy.optimize.minimize method is given (lower-case names).
SPARSE_HESS_METHODS = ("trust-constr", "newton-cg")
HESSP_METHODS = ("trust-ncg", "trust-krylov")
DENSE_HESS_METHODS = ("trust-exact", "dogleg")
DERIVATIVE_FREE_METHODS = ("nelder-mead", "powell", "cobyla", "cobyqa")

# Methods that keep dense n x n float64 matrices, and what they keep them for.
DENSE_STORAGE = {
    "trust-exact": "the dense Hessian and its Cholesky factorizations",
    "dogleg": "the dense Hessian and its inverse",
    "bfgs": "the dense inverse-Hessian approximation",
    "slsqp": "the dense BFGS matrix of its quadratic subproblems",
}

#: Default cap on one dense n x n float64 matrix (256 MiB, n ~ 5800).  Past it the
#: O(n^2) memory and O(n^3) factorizations of dense-only methods are unreasonable.
DEFAULT_MAX_DENSE_BYTES = 256 * 2**20


def method_key(method):
    """The lower-case name of ``method`` (None means "trust-constr"); None for a callable."""
    if method is None:
        return "trust-constr"
    return method.lower() if isinstance(method, str) else None   # None: a custom callable


def method_derivatives(method) -> tuple:
    """Which callables :func:`minimize` hands to ``scipy.optimize.minimize`` for ``method``.

    >>> method_derivatives("trust-ncg")
    ('fun', 'jac', 'hessp')
    """
    key = method_key(method)
    if key in SPARSE_HESS_METHODS or key is None:
        return ("fun", "jac", "hess")
    if key in HESSP_METHODS:
        return ("fun", "jac", "hessp")
    if key in DENSE_HESS_METHODS:
        return ("fun", "jac", "hess (dense)")
    if key in DERIVATIVE_FREE_METHODS:
        return ("fun",)
    return ("fun", "jac")


def format_bytes(nbytes: float) -> str:
    """``nbytes`` in the largest binary unit it reaches ("1.5 GiB")."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{int(nbytes)} B"


def require_dense_fits(shape, max_dense_bytes, explain):
    """Raise :class:`DenseHessianError` if one dense float64 matrix of ``shape`` needs more
    than ``max_dense_bytes`` (None: no limit).  ``explain(need, limit)`` words the error from
    the two sizes, formatted."""
    if max_dense_bytes is None:
        return
    rows, cols = shape
    need = 8.0 * rows * cols
    if need > max_dense_bytes:
        raise DenseHessianError(explain(format_bytes(need), format_bytes(max_dense_bytes)))


def check_dense_memory(method, n, max_dense_bytes=DEFAULT_MAX_DENSE_BYTES, what=None):
    """Raise :class:`DenseHessianError` if ``method`` would keep n x n float64 matrices of
    more than ``max_dense_bytes`` each.  ``None`` disables the check."""
    key = method_key(method)
    if key not in DENSE_STORAGE and what is None:
        return
    what = what or DENSE_STORAGE[key]
    require_dense_fits((n, n), max_dense_bytes, lambda need, limit: (
        f"method={method!r} keeps {what}: dense {n} x {n} float64 matrices of "
        f"{need} each (and O(n^3) work per factorization), above "
        f"max_dense_bytes={limit}. Use method='trust-constr' or "
        f"'Newton-CG' (sparse Hessian), 'trust-ncg' or 'trust-krylov' (Hessian-vector "
        f"products) or 'L-BFGS-B' (gradient only); or pass max_dense_bytes=None to try anyway."))

