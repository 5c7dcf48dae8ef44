"""SciPy optimizers with sparse JAX derivatives.

SciPy's methods disagree on the form of second derivatives they accept: ``trust-constr``
and ``Newton-CG`` take a sparse ``hess``; ``trust-ncg`` and ``trust-krylov`` only work with
``hessp`` (given a sparse matrix they build an object array); ``trust-exact`` and ``dogleg``
need a dense Hessian; ``NonlinearConstraint`` defaults to a dense BFGS approximation.  This
module supplies each method the form it accepts.

    minimize(f, x0, args=(), method="trust-constr", jac=None, hess=None, hessp=None,
             bounds=None, constraints=(), tol=None, callback=None, options=None, **kw)
        drop-in for scipy.optimize.minimize (same positional order); f is a JAX-traceable
        scalar function of x
    Objective(f, x0)
        fun / jac / hess / hessp / hessian_structure() / hessian_values(x) for calling SciPy
        (or cyipopt) yourself; value and gradient are computed once per point; hess_coo
        for cyipopt.minimize_ipopt (constraints: sparsehess.ipopt.constraint_dicts)
    NonlinearConstraint(c, lb, ub, x0, *, args=(), keep_feasible=False)
        scipy.optimize.NonlinearConstraint (fun, lb, ub first, as in SciPy; x0 where SciPy
        has jac, the rest keyword-only) with a sparse csr ``jac`` and a sparse
        ``hess(x, v)`` = Hessian of v . c(x) (one coloring of the union pattern)
    least_squares(r, x0, **kw)
        scipy.optimize.least_squares with a sparse Jacobian and the lsmr trust-region solver

Precision: SciPy works in float64.  When x0 is float64 (or an integer / Python list), all
JAX work runs inside ``jax.enable_x64(True)`` -- a context, so the global flag is untouched.
Pass ``dtype=np.float32`` to evaluate in float32 (results are still returned as float64).

x0 may have any shape: f receives x in that shape, SciPy sees the flattened vector, and
``result.x`` is reshaped back to x0's shape.
"""

import collections
import contextlib
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize as _so
import scipy.sparse as _sp

from . import arguments, dtypes
from .errors import DenseHessianError
from .differentiation import plans as _plans

__all__ = [
    "DenseHessianError",
    "NonlinearConstraint",
    "Objective",
    "Residual",
    "check_dense_memory",
    "least_squares",
    "method_derivatives",
    "minimize",
]

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


def method_derivatives(method) -> tuple:
    """Which callables :func:`minimize` hands to ``scipy.optimize.minimize`` for ``method``.

    >>> method_derivatives("trust-ncg")
    ('fun', 'jac', 'hessp')
    """
    key = _method_key(method)
    if key in SPARSE_HESS_METHODS or key is None:
        return ("fun", "jac", "hess")
    if key in HESSP_METHODS:
        return ("fun", "jac", "hessp")
    if key in DENSE_HESS_METHODS:
        return ("fun", "jac", "hess (dense)")
    if key in DERIVATIVE_FREE_METHODS:
        return ("fun",)
    return ("fun", "jac")


def _method_key(method):
    if method is None:
        return "trust-constr"
    return method.lower() if isinstance(method, str) else None   # None: a custom callable


def _format_bytes(nbytes: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{int(nbytes)} B"


def check_dense_memory(method, n, max_dense_bytes=DEFAULT_MAX_DENSE_BYTES, what=None):
    """Raise :class:`DenseHessianError` if ``method`` would keep n x n float64 matrices of
    more than ``max_dense_bytes`` each.  ``None`` disables the check."""
    key = _method_key(method)
    if max_dense_bytes is None or (key not in DENSE_STORAGE and what is None):
        return
    need = 8.0 * n * n
    if need <= max_dense_bytes:
        return
    what = what or DENSE_STORAGE[key]
    raise DenseHessianError(
        f"method={method!r} keeps {what}: dense {n} x {n} float64 matrices of "
        f"{_format_bytes(need)} each (and O(n^3) work per factorization), above "
        f"max_dense_bytes={_format_bytes(max_dense_bytes)}. Use method='trust-constr' or "
        f"'Newton-CG' (sparse Hessian), 'trust-ncg' or 'trust-krylov' (Hessian-vector "
        f"products) or 'L-BFGS-B' (gradient only); or pass max_dense_bytes=None to try anyway.")


# --------------------------------------------------------------------------------------------
# shared machinery


def _compute_dtype(x0, dtype):
    if dtype is not None:
        dtype = np.dtype(dtype)
    else:
        x0_dtype = np.asarray(x0).dtype
        dtype = x0_dtype if np.issubdtype(x0_dtype, np.floating) else np.dtype(np.float64)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"dtype must be a floating-point type, got {dtype}")
    return dtype


