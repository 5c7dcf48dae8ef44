"""Vector functions for SciPy: residuals and constraints with sparse exact derivatives, and
the conversion of SciPy constraints to them."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize as _so

from .compiled import CompiledVector, compiled_for
from .evaluation import Evaluator, coo, csr, structure, triangle_mask
from .methods import DEFAULT_MAX_DENSE_BYTES, require_dense_fits


class VectorFunction(Evaluator):
    """c(x, *args) -> (m,) with a sparse Jacobian plan built at construction."""

    def __init__(self, c, x0, args, *, jac_method, order, dtype):
        super().__init__(x0, args, dtype)
        self.c = c
        self._compiled = compiled_for(c, self.shape, CompiledVector)
        with self.context():
            x0 = jnp.asarray(self.x0, self.dtype)
            self.m = int(jax.eval_shape(self._compiled.flat_c, x0, *self.args).shape[0])
            self.jac_plan = self._compiled.jacobian_plan((x0, *self.args), jac_method, order)

    def lagrangian_hessian_plan(self, method, order):
        """The sparse plan of the Hessian of ``v . c(x)``, valid for every v."""
        with self.context():
            x0 = jnp.asarray(self.x0, self.dtype)
            v0 = jnp.zeros(self.m, self.dtype)
            return self._compiled.lagrangian_hessian_plan((x0, v0, *self.args), method, order)

    def fun(self, x, *args):
        """c(x) as float64 (m,)."""
        with self.context():
            out = self.out(self._compiled.value(self.point(x), *self.call_args(args)))
        self.counts["value"] += 1
        return out

    def jacobian_structure(self):
        """(rows, cols) int64 of the Jacobian's stored entries, fixed for this object."""
        return structure(self.jac_plan)

    def jacobian_values(self, x, *args):
        """Jacobian values at x in the order of :meth:`jacobian_structure`."""
        with self.context():
            out = self.out(self.jac_plan.values(self.point(x), *self.call_args(args)))
        self.counts["jacobian"] += 1
        return out

    def jac(self, x, *args):
        """Sparse Jacobian (m, n) ``csr_array``, float64."""
        return csr(self.jacobian_values(x, *args), self.jac_plan.pattern)


class Residual(VectorFunction):
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
        self.vector = VectorFunction(c, x0, args, jac_method=jac_method, order=order,
                                     dtype=dtype)
        self.hess_plan = self.vector.lagrangian_hessian_plan(hess_method, order)
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
        return structure(self.hess_plan, triangle)

    def hessian_values(self, x, v, triangle=None):
        """Values of the Hessian of ``v . c(x)`` in the order of :meth:`hessian_structure`."""
        vec = self.vector
        v = np.asarray(v, vec.dtype).reshape(-1)
        if v.size != vec.m:
            raise ValueError(f"v has {v.size} entries, the constraint has {vec.m}")
        with vec.context():
            values = vec.out(self.hess_plan.values(vec.point(x), v, *vec.args))
        vec.counts["hessian"] += 1
        mask = triangle_mask(self.hess_plan.rows, self.hess_plan.cols, triangle)
        return values if mask is None else values[mask]

    def _hess(self, x, v):
        return csr(self.hessian_values(x, v), self.hess_plan.pattern)

    def jac_coo(self, x):
        """Sparse Jacobian as a ``coo_array`` (for ``cyipopt.minimize_ipopt``)."""
        return coo(self.jacobian_values(x), self.vector.jac_plan)

    def hess_coo(self, x, v):
        """Hessian of ``v . c(x)`` as a ``coo_array`` (for ``cyipopt.minimize_ipopt``)."""
        return coo(self.hessian_values(x, v), self.hess_plan)

    def dense(self, max_dense_bytes=DEFAULT_MAX_DENSE_BYTES):
        """A plain ``scipy.optimize.NonlinearConstraint`` with a dense ``jac`` (for SLSQP)."""
        require_dense_fits((self.m, self.n), max_dense_bytes, lambda need, limit: (
            f"a dense constraint Jacobian of shape ({self.m}, {self.n}) needs {need}, above "
            f"max_dense_bytes={limit}; use method='trust-constr'"))
        return _so.NonlinearConstraint(self._fun, self.lb, self.ub,
                                       jac=lambda x: self._jac(x).toarray(),
                                       keep_feasible=self.keep_feasible)

    def without_derivatives(self):
        """A plain ``scipy.optimize.NonlinearConstraint`` of the values only (for the
        derivative-free COBYLA / COBYQA)."""
        return _so.NonlinearConstraint(self._fun, self.lb, self.ub,
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
        return NonlinearConstraint(fun, lb, ub, x0, args=args, keep_feasible=keep, dtype=dtype)
    except Exception as err:   # noqa: BLE001 - not JAX-traceable: leave it to SciPy
        warnings.warn(f"sparsehess could not differentiate a constraint ({type(err).__name__}: "
                      f"{err}); it is left to SciPy's finite differences", RuntimeWarning,
                      stacklevel=4)
        return None


def prepare_constraints(constraints, key, x0, auto, dtype, max_dense_bytes):
    """``constraints`` as ``scipy.optimize.minimize`` with method ``key`` should get them:
    plain ones rebuilt with sparse derivatives for trust-constr (``auto``), sparsehess ones
    densified for SLSQP and reduced to values for COBYLA / COBYQA."""
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
                con = con.without_derivatives()
        out.append(con)
    return out
