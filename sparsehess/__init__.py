"""sparsehess: sparse Jacobians and Hessians in JAX.

Pipeline: detect the sparsity pattern from the jaxpr, color it, sweep one batched
JVP / VJP / Hessian-vector product per color, recover the sparse matrix.

Sparsity patterns
    jacobian_sparsity(f, *args, argnums=0)   bool csr_array (m, n)
    hessian_sparsity(f, *args, argnums=0)    bool csr_array (n, n), symmetric
Coloring
    color(pattern, method, order="largest_first") -> Coloring
Derivatives (functions of f's arguments, like jax.jacfwd / jax.hessian)
    jacobian(f, argnums=0, *, method="auto", format="bcoo")
    hessian(f, argnums=0, *, method="star", format="bcoo")
    hessian_diagonal(f, argnums=0)
"""

from .coloring import Coloring, color
from .detection.api import hessian_sparsity, jacobian_sparsity
from .errors import SparsityWarning, UnsupportedPrimitiveError
from .interface import hessian, hessian_diagonal, jacobian

__all__ = [
    "Coloring",
    "SparsityWarning",
    "UnsupportedPrimitiveError",
    "color",
    "hessian",
    "hessian_diagonal",
    "hessian_sparsity",
    "jacobian",
    "jacobian_sparsity",
]
__version__ = "0.1.0"