def _args_equal(a, b) -> bool:
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


class _Evaluator:
    """Flat-vector view of a JAX function of x shaped like x0 (plus extra args).

    Handles shapes, dtype (x64 context) and conversion of results to float64 numpy.
    """

    def __init__(self, x0, args, dtype):
        x0 = np.asarray(x0)
        if x0.size == 0:
            raise ValueError("x0 is empty")
        self.shape = x0.shape
        self.n = int(x0.size)
        self.dtype = _compute_dtype(x0, dtype)
        self.args = tuple(args)
        self.x0 = np.asarray(x0, np.float64).reshape(-1)
        self.counts = collections.Counter()

    def _context(self):
        """float64 work needs x64 enabled; do it as a context, not a global flag."""
        if self.dtype.itemsize >= 8:
            return jax.enable_x64(True)
        return contextlib.nullcontext()

    def _point(self, x):
        x = np.asarray(x)
        if x.size != self.n:
            raise ValueError(f"x has {x.size} entries, expected {self.n} (x0.shape={self.shape})")
        return np.asarray(x.reshape(-1), self.dtype)

    def _args(self, args):
        return self.args if not args else tuple(args)

    def _constants(self, leading):
        """``constants`` for plans: no extra argument's value is baked into a pattern."""
        return [False] * len(jax.tree_util.tree_leaves((*leading, *self.args)))

    @staticmethod
    def _out(value):
        return np.asarray(value, dtype=np.float64)


def _csr(values, pattern):
    """csr_array with the fixed structure of ``pattern`` and float64 ``values``."""
    return _sp.csr_array((np.asarray(values, np.float64), pattern.indices.copy(),
                          pattern.indptr.copy()), shape=pattern.shape)


def _coo(values, plan):
    """coo_array with ``plan``'s fixed coordinates (CSR order) and float64 ``values``: the
    form ``cyipopt.minimize_ipopt`` takes sparse derivatives in."""
    return _sp.coo_array((np.asarray(values, np.float64), (plan.rows.copy(), plan.cols.copy())),
                         shape=plan.pattern.shape)


def _triangle_mask(rows, cols, triangle):
    if triangle is None:
        return None
    if triangle == "lower":
        return rows >= cols
    if triangle == "upper":
        return rows <= cols
    raise ValueError(f"triangle={triangle!r} is not one of None, 'lower', 'upper'")


def _check_structure(plan):
    """The plan's (rows, cols) must be the CSR storage order of its pattern (we reuse it)."""
    pattern = plan.pattern
    rows = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    if not (np.array_equal(rows, plan.rows) and np.array_equal(pattern.indices, plan.cols)):
        raise RuntimeError("sparsehess plan coordinates are not in the CSR order of its pattern")


# Compiled functions and plans shared by objects made from the same f, x0 shape, dtype and
# argument signature (a plan is valid for any values of the extra arguments), so that
# calling minimize repeatedly with one f detects, colors and compiles once.
_SHARED = weakref.WeakKeyDictionary()


def _weak(f):
    """f through a weak reference where possible: cache entries must not keep their key
    (f) alive, or every lambda handed to minimize would stay cached forever."""
    try:
        ref = weakref.ref(f)
    except TypeError:
        return lambda: f
    return ref


def _shared(f, shape, dtype, args, build):
    try:
        key = (build.__name__, tuple(shape), dtype.str, arguments.signature(args))
        per_f = _SHARED.setdefault(f, {})
    except TypeError:        # f not weak-referenceable or args not arrays: no sharing
        return build(f, shape)
    entry = per_f.get(key)
    if entry is None:
        entry = per_f[key] = build(f, shape)
    return entry


