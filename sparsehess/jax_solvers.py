"""Sparse Hessians in the JAX solver stack: lineax operators and an optimistix Newton
minimiser (optional extra ``[optimistix]``: optimistix, lineax, equinox).

    hessian_operator(H, tags=...)        lineax operator v -> H @ v of a BCOO Hessian (n, n)
    hvp_operator(f, x, *args, tags=...)  lineax operator v -> ∇²f(x) v from sparsehess.hvp,
                                         never forming H
    SparseNewton(hessian, rtol, atol)    optimistix minimiser: Newton steps with the exact
                                         sparse Hessian (``hessian(y)`` -> BCOO, e.g.
                                         ``sparsehess.hessian(f)``) solved by lineax
                                         (CG by default), with a line search or a
                                         dogleg trust region

Both operators are ``lineax.FunctionLinearOperator`` objects over a flat (n,) vector whose
function is a ``jax.tree_util.Partial``: the Hessian's values (or x) are leaves, so
operators at different points have one pytree structure and pass through ``lax.cond`` /
``while_loop`` (optimistix needs that).  ``tags`` default to symmetric; add
``lineax.positive_semidefinite_tag`` for CG on a convex f.
"""

import jax
import jax.numpy as jnp

try:
    import equinox as eqx
    import lineax as lx
    import optimistix as optx
except ImportError as err:       # pragma: no cover - exercised only without the extra
    raise ImportError("sparsehess.jax_solvers needs optimistix, lineax and equinox: "
                      "pip install 'sparsehess[optimistix]'") from err

from ._src import interface

__all__ = ["SparseNewton", "hessian_operator", "hvp_operator"]


def _bcoo_matvec(matrix, v):
    return matrix @ v


def _structure(n, dtype):
    return jax.ShapeDtypeStruct((n,), dtype)


def hessian_operator(hessian, tags=(lx.symmetric_tag,)):
    """``lineax.FunctionLinearOperator`` of a BCOO (n, n) matrix (a sparsehess Hessian)."""
    n = hessian.shape[0]
    if hessian.ndim != 2 or hessian.shape[1] != n:
        raise ValueError(f"hessian_operator needs a square (n, n) matrix, got shape "
                         f"{hessian.shape}")
    return lx.FunctionLinearOperator(jax.tree_util.Partial(_bcoo_matvec, hessian),
                                     _structure(n, hessian.dtype), tags=tags,
                                     closure_convert=False)


def hvp_operator(f, x, *args, tags=(lx.symmetric_tag,)):
    """``lineax.FunctionLinearOperator`` of v -> ∇²f(x, *args) v for a flat (n,) x, one
    forward-over-reverse product per application (:func:`sparsehess.hvp`)."""
    x = jnp.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"hvp_operator needs a flat x of shape (n,), got shape {x.shape}")
    product = interface.hvp(f)
    matvec = jax.tree_util.Partial(lambda point, extra, v: product(point, *extra, v), x, args)
    return lx.FunctionLinearOperator(matvec, _structure(x.shape[0], x.dtype), tags=tags,
                                     closure_convert=False)


class SparseNewton(optx.AbstractQuasiNewton):
    """Newton's method for ``optimistix.minimise`` with the exact sparse Hessian.

    ``hessian``: y -> BCOO (n, n) Hessian of the objective at a flat y (``args`` bound in;
    ``sparsehess.hessian(f)`` for f(y)).  Each accepted step evaluates it once (one sweep
    of Hessian-vector products per color) and solves with ``linear_solver`` (default
    ``lineax.CG``, which needs ``tags`` to include positive_semidefinite_tag: a convex f).
    Steps: Newton with a backtracking Armijo line search, or with ``trust_region=True``
    dogleg steps in optimistix's classical trust region.
    """

    rtol: float
    atol: float
    norm: object = eqx.field(static=True)
    use_inverse: bool = eqx.field(static=True)
    descent: optx.AbstractDescent
    search: optx.AbstractSearch
    verbose: object = eqx.field(static=True)
    hessian: object = eqx.field(static=True)
    tags: tuple = eqx.field(static=True)

    def __init__(self, hessian, rtol, atol, *, trust_region=False, linear_solver=None,
                 tags=(lx.symmetric_tag, lx.positive_semidefinite_tag), norm=optx.max_norm):
        self.rtol, self.atol, self.norm = rtol, atol, norm
        self.use_inverse = False
        linear_solver = lx.CG(rtol=1e-12, atol=1e-14) if linear_solver is None else linear_solver
        if trust_region:
            self.descent = optx.DoglegDescent(linear_solver=linear_solver)
            self.search = optx.ClassicalTrustRegion()
        else:
            self.descent = optx.NewtonDescent(linear_solver=linear_solver)
            self.search = optx.BacktrackingArmijo()
        self.verbose = lambda **kwargs: None
        self.hessian = hessian
        self.tags = tuple(tags)

    def _info(self, y, f, grad):
        return optx.FunctionInfo.EvalGradHessian(f, grad,
                                                 hessian_operator(self.hessian(y), self.tags))

    def init_hessian(self, y, f, grad):
        return self._info(y, f, grad), None

    def update_hessian(self, y, y_eval, f_info, f_eval_info, hessian_update_state):
        return self._info(y_eval, f_eval_info.f, f_eval_info.grad), None
