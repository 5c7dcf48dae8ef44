"""sparsehess: sparse Jacobians and Hessians in JAX.

Pipeline: detect the sparsity pattern from the jaxpr, color it, sweep one batched
JVP / VJP / Hessian-vector product per color, recover the sparse matrix.

Sparsity patterns (bool scipy csr_array)
    jacobian_sparsity(f, *args, argnums=0, mode="global")   (m, n)
    hessian_sparsity(f, *args, argnums=0, mode="global")    (n, n), symmetric
    register_sparsity_rule(primitive, rule)                 exact patterns for your own primitives
Coloring
    color(pattern, method, order="largest_first") -> Coloring
Derivatives (functions of f's arguments, like jax.jacfwd / jax.hessian)
    hessian(f, argnums=0, *, method="auto", format="bcoo")   scalar f: (n, n); vector f: (m, n, n)
    hessian_diagonal(f, argnums=0)                           scalar f: like x; vector f: (m, n)
    jacobian(f, argnums=0, *, method="auto", format="bcoo")  (m, n)
    jacobian_diagonal(f, argnums=0)                          square f: like x
    value_grad_and_hessian(f, argnums=0)                     (f, ∇f, ∇²f)
    hvp(f, argnums=0)(*args, v)                              H @ v without forming H
    prepare_hessian(f, *args), prepare_jacobian(f, *args)    inspectable, reusable plans
Optimizers (imported on demand): sparsehess.scipy (scipy.optimize), sparsehess.ipopt
(Ipopt through cyipopt, extra [ipopt]), sparsehess.jax_solvers (lineax operators and an
optimistix Newton minimiser, extra [optimistix])
Tools: sparsehess.coloring (color, check_coloring, load_pattern), sparsehess.bench and the
``sparsehess`` command line, sparsehess.plot; exceptions in sparsehess.errors.

Everything under ``sparsehess._src`` is internal and may change without notice.
"""

import importlib

from .coloring import Coloring, color
from .errors import SparsityWarning, UnsupportedPrimitiveError

# The JAX-based names are imported on first use (PEP 562), so that ``import sparsehess`` and
# the ``sparsehess color`` command (numpy / scipy / numba only) do not load JAX.
_LAZY = {
    "hessian_sparsity": "_src.detection.api",
    "jacobian_sparsity": "_src.detection.api",
    "register_sparsity_rule": "_src.detection.api",
    **dict.fromkeys(("hessian", "hessian_diagonal", "hvp", "jacobian", "jacobian_diagonal",
                     "prepare_hessian", "prepare_jacobian", "value_grad_and_hessian"),
                    "_src.interface"),
}

__all__ = [
    "Coloring",
    "SparsityWarning",
    "UnsupportedPrimitiveError",
    "color",
    "hessian",
    "hessian_diagonal",
    "hessian_sparsity",
    "hvp",
    "jacobian",
    "jacobian_diagonal",
    "jacobian_sparsity",
    "prepare_hessian",
    "prepare_jacobian",
    "register_sparsity_rule",
    "value_grad_and_hessian",
]
__version__ = "0.1.0"


# submodules reachable as attributes after a bare ``import sparsehess``, imported on first use
_SUBMODULES = ("bench", "cli", "demo", "errors", "plot", "problems", "scipy")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sparsehess' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