class _CompiledObjective:
    def __init__(self, f, shape):
        f = _weak(f)     # alive while an Objective holds it

        def flat_f(x, *a):
            out = jnp.asarray(f()(x.reshape(shape), *a))
            if out.size != 1:
                raise ValueError(f"the objective must return a scalar, got shape {out.shape}")
            return out.reshape(())

        def hvp(x, v, *a):
            return jax.jvp(lambda y: jax.grad(flat_f)(y, *a), (x,), (v,))[1]

        self.flat_f = flat_f
        self.value_and_grad = jax.jit(jax.value_and_grad(flat_f))
        self.hvp = jax.jit(hvp)
        self.plans = {}


class _CompiledVector:
    def __init__(self, c, shape):
        c = _weak(c)     # alive while a constraint / residual holds it

        def flat_c(x, *a):
            return jnp.ravel(jnp.asarray(c()(x.reshape(shape), *a)))

        def lagrangian(x, v, *a):
            return jnp.dot(v, flat_c(x, *a))

        self.flat_c = flat_c
        self.lagrangian = lagrangian
        self.value = jax.jit(flat_c)
        self.plans = {}


# --------------------------------------------------------------------------------------------
# objective


class Objective(_Evaluator):
    """A JAX scalar function ``f(x, *args)`` packaged for SciPy optimizers.

    ``fun(x)``, ``jac(x)``: value (float) and gradient (float64 (n,)); both come from one
    ``jax.value_and_grad`` call per point, cached, so ``fun(x); jac(x)`` costs one
    evaluation.  ``hess(x)``: sparse Hessian (``scipy.sparse.csr_array``, the same
    structure at every point).  ``hessp(x, p)``: Hessian-vector product.  ``hess_dense(x)``
    for the dense-only methods.  ``hessian_structure()`` / ``hessian_values(x)``: the
    coordinates (fixed at construction) and the values in that order, optionally one
    triangle -- the form cyipopt's ``hessianstructure`` / ``hessian`` callbacks want.

    Options: ``method`` / ``order``: the Hessian coloring (see :func:`sparsehess.hessian`);
    ``dtype``: the JAX working precision (default x0's float dtype, float64 for
    integers); ``hessp``: how ``hessp`` is computed -- "hvp" (one forward-over-reverse
    product per call), "hessian" (multiply by the sparse Hessian at x, computed once per
    point with ``ncolors`` batched products) or "auto" (products until as many calls
    at one point as the coloring has colors, then the sparse Hessian).

    ``counts`` tallies the JAX evaluations: "value_and_grad", "hessian", "hvp".
    The Hessian plan (sparsity detection, coloring, compilation) is built on the first
    Hessian request; ``plan`` builds it on demand.
    """

    def __init__(self, f, x0, args=(), *, method="auto", order="largest_first", dtype=None,
                 hessp="auto"):
        super().__init__(x0, args, dtype)
        if hessp not in ("auto", "hvp", "hessian"):
            raise ValueError(f"hessp={hessp!r} is not one of 'auto', 'hvp', 'hessian'")
        self.f = f
        self.hessp_mode = hessp
        self._method, self._order = method, order
        self._compiled = _shared(f, self.shape, self.dtype, self.args, _CompiledObjective)
        self._flat_f = self._compiled.flat_f
        self._value_and_grad = self._compiled.value_and_grad
        self._hvp = self._compiled.hvp
        self._plan = None
        self._fg_key = None        # (x copy, args) of the cached value and gradient
        self._fg = None
        self._h_key = None         # (x copy, args) of the cached Hessian values
        self._h_values = None
        self._hessp_key = None     # point of the current run of hessp calls
        self._hessp_calls = 0

    # -- value and gradient ------------------------------------------------------------

    def _same(self, key, x, args):
        return key is not None and _args_equal(key[1], args) and np.array_equal(key[0], x)

    def value_and_grad(self, x, *args):
        """(value float, gradient float64 (n,)) at x; cached for the last point."""
        args = self._args(args)
        x = np.asarray(x)
        if not self._same(self._fg_key, x, args):
            with self._context():
                value, grad = self._value_and_grad(self._point(x), *args)
                value, grad = float(value), self._out(grad)
            self.counts["value_and_grad"] += 1
            self._fg_key, self._fg = (np.array(x, copy=True), args), (value, grad)
        value, grad = self._fg
        return value, grad.copy()

    def fun(self, x, *args):
        """f(x) as a Python float."""
        return self.value_and_grad(x, *args)[0]

    def jac(self, x, *args):
        """Gradient of f at x, float64 (n,)."""
        return self.value_and_grad(x, *args)[1]

    # -- Hessian ------------------------------------------------------------------------

    @property
    def plan(self):
        """The sparse Hessian plan (:class:`sparsehess.differentiation.plans.SparsePlan`)."""
        if self._plan is None:
            key = ("hessian", self._method, self._order)
            plan = self._compiled.plans.get(key)
            if plan is None:
                with self._context():
                    x0 = jnp.asarray(self.x0, self.dtype)
                    plan = _plans.prepare_hessian(
                        self._flat_f, (x0, *self.args), 0, method=self._method,
                        order=self._order, format="scipy", constants=self._constants((x0,)))
                _check_structure(plan)
                self._compiled.plans[key] = plan
            self._plan = plan
        return self._plan

    @property
    def ncolors(self) -> int:
        """Hessian-vector products per sparse Hessian."""
        return self.plan.ncolors

    @property
    def nnz(self) -> int:
        return int(self.plan.pattern.nnz)

    def hessian_structure(self, triangle=None):
        """(rows, cols) int64 of the Hessian's stored entries -- fixed for this object.

        ``triangle``: None (all, CSR order), "lower" (rows >= cols, as cyipopt wants) or
        "upper"; :meth:`hessian_values` with the same ``triangle`` matches entry by entry.
        """
        plan = self.plan
        mask = _triangle_mask(plan.rows, plan.cols, triangle)
        if mask is None:
            return plan.rows.copy(), plan.cols.copy()
        return plan.rows[mask], plan.cols[mask]

    def _all_hessian_values(self, x, args):
        args = self._args(args)
        x = np.asarray(x)
        if not self._same(self._h_key, x, args):
            plan = self.plan
            with self._context():
                values = self._out(plan.values(self._point(x), *args))
            self.counts["hessian"] += 1
            self._h_key, self._h_values = (np.array(x, copy=True), args), values
        return self._h_values

    def hessian_values(self, x, *args, triangle=None):
        """Hessian values at x (float64), in the order of :meth:`hessian_structure`."""
        values = self._all_hessian_values(x, args)
        mask = _triangle_mask(self.plan.rows, self.plan.cols, triangle)
        return values.copy() if mask is None else values[mask]

    def hess(self, x, *args):
        """Sparse Hessian at x: ``scipy.sparse.csr_array`` (n, n), float64."""
        return _csr(self._all_hessian_values(x, args), self.plan.pattern)

    def hess_coo(self, x, *args):
        """Sparse Hessian at x as a ``coo_array`` (for ``cyipopt.minimize_ipopt``)."""
        return _coo(self._all_hessian_values(x, args), self.plan)

    def hess_dense(self, x, *args):
        """Dense Hessian (n, n) ndarray, for methods that need one (trust-exact, dogleg)."""
        return self.hess(x, *args).toarray()

    def hessp(self, x, p, *args):
        """Hessian-vector product H(x) @ p, float64 (n,)."""
        args = self._args(args)
        x = np.asarray(x)
        p = np.asarray(p)
        mode = self.hessp_mode
        if mode == "auto":
            if self._same(self._h_key, x, args):
                mode = "hessian"
            else:
                if self._hessp_key is not None and self._same(self._hessp_key, x, args):
                    self._hessp_calls += 1
                else:
                    self._hessp_key, self._hessp_calls = (np.array(x, copy=True), args), 1
                mode = "hessian" if self._hessp_calls > self._auto_threshold() else "hvp"
        if mode == "hessian":
            return self.hess(x, *args) @ np.asarray(p, np.float64).reshape(-1)
        with self._context():
            out = self._out(self._hvp(self._point(x), self._point(p), *args))
        self.counts["hvp"] += 1
        return out

    def _auto_threshold(self):
        # a sparse Hessian costs ncolors batched products; after that many single products
        # at one point, building it would have been cheaper.  Unknown until a plan exists:
        # build it then (it is reused for the whole run).
        try:
            return self.plan.ncolors
        except Exception as err:   # noqa: BLE001 - detection may not support every f
            warnings.warn(f"sparsehess could not build a sparse Hessian plan ({err}); "
                          f"hessp uses Hessian-vector products only", RuntimeWarning,
                          stacklevel=3)
            self.hessp_mode = "hvp"
            return np.inf


