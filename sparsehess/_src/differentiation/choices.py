"""The choices a plan makes for itself: the coloring that ``method="auto"`` picks (a cost
model of sweeps against recovery), how many products run at once (memory and CPU
indexing), and whether reverse mode can run through f."""

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as jax_core

from ..coloring import METHOD_SPECS
from ..coloring import color as color_pattern
from ..coloring.methods import forest_lower_bound
from ..detection import registry

HESSIAN_METHODS = ("auto", "star", "acyclic", "column")
JACOBIAN_METHODS = ("auto", "column", "row", "bicoloring")
# A reverse-mode sweep costs about this many forward sweeps; "auto" weighs colorings by it.
VJP_COST = 1.5
# Automatic chunking keeps the sweeps of one chunk under this many bytes of intermediates.
CHUNK_MEMORY_BYTES = 2 * 2 ** 30
# Rough CPU cost model for method="auto" (nanoseconds), calibrated on the built-in
# problems: one HVP per element of f's intermediates, and recovery per nonzero (one gather
# for direct methods, prefix sums and several gathers for acyclic substitution).
HVP_NS_PER_ELEMENT = 1.0
RECOVERY_NS_PER_NONZERO = {"star": 2.0, "column": 2.0, "acyclic": 12.0}
# Substitution sums the rounding errors of the products over a subtree of a 2-colored tree.
# In float32 and narrower, "auto" substitutes only when no recovered nonzero sums more than
# this many products' entries: its error then stays within about this factor of direct
# recovery's.
LOW_PRECISION_MAX_TERMS = 10


# ------------------------------------------------------------------ f's jaxpr

def _all_equations(jaxpr):
    for eqn in jaxpr.eqns:
        yield eqn
        for sub in jax_core.jaxprs_in_params(eqn.params):
            yield from _all_equations(sub)


def elements_per_evaluation(jaxpr) -> int:
    """Number of array elements f's top-level equations produce (a size of one evaluation)."""
    return max(1, sum(math.prod(v.aval.shape) for eqn in jaxpr.jaxpr.eqns for v in eqn.outvars
                      if hasattr(v.aval, "shape")))


def reverse_mode_runs(jaxpr) -> bool:
    """Whether JAX can reverse-differentiate f: not through a ``while`` loop (``while_loop``,
    ``fori_loop`` with traced bounds), nested jaxprs included."""
    return not any(eqn.primitive.name == "while" for eqn in _all_equations(jaxpr.jaxpr))


# ------------------------------------------------------------------ products at once



def sequential_sweeps_pay(jaxpr) -> bool:
    """Whether the products should run one per color rather than vmapped: on a single CPU
    device, when f indexes by arrays (gathers/scatters anywhere, nested jaxprs included).
    Products then share the linearization and run in a compiled loop (batched, a leading
    axis makes every indexed row a strided access: ``registry.Rule.array_indexed``)."""
    if jax.default_backend() != "cpu" or len(jax.devices()) > 1:
        return False
    return any(getattr(registry.rule_for(eqn.primitive), "array_indexed", False)
               for eqn in _all_equations(jaxpr.jaxpr))


