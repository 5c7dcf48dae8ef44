"""Compiled evaluators of one user function, shared by every SciPy object made from it.

Plans come from the derivative transforms (:func:`sparsehess.hessian` /
:func:`sparsehess.jacobian` with ``format="scipy"``) and live in their cache (``.plans``,
``.plan_for``), the only plan cache.  A transform is an object made for one function, so
for ``minimize`` called again with the same ``f`` to detect, color and compile once,
:data:`REGISTRY` maps the user's function -- weakly -- to its transforms and its jitted
value, gradient and Hessian-vector product.
"""

import weakref

import jax
import jax.numpy as jnp

from .. import interface
from .evaluation import check_structure

# user function -> {(evaluator class name, x0 shape): compiled evaluators}.  Weak keys: an
# entry must not keep its function alive, or every lambda handed to minimize would stay.
REGISTRY = weakref.WeakKeyDictionary()


def compiled_for(f, shape, build):
    """``build(f, shape)``, made once per (f, shape, build) while f lives; built afresh
    each time for an f that cannot be weakly referenced."""
    try:
        per_f = REGISTRY.setdefault(f, {})
    except TypeError:        # f not weak-referenceable: no sharing
        return build(f, shape)
    key = (build.__name__, tuple(shape))
    entry = per_f.get(key)
    if entry is None:
        entry = per_f[key] = build(f, shape)
    return entry


def _weak(f):
    """f through a weak reference where possible: the compiled functions (values of
    :data:`REGISTRY`) must not keep their key f alive."""
    try:
        ref = weakref.ref(f)
    except TypeError:
        return lambda: f
    return ref


class _Transforms:
    """One sparse-derivative transform per (kind, method, order); their plans are cached
    by argument signature in the transforms themselves."""

    def __init__(self):
        self._transforms = {}

    def plan(self, kind, fun, point, method, order):
        """The ``format="scipy"`` plan of ``kind`` ("hessian" or "jacobian") of ``fun`` at
        the signature of ``point`` (x first)."""
        key = (kind, method, order)
        transform = self._transforms.get(key)
        if transform is None:
            make = interface.hessian if kind == "hessian" else interface.jacobian
            transform = self._transforms[key] = make(fun, method=method, order=order,
                                                     format="scipy")
        return check_structure(transform.plan_for(*point))


class CompiledObjective(_Transforms):
    """Flat scalar f, its jitted value-and-gradient and Hessian-vector product, and its
    sparse Hessian plans."""

    def __init__(self, f, shape):
        super().__init__()
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

    def hessian_plan(self, point, method, order):
        """Sparse Hessian plan of f at the signature of ``point`` = (x, *args)."""
        return self.plan("hessian", self.flat_f, point, method, order)


class CompiledVector(_Transforms):
    """Flat vector c, its jitted value, and the plans of its Jacobian and of the Hessian of
    ``v . c(x)``."""

    def __init__(self, c, shape):
        super().__init__()
        c = _weak(c)     # alive while a constraint / residual holds it

        def flat_c(x, *a):
            return jnp.ravel(jnp.asarray(c()(x.reshape(shape), *a)))

        def lagrangian(x, v, *a):
            return jnp.dot(v, flat_c(x, *a))

        self.flat_c = flat_c
        self.lagrangian = lagrangian
        self.value = jax.jit(flat_c)

    def jacobian_plan(self, point, method, order):
        """Sparse Jacobian plan of c at the signature of ``point`` = (x, *args)."""
        return self.plan("jacobian", self.flat_c, point, method, order)

    def lagrangian_hessian_plan(self, point, method, order):
        """Sparse Hessian plan of ``v . c(x)`` at the signature of ``point`` = (x, v,
        *args): one coloring of the union of the outputs' Hessian patterns."""
        return self.plan("hessian", self.lagrangian, point, method, order)