# --------------------------------------------------------------------------------------------
# vector functions: residuals and constraints


class _VectorFunction(_Evaluator):
    """c(x, *args) -> (m,) with a sparse Jacobian plan built at construction."""

    def __init__(self, c, x0, args, *, jac_method, order, dtype):
        super().__init__(x0, args, dtype)
        self.c = c
        self._compiled = _shared(c, self.shape, self.dtype, self.args, _CompiledVector)
        self._flat_c = self._compiled.flat_c
        self._value = self._compiled.value
        with self._context():
            x0 = jnp.asarray(self.x0, self.dtype)
            self.m = int(jax.eval_shape(self._flat_c, x0, *self.args).shape[0])
            self.jac_plan = self._plan(
                "jacobian", _plans.prepare_jacobian, self._flat_c, (x0,), jac_method, order)

    def _plan(self, kind, prepare, fun, leading, method, order):
        key = (kind, method, order)
        plan = self._compiled.plans.get(key)
        if plan is None:
            plan = prepare(fun, (*leading, *self.args), 0, method=method, order=order,
                           format="scipy", constants=self._constants(leading))
            _check_structure(plan)
            self._compiled.plans[key] = plan
        return plan

    def fun(self, x, *args):
        """c(x) as float64 (m,)."""
        with self._context():
            out = self._out(self._value(self._point(x), *self._args(args)))
        self.counts["value"] += 1
        return out

    def jacobian_structure(self):
        """(rows, cols) int64 of the Jacobian's stored entries, fixed for this object."""
        return self.jac_plan.rows.copy(), self.jac_plan.cols.copy()

    def jacobian_values(self, x, *args):
        """Jacobian values at x in the order of :meth:`jacobian_structure`."""
        with self._context():
            out = self._out(self.jac_plan.values(self._point(x), *self._args(args)))
        self.counts["jacobian"] += 1
        return out

    def jac(self, x, *args):
        """Sparse Jacobian (m, n) ``csr_array``, float64."""
        return _csr(self.jacobian_values(x, *args), self.jac_plan.pattern)


