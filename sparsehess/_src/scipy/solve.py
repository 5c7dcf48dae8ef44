"""Drop-ins for ``scipy.optimize.minimize`` and ``scipy.optimize.least_squares`` that supply
exact sparse JAX derivatives in the form each method accepts."""

import numpy as np
import scipy.optimize as _so

from .constraints import Residual, prepare_constraints
from .methods import (DEFAULT_MAX_DENSE_BYTES, check_dense_memory, method_derivatives,
                      method_key, require_dense_fits)
from .objective import Objective


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


def _supplied_derivatives(method, objective):
    """{scipy keyword: callable} of what :func:`method_derivatives` names for ``method``."""
    callables = {"jac": ("jac", objective.jac), "hess": ("hess", objective.hess),
                 "hessp": ("hessp", objective.hessp),
                 "hess (dense)": ("hess", objective.hess_dense)}
    return dict(callables[name] for name in method_derivatives(method)[1:])


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
    key = method_key(method)
    if method is None:
        method = "trust-constr"
    x0 = np.asarray(x0)
    objective = Objective(f, x0, args, method=hess_method, order=order, dtype=dtype,
                          hessp=hessp_mode)
    check_dense_memory(method, objective.n, max_dense_bytes)

    derivatives = _supplied_derivatives(method, objective)
    for name, given in (("jac", jac), ("hess", hess), ("hessp", hessp)):
        if given is not None:
            derivatives[name] = given
    if tol is not None:
        kw["tol"] = tol
    if callback is not None:
        kw["callback"] = callback

    if constraints is None:
        constraints = ()
    constraints = prepare_constraints(constraints, key, objective.x0, auto_constraints,
                                      dtype, max_dense_bytes)
    if constraints:
        kw["constraints"] = constraints
    if bounds is not None:
        kw["bounds"] = _flatten_bounds(bounds, objective.shape)
    result = _so.minimize(objective.fun, objective.x0, method=method, options=options,
                          **derivatives, **kw)
    result.x = np.asarray(result.x).reshape(objective.shape)
    result["evaluations"] = dict(objective.counts)
    result["hessian_ncolors"] = objective.ncolors if objective.has_plan else None
    result["objective"] = objective
    return result


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
            m, n = residual.m, residual.n
            require_dense_fits((m, n), max_dense_bytes, lambda need, limit: (
                f"method='lm' needs a dense Jacobian of shape ({m}, {n}): {need}, above "
                f"max_dense_bytes={limit}; use method='trf' (sparse, lsmr)"))
            jac = lambda x: residual.jac(x).toarray()   # noqa: E731
        else:
            jac = residual.jac
            kw.setdefault("tr_solver", "lsmr")
    result = _so.least_squares(residual.fun, residual.x0, jac=jac, **kw)
    result.x = np.asarray(result.x).reshape(residual.shape)
    result["evaluations"] = dict(residual.counts)
    result["jacobian_ncolors"] = residual.jac_plan.ncolors
    return result