def auto_chunk_size(jaxpr, nseeds: int, itemsize: int = 8):
    """Seeds per chunk so that one chunk of sweeps stays under CHUNK_MEMORY_BYTES.

    One sweep is estimated at 3x the intermediates of one evaluation of f (primal, tangent
    and cotangent values).  Returns None when everything fits at once.
    """
    per_sweep = 3 * elements_per_evaluation(jaxpr) * itemsize
    chunk = max(1, CHUNK_MEMORY_BYTES // per_sweep)
    return None if chunk >= nseeds else int(chunk)


def chunk_size(requested, jaxpr, nseeds, dtype):
    """Products run at once for the user's ``chunk_size`` (a positive int, "auto" or None:
    one at a time where :func:`sequential_sweeps_pay`, else :func:`auto_chunk_size`)."""
    if requested == "auto" or requested is None:
        if sequential_sweeps_pay(jaxpr):
            return 1
        return auto_chunk_size(jaxpr, nseeds, np.dtype(dtype).itemsize)
    if not isinstance(requested, (int, np.integer)) or requested < 1:
        raise ValueError(f"chunk_size must be a positive int or 'auto', got {requested!r}")
    return int(requested)


# ------------------------------------------------------------------ colorings

def direct_if_low_precision(method, dtype):
    """``method``, with "auto" as "star" below 32-bit floats: substitution (acyclic
    recovery) subtracts products that sum several Hessian entries, each rounded to
    float16 / bfloat16, so its entries lose digits that direct recovery keeps."""
    return "star" if method == "auto" and np.dtype(dtype).itemsize < 4 else method


def choose_hessian_coloring(pattern, method, order, per_evaluation=1, dtype=np.float64,
                            effort=0.0):
    """Coloring of a Hessian pattern for ``method``.

    "auto" compares star (direct recovery) and acyclic (fewer colors, recovery by
    substitution) by estimated cost: ncolors HVPs of ``per_evaluation`` elements each plus
    the recovery of every nonzero.  Expensive functions get the fewest HVPs; cheap ones
    the cheapest recovery.  For a ``dtype`` narrower than float64, acyclic only where it is
    as accurate as star up to LOW_PRECISION_MAX_TERMS.  ``effort``: seconds of the coloring
    improvement stage (:func:`sparsehess.coloring.color`) for each coloring computed.
    """
    if method not in HESSIAN_METHODS:
        raise ValueError(f"hessian method={method!r} is not one of {HESSIAN_METHODS}")
    if method != "auto":
        return color_pattern(pattern, method, order=order, effort=effort)
    def cost(method, ncolors, nnz):
        return (ncolors * HVP_NS_PER_ELEMENT * per_evaluation
                + RECOVERY_NS_PER_NONZERO[method] * nnz)

    star = color_pattern(pattern, "star", order=order, effort=effort)
    star_cost = cost("star", star.ncolors, star.pattern.nnz)
    fewest = max(1, forest_lower_bound(star.pattern))
    if cost("acyclic", fewest, star.pattern.nnz) >= star_cost:
        return star                  # even the fewest acyclic colors could not pay
    acyclic = color_pattern(pattern, "acyclic", order=order, effort=effort)
    if cost("acyclic", acyclic.ncolors, acyclic.pattern.nnz) >= star_cost:
        return star
    if jnp.finfo(dtype).bits < 64 and acyclic.max_terms > LOW_PRECISION_MAX_TERMS:
        return star                  # fewer HVPs, but not at the price of accuracy
    return acyclic


def choose_jacobian_coloring(pattern, method, order, complex_output=False, reverse=True,
                             effort=0.0):
    """Column (JVPs), row (VJPs) or bicoloring (both); "auto" takes the cheapest, counting
    a VJP as VJP_COST JVPs.  Complex outputs of real inputs need JVPs (a VJP would read only
    the real part of the products), and so does f where reverse mode cannot run (``reverse``
    False: a while loop): column coloring.  ``effort``: seconds of coloring improvement for
    each coloring computed."""
    if method not in JACOBIAN_METHODS:
        raise ValueError(f"jacobian method={method!r} is not one of {JACOBIAN_METHODS}")
    reverse_products = method in METHOD_SPECS and "vjp" in METHOD_SPECS[method].sweep
    if complex_output and reverse_products:
        raise ValueError(f"jacobian method={method!r} uses reverse-mode products, which do not "
                         f"give the Jacobian of a complex-valued f of real inputs; use "
                         f"method='column' (what 'auto' picks for complex outputs)")
    if not reverse and reverse_products:
        raise ValueError(f"jacobian method={method!r} uses reverse-mode products, which JAX "
                         f"cannot run through f's while loop; use method='column' (what "
                         f"'auto' picks there)")
    if complex_output or not reverse or method != "auto":
        return color_pattern(pattern, "column" if method == "auto" else method, order=order,
                             effort=effort)
    candidates = [color_pattern(pattern, m, order=order, effort=effort)
                  for m in ("column", "row", "bicoloring")]
    return min(candidates, key=_jacobian_cost)


def _jacobian_cost(coloring):
    """Products of a Jacobian coloring, a VJP counting ``VJP_COST`` JVPs."""
    sweep = coloring.spec.sweep
    if sweep == "jvp+vjp":
        return coloring.ncolumn_colors + VJP_COST * coloring.nrow_colors
    return (VJP_COST if sweep == "vjp" else 1) * coloring.ncolors