class Residual(_VectorFunction):
    """Residual vector r(x, *args) with ``fun`` (float64 (m,)) and sparse ``jac`` (m, n)."""

    def __init__(self, r, x0, args=(), *, jac_method="auto", order="largest_first",
                 dtype=None):
        super().__init__(r, x0, args, jac_method=jac_method, order=order, dtype=dtype)


class NonlinearConstraint(_so.NonlinearConstraint):
    """``lb <= c(x) <= ub`` with sparse exact derivatives, for ``trust-constr``.

    A ``scipy.optimize.NonlinearConstraint`` whose ``jac(x)`` is a sparse (m, n)
    ``csr_array`` and whose ``hess(x, v)`` is the sparse (n, n) Hessian of ``v . c(x)``.
    Both structures are detected and colored once at ``x0`` (the Hessian on the union of
    the constraint Hessians' patterns, valid for every v) and are fixed afterwards:
    ``jacobian_structure()``, ``hessian_structure()``.  ``c`` must be JAX-traceable and
    take x in x0's shape (plus ``args``).

    ``c, lb, ub`` come first, as in SciPy; the fourth argument is ``x0`` (SciPy's ``jac``
    there is computed exactly here), everything after it is keyword-only.  A ``jac`` /
    ``hess`` / finite-difference option, or a fourth argument that is a string or a
    function (SciPy's ``jac``), raises ``TypeError`` saying so.
    """

    def __init__(self, c, lb, ub, x0, *extra, args=(), keep_feasible=False, jac_method="auto",
                 hess_method="auto", order="largest_first", dtype=None, **scipy_only):
        _refuse_scipy_derivatives(x0, extra, scipy_only)
        self.vector = _VectorFunction(c, x0, args, jac_method=jac_method, order=order,
                                      dtype=dtype)
        vec = self.vector
        with vec._context():
            x0j = jnp.asarray(vec.x0, vec.dtype)
            v0 = jnp.zeros(vec.m, vec.dtype)
            self.hess_plan = vec._plan("lagrangian_hessian", _plans.prepare_hessian,
                                       vec._compiled.lagrangian, (x0j, v0), hess_method, order)
        super().__init__(self._fun, lb, ub, jac=self._jac, hess=self._hess,
                         keep_feasible=keep_feasible)

    @property
    def counts(self):
        return self.vector.counts

    @property
    def m(self) -> int:
        return self.vector.m

    @property
    def n(self) -> int:
        return self.vector.n

    def _fun(self, x):
        return self.vector.fun(x)

    def _jac(self, x):
        return self.vector.jac(x)

    def jacobian_structure(self):
        return self.vector.jacobian_structure()

    def jacobian_values(self, x):
        return self.vector.jacobian_values(x)

    def hessian_structure(self, triangle=None):
        """(rows, cols) of the Lagrangian-term Hessian (``triangle``: None/"lower"/"upper")."""
        plan = self.hess_plan
        mask = _triangle_mask(plan.rows, plan.cols, triangle)
        return (plan.rows.copy(), plan.cols.copy()) if mask is None else (plan.rows[mask],
                                                                          plan.cols[mask])

    def hessian_values(self, x, v, triangle=None):
        """Values of the Hessian of ``v . c(x)`` in the order of :meth:`hessian_structure`."""
        vec = self.vector
        v = np.asarray(v, vec.dtype).reshape(-1)
        if v.size != vec.m:
            raise ValueError(f"v has {v.size} entries, the constraint has {vec.m}")
        with vec._context():
            values = vec._out(self.hess_plan.values(vec._point(x), v, *vec.args))
        vec.counts["hessian"] += 1
        mask = _triangle_mask(self.hess_plan.rows, self.hess_plan.cols, triangle)
        return values if mask is None else values[mask]

    def _hess(self, x, v):
        return _csr(self.hessian_values(x, v), self.hess_plan.pattern)

    def jac_coo(self, x):
        """Sparse Jacobian as a ``coo_array`` (for ``cyipopt.minimize_ipopt``)."""
        return _coo(self.jacobian_values(x), self.vector.jac_plan)

    def hess_coo(self, x, v):
        """Hessian of ``v . c(x)`` as a ``coo_array`` (for ``cyipopt.minimize_ipopt``)."""
        return _coo(self.hessian_values(x, v), self.hess_plan)

    def dense(self, max_dense_bytes=DEFAULT_MAX_DENSE_BYTES):
        """A plain ``scipy.optimize.NonlinearConstraint`` with a dense ``jac`` (for SLSQP)."""
        if max_dense_bytes is not None and 8.0 * self.m * self.n > max_dense_bytes:
            raise DenseHessianError(
                f"a dense constraint Jacobian of shape ({self.m}, {self.n}) needs "
                f"{_format_bytes(8.0 * self.m * self.n)}, above max_dense_bytes="
                f"{_format_bytes(max_dense_bytes)}; use method='trust-constr'")
        return _so.NonlinearConstraint(self._fun, self.lb, self.ub,
                                       jac=lambda x: self._jac(x).toarray(),
                                       keep_feasible=self.keep_feasible)


