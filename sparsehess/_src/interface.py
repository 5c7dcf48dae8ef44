"""User-facing derivative transforms, shaped like ``jax.jacfwd`` / ``jax.hessian``.

Each transform returns a function of the same arguments as ``f``.  The first call for a
given argument signature (pytree structure, shapes, dtypes, values of non-array arguments,
the x64 flag) detects the sparsity pattern, colors it and compiles the sweeps; later calls
reuse that plan (kept in ``.plans``, at most PLAN_CACHE_SIZE; ``.plan_for(*args)`` returns
the plan for the signature of ``args``, built and cached as a call would).
Non-differentiated array arguments are treated as unknown during detection, so a plan is
valid for any of their values; non-array arguments are passed to f unchanged (static),
like ``jax.hessian``.  Like ``jax.jit``, a plan keeps the values f's closure had at its
first call: pass values that change as arguments.  The transforms work under ``jax.jit`` (detection and coloring
then happen at trace time) and ``jax.vmap`` (with ``format="dense"``).

Common keywords: ``argnums`` (int or tuple, like JAX), ``has_aux`` (f returns
``(output, aux)``; the transform returns ``(derivative, aux)``), ``order`` (vertex order
of the coloring), ``chunk_size`` (colors swept at once: "auto" bounds memory and, on one
CPU device, sweeps f that index by arrays one color at a time; an int fixes it).

Results have the dtype ``jax.hessian`` / ``jax.jacfwd`` give (float16 and bfloat16
included), except ``format="scipy"``: scipy.sparse has no float16 or bfloat16, so those
values come as float32 (converted exactly); ``method="auto"`` recovers their Hessians
directly ("star"): substitution ("acyclic") subtracts rounded sums of several entries and
loses a few ulps more.  PRNG keys (``jax.random.key``) may be
non-differentiated arguments; they carry no derivative, so they cannot be in ``argnums``.
"""

import collections
import functools

import jax

from . import arguments
from .differentiation import formats, plans


# Plans kept per transformed function; the least recently used one is dropped beyond this.
PLAN_CACHE_SIZE = 32


def _cached_transform(f, argnums, prepare, call=None, **options):
    """A function of f's arguments that builds (once per signature) and calls a plan.

    The cache key is ``arguments.signature(args)``: pytree structure, shape / dtype / weak
    type of every array leaf, the values of static (non-array) leaves, and the x64 flag.
    It holds at most PLAN_CACHE_SIZE plans (``.plans``, least recently used first).
    Keyword arguments are passed to f undifferentiated, as ``jax.hessian`` does: they
    travel as one trailing dict argument of a wrapper of f.
    """
    cache = collections.OrderedDict()
    with_keywords = lambda *a: f(*a[:-1], **a[-1])

    def lookup(args, kwargs):
        """(plan, args as the plan takes them) for one call; the plan is built once."""
        fun, nums = f, argnums
        if kwargs:
            fun, args = with_keywords, args + (kwargs,)
            nums = arguments.normalize_argnums(argnums, len(args) - 1)
            nums = nums[0] if arguments.is_single(argnums) else nums
        key = (arguments.signature(args), bool(kwargs))
        plan = cache.get(key)
        if plan is None:
            constants = [False] * len(jax.tree_util.tree_leaves(tuple(args)))
            plan = prepare(fun, args, nums, constants=constants, **options)
            cache[key] = plan
            while len(cache) > PLAN_CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return plan, args

    @functools.wraps(f)
    def transformed(*args, **kwargs):
        plan, args = lookup(args, kwargs)
        leaves = jax.tree_util.tree_leaves(tuple(args))
        dynamic = [leaves[i] for i in plan.layout.dynamic]
        return plan.evaluate_leaves(dynamic) if call is None else call(plan, dynamic)

    transformed.plans = cache
    transformed.plan_for = lambda *args, **kwargs: lookup(args, kwargs)[0]
    return transformed


