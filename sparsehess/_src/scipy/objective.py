"""The scalar objective for SciPy optimizers: value and gradient once per point, sparse
Hessian (csr, coo, dense, or its coordinates and values) and Hessian-vector products."""

import warnings

import jax.numpy as jnp
import numpy as np

from .compiled import CompiledObjective, compiled_for
from .evaluation import Evaluator, args_equal, coo, csr, structure, triangle_mask


class Objective(Evaluator):
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
        self._compiled = compiled_for(f, self.shape, CompiledObjective)
        self._plan = None
        self._fg_key = None        # (x copy, args) of the cached value and gradient
        self._fg = None
        self._h_key = None         # (x copy, args) of the cached Hessian values
        self._h_values = None
        self._hessp_key = None     # point of the current run of hessp calls
        self._hessp_calls = 0

    # -- value and gradient ------------------------------------------------------------

    @staticmethod
    def _same(key, x, args):
        return key is not None and args_equal(key[1], args) and np.array_equal(key[0], x)

    def value_and_grad(self, x, *args):
        """(value float, gradient float64 (n,)) at x; cached for the last point."""
        args = self.call_args(args)
        x = np.asarray(x)
        if not self._same(self._fg_key, x, args):
            with self.context():
                value, grad = self._compiled.value_and_grad(self.point(x), *args)
                value, grad = float(value), self.out(grad)
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
        """The sparse Hessian plan (:class:`sparsehess._src.differentiation.plans.SparsePlan`)."""
        if self._plan is None:
            with self.context():
                x0 = jnp.asarray(self.x0, self.dtype)
                self._plan = self._compiled.hessian_plan((x0, *self.args), self._method,
                                                         self._order)
        return self._plan

    @property
    def has_plan(self) -> bool:
        """Whether the Hessian plan has been built (by a Hessian request or ``plan``)."""
        return self._plan is not None

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
        return structure(self.plan, triangle)

    def _all_hessian_values(self, x, args):
        args = self.call_args(args)
        x = np.asarray(x)
        if not self._same(self._h_key, x, args):
            plan = self.plan
            with self.context():
                values = self.out(plan.values(self.point(x), *args))
            self.counts["hessian"] += 1
            self._h_key, self._h_values = (np.array(x, copy=True), args), values
        return self._h_values

    def hessian_values(self, x, *args, triangle=None):
        """Hessian values at x (float64), in the order of :meth:`hessian_structure`."""
        values = self._all_hessian_values(x, args)
        mask = triangle_mask(self.plan.rows, self.plan.cols, triangle)
        return values.copy() if mask is None else values[mask]

    def hess(self, x, *args):
        """Sparse Hessian at x: ``scipy.sparse.csr_array`` (n, n), float64."""
        return csr(self._all_hessian_values(x, args), self.plan.pattern)

    def hess_coo(self, x, *args):
        """Sparse Hessian at x as a ``coo_array`` (for ``cyipopt.minimize_ipopt``)."""
        return coo(self._all_hessian_values(x, args), self.plan)

    def hess_dense(self, x, *args):
        """Dense Hessian (n, n) ndarray, for methods that need one (trust-exact, dogleg)."""
        return self.hess(x, *args).toarray()

    def hessp(self, x, p, *args):
        """Hessian-vector product H(x) @ p, float64 (n,)."""
        args = self.call_args(args)
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
        with self.context():
            out = self.out(self._compiled.hvp(self.point(x), self.point(p), *args))
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