def _refuse_scipy_derivatives(x0, extra, scipy_only):
    """TypeError for SciPy-style ``NonlinearConstraint(fun, lb, ub, jac, hess, ...)`` calls."""
    usage = ("sparsehess.scipy.NonlinearConstraint(c, lb, ub, x0, *, args=(), "
             "keep_feasible=False, jac_method=..., hess_method=..., order=..., dtype=...)")
    if isinstance(x0, str) or callable(x0):
        raise TypeError(f"NonlinearConstraint: the fourth argument is x0, the point where "
                        f"the sparsity is detected, got {x0!r} (SciPy's jac?); the Jacobian "
                        f"and Hessian are computed exactly. Use {usage}")
    if extra:
        raise TypeError(f"NonlinearConstraint takes 4 positional arguments (c, lb, ub, x0), "
                        f"got {4 + len(extra)}; pass the others by keyword: {usage}")
    if scipy_only:
        names = ", ".join(sorted(scipy_only))
        raise TypeError(f"NonlinearConstraint got unexpected keyword argument(s) {names}: "
                        f"jac and hess are computed exactly and finite-difference options do "
                        f"not apply. Use {usage}")


# --------------------------------------------------------------------------------------------
# minimize


def _convert_constraint(con, x0, auto, dtype):
    """A sparsehess NonlinearConstraint for ``con`` when its derivatives would otherwise be
    finite differences / dense BFGS; None to keep ``con`` as it is."""
    if isinstance(con, NonlinearConstraint) or not auto:
        return None
    if isinstance(con, dict):
        kind = con.get("type")
        if "jac" in con or kind not in ("eq", "ineq"):
            return None
        fun, args = con["fun"], tuple(con.get("args", ()))
        lb, ub = 0.0, (0.0 if kind == "eq" else np.inf)
        keep = False
    elif isinstance(con, _so.NonlinearConstraint):
        if callable(con.jac) or not isinstance(con.hess, _so.BFGS) \
                or con.finite_diff_jac_sparsity is not None:
            return None
        fun, args, lb, ub, keep = con.fun, (), con.lb, con.ub, con.keep_feasible
    else:
        return None
    try:
        return NonlinearConstraint(fun, lb, ub, x0, args, keep_feasible=keep, dtype=dtype)
    except Exception as err:   # noqa: BLE001 - not JAX-traceable: leave it to SciPy
        warnings.warn(f"sparsehess could not differentiate a constraint ({type(err).__name__}: "
                      f"{err}); it is left to SciPy's finite differences", RuntimeWarning,
                      stacklevel=4)
        return None