def hessian(f, argnums=0, *, method="auto", order="largest_first", format="bcoo",
            has_aux=False, chunk_size="auto", effort=0.0):
    """Sparse Hessian of ``f`` w.r.t. ``args[argnums]``, like ``jax.hessian``.

    Scalar f: an (n, n) matrix over the flattened inputs (``format``: "bcoo" =
    jax.experimental.sparse.BCOO, "scipy" = scipy csr_array, "dense" = jax array shaped
    ``x.shape + x.shape`` for a single array argument).  Costs one Hessian-vector product
    per color: ``method`` "star" (direct recovery), "acyclic" (substitution, fewer
    colors), "column" (no symmetry) or "auto" (the cheapest by an estimate of sweeps plus
    recovery; below float64, acyclic only where substitution stays about as accurate).

    Vector f (m outputs): every output's Hessian, a sparse (m, n, n) array, from
    forward-over-forward sweeps over pairs of colors of the Jacobian's column coloring
    (for a per-sample function of a C x D batch, C(C+1)/2 sweeps whatever D is).

    ``effort``: seconds spent (once per signature) improving the coloring past greedy
    (:func:`sparsehess.coloring.color`): fewer colors, fewer products per evaluation.
    """
    formats.check_format(format)
    return _cached_transform(f, argnums, plans.prepare_hessian, method=method, order=order,
                             format=format, has_aux=has_aux, chunk_size=chunk_size,
                             effort=effort)


def hessian_diagonal(f, argnums=0, *, order="largest_first", has_aux=False, chunk_size="auto",
                     format="dense"):
    """Diagonal of the Hessian, shaped like the differentiated argument (a pytree like it,
    or a tuple in argnums order, as ``jax.grad`` returns).

    Scalar f: one HVP per color of a distance-1 coloring of the Hessian's graph (2 for a
    chain, where a full Hessian needs 3).  Vector f: the (m, n) array of ∂²y_k/∂x_i²
    (shaped ``y.shape + x.shape``), one forward-over-forward sweep per Jacobian color;
    ``format="bcoo"`` / ``"scipy"`` give it as a sparse (m, n) matrix holding only the
    structural nonzeros (per-sample diagonals of a batch: batch × features entries, not
    batch² × features).  A scalar f's diagonal is always an array.
    """
    formats.check_format(format)
    return _cached_transform(f, argnums, plans.prepare_hessian_diagonal, order=order,
                             has_aux=has_aux, chunk_size=chunk_size, format=format)


def jacobian(f, argnums=0, *, method="auto", order="largest_first", format="bcoo",
             has_aux=False, chunk_size="auto", effort=0.0):
    """Sparse Jacobian of ``f`` w.r.t. ``args[argnums]``, like ``jax.jacfwd``.

    (m, n) over the flattened outputs and inputs; "dense" gives ``y.shape + x.shape`` for a
    single output and input array.  ``method``: "column" (one JVP per color), "row" (one
    VJP per color), "bicoloring" (both, for dense rows and columns) or "auto" (the cheapest,
    a VJP counted as 1.5 JVPs).  ``effort``: seconds of coloring improvement, as in
    :func:`hessian`.
    """
    formats.check_format(format)
    return _cached_transform(f, argnums, plans.prepare_jacobian, method=method, order=order,
                             format=format, has_aux=has_aux, chunk_size=chunk_size,
                             effort=effort)


def jacobian_diagonal(f, argnums=0, *, order="largest_first", has_aux=False, chunk_size="auto"):
    """Diagonal of the Jacobian of a square ``f``, shaped like the input; one JVP per color
    of a distance-1 coloring of the symmetrized pattern J ∪ Jᵀ."""
    return _cached_transform(f, argnums, plans.prepare_jacobian_diagonal, order=order,
                             has_aux=has_aux, chunk_size=chunk_size)


