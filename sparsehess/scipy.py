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

from ._src.scipy.constraints import NonlinearConstraint, Residual
from ._src.scipy.methods import check_dense_memory, method_derivatives
from ._src.scipy.objective import Objective
from ._src.scipy.solve import least_squares, minimize
from .errors import DenseHessianError

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