def _prepare_constraints(constraints, key, x0, auto, dtype, max_dense_bytes):
    if isinstance(constraints, (dict, _so.NonlinearConstraint, _so.LinearConstraint)):
        constraints = [constraints]
    out = []
    for con in constraints:
        converted = _convert_constraint(con, x0, auto and key == "trust-constr", dtype)
        if converted is not None:
            con = converted
        if isinstance(con, NonlinearConstraint):
            if key == "slsqp":
                con = con.dense(max_dense_bytes)
            elif key in ("cobyla", "cobyqa"):
                con = _so.NonlinearConstraint(con._fun, con.lb, con.ub,
                                              keep_feasible=con.keep_feasible)
        out.append(con)
    return out


def _flatten_bounds(bounds, shape):
    """Bounds with lb / ub shaped like x0 -> flat (what SciPy wants)."""
    if isinstance(bounds, _so.Bounds):
        lb, ub = np.asarray(bounds.lb), np.asarray(bounds.ub)
        if lb.ndim > 1 or ub.ndim > 1:
            return _so.Bounds(np.broadcast_to(lb, shape).reshape(-1),
                              np.broadcast_to(ub, shape).reshape(-1),
                              keep_feasible=np.broadcast_to(bounds.keep_feasible,
                                                            shape).reshape(-1))
    return bounds