def value_grad_and_hessian(f, argnums=0, *, method="auto", order="largest_first",
                           format="bcoo", chunk_size="auto"):
    """``(f(x), ∇f(x), ∇²f(x))`` for scalar ``f`` from one linearization of the gradient;
    the gradient has the structure of the differentiated arguments."""
    formats.check_format(format)

    def call(plan, leaves):
        if plan.kind != "hessian":
            raise ValueError("value_grad_and_hessian needs a scalar-valued f")
        return plan.value_grad_and_hessian.evaluate_leaves(leaves)
    return _cached_transform(f, argnums, plans.prepare_hessian, call=call, method=method,
                             order=order, format=format, chunk_size=chunk_size)


def prepare_hessian(f, *args, argnums=0, method="auto", order="largest_first", format="bcoo",
                    has_aux=False, chunk_size="auto", effort=0.0):
    """The plan ``hessian`` builds for the signature of ``args``, to inspect and reuse.

    ``.pattern``, ``.coloring``, ``.ncolors`` (sweeps per evaluation); call it with new
    arguments of the same signature to evaluate there.  Accepts vector-valued f too.
    ``effort``: seconds of coloring improvement past greedy (see :func:`hessian`).
    """
    formats.check_format(format)
    return plans.prepare_hessian(f, args, argnums, method=method, order=order, format=format,
                                 has_aux=has_aux, chunk_size=chunk_size, effort=effort,
                                 constants=[False] * len(jax.tree_util.tree_leaves(args)))


def prepare_jacobian(f, *args, argnums=0, method="auto", order="largest_first", format="bcoo",
                     has_aux=False, chunk_size="auto", effort=0.0):
    """The plan ``jacobian`` builds for the signature of ``args``; see prepare_hessian."""
    formats.check_format(format)
    return plans.prepare_jacobian(f, args, argnums, method=method, order=order, format=format,
                                  has_aux=has_aux, chunk_size=chunk_size, effort=effort,
                                  constants=[False] * len(jax.tree_util.tree_leaves(args)))


def hvp(f, argnums=0):
    """Hessian-vector product without forming H: ``hvp(f)(*args, v)``.

    ``v`` has the structure of ``args[argnums]`` (a tuple of them, in argnums order, for a
    tuple argnums); the result has the same structure.  One forward-over-reverse pass,
    compiled once per argument signature.
    """
    single = arguments.is_single(argnums)
    compiled = {}

    def product(*args_and_v):
        if len(args_and_v) < 2:
            raise TypeError(f"hvp(f)(*args, v) takes f's arguments followed by the vector v; "
                            f"got {len(args_and_v)} argument(s). Pass v last, shaped like "
                            f"args[argnums].")
        *args, v = args_and_v
        nums = arguments.normalize_argnums(argnums, len(args))
        tangents = (v,) if single else tuple(v)
        if len(tangents) != len(nums):
            raise ValueError(f"hvp with argnums={argnums} needs one tangent per differentiated "
                             f"argument ({len(nums)}), got {len(tangents)}")
        key = arguments.signature((args, tangents))
        fn = compiled.get(key)
        if fn is None:
            fn = compiled[key] = _compiled_hvp(f, args, nums)
        out = fn(args, tangents)
        return out[0] if single else out
    return product


def _compiled_hvp(f, args, nums):
    """jit of (traced leaves of args, tangents) -> H v for one argument signature; static
    (non-array) leaves are closed over."""
    leaves, treedef = jax.tree_util.tree_flatten(tuple(args))
    static = [not arguments.is_array_leaf(l) for l in leaves]

    def run(dynamic, tangents):
        it = iter(dynamic)
        args_ = jax.tree_util.tree_unflatten(
            treedef, [l if s else next(it) for l, s in zip(leaves, static)])

        def of_selected(*selected):
            full = list(args_)
            for i, value in zip(nums, selected):
                full[i] = value
            return f(*full)
        grad = jax.grad(of_selected, argnums=tuple(range(len(nums))))
        return jax.jvp(grad, tuple(args_[i] for i in nums), tangents)[1]
    jitted = jax.jit(run)

    def call(args, tangents):
        dynamic = [l for l, s in zip(jax.tree_util.tree_leaves(tuple(args)), static) if not s]
        return jitted(dynamic, tangents)
    return call