def minimize(f, x0, args=(), method="trust-constr", jac=None, hess=None, hessp=None,
             bounds=None, constraints=(), tol=None, callback=None, options=None, *,
             hess_method="auto", order="largest_first", dtype=None, hessp_mode="auto",
             auto_constraints=True, max_dense_bytes=DEFAULT_MAX_DENSE_BYTES, **kw):
    """``scipy.optimize.minimize`` with exact sparse JAX derivatives of ``f(x, *args)``.

    Positional arguments in SciPy's order (``minimize(f, x0, args, method, jac, hess,
    hessp, bounds, constraints, tol, callback, options)``); the sparsehess options after
    them are keyword-only.  ``args`` must be a tuple: a method name in its place (the
    order of older sparsehess versions) raises ``TypeError`` saying to pass ``method=``.

    Supplies what ``method`` accepts (see :func:`method_derivatives`): a sparse ``hess``
    for "trust-constr" and "Newton-CG"; ``hessp`` for "trust-ncg" and "trust-krylov"; a
    dense ``hess`` for "trust-exact" and "dogleg" (refused with :class:`DenseHessianError`,
    naming the memory, when one n x n matrix exceeds ``max_dense_bytes``; likewise BFGS and
    SLSQP, which keep dense n x n matrices); ``jac`` only for the other gradient methods;
    nothing for derivative-free ones.  ``jac`` / ``hess`` / ``hessp`` given (not None) are
    used instead.  ``method=None`` means "trust-constr".

    Constraints: :class:`NonlinearConstraint` objects are passed as they are to
    trust-constr (a dense-Jacobian copy to SLSQP).  With ``auto_constraints`` (default),
    plain ``scipy.optimize.NonlinearConstraint`` objects left to finite differences and
    BFGS, and ``{"type", "fun"}`` dicts without "jac", are rebuilt with sparse exact
    derivatives for trust-constr (their fun must be JAX-traceable; if not, a warning and
    SciPy's defaults).

    Returns SciPy's ``OptimizeResult`` with ``x`` reshaped like ``x0`` and, added,
    ``evaluations`` (JAX evaluation counts) and ``hessian_ncolors`` (products per sparse
    Hessian, or None if no Hessian was built).
    """
    if isinstance(args, str):
        raise TypeError(f"minimize(f, x0, args, method, ...): the third positional argument is "
                        f"args, as in scipy.optimize.minimize, got the string {args!r}; pass "
                        f"the method by keyword: method={args!r}")
    args = args if isinstance(args, tuple) else (args,)
    key = _method_key(method)
    if method is None:
        method = "trust-constr"
    x0 = np.asarray(x0)
    objective = Objective(f, x0, args, method=hess_method, order=order, dtype=dtype,
                          hessp=hessp_mode)
    n = objective.n
    check_dense_memory(method, n, max_dense_bytes)

    derivatives = {}
    if key not in DERIVATIVE_FREE_METHODS:
        derivatives["jac"] = objective.jac
    if key in SPARSE_HESS_METHODS or key is None:
        derivatives["hess"] = objective.hess
    elif key in HESSP_METHODS:
        derivatives["hessp"] = objective.hessp
    elif key in DENSE_HESS_METHODS:
        derivatives["hess"] = objective.hess_dense
    for name, given in (("jac", jac), ("hess", hess), ("hessp", hessp)):
        if given is not None:
            derivatives[name] = given
    if tol is not None:
        kw["tol"] = tol
    if callback is not None:
        kw["callback"] = callback

    if constraints is None:
        constraints = ()
    constraints = _prepare_constraints(constraints, key, objective.x0, auto_constraints,
                                       dtype, max_dense_bytes)
    if constraints:
        kw["constraints"] = constraints
    if bounds is not None:
        kw["bounds"] = _flatten_bounds(bounds, objective.shape)
    result = _so.minimize(objective.fun, objective.x0, method=method, options=options,
                          **derivatives, **kw)
    result.x = np.asarray(result.x).reshape(objective.shape)
    result["evaluations"] = dict(objective.counts)
    result["hessian_ncolors"] = objective._plan.ncolors if objective._plan is not None \
        else None
    result["objective"] = objective
    return result


# --------------------------------------------------------------------------------------------
# least squares


def least_squares(r, x0, *, args=(), jac_method="auto", order="largest_first", dtype=None,
                  max_dense_bytes=DEFAULT_MAX_DENSE_BYTES, **kw):
    """``scipy.optimize.least_squares`` of the residual ``r(x, *args)`` (any output shape,
    flattened) with an exact sparse JAX Jacobian (``csr_array``, structure detected and
    colored once) and ``tr_solver="lsmr"`` by default.  ``method="lm"`` needs a dense
    Jacobian (refused above ``max_dense_bytes``).  ``result.x`` is shaped like x0.
    """
    residual = Residual(r, x0, args, jac_method=jac_method, order=order, dtype=dtype)
    jac = kw.pop("jac", None)
    kw.pop("jac_sparsity", None)
    method = kw.get("method", "trf")
    if jac is None:
        if method == "lm":
            nbytes = 8.0 * residual.m * residual.n
            if max_dense_bytes is not None and nbytes > max_dense_bytes:
                raise DenseHessianError(
                    f"method='lm' needs a dense Jacobian of shape ({residual.m}, "
                    f"{residual.n}): {_format_bytes(nbytes)}, above max_dense_bytes="
                    f"{_format_bytes(max_dense_bytes)}; use method='trf' (sparse, lsmr)")
            jac = lambda x: residual.jac(x).toarray()   # noqa: E731
        else:
            jac = residual.jac
            kw.setdefault("tr_solver", "lsmr")
    result = _so.least_squares(residual.fun, residual.x0, jac=jac, **kw)
    result.x = np.asarray(result.x).reshape(residual.shape)
    result["evaluations"] = dict(residual.counts)
    result["jacobian_ncolors"] = residual.jac_plan.ncolors
    return result
